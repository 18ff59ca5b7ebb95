"""The understanding pipeline on the sample guides: entities, sections, intents, ranking, decisions."""

from __future__ import annotations

import pytest

from bot import replies
from bot.assistant import Assistant
from bot.decision import (
    CandidateRules,
    decide,
    decide_with,
    prefer_bundles_when_asked,
    prefer_guides_over_referrals,
    prefer_items_over_bundles,
    prefer_items_over_section_faqs,
    topic_options,
)
from nlu.entities import Entity
from nlu.pipeline import Understander, Understanding
from nlu.retrieval.hybrid import Candidate


@pytest.fixture(scope="module")
def understander(assistant: Assistant) -> Understander:
    return assistant.understander


def labels(understander: Understander, text: str) -> dict[str, str]:
    return {e.text: e.label for e in understander.understand(text).entities}


def test_entities_from_gazetteer_and_patterns(understander: Understander) -> None:
    found = labels(understander,
                   "身份证补办要带户口本吗，电话13812345678，身份证号11010519491231002X，2026年11月22日去")
    assert found["身份证补办"] == "ITEM"
    assert found["13812345678"] == "PHONE"
    assert found["11010519491231002x"] == "ID_NUMBER"  # normalised text is lower case
    assert found["2026年11月22日"] == "DATE"
    assert "DEPARTMENT" in labels(understander, "市场监督管理局在几楼").values()


def test_item_entities_carry_the_slugs_they_name(understander: Understander) -> None:
    understanding = understander.understand("结婚登记要什么材料")
    assert "marriage-registration" in understanding.named_slugs()


def test_personal_data_is_masked_for_logs(understander: Understander) -> None:
    understanding = understander.understand("我电话13812345678，身份证11010519491231002X丢了")
    assert {e.label for e in understanding.personal_entities()} == {"PHONE", "ID_NUMBER"}
    assert "13812345678" not in understanding.masked and "11010519491231002X" not in understanding.masked


@pytest.mark.parametrize(("text", "section"), [
    ("身份证补办要多少钱", "fee"),
    ("结婚登记要带啥", "materials"),
    ("公积金提取几天到账", "time_limit"),
    ("护照能在手机上办吗", "online"),
    ("营业执照在哪个窗口办", "location"),
    ("怎么办理居住证，要多少钱", "fee"),  # a named section wins over "how to"
    ("工伤认定是怎么个流程，交完材料还要调查吗", "process"),  # 流程 is not a weak cue: first named wins
    ("怎么申请低保", "process"),  # a weak cue alone still names it
    ("普通话二乙能认定小学语文教资吗", "conditions"),  # a yes-or-no "can I" question (a weak regex cue)
    ("孩子十月份才满六岁,今年能上小学不", "conditions"),
    ("周六能去补结婚证吗", "hours"),  # … unless another section is named
    ("能在网上交吗", "online"),
])
def test_section_asked_about(understander: Understander, text: str, section: str) -> None:
    assert understander.understand(text).section == section


def test_a_section_named_only_by_weak_cues_is_marked_weak(understander: Understander) -> None:
    assert understander.understand("之前在那边住院自己垫的钱还能报吗").section_weak
    assert understander.understand("怎么申请低保").section_weak
    assert not understander.understand("低保怎么申请,要带啥").section_weak
    assert not understander.understand("低保申请的条件").section_weak


@pytest.mark.parametrize(("text", "intent"), [
    ("你好", "greet"), ("谢谢啊", "thank"), ("转人工", "request_human"), ("我要投诉窗口工作人员", "complaint"),
    ("要带什么", "ask_materials"), ("第二个", "choose_option"),
])
def test_intents(understander: Understander, text: str, intent: str) -> None:
    assert understander.understand(text).intent == intent


@pytest.mark.parametrize(("text", "slug"), [
    ("身份证丢了怎么补办", "id-card-reissue"),
    ("身分證掉了咋辦", "id-card-reissue"),
    ("营业自照怎么办", "individual-business-registration"),
    ("开饭店要办啥", "event-open-restaurant"),
])
def test_colloquial_questions_rank_the_right_guide_first(understander: Understander, text: str, slug: str) -> None:
    assert understander.understand(text).candidates[0].slug == slug


