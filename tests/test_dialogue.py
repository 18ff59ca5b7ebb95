"""Conversations through the engine the channels use: follow-ups, switching guides, answers to
the bot's own questions, button payloads, failures and the state kept between turns."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot import replies
from bot.assistant import Assistant
from bot.dialogue.choices import chosen, chosen_by_number
from bot.dialogue.dates import parse_day
from bot.dialogue.engine import Dialogue, UserMessage
from bot.dialogue.forms import Context, open_days, time_slots
from bot.dialogue.payloads import Payload, parse_payload, payload
from bot.dialogue.situations import chosen_option, number_in
from bot.dialogue.state import TRANSCRIPT_LINE_CHARS, ConversationState, Pending
from bot.feedback.store import FeedbackStore
from bot.handoff.outbox import WorkOrderStore
from bot.handoff.policy import staffed
from bot.handoff.takeover import QueueRelay
from bot.service_requests.store import ServiceRequestStore
from bot.tracker import ConversationKey, tracker_store_from_url
from daoban.settings import Settings
from knowledge.schema import Situation, SituationOption

OPTIONS = ["housing-fund-rent", "housing-fund-purchase", "housing-fund-retire"]


@pytest.fixture
def dialogue(assistant: Assistant) -> Dialogue:
    return Dialogue(assistant, tracker_store_from_url(None, 0), assistant.settings.dialogue)


def talk(dialogue: Dialogue, *texts: str, sender: str = "citizen") -> list:
    return [dialogue.handle(UserMessage(text, sender)) for text in texts]


@pytest.mark.parametrize(("text", "expected"), [
    ('/choose_option{"item": "id-card-reissue"}', Payload("choose_option", {"item": "id-card-reissue"})),
    ("/deny", Payload("deny")),
    ("/choose_option{not json}", None),
    ("/choose_option[1]", None),
    ("身份证/补办", None),
])
def test_payloads_are_parsed_the_rasa_way_and_malformed_ones_are_text(text: str, expected: Payload | None) -> None:
    assert parse_payload(text) == expected


def test_payload_round_trip() -> None:
    assert parse_payload(payload("handoff", target="agent")) == Payload("handoff", {"target": "agent"})


@pytest.mark.parametrize(("text", "index"), [("2", 1), ("第二个", 1), ("选3", 2), ("②", 1), ("第一项。", 0),
                                             ("１", 0), ("4", None), ("第二个月", None), ("22", None)])
def test_an_option_can_be_chosen_by_its_number(text: str, index: int | None) -> None:
    assert chosen_by_number(text, OPTIONS) == (OPTIONS[index] if index is not None else None)


def test_an_option_can_be_chosen_by_name_button_or_yes(assistant: Assistant) -> None:
    entries = assistant.entries
    assert chosen("租房提取住房公积金", None, "ask", OPTIONS, entries) == "housing-fund-rent"
    assert chosen("x", Payload("choose_option", {"item": "housing-fund-retire"}), "choose_option", OPTIONS,
                  entries) == "housing-fund-retire"
    assert chosen("x", Payload("choose_option", {"item": "passport"}), "choose_option", OPTIONS, entries) is None
    assert chosen("是的", None, "affirm", OPTIONS[:1], entries) == OPTIONS[0]
    assert chosen("是的", None, "affirm", OPTIONS, entries) is None  # yes to three options picks none


def test_state_survives_a_json_round_trip() -> None:
    state = ConversationState(item="passport", pending=Pending(OPTIONS, "fee"), failures=1)
    state.record("user", "护照多少钱", keep=2)
    assert ConversationState.from_dict(state.to_dict()) == state
    assert ConversationState.from_dict(None) == ConversationState()


def test_a_follow_up_asks_about_the_guide_being_discussed(dialogue: Dialogue) -> None:
    first, cost, where = talk(dialogue, "身份证丢了怎么补办", "要多少钱", "在哪办")
    assert (first.decision.outcome, first.decision.item) == ("answer", "id-card-reissue")
    assert (cost.decision.item, cost.decision.section) == ("id-card-reissue", "fee")
    assert (where.decision.item, where.decision.section) == ("id-card-reissue", "location")
    assert cost.answer is not None and cost.answer.sections[0].key == "fee"


def test_a_new_guide_switches_the_conversation(dialogue: Dialogue) -> None:
    _, switched, follow = talk(dialogue, "结婚登记要带什么", "那离婚呢", "要多久")
    assert switched.decision.item == "divorce-registration"
    assert (follow.decision.item, follow.decision.section) == ("divorce-registration", "time_limit")


def test_the_answer_to_a_clarifying_question_is_read_against_its_options(dialogue: Dialogue) -> None:
    asked, picked = talk(dialogue, "公积金怎么取", "2")
    assert asked.decision.outcome == "clarify"
    assert (picked.decision.outcome, picked.decision.item) == ("answer", asked.decision.candidates[1])
    asked, tapped = talk(dialogue, "公积金提取要带啥", payload("choose_option", item="housing-fund-rent"),
                         sender="other")
    assert asked.decision.outcome == "clarify" and asked.decision.section == "materials"
    assert "housing-fund-rent" in asked.decision.candidates
    assert (tapped.decision.item, tapped.decision.section) == ("housing-fund-rent", "materials")


def test_declining_every_option_and_failing_twice_offers_a_person(dialogue: Dialogue) -> None:
    asked, declined, lost = talk(dialogue, "公积金怎么取", "都不是", "帮我写一首诗")
    assert asked.decision.outcome == "clarify"
    assert declined.decision.outcome == "out_of_scope" and not declined.messages[0].buttons
    assert lost.decision.outcome == "out_of_scope"
    payloads = [button.payload for button in lost.messages[-1].buttons]
    assert payloads == [payload("handoff", target="agent"), payload("handoff", target="hotline")]
    handed = talk(dialogue, payloads[1])[0]
    assert (handed.decision.outcome, handed.decision.target) == ("handoff", "hotline")


def test_smalltalk_keeps_the_thread_and_senders_are_kept_apart(dialogue: Dialogue) -> None:
    talk(dialogue, "护照怎么办", "谢谢", sender="a")
    talk(dialogue, "结婚登记怎么办", sender="b")
    follow_a, follow_b = talk(dialogue, "要带啥", sender="a")[0], talk(dialogue, "要带啥", sender="b")[0]
    assert (follow_a.decision.item, follow_a.decision.section) == ("passport", "materials")
    assert follow_b.decision.item == "marriage-registration"


def test_the_transcript_is_kept_masked(dialogue: Dialogue) -> None:
    talk(dialogue, "我的电话是13812345678，身份证丢了怎么补办")
    stored = dialogue.store.load(ConversationKey("api", "citizen"))
    assert stored is not None and stored["item"] == "id-card-reissue"
    assert "13812345678" not in str(stored) and stored["transcript"][0]["role"] == "user"


WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SUNDAY_10 = datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(("when", "on_duty"), [
    (WEDNESDAY_10, True), (WEDNESDAY_10.replace(hour=12, minute=30), True),  # 午间不间断
    (WEDNESDAY_10.replace(hour=17), False), (WEDNESDAY_10.replace(hour=8, minute=59), False),
    (datetime(2026, 12, 5, 11, 59, tzinfo=ZoneInfo("Asia/Shanghai")), True),  # Saturday morning
    (datetime(2026, 12, 5, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai")), False), (SUNDAY_10, False),
])
def test_staff_are_on_duty_in_the_centres_hours(settings: Settings, when: datetime, on_duty: bool) -> None:
    assert staffed(when, settings.centre) is on_duty


def test_public_holidays_and_makeup_workdays_change_the_hours(settings: Settings) -> None:
    sunday, wednesday = SUNDAY_10.date(), WEDNESDAY_10.date()
    centre = settings.centre.model_copy(update={"closed_days": [wednesday], "makeup_workdays": [sunday]})
    assert not staffed(WEDNESDAY_10, centre) and staffed(SUNDAY_10.replace(hour=16), centre)
    context = Context(WEDNESDAY_10.replace(day=1), centre, horizon_days=7)  # from Tuesday 1 December
    days = open_days(context)
    assert wednesday not in days and sunday in days and time_slots(sunday, centre)[-1] == "16:00-17:00"


def filing_dialogue(assistant: Assistant, tmp_path: Path, now: datetime) -> Dialogue:
    orders = WorkOrderStore(f"sqlite:///{tmp_path / 'orders.db'}")
    orders.create_schema()
    return Dialogue(assistant, tracker_store_from_url(None, 0), assistant.settings.dialogue, orders, lambda: now)


def test_a_complaint_files_a_work_order_drafted_from_the_conversation(assistant: Assistant, tmp_path: Path) -> None:
    dialogue = filing_dialogue(assistant, tmp_path, WEDNESDAY_10)
    _, complaint = talk(dialogue, "身份证丢了怎么补办", "我要投诉，窗口让我跑了三趟，我电话13812345678")
    assert (complaint.decision.outcome, complaint.decision.target) == ("handoff", "hotline")
    assert dialogue.work_orders is not None and dialogue.work_orders.pending_count() == 1
    reference = re.search(r"GD\d{14}", complaint.messages[0].text)
    assert reference is not None
    with dialogue.work_orders.engine.connect() as connection:
        order_id = connection.execute(text("SELECT id FROM work_order")).scalar_one()
    order = dialogue.work_orders.get(order_id)
    assert order is not None and order.reference == reference.group(0)
    assert order.kind == "complaint" and order.item == "id-card-reissue"
    assert order.department == assistant.entries["id-card-reissue"].department
    assert "跑了三趟" in order.summary and assistant.entries["id-card-reissue"].name in order.summary
    assert [turn.role for turn in order.transcript][:3] == ["user", "bot", "user"]
    assert "13812345678" not in order.model_dump_json()


def test_asking_for_a_person_out_of_hours_offers_12345_instead(assistant: Assistant, tmp_path: Path) -> None:
    on_duty = filing_dialogue(assistant, tmp_path, WEDNESDAY_10)
    assert "正在为您转接人工" in talk(on_duty, "转人工")[0].messages[0].text
    off_duty = filing_dialogue(assistant, tmp_path, SUNDAY_10)
    asked = talk(off_duty, "转人工", sender="sunday")[0]
    assert (asked.decision.outcome, asked.decision.target) == ("handoff", "agent")
    assert "不是人工服务时间" in asked.messages[0].text
    filed = talk(off_duty, asked.messages[0].buttons[0].payload, sender="sunday")[0]
    assert re.search(r"GD\d{14}", filed.messages[0].text)
    assert off_duty.work_orders is not None and off_duty.work_orders.pending_count() == 1


def test_a_work_order_waits_for_consent_and_takes_the_mobile_given(assistant: Assistant, tmp_path: Path) -> None:
    dialogue = filing_dialogue(assistant, tmp_path, WEDNESDAY_10)
    complaint = talk(dialogue, "我要投诉窗口态度差")[0]
    assert [button.title for button in complaint.messages[0].buttons] == [replies.GIVE_CONTACT, replies.NO_CONTACT]
    orders = dialogue.work_orders
    assert orders is not None
    with orders.engine.connect() as connection:
        order_id = connection.execute(text("SELECT id FROM work_order")).scalar_one()
    status = orders.status(order_id)
    wait = assistant.settings.handoff.contact_wait_minutes * 60
    assert status is not None and status.next_attempt_at > orders.clock() + wait - 60  # held for the answer
    asked, given = talk(dialogue, complaint.messages[0].buttons[0].payload, "138 1234 5678")
    assert "手机号码" in asked.messages[0].text
    assert "138****5678" in given.messages[0].text and "13812345678" not in given.messages[0].text
    order, status = orders.get(order_id), orders.status(order_id)
    assert order is not None and order.contact_consent and order.contact is not None
    assert order.contact.phone == "13812345678"
    assert status is not None and status.next_attempt_at <= orders.clock()  # released at once
    assert "13812345678" not in str(dialogue.store.load(ConversationKey("api", "citizen")))


def test_declining_or_moving_on_sends_the_order_without_contact(assistant: Assistant, tmp_path: Path) -> None:
    dialogue = filing_dialogue(assistant, tmp_path, WEDNESDAY_10)
    orders = dialogue.work_orders
    assert orders is not None
    declined = talk(dialogue, "我要举报无证经营", "不用了", sender="a")[1]
    assert "不留联系方式" in declined.messages[0].text
    moved_on = talk(dialogue, "我要投诉", "护照怎么办", sender="b")[1]
    assert moved_on.decision.item == "passport"  # the next question is answered as usual
    with orders.engine.connect() as connection:
        ids = connection.execute(text("SELECT id FROM work_order")).scalars().all()
    for order_id in ids:
        order, status = orders.get(order_id), orders.status(order_id)
        assert order is not None and order.contact is None and not order.contact_consent
        assert status is not None and status.next_attempt_at <= orders.clock()


def test_out_of_hours_says_when_staff_are_back_and_takes_a_message(assistant: Assistant, tmp_path: Path) -> None:
    requests = ServiceRequestStore(f"sqlite:///{tmp_path / 'requests.db'}")
    requests.create_schema()
    dialogue = Dialogue(assistant, tracker_store_from_url(None, 0), assistant.settings.dialogue,
                        now=lambda: SUNDAY_10, service_requests=requests)
    asked = talk(dialogue, "转人工")[0]
    assert "12月7日（周一）09:00上班" in asked.messages[0].text  # SUNDAY_10 is 6 December 2026
    leave = next(button for button in asked.messages[0].buttons if button.title == replies.LEAVE_MESSAGE)
    started, written, done = talk(dialogue, leave.payload, "社保卡补办进度想问一下，我投诉过一次了", "13912345678")
    assert "留言" in started.messages[0].text and "手机号码" in written.messages[0].text  # 投诉 in a message stays
    reference = re.search(r"LY\d{14}", done.messages[-1].text)
    assert reference is not None and "12月7日（周一）09:00" in done.messages[-1].text
    stored = requests.get(reference.group(0))
    assert stored is not None and stored.kind == "message" and stored.item == ""
    assert stored.fields == {"message": "社保卡补办进度想问一下，我投诉过一次了", "mobile": "13912345678"}


def test_situations_are_asked_one_at_a_time_and_tailor_the_list(dialogue: Dialogue, assistant: Assistant) -> None:
    item = assistant.entries["id-card-reissue"]
    first = item.situations[0]
    asked = talk(dialogue, "身份证丢了要带啥")[0]
    assert (asked.decision.item, asked.decision.section) == ("id-card-reissue", "materials")
    assert asked.answer is None and first.question in asked.messages[0].text
    labels = [button.title for button in asked.messages[0].buttons]
    assert labels[:-1] == [option.label for option in first.options] and "跳过" in labels[-1]
    turns = [talk(dialogue, asked.messages[0].buttons[1].payload)[0]]
    while turns[-1].answer is None:  # every further question, answered by number
        turns.append(talk(dialogue, "1")[0])
    assert len(turns) == len(item.situations)
    final = turns[-1]
    assert final.decision.item == "id-card-reissue" and final.answer is not None
    assert final.answer.situation and final.answer.situation[0].label == first.options[1].label
    assert "按您的情况" in final.messages[0].text
    again = talk(dialogue, "要带啥")[0]  # asked once per conversation
    assert again.answer is not None and again.answer.situation == final.answer.situation


def test_a_situation_question_can_be_skipped_or_ignored(dialogue: Dialogue) -> None:
    asked, skipped = talk(dialogue, "身份证丢了要带啥", "跳过")
    assert asked.answer is None
    assert skipped.answer is not None and not skipped.answer.situation
    ignored = talk(dialogue, "身份证丢了要带啥", "要多少钱", sender="other")[1]
    assert (ignored.decision.item, ignored.decision.section) == ("id-card-reissue", "fee")
    assert talk(dialogue, "要带啥", sender="other")[0].answer is not None  # not asked again


def test_an_unreadable_situation_answer_is_asked_again_once(dialogue: Dialogue) -> None:
    asked, unclear, again = talk(dialogue, "结婚登记要带啥", "我俩户口都在这边", "嗯就是这边的")
    question = asked.messages[0].text.splitlines()[-1]
    assert unclear.decision.item == "marriage-registration" and unclear.answer is None
    assert "没能确定" in unclear.messages[0].text and question in unclear.messages[0].text
    assert again.answer is not None and again.decision.item == "marriage-registration"  # then the whole list
    own_question = talk(dialogue, "结婚登记要带啥", "要多久", sender="other")[1]
    assert (own_question.decision.item, own_question.decision.section) == ("marriage-registration", "time_limit")
    what_about = talk(dialogue, "港澳签注", "那去美国的签证呢", sender="third")[1]
    assert what_about.decision.intent != "reask_situation" and "没能确定" not in what_about.messages[0].text
    assert what_about.decision.outcome in ("out_of_scope", "clarify")  # a new question: 那…呢 is never an answer


def test_within_a_bundle_a_question_about_one_item_goes_to_that_item(dialogue: Dialogue, assistant: Assistant) -> None:
    bundle, member = talk(dialogue, "我想开个美容店要办哪些", "卫生许可证要多久能下来")
    assert bundle.decision.item == "event-open-salon"
    assert "public-place-hygiene-license" in assistant.bundles["event-open-salon"]
    assert (member.decision.item, member.decision.section) == ("public-place-hygiene-license", "time_limit")
    whole = talk(dialogue, "我想开个美容店要办哪些", "要多久", sender="other")[1]
    assert (whole.decision.item, whole.decision.section) == ("event-open-salon", "time_limit")


def test_feedback_can_be_typed(dialogue: Dialogue) -> None:
    turn = talk(dialogue, "护照怎么办", "没用")[1]
    assert turn.decision.intent == "feedback" and turn.messages[0].text.startswith(replies.NOT_USEFUL)


def test_questions_about_other_sections_get_no_situation_questions(dialogue: Dialogue) -> None:
    fee = talk(dialogue, "身份证补办要多少钱")[0]
    assert fee.answer is not None and fee.answer.sections[0].key == "fee"


def test_a_conditions_question_gets_only_the_situations_that_change_conditions(
        dialogue: Dialogue, assistant: Assistant) -> None:
    remote = assistant.entries["medical-remote-filing"]
    adding = [s for s in remote.situations if any(option.add_conditions for option in s.options)]
    asked, chosen = talk(dialogue, "我退休了要去深圳带孙子,医保在那边能用吗", "长期住那边")
    assert asked.answer is None and asked.decision.section == "conditions"
    assert adding[0].question in asked.messages[0].text and "办理条件因情况而异" in asked.messages[0].text
    assert f"/{len(adding)}题" in asked.messages[0].text
    assert chosen.answer is not None and chosen.answer.sections[0].key == "conditions"
    assert chosen.answer.situation  # tailored by the option chosen
    benefit = assistant.entries["unemployment-benefit"]  # its one situation changes only the materials
    assert benefit.situations and not any(option.add_conditions for s in benefit.situations for option in s.options)
    conditions = talk(dialogue, "失业保险金申领有什么条件", sender="other")[0]
    assert conditions.decision.item == "unemployment-benefit"
    assert conditions.answer is not None and conditions.answer.sections[0].key == "conditions"


def test_a_weak_section_cue_does_not_hold_a_fresh_answer_to_the_guide_before(dialogue: Dialogue) -> None:
    remote = talk(dialogue, "异地就医备案要带啥", "跳过")[1]
    reimbursed = talk(dialogue, "之前在那边住院自己垫的钱还能报吗")[0]
    assert remote.decision.item == "medical-remote-filing"
    assert reimbursed.decision.item == "medical-reimbursement"
    where = talk(dialogue, "在哪个窗口办")[0]  # a strong cue still follows up the guide under discussion
    assert (where.decision.item, where.decision.section) == ("medical-reimbursement", "location")


@pytest.mark.parametrize(("text", "number"), [("我七十二了", 72), ("72岁", 72), ("一百零五", 105), ("十五岁", 15),
                                              ("两个孩子", 2), ("没有", None)])
def test_numbers_are_read_in_digits_and_chinese(text: str, number: int | None) -> None:
    assert number_in(text) == number


def test_a_number_picks_the_option_whose_range_it_falls_in(assistant: Assistant) -> None:
    age = assistant.entries["drivers-license-renew"].situations[0]
    picked = {text: chosen_option(text, None, age) for text in ("我七十二了", "59岁", "刚满60", "1")}
    labels = {option.key: option.label for option in age.options}
    assert labels[picked["我七十二了"]].startswith("年满70")
    assert labels[picked["59岁"]].startswith("未满60") and labels[picked["刚满60"]].startswith("年满60")
    assert picked["1"] == age.options[0].key  # a bare number is the option's number
    place = assistant.entries["id-card-reissue"].situations[0]
    assert chosen_option("我62岁", None, place) is None  # these options state no ranges
    assert chosen_option("外省的", None, place) == place.options[1].key


def test_a_topic_with_more_guides_than_buttons_names_the_rest_and_a_typed_name_picks_one(
        dialogue: Dialogue, assistant: Assistant) -> None:
    """身份证 has four guides and the clarify three buttons: the fourth is named in the text, and
    typing its name answers it (which one is left over depends on near-tied scores)."""
    asked = talk(dialogue, "身份证怎么办", sender="four-guides")[0]
    id_cards = {"id-card-first", "id-card-reissue", "id-card-renew", "id-card-temp"}
    assert asked.decision.outcome == "clarify" and len(asked.decision.candidates) == 3
    assert set(asked.decision.candidates) | set(asked.decision.more) == id_cards and len(asked.decision.more) == 1
    left_over = assistant.entries[asked.decision.more[0]].name
    assert left_over in asked.messages[0].text and len(asked.messages[0].buttons) == 3
    picked = talk(dialogue, left_over, sender="four-guides")[0]
    assert (picked.decision.outcome, picked.decision.item) == ("answer", asked.decision.more[0])


def test_a_typed_answer_picks_the_option_its_aliases_describe() -> None:
    """老家河南的，不是本地户口 names neither label (本市户籍 / 外省市户籍) but says 老家 and 不是本地."""
    place = Situation(key="hukou-place", question="您的户口在本市还是外省市？", options=[
        SituationOption(key="local", label="本市户籍", aliases=["本地人", "本地户口", "户口就在这"]),
        SituationOption(key="non-local", label="外省市户籍（跨省通办异地补领）",
                        aliases=["外地户口", "老家在外省", "不是本地户口"])])
    assert chosen_option("老家河南的,不是本地户口", None, place) == "non-local"
    assert chosen_option("我是本地人", None, place) == "local"
    assert chosen_option("本地户口", None, place) == "local"
    assert chosen_option("离婚登记要带什么", None, place) is None  # a new question picks nothing
    age = Situation(key="age", question="申请人是否已满16周岁？", options=[
        SituationOption(key="under", label="未满16周岁"), SituationOption(key="over", label="已满16周岁")])
    assert [chosen_option(t, None, age) for t in ("不到16岁", "未满16周岁", "16岁以下", "16岁", "17")] == \
        ["under", "under", "under", "over", "over"]
    without = Situation(key="hukou-place", question=place.question,
                        options=[option.model_copy(update={"aliases": []}) for option in place.options])
    assert chosen_option("老家河南的,不是本地户口", None, without) is None


def test_a_bundle_answer_leads_into_each_of_its_items(dialogue: Dialogue, assistant: Assistant) -> None:
    overview = talk(dialogue, "开饭店要办啥")[0]
    assert overview.decision.item == "event-open-restaurant" and overview.answer is not None
    event = assistant.entries["event-open-restaurant"]
    buttons = overview.messages[-1].buttons
    assert [button.title for button in buttons] == [assistant.entries[slug].name for slug in event.items] + [
        "有用", "没用"]
    into = talk(dialogue, buttons[1].payload)[0]
    assert (into.decision.outcome, into.decision.item) == ("answer", event.items[1])


def test_feedback_is_asked_for_and_kept_with_the_conversation(assistant: Assistant, tmp_path: Path) -> None:
    feedback = FeedbackStore(f"sqlite:///{tmp_path / 'feedback.db'}")
    feedback.create_schema()
    dialogue = Dialogue(assistant, tracker_store_from_url(None, 0), assistant.settings.dialogue, feedback=feedback)
    answered = talk(dialogue, "护照要多少钱，我电话13812345678")[0]
    useful = {button.title: button.payload for button in answered.messages[-1].buttons}
    assert set(useful) >= {"有用", "没用"}
    unhelpful = talk(dialogue, useful["没用"])[0]
    assert payload("handoff", target="agent") in [button.payload for button in unhelpful.messages[0].buttons]
    thanks = talk(dialogue, "谢谢")[0]
    levels = thanks.messages[-1].buttons
    assert [button.title for button in levels] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert "感谢" in talk(dialogue, levels[0].payload)[0].messages[0].text
    talk(dialogue, '/rate{"level": "9"}')  # a forged level is thanked for, not stored
    assert feedback.counts("useful") == {"no": 1} and feedback.counts("rating") == {"5": 1}
    with feedback.engine.connect() as connection:
        stored = connection.execute(text("SELECT item, transcript FROM feedback WHERE kind = 'rating'")).one()
    assert stored.item == "passport" and "护照" in stored.transcript and "13812345678" not in stored.transcript


def test_clear_frustration_offers_a_person_at_once(dialogue: Dialogue) -> None:
    calm, angry = talk(dialogue, "护照怎么办", "你这答非所问啊")
    offers = [payload("handoff", target="agent"), payload("handoff", target="hotline")]
    assert [b.payload for b in calm.messages[-1].buttons if b.payload in offers] == []
    assert [b.payload for b in angry.messages[-1].buttons] == offers
    first, repeated = talk(dialogue, "公积金怎么取", "公积金怎么取", sender="again")
    assert [b.payload for b in first.messages[-1].buttons if b.payload in offers] == []
    assert [b.payload for b in repeated.messages[-1].buttons] == offers


def test_staff_take_over_relay_both_ways_and_hand_back(assistant: Assistant, tmp_path: Path) -> None:
    relay = QueueRelay()
    dialogue = Dialogue(assistant, tracker_store_from_url(None, 0), assistant.settings.dialogue,
                        now=lambda: WEDNESDAY_10, relay=relay)
    key = ConversationKey("api", "citizen")
    talk(dialogue, "护照怎么办", "转人工")
    assert key in relay.waiting and "护照" in relay.waiting[key]
    dialogue.take_over(key, "王芳")
    assert "王芳" in relay.for_user[key][-1].text and key not in relay.waiting
    held = talk(dialogue, "我下周要出国，来得及吗")[0]
    assert held.messages == [] and held.decision.intent == "relayed"
    assert relay.for_staff[key] == ["我下周要出国，来得及吗"]
    dialogue.staff_says(key, "来得及，加急7个工作日")
    assert relay.for_user[key][-1].text == "来得及，加急7个工作日"
    dialogue.hand_back(key)
    assert "智能助手继续" in relay.for_user[key][-1].text
    back = talk(dialogue, "要带啥")[0]  # the bot answers again, still about the passport
    assert (back.decision.item, back.decision.section) == ("passport", "materials")
    roles = [line["role"] for line in dialogue.store.load(key)["transcript"]]
    assert "agent" in roles
    with pytest.raises(ValueError):
        dialogue.staff_says(key, "还在吗")  # handed back: staff can no longer talk as the conversation


def form_dialogue(assistant: Assistant, tmp_path: Path) -> Dialogue:
    requests = ServiceRequestStore(f"sqlite:///{tmp_path / 'requests.db'}")
    requests.create_schema()
    return Dialogue(assistant, tracker_store_from_url(None, 0), assistant.settings.dialogue, now=lambda: WEDNESDAY_10,
                    service_requests=requests)


@pytest.mark.parametrize(("text", "day"), [("明天", date(2026, 12, 3)), ("周六", date(2026, 12, 5)),
                                           ("下周一", date(2026, 12, 7)), ("12月8号", date(2026, 12, 8)),
                                           ("2027-01-04", date(2027, 1, 4)), ("5号", date(2026, 12, 5)),
                                           ("13月40日", None), ("随便哪天", None)])
def test_days_are_read_as_citizens_type_them(text: str, day: date | None) -> None:
    assert parse_day(text, WEDNESDAY_10.date()) == day


def test_a_booking_is_filled_checked_and_stored(assistant: Assistant, tmp_path: Path) -> None:
    dialogue = form_dialogue(assistant, tmp_path)
    talk(dialogue, "护照怎么办")
    start = talk(dialogue, "我要预约")[0]
    assert start.decision.intent == "form_booking" and "护照" in start.messages[0].text
    days = [button.title for button in start.messages[-1].buttons]
    assert days[0] == "12月3日（周四）" and "12月5日（周六）" in days and "12月6日（周日）" not in days
    sunday = talk(dialogue, "周日")[0]
    assert "不能预约" in sunday.messages[0].text
    saturday = talk(dialogue, "周六")[0]
    slots = [button.title for button in saturday.messages[-1].buttons]
    assert slots == ["09:00-10:00", "10:00-11:00", "11:00-12:00"]  # 周六上午 only
    talk(dialogue, "10点")
    assert "重新输入" in talk(dialogue, "1")[0].messages[0].text  # not a name
    talk(dialogue, "张三")
    wrong = talk(dialogue, "12345")[0]
    assert "11位" in wrong.messages[0].text
    done = talk(dialogue, "我的手机是13812345678")[0]
    reference = re.search(r"YY\d{14}", done.messages[0].text)
    assert reference is not None
    assert "10:00-11:00" in done.messages[0].text and "12月5日（周六）" in done.messages[0].text
    stored = dialogue.service_requests.get(reference.group(0)) if dialogue.service_requests else None
    assert stored is not None and stored.item == "passport" and stored.status == "submitted"
    assert stored.fields["day"] == "2026-12-05" and stored.fields["mobile"] == "13812345678"
    transcript = str(dialogue.store.load(ConversationKey("api", "citizen")))
    assert "13812345678" not in transcript


def test_a_form_can_be_cancelled_and_needs_a_guide(assistant: Assistant, tmp_path: Path) -> None:
    dialogue = form_dialogue(assistant, tmp_path)
    assert "请先告诉我" in talk(dialogue, "我要预约")[0].messages[0].text
    started = talk(dialogue, "护照怎么办", "申请帮办", "李四", sender="proxy")[1]
    assert started.decision.intent == "form_proxy"
    cancelled = talk(dialogue, "算了不办了", sender="proxy")[0]
    assert "已取消" in cancelled.messages[0].text
    after = talk(dialogue, "要带啥", sender="proxy")[0]  # the conversation goes on as before
    assert (after.decision.item, after.decision.section) == ("passport", "materials")


def test_a_proxy_request_is_stored_with_its_address(assistant: Assistant, tmp_path: Path) -> None:
    dialogue = form_dialogue(assistant, tmp_path)
    replies = talk(dialogue, "结婚登记要带什么", "申请帮办", "王五", "13912345678", "到中心", "下周二上午", "无")
    reference = re.search(r"BD\d{14}", replies[-1].messages[0].text)
    assert reference is not None and dialogue.service_requests is not None
    stored = dialogue.service_requests.get(reference.group(0))
    assert stored is not None and stored.kind == "proxy" and stored.fields["address"] == "到中心办理"


def test_a_cue_word_names_the_work_order_even_when_the_classifier_doubts(assistant: Assistant,
                                                                          tmp_path: Path) -> None:
    """Markup around 投诉 makes the classifier say ``ask``; the cue word hands off, and the
    order is still a complaint (the likeliest intent that leads to 12345), not 求助."""
    dialogue = filing_dialogue(assistant, tmp_path, WEDNESDAY_10)
    noisy = "<img src=x onerror=alert(1)>我还要投诉窗口态度差"
    assert assistant.understander.understand(noisy).intent != "complaint"
    turn = talk(dialogue, noisy)[0]
    assert (turn.decision.outcome, turn.decision.intent) == ("handoff", "complaint")
    assert dialogue.work_orders is not None
    with dialogue.work_orders.engine.connect() as connection:
        assert connection.execute(text("SELECT kind FROM work_order")).scalar_one() == "complaint"


def test_a_complaint_that_mentions_booking_is_still_a_complaint(assistant: Assistant, tmp_path: Path) -> None:
    dialogue = form_dialogue(assistant, tmp_path)
    talk(dialogue, "护照怎么办", "我要预约")
    complaint = talk(dialogue, "我要投诉，帮我预约了三次都约不上")[0]
    assert (complaint.decision.outcome, complaint.decision.target) == ("handoff", "hotline")
    assert talk(dialogue, "要带啥")[0].decision.intent != "form_booking"  # the form was left


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "\x00\x01", '/fill{"value": "<script>alert(1)</script>"}',
                                  '/start_form{"form": "nope"}', '/choose_option{"item": "../../etc/passwd"}',
                                  '/handoff{"target": "x"}', "/skip", '/choose_situation{"option": "x"}'])
def test_blank_text_and_stale_or_forged_buttons_ask_what_is_needed(dialogue: Dialogue, text: str) -> None:
    turn = talk(dialogue, text)[0]
    assert (turn.decision.outcome, turn.decision.item) == ("clarify", None)
    assert turn.messages[0].text == replies.NO_CONTEXT and "<script>" not in str(turn.messages)


def test_a_very_long_message_is_handled_and_stored_cut_short(dialogue: Dialogue) -> None:
    turn = talk(dialogue, "我想问一下" * 400 + "身份证丢了怎么补办")[0]
    assert turn.decision.outcome in ("answer", "clarify", "out_of_scope") and turn.messages
    stored = dialogue.store.load(ConversationKey("api", "citizen"))
    assert stored is not None and len(stored["transcript"][0]["text"]) == TRANSCRIPT_LINE_CHARS


def test_a_section_question_about_something_else_is_not_a_follow_up(dialogue: Dialogue) -> None:
    _, fines, where = talk(dialogue, "驾照到期了换证", "那违章罚款在哪交", "在哪换")
    assert not (fines.decision.outcome == "answer" and fines.decision.item == "drivers-license-renew")
    assert (where.decision.item, where.decision.section) == ("drivers-license-renew", "location")


def test_after_a_centre_faq_a_section_question_is_a_question_of_its_own(dialogue: Dialogue) -> None:
    """An FAQ answer has no sections: 礼拜六开不开 after 几点上班 asks about Saturdays."""
    hours, saturday = talk(dialogue, "中心早上几点上班", "礼拜六开不开")
    assert hours.decision.item == "faq-hours"
    assert saturday.decision.item == "faq-weekend-service"


def test_the_next_step_of_a_life_event_is_not_a_follow_up(dialogue: Dialogue) -> None:
    """出生医学证明 and 新生儿落户 are both steps of 出生一件事: 报户口要多久 moves on to the second,
    though 户口 appears in the first guide too; 要多久 alone stays."""
    _, hukou = talk(dialogue, "孩子的出生医学证明怎么办", "报户口要多久")
    assert (hukou.decision.item, hukou.decision.section) == ("hukou-newborn", "time_limit")
    _, same = talk(dialogue, "孩子的出生医学证明怎么办", "要多久", sender="other")
    assert (same.decision.item, same.decision.section) == ("birth-medical-cert", "time_limit")


def test_a_short_subject_of_its_own_after_a_chosen_option_is_a_new_question(dialogue: Dialogue) -> None:
    """护照 is two characters, but with 材料 outside the section cue it is more than the chosen
    公积金 guide ever mentions: 护照要带什么材料 is about the passport (the engine's broad subject words)."""
    *_, passport = talk(dialogue, "公积金怎么取", '/choose_option{"item": "housing-fund-purchase"}', "护照要带什么材料")
    assert (passport.decision.item, passport.decision.section) == ("passport", "materials")