def test_typo_repair_is_part_of_the_pipeline(understander: Understander) -> None:
    understanding = understander.understand("身份正补办")
    assert understanding.text == "身份证补办"
    assert understanding.original == "身份正补办"


def test_synonyms_from_nlu_yml_let_the_old_word_find_the_guides(understander: Understander) -> None:
    understanding = understander.understand("公司工商登记的事想问问")  # 工商登记: 设立登记 in the guides' names
    assert understanding.search_text.endswith("设立登记")
    top_two = {c.slug for c in understanding.candidates[:2]}
    assert top_two == {"company-registration", "individual-business-registration"}


def test_explicit_handoff_words_always_hand_off(assistant: Assistant) -> None:
    for text, target in [("身份证补办的事转人工吧", "agent"), ("我要投诉，身份证补办等了三个月", "hotline"),
                         ("举报有人在大厅倒卖号", "hotline"), ("建议周六也开放公积金窗口", "hotline"),
                         ("给你们提个意见，叫号声音太小", "hotline")]:
        decision = assistant.respond(text).decision
        assert (decision.outcome, decision.target) == ("handoff", target), text


def test_a_suggestion_is_known_by_how_it_opens_not_by_the_word_anywhere(assistant: Assistant) -> None:
    """建议 opening a message is a suggestion; 窗口建议我… in the middle of a question is not."""
    decision = assistant.respond("窗口建议我先网上预约，身份证换领怎么预约").decision
    assert decision.outcome != "handoff"


def test_an_acknowledgement_with_nothing_pending_is_smalltalk(assistant: Assistant) -> None:
    for text in ("好的，知道了", "嗯嗯好的", "明白了"):
        decision = assistant.respond(text).decision
        assert (decision.outcome, decision.intent) == ("smalltalk", "affirm"), text


def test_unrelated_and_uncovered_questions_are_not_answered(assistant: Assistant) -> None:
    for text in ("明天天气怎么样", "帮我写一首诗", "养狗要办狗证吗"):
        assert assistant.respond(text).decision.outcome == "out_of_scope", text


def test_a_service_handled_elsewhere_is_not_answered_but_pointed_to(assistant: Assistant) -> None:
    turn = assistant.respond("刚抱了只小狗，狗证去哪儿办")
    assert (turn.decision.outcome, turn.decision.item) == ("out_of_scope", "elsewhere-dog-registration")
    text = "\n".join(m.text for m in turn.messages)
    assert "本中心不办理养犬登记" in text and "2026-12-04" in text  # the referral entry's answer, cited
    assert assistant.settings.centre.hotline.number in turn.messages[-1].text


def test_clarify_offers_buttons_for_close_candidates(assistant: Assistant) -> None:
    turn = assistant.respond("公积金怎么取")
    assert turn.decision.outcome == "clarify"
    assert 2 <= len(turn.decision.candidates) <= assistant.settings.decision.max_options
    assert {"housing-fund-rent", "housing-fund-purchase", "housing-fund-retire"} & set(turn.decision.candidates)
    titles = [b.title for b in turn.messages[0].buttons]
    assert titles == [assistant.entries[s].name for s in turn.decision.candidates]


def test_answers_cite_the_guide_and_focus_the_section(assistant: Assistant) -> None:
    turn = assistant.respond("身份证补办要多少钱")
    assert (turn.decision.outcome, turn.decision.item, turn.decision.section) == ("answer", "id-card-reissue", "fee")
    assert turn.answer is not None and turn.answer.sections[0].key == "fee"
    assert "示例数据" in turn.messages[-1].text and "2026-09-20" in turn.messages[-1].text


def test_decision_thresholds_come_from_settings(assistant: Assistant) -> None:
    understanding = assistant.understander.understand("身份证丢了怎么补办")
    strict = assistant.settings.decision.model_copy(update={"answer_probability": 1.01})
    assert assistant.decide(understanding).outcome == "answer"
    assert decide(understanding, strict, assistant.model, assistant.handoff_cues).outcome != "answer"


BUNDLES = {"event-company-startup": ["company-registration", "seal-engraving", "new-taxpayer"]}


def test_an_item_close_to_its_bundle_wins_unless_bundle_words_are_used() -> None:
    ranked = [Candidate("event-company-startup", 0.6, 0, 0), Candidate("new-taxpayer", 0.58, 0, 0),
              Candidate("seal-engraving", 0.55, 0, 0)]
    single = prefer_items_over_bundles(Understanding("刻章去哪", "刻章去哪"), ranked, BUNDLES, ["全套"], 0.1)
    assert [c.slug for c in single] == ["new-taxpayer", "event-company-startup", "seal-engraving"]
    assert single[0].score == 0.6
    whole = prefer_items_over_bundles(Understanding("开公司全套手续", "开公司全套手续"), ranked, BUNDLES, ["全套"], 0.1)
    assert whole == ranked
    far = prefer_items_over_bundles(Understanding("刻章去哪", "刻章去哪"), ranked, BUNDLES, [], 0.01)
    assert far == ranked


def test_bundle_words_and_several_of_its_items_ask_for_the_bundle() -> None:
    ranked = [Candidate("seal-engraving", 0.6, 0, 0), Candidate("event-company-startup", 0.45, 0, 0),
              Candidate("new-taxpayer", 0.4, 0, 0), Candidate("marriage-registration", 0.3, 0, 0)]
    together = Understanding("刻章和税务一起办", "刻章和税务一起办")
    promoted = prefer_bundles_when_asked(together, ranked, BUNDLES, ["一起办"], 0.3, 2)
    assert [c.slug for c in promoted][:2] == ["event-company-startup", "seal-engraving"]
    assert promoted[0].score == 0.6
    assert prefer_bundles_when_asked(Understanding("刻章", "刻章"), ranked, BUNDLES, ["一起办"], 0.3, 2) == ranked
    assert prefer_bundles_when_asked(together, ranked, BUNDLES, ["一起办"], 0.1, 2) == ranked  # too far behind
    unrelated_top = [Candidate("marriage-registration", 0.6, 0, 0), *ranked[1:3],
                     Candidate("seal-engraving", 0.3, 0, 0)]
    assert prefer_bundles_when_asked(together, unrelated_top, BUNDLES, ["一起办"], 0.3, 3) == unrelated_top  # too few
    alone = [Candidate("company-registration", 0.6, 0, 0), Candidate("event-company-startup", 0.5, 0, 0),
             Candidate("marriage-registration", 0.4, 0, 0)]
    all_of_it = Understanding("开公司所有手续一起办", "开公司所有手续一起办")
    assert prefer_bundles_when_asked(all_of_it, alone, BUNDLES, ["一起办"], 0.3, 3)[0].slug == "event-company-startup"


SECTION_FAQS = {"faq-weekend-service": "hours"}
ITEMS = {"id-card-renew", "deed-tax", "employment-registration"}


def _asking(text: str, section: str | None, named: list[str] | None = None) -> Understanding:
    entities = [Entity("ITEM", slug, 0, 1, ids=(slug,)) for slug in named or []]
    return Understanding(text, text, section=section, entities=entities)


def test_an_item_asked_about_on_a_saturday_wins_over_the_saturday_faq() -> None:
    ranked = [Candidate("faq-weekend-service", 0.86, 0, 0), Candidate("id-card-renew", 0.84, 0, 0),
              Candidate("deed-tax", 0.5, 0, 0), Candidate("faq-hours", 0.45, 0, 0),
              Candidate("employment-registration", 0.4, 0, 0)]
    close = prefer_items_over_section_faqs(_asking("身份证换新礼拜六能办不", "hours"), ranked, SECTION_FAQS, ITEMS, 0.1)
    assert [c.slug for c in close][:2] == ["id-card-renew", "faq-weekend-service"] and close[0].score == 0.86
    named = prefer_items_over_section_faqs(_asking("就业登记周六上班不", "hours", ["employment-registration"]),
                                           ranked, SECTION_FAQS, ITEMS, 0.01)
    assert named[0].slug == "employment-registration"
    assert prefer_items_over_section_faqs(_asking("周六上班吗", "hours"), ranked, SECTION_FAQS, ITEMS, 0.01) == ranked
    assert prefer_items_over_section_faqs(_asking("周六的事", None), ranked, SECTION_FAQS, ITEMS, 0.1) == ranked
    assert prefer_items_over_section_faqs(_asking("周六在哪", "location"), ranked, SECTION_FAQS, ITEMS, 0.1) == ranked


def test_a_likely_handoff_intent_hands_off_when_no_guide_answers(assistant: Assistant) -> None:
    settings = assistant.settings.decision
    ranked = [Candidate("faq-self-service", 0.4, 0, 0), Candidate("faq-green-channel", 0.38, 0, 0)]
    nothing = {"answer": 0.05, "wrong": 0.05, "clarify": 0.1, "out_of_scope": 0.8}
    asked = Understanding("跟机器说不清楚，让人来", "跟机器说不清楚,让人来",
                          intents=[("request_human", settings.handoff_fallback_threshold + 0.05), ("ask", 0.3)])
    decision = decide_with(asked, ranked, nothing, settings, CandidateRules())
    assert (decision.outcome, decision.target) == ("handoff", "agent")
    unsure = Understanding("我叫陈思雨", "我叫陈思雨",
                           intents=[("request_human", settings.handoff_fallback_threshold - 0.1), ("ask", 0.2)])
    assert decide_with(unsure, ranked, nothing, settings, CandidateRules()).outcome == "out_of_scope"


def test_services_handled_elsewhere_are_never_buttons(assistant: Assistant) -> None:
    settings = assistant.settings.decision
    ranked = [Candidate("resident-medical-insurance", 0.6, 0, 0), Candidate("elsewhere-dog-registration", 0.59, 0, 0),
              Candidate("medical-reimbursement", 0.58, 0, 0)]
    unsure = {"answer": 0.2, "wrong": 0.2, "clarify": 0.5, "out_of_scope": 0.1}
    u = Understanding("医保", "医保", intents=[("ask", 0.9)])
    rules = CandidateRules(elsewhere={"elsewhere-dog-registration"})
    decision = decide_with(u, ranked, unsure, settings, rules)
    assert decision.outcome == "clarify"
    assert decision.candidates == ["resident-medical-insurance", "medical-reimbursement"]
    top_elsewhere = [ranked[1], ranked[0], ranked[2]]
    assert decide_with(u, top_elsewhere, unsure, settings, rules).outcome == "out_of_scope"  # unsure: no buttons
    sure = {"answer": 0.9, "wrong": 0.05, "clarify": 0.03, "out_of_scope": 0.02}
    referral = decide_with(u, top_elsewhere, sure, settings, rules)
    assert (referral.outcome, referral.item) == ("out_of_scope", "elsewhere-dog-registration")


TOPICS = {"hukou-cancel-death": frozenset({"死亡", "人员", "户口", "注销"}),
          "hukou-migrate-in": frozenset({"户口", "迁入"}), "id-card-renew": frozenset({"身份", "身份证", "换领"}),
          "faq-cross-province": frozenset({"跨省", "通办"}), "elsewhere-hukou-change": frozenset({"户口", "变更"})}


def test_a_topic_several_guides_name_offers_those_guides() -> None:
    ranked = [Candidate("faq-cross-province", 0.7, 0, 0), Candidate("hukou-cancel-death", 0.66, 0, 0),
              Candidate("id-card-renew", 0.6, 0, 0), Candidate("elsewhere-hukou-change", 0.55, 0, 0),
              Candidate("hukou-migrate-in", 0.5, 0, 0)]
    rules = CandidateRules(elsewhere={"elsewhere-hukou-change"}, topics=TOPICS)
    assert topic_options("户口怎么弄", ranked, rules, 3, 0.5) == ["hukou-cancel-death", "hukou-migrate-in"]
    # a guide the ranking missed is still offered, after those it ranked
    assert topic_options("户口怎么弄", ranked[:2], rules, 3, 0.5) == ["hukou-cancel-death", "hukou-migrate-in"]
    assert topic_options("户口的手续", ranked[:1], rules, 3, 0.5) == ["hukou-cancel-death", "hukou-migrate-in"]
    # 迁入 is rarer than 户口: one guide carries most of 户口迁入, and the question is not a topic
    assert topic_options("户口迁入怎么弄", ranked, rules, 3, 0.5) == []
    assert topic_options("户口迁入怎么弄", ranked, rules, 3, 0.2) == ["hukou-migrate-in", "hukou-cancel-death"]
    assert topic_options("办事的事", ranked, rules, 3, 0.5) == []  # no name word: the closest scores decide
    assert topic_options("身份证怎么弄", ranked, rules, 3, 0.5) == []  # one guide alone carries it
    # among guides that carry the topic equally, a common errand scores the bonus more (0.5 + 0.2 > 0.66),
    # a rare one as much less; a small bonus leaves a clearly better scored guide first
    common = CandidateRules(elsewhere={"elsewhere-hukou-change"}, topics=TOPICS, frequency={"hukou-migrate-in": "high"})
    assert topic_options("户口怎么弄", ranked, common, 3, 0.5, 0.2) == ["hukou-migrate-in", "hukou-cancel-death"]
    assert topic_options("户口怎么弄", ranked, common, 3, 0.5, 0.1) == ["hukou-cancel-death", "hukou-migrate-in"]
    rare = CandidateRules(elsewhere={"elsewhere-hukou-change"}, topics=TOPICS, frequency={"hukou-cancel-death": "low"})
    assert topic_options("户口怎么弄", ranked, rare, 3, 0.5, 0.2) == ["hukou-migrate-in", "hukou-cancel-death"]
    # guides the ranking missed come last, the commoner first
    assert topic_options("户口的手续", [], rare, 3, 0.5, 0.2) == ["hukou-migrate-in", "hukou-cancel-death"]


def test_clarify_buttons_follow_the_topic_named(assistant: Assistant) -> None:
    decision = assistant.respond("退休的事问一下").decision
    assert decision.outcome == "clarify"
    assert all("退休" in assistant.entries[slug].name for slug in decision.candidates), decision.candidates


def test_clarify_buttons_always_offer_the_best_ranked_guide(assistant: Assistant) -> None:
    u = assistant.understander.understand("外地户口想办个居证,要啥")  # 户口 names other guides' topic
    decision = assistant.decide(u)
    assert decision.outcome == "clarify" and u.candidates[0].slug == "residence-permit"
    assert decision.candidates[0] == "residence-permit" and "hukou-migrate-in" in decision.candidates


def test_subject_words_leave_out_section_cues_fillers_and_words_every_guide_uses(understander: Understander) -> None:
    assert understander.understand("刻章要钱吗").subject == ["刻章"]
    assert understander.understand("那违章罚款在哪交").subject == ["违章罚款"]
    for bare in ("在哪儿补", "要带什么", "多久能拿到", "怎么办"):
        assert understander.understand(bare).subject == [], bare


def test_a_section_asked_of_nothing_named_asks_what_the_errand_is(assistant: Assistant) -> None:
    """要带什么 on its own: buttons would be guesses, a referral (在哪儿补 → 育儿补贴) a wrong one."""
    for text in ("要带什么", "多少钱", "要多久", "在哪儿补"):
        turn = assistant.respond(text)
        assert (turn.decision.outcome, turn.decision.candidates) == ("clarify", []), text
        assert turn.messages[0].text == replies.NO_CONTEXT and not turn.messages[0].buttons
    hours = assistant.respond("几点下班").decision  # the centre's own FAQ answers it
    assert (hours.outcome, hours.item) == ("answer", "faq-hours")


def test_a_topic_named_as_a_whole_is_marked(understander: Understander) -> None:
    for text in ("社保卡的事", "个税的事找谁", "公司工商登记的事想问问", "生小孩相关的手续"):
        assert understander.understand(text).topic_only, text
    # an errand, and 的事 inside a longer question
    for text in ("社保卡丢了", "我明天上午要去办社保的事,听邻居说现在人很多,想先约个号"):
        assert not understander.understand(text).topic_only, text


def test_a_topic_named_as_a_whole_is_asked_back_unless_it_is_the_guides_own_name(assistant: Assistant) -> None:
    """社保卡的事 is asked back even when the model would answer its best guess; 二手房过户登记的事
    names the guide itself and is answered."""
    ranked = [Candidate("social-card-apply", 0.85, 0, 0), Candidate("social-card-reissue", 0.82, 0, 0)]
    sure = {"answer": 0.9, "wrong": 0.05, "clarify": 0.04, "out_of_scope": 0.01}
    settings, rules = assistant.settings.decision, assistant.rules
    topic = _asking("社保卡的事", None)
    topic.topic_only = True
    decision = decide_with(topic, ranked, sure, settings, rules)
    assert decision.outcome == "clarify" and decision.candidates[:2] == ["social-card-apply", "social-card-reissue"]
    topic.topic_only = False
    assert decide_with(topic, ranked, sure, settings, rules).outcome == "answer"
    named = _asking("想问下二手房过户登记的事", None, ["property-transfer"])
    named.topic_only = True
    assert decide_with(named, [Candidate("property-transfer", 0.97, 0, 0)], sure, settings, rules).item == \
        "property-transfer"
    assert assistant.respond("社保卡的事").decision.outcome == "clarify"


def test_a_list_of_things_is_asked_back_even_when_it_names_the_best_guide(
        assistant: Assistant, understander: Understander) -> None:
    """结婚证离婚证 names the 补领 guide outright, and the model may be sure of it; but which
    errand about which of them is not said, so the close guides are offered."""
    for text in ("结婚证离婚证", "出生证明和户口", "户口本身份证"):
        assert understander.understand(text).listing, text
    for text in ("身份证补办", "低保申请", "身份证有效期满了"):
        assert not understander.understand(text).listing, text
    ranked = [Candidate("marriage-cert-reissue", 0.94, 0, 0), Candidate("divorce-registration", 0.87, 0, 0),
              Candidate("marriage-registration", 0.86, 0, 0)]
    sure = {"answer": 0.9, "wrong": 0.05, "clarify": 0.04, "out_of_scope": 0.01}
    listing = _asking("结婚证离婚证", None, ["marriage-cert-reissue"])
    listing.listing = True
    decision = decide_with(listing, ranked, sure, assistant.settings.decision, assistant.rules)
    assert decision.outcome == "clarify" and "marriage-registration" in decision.candidates
    listing.listing = False
    assert decide_with(listing, ranked, sure, assistant.settings.decision, assistant.rules).outcome == "answer"
    assert assistant.respond("出生证明和户口").decision.outcome == "clarify"


def test_a_guide_close_behind_a_referral_entry_goes_first() -> None:
    ranked = [Candidate("elsewhere-housing-fund-resignation", 0.8, 0, 0), Candidate("housing-fund-retire", 0.76, 0, 0),
              Candidate("event-retirement", 0.6, 0, 0)]
    referrals = {"elsewhere-housing-fund-resignation"}
    promoted = prefer_guides_over_referrals(ranked, referrals, 0.06)
    assert [c.slug for c in promoted][:2] == ["housing-fund-retire", "elsewhere-housing-fund-resignation"]
    assert promoted[0].score == 0.8
    assert prefer_guides_over_referrals(ranked, referrals, 0.02) == ranked  # too far behind
    assert prefer_guides_over_referrals(ranked[1:], referrals, 0.06) == ranked[1:]  # a guide is first already
