"""The conversation engine every channel talks to: one :class:`UserMessage` in, one
:class:`~bot.assistant.Turn` out, the thread kept in a tracker store between turns.

Like Rasa's channel layer, a channel only turns its protocol into a ``UserMessage`` and
renders the turn's messages; the engine never knows which channel it serves. A turn is:
the answer to a question the bot asked (which option?), else the message understood and
decided afresh, then read against the conversation (要多久 asks about the guide being
discussed; 那离婚呢 moves on to another).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import replies
from bot.assistant import Assistant, BotMessage, Button, Turn
from bot.decision import Decision, Target
from bot.dialogue import forms
from bot.dialogue.choices import chosen, declined
from bot.dialogue.dates import day_label
from bot.dialogue.payloads import Payload, parse_payload, payload
from bot.dialogue.situations import chosen_option, next_question, question_message, skipped
from bot.dialogue.state import WAITING, ConversationState, Pending
from bot.feedback.store import LEVELS, USEFUL, Feedback, FeedbackStore
from bot.handoff.outbox import WorkOrderStore
from bot.handoff.policy import draft_work_order, next_staffed, staffed, summary
from bot.handoff.takeover import Relay
from bot.handoff.work_orders import Contact, Role
from bot.service_requests.store import ServiceRequestStore
from bot.tracker import ConversationKey, TrackerStore, tracker_store_from_url
from daoban.settings import DialogueSettings
from knowledge.schema import FaqEntry, Location, ServiceItem
from nlu.pipeline import Understanding
from nlu.privacy import mask_personal
from nlu.retrieval.passages import entry_passages

ASK_ALL = "ask_all"  # 都告诉我: the whole guide, not one section
FRUSTRATION_LOOKUP = "frustration"  # nlu/data/cues.yml
FEEDBACK_INTENTS = ("feedback", "rate")  # 有用 / 没用 and the five-level rating (button payloads)
TYPED_FEEDBACK = {"有用": "yes", "有帮助": "yes", "没用": "no", "没有用": "no", "没帮助": "no", "没有帮助": "no"}
WHAT_ABOUT = re.compile(r"^那.{2,40}呢[?？。]*$")  # 那去美国的签证呢: a new question, never an answer
REASK = "reask_situation"  # a situation question asked again after a reply the bot could not read
AFFIRM = "affirm"  # 嗯/好的: smalltalk on its own, but to a pending question a reply, not a question of its own


@dataclass(frozen=True)
class UserMessage:
    text: str  # typed text, or a button's payload (/choose_option{"item": "..."})
    sender: str
    channel: str = "api"
    metadata: dict = field(default_factory=dict)


def follows_up(state: ConversationState, u: Understanding, decision: Decision, guides: Collection[str],
               new_subject: Callable[[], bool] = lambda: False,
               bundled: Callable[[], str | None] = lambda: None) -> Decision:
    """Read a decision against the guide being discussed: a question about one of its sections
    (要带什么, 能网上办吗) or 都告诉我, naming no other guide and no ``new_subject`` of its own
    (something the guide never mentions, or the next item of a 一件事 it belongs to; asked only
    when it decides), is about that guide. Within a 一件事, a question about one of
    its items (``bundled``: 刻章要钱吗) is about that item. Only service items and 一件事 count
    as naming another guide: FAQ names are service words (网上办, 预约, 周六) that follow-ups use
    all the time; a section asked of a guide named (那离婚呢，周六能办吗) is about that guide.
    An FAQ has no sections to follow up on: after 几点开门, 中午休息不 is a question of its own."""
    if state.item not in guides or decision.outcome in ("handoff", "smalltalk"):
        return decision
    if (member := bundled()) is not None:
        return Decision("answer", item=member, section=u.section, candidates=[member],
                        confidence=decision.confidence, intent=u.intent)
    asks_section = u.section is not None or u.intent == ASK_ALL
    named = (u.named_slugs() & set(guides)) - {state.item}
    if asks_section and len(named) == 1 and decision.item not in named:
        return Decision("answer", item=named.pop(), section=u.section, candidates=decision.candidates,
                        confidence=decision.confidence, intent=u.intent)
    if not asks_section or named or new_subject():
        return decision
    if decision.outcome == "answer" and decision.item != state.item and (u.section is None or u.section_weak):
        return decision  # a confident answer about another guide, and no section cue to say otherwise
    return Decision("answer", item=state.item, section=u.section, candidates=[state.item],
                    confidence=decision.confidence, intent=u.intent)


class Dialogue:
    def __init__(self, assistant: Assistant, store: TrackerStore, settings: DialogueSettings,
                 work_orders: WorkOrderStore | None = None, now: Callable[[], datetime] | None = None,
                 feedback: FeedbackStore | None = None, relay: Relay | None = None,
                 service_requests: ServiceRequestStore | None = None) -> None:
        self.assistant, self.store, self.settings = assistant, store, settings
        self.work_orders = work_orders  # None: handoffs to 12345 are not filed (evaluation)
        self.feedback = feedback  # None: feedback is thanked for but not kept (evaluation)
        self.relay = relay  # carries messages between citizen and staff during a takeover
        self.service_requests = service_requests  # None: forms are not stored (evaluation)
        handoff = assistant.settings.handoff
        self.now = now or (lambda: datetime.now(ZoneInfo(handoff.timezone)))
        lookups = assistant.understander.training.lookups
        self.frustration_cues = lookups.get(FRUSTRATION_LOOKUP, [])
        self.form_cues = {name: lookups.get(f"form_{name}", []) for name in forms.FORMS}
        self.guides = frozenset(slug for slug, entry in assistant.entries.items() if not isinstance(entry, FaqEntry))
        self._asking: dict[str, str] = {}  # a guide's asking texts, joined: built on its first follow-up

    def handle(self, message: UserMessage) -> Turn:
        key = ConversationKey(message.channel, message.sender)
        state = ConversationState.from_dict(self.store.load(key))
        turn = self.relay_to_staff(key, state, message) if state.held else self.turn(state, message)
        self.store.save(key, state.to_dict())
        return turn

    def relay_to_staff(self, key: ConversationKey, state: ConversationState, message: UserMessage) -> Turn:
        """Staff hold the conversation: the bot stays silent and passes the message on."""
        u = Understanding(original=message.text, text=message.text)
        state.record("user", u.masked, self.settings.transcript_turns)
        if self.relay is not None:
            self.relay.to_staff(key, message.text)
        return Turn(u, Decision("handoff", target="agent", confidence=1.0, intent="relayed"), [])

    def take_over(self, key: ConversationKey, agent: str) -> None:
        """Staff take the conversation; the citizen is told who is with them now."""
        self._staff_action(key, agent, replies.TAKEN_OVER.format(agent=f"（{agent}）" if agent else ""))

    def staff_says(self, key: ConversationKey, text: str) -> None:
        state = ConversationState.from_dict(self.store.load(key))
        if not state.held:
            raise ValueError(f"conversation {key.masked()} is not held by staff")
        state.record("agent", mask_personal(text), self.settings.transcript_turns)
        self.store.save(key, state.to_dict())
        if self.relay is not None:
            self.relay.to_user(key, [BotMessage(text)])

    def hand_back(self, key: ConversationKey) -> None:
        """Staff hand the conversation back to the bot; the citizen is told."""
        self._staff_action(key, None, replies.HANDED_BACK)

    def _staff_action(self, key: ConversationKey, staff: str | None, notice: str) -> None:
        state = ConversationState.from_dict(self.store.load(key))
        state.staff, state.pending = staff, None
        state.record("bot", notice, self.settings.transcript_turns)
        self.store.save(key, state.to_dict())
        if self.relay is not None:
            self.relay.to_user(key, [BotMessage(notice)])

    def hand_off_now(self, message: UserMessage, target: Target, intent: str | None = None,
                     transcript: list[tuple[Role, str]] | None = None, item: str | None = None) -> tuple[
            BotMessage, str | None]:
        """A handoff asked for outside a turn (a Rasa custom action): to staff, or to 12345 as a
        work order of the kind ``intent`` maps to (its reference is returned). ``transcript`` and
        ``item`` stand in for what this engine saw when the front end kept the conversation itself."""
        key, keep = ConversationKey(message.channel, message.sender), self.settings.transcript_turns
        state = ConversationState.from_dict(self.store.load(key))
        if transcript is not None:
            state.transcript = []
            for role, text in transcript:
                state.record(role, mask_personal(text), keep)
        if item in self.assistant.entries:
            state.item = item
        filed_before = state.contact_order
        reply = self._hand_off(state, Decision("handoff", target=target, confidence=1.0, intent=intent), message)
        state.record("bot", mask_personal(reply.text), keep)
        self.store.save(key, state.to_dict())
        order = self.work_orders.get(state.contact_order) if self.work_orders and state.contact_order and \
            state.contact_order != filed_before else None
        return reply, order.reference if order else None

    def conversation(self, channel: str = "eval") -> Callable[[str], Decision]:
        """A fresh conversation's turn function (``daoban eval`` runs each case in one)."""
        sender = uuid.uuid4().hex
        return lambda text: self.handle(UserMessage(text, sender, channel)).decision

    def turn(self, state: ConversationState, message: UserMessage) -> Turn:
        text, keep = message.text, self.settings.transcript_turns
        button = parse_payload(text)
        if button is None and (useful := TYPED_FEEDBACK.get(text.strip(" 。.!！"))) is not None:
            button = Payload("feedback", {"useful": useful})  # typed instead of tapped
        u = self.assistant.understander.understand("" if button else text)
        frustrated = button is None and self._frustrated(state, u)
        state.record("user", text if button else u.masked, keep)
        fresh = self.assistant.decide(u) if button is None and u.text else None  # the message on its own
        form_turn = self._contact_turn(state, text, button, u) or self._form_turn(state, text, button, u, message,
                                                                                   fresh)
        if form_turn is not None:
            state.record("bot", mask_personal(form_turn.messages[0].text), keep)
            return form_turn
        decision = self._decide(state, text, button, u, fresh)
        turn = self.assistant.render(u, decision, state.choices.get(decision.item or ""))
        if decision.intent == "deny" and decision.outcome == "out_of_scope":
            turn.messages = [BotMessage(replies.DECLINED)]
        if decision.outcome == "handoff":
            turn.messages = [self._hand_off(state, decision, message)]
        if decision.intent in FEEDBACK_INTENTS:
            turn.messages = [self._feedback(state, button, message)]
        self._remember(state, decision)
        self._guide_situations(state, decision, turn)
        self._ask_for_feedback(decision, turn)
        if decision.outcome != "handoff" and (frustrated or state.failures >= self.settings.failures_before_offer):
            turn.messages.append(self._offer_person())
        state.record("bot", mask_personal(turn.messages[0].text if turn.messages else ""), keep)
        return turn

    def _form_turn(self, state: ConversationState, text: str, button: Payload | None, u: Understanding,
                   message: UserMessage, fresh: Decision | None) -> Turn | None:
        """A form being filled takes the message (unless it hands off); 我要预约 / 申请帮办 or
        their buttons start one for the guide named (``fresh``) or under discussion."""
        name = self._form_asked(text, button)
        if state.form is None and name is None:
            return None
        leaving_message = state.form is not None and state.form["name"] in forms.ITEMLESS  # 留言 may well complain
        if fresh is not None and fresh.outcome == "handoff" and not leaving_message:  # 转人工 / 投诉 leave the form
            state.form = None
            return None
        if state.form is None and name is not None:
            named = fresh is not None and fresh.outcome == "answer" and fresh.item in self.guides  # 预约 is an FAQ
            item = fresh.item if named and fresh is not None else state.item
            if item is None and name not in forms.ITEMLESS:
                return self._form_reply(u, None, "", [BotMessage(replies.FORM_NEEDS_ITEM)])
            state.form, state.item, state.pending = {"name": name, "item": item, "values": {}}, item, None
            start = (replies.FORM_START.format(title=forms.TITLES[name], item=self.assistant.entries[item].name)
                     if item else replies.FORM_START_ITEMLESS.format(title=forms.TITLES[name]))
            return self._form_reply(u, item, name, [BotMessage(start), self._form_prompt(state)])
        form, title = state.form, forms.TITLES[state.form["name"]]
        if forms.cancelled(text):
            state.form = None
            return self._form_reply(u, form["item"], form["name"], [BotMessage(replies.FORM_CANCELLED.format(
                title=title))])
        slot = forms.next_slot(form["name"], form["values"])
        value = slot.parse(button.entities.get("value", "") if button else text, self._form_context(),
                           form["values"]) if slot else None
        if slot is None or value is None:
            error = [BotMessage(slot.error)] if slot else []
            return self._form_reply(u, form["item"], form["name"], [*error, self._form_prompt(state)])
        form["values"][slot.name] = value
        if forms.next_slot(form["name"], form["values"]) is not None:
            return self._form_reply(u, form["item"], form["name"], [self._form_prompt(state)])
        state.form = None
        return self._form_reply(u, form["item"], form["name"], [self._form_submitted(form, message)])

    def _form_asked(self, text: str, button: Payload | None) -> str | None:
        if button is not None:
            name = button.entities.get("form")
            return name if button.intent == "start_form" and name in forms.FORMS else None
        for name in ("proxy", "booking", "message"):  # 预约帮办 is a 帮办 request
            if any(cue in text for cue in self.form_cues[name]):
                return name
        return None

    def _form_context(self) -> forms.Context:
        return forms.Context(self.now(), self.assistant.settings.centre, self.settings.booking_days)

    def _form_prompt(self, state: ConversationState) -> BotMessage:
        form = state.form or {}
        slot = forms.next_slot(form["name"], form["values"])
        if slot is None:
            return BotMessage("")
        options = slot.options(self._form_context(), form["values"]) if slot.options else []
        return BotMessage(slot.prompt, [Button(option, payload("fill", value=option)) for option in options])

    def _form_submitted(self, form: dict, message: UserMessage) -> BotMessage:
        name, item, values = form["name"], form["item"], form["values"]
        fields = {"item": self.assistant.entries[item].name, **values} if item else dict(values)
        reference = (self.service_requests.create(name, item or "", fields, message.channel, message.sender)
                     if self.service_requests is not None else "（未保存）")
        if self.service_requests is not None and self.relay is not None:
            self.relay.submitted(name, reference)
        lines = [f"{forms.LABELS[key]}：{forms.shown(key, value)}" for key, value in fields.items()]
        return BotMessage("\n".join([replies.FORM_DONE.format(title=forms.TITLES[name], reference=reference),
                                     *lines, self._form_reminder(name, item)]))

    def _form_reminder(self, name: str, item: str | None) -> str:
        """What happens next: where to go for a booking, who calls for 帮办, when staff read a 留言."""
        centre = self.assistant.settings.centre
        if name == "message":
            return replies.MESSAGE_REMINDER.format(back=self._staff_back())
        if name == "proxy":
            return replies.PROXY_REMINDER.format(phone=centre.proxy_desk.phone)
        entry = self.assistant.entries[item or ""]
        place = getattr(entry, "location", None) or getattr(entry, "window", None)  # an item's or a 一件事's
        return replies.BOOKING_REMINDER.format(window=place.window if isinstance(place, Location) else centre.address)

    def _staff_back(self) -> str:
        """When staff are next on duty, as the citizen reads it: 12月3日（周四）09:00."""
        back = next_staffed(self.now(), self.assistant.settings.centre)
        return f"{day_label(back.date())}{back:%H:%M}" if back else ""

    def _contact_turn(self, state: ConversationState, text: str, button: Payload | None,
                      u: Understanding) -> Turn | None:
        """After a 12345 work order is filed: a mobile number given is consent to be contacted and
        goes with the order; 不用 (or any other message) sends it on without one."""
        order_id, orders = state.contact_order, self.work_orders
        if order_id is None or orders is None:
            return None
        if button is not None and button.intent == "contact" and button.entities.get("consent") == "yes":
            return self._handoff_reply(u, "contact", [BotMessage(replies.ASK_MOBILE)])
        state.contact_order = None
        mobile = forms.mobile_number(text) if button is None else None
        stored = orders.get(order_id)
        reference = stored.reference if stored else ""
        if mobile is not None:
            added = orders.add_contact(order_id, Contact(phone=mobile))
            reply = (replies.CONTACT_ADDED.format(reference=reference, phone=mask_personal(mobile)) if added
                     else replies.CONTACT_TOO_LATE.format(reference=reference,
                                                          hotline=self.assistant.settings.centre.hotline.number))
            return self._handoff_reply(u, "contact", [BotMessage(reply)])
        orders.release_held(order_id)
        if (button is not None and button.intent == "contact") or forms.cancelled(text) or declined(text, None) \
                or any(word in text for word in replies.NO_CONTACT_WORDS):
            return self._handoff_reply(u, "contact", [BotMessage(replies.CONTACT_DECLINED.format(
                reference=reference))])
        return None  # a new question: the order goes without contact details, the message is handled as usual

    @staticmethod
    def _handoff_reply(u: Understanding, intent: str, messages: list[BotMessage]) -> Turn:
        return Turn(u, Decision("handoff", target="hotline", confidence=1.0, intent=intent), messages)

    @staticmethod
    def _form_reply(u: Understanding, item: str | None, name: str, messages: list[BotMessage]) -> Turn:
        return Turn(u, Decision("answer" if item else "clarify", item=item, confidence=1.0,
                                intent=f"form_{name}" if name else "form"), messages)

    def _subject_words(self, u: Understanding) -> list[str]:
        """The message's words of two or more characters (single ones are particles) besides its
        section cue and fillers (刻章 in 刻章要钱吗). Broader than ``Understanding.subject``, which
        also drops words most guides use (材料 in 护照要带什么材料): telling a new subject from a
        follow-up was tuned on these (``dialogue.new_subject_chars``)."""
        understander = self.assistant.understander
        rest = understander.sections.pattern.sub(" ", u.text) if understander.sections.pattern else u.text
        return [w for w in understander.segmenter.words(rest) if len(w) > 1 and w not in understander.fillers]

    def _new_subject(self, state: ConversationState, u: Understanding) -> bool:
        """The message's own subject is something the guide under discussion never mentions:
        那违章罚款在哪交 is not about the driving licence, 多久能拿到 is."""
        if state.item is None or state.item not in self.assistant.entries:
            return False
        if state.item not in self._asking:
            self._asking[state.item] = " ".join(entry_passages(self.assistant.entries[state.item]))
        asking = self._asking[state.item]
        return sum(len(w) for w in self._subject_words(u) if w not in asking) > self.settings.new_subject_chars

    def _frustrated(self, state: ConversationState, u: Understanding) -> bool:
        """Clear frustration: a ``frustration`` cue (听不懂, 答非所问), or the same message again."""
        said = [line["text"] for line in state.transcript if line["role"] == "user"]
        return any(cue in u.text for cue in self.frustration_cues) or bool(said and said[-1] == u.masked)

    def _hand_off(self, state: ConversationState, decision: Decision, message: UserMessage) -> BotMessage:
        """To staff when they are on duty (otherwise say so and offer 12345), or to 12345 as a
        work order drafted from the conversation, stored durably before the reply says so."""
        centre, handoff = self.assistant.settings.centre, self.assistant.settings.handoff
        if decision.target == "agent":
            if staffed(self.now(), centre):
                state.staff = WAITING
                if self.relay is not None:
                    self.relay.queued(ConversationKey(message.channel, message.sender),
                                      summary("转人工请求", state, self.assistant.entries))
                return BotMessage(replies.handoff("agent", centre))
            return BotMessage(replies.staff_off_duty(centre, self._staff_back()),
                              [Button(replies.TO_HOTLINE, payload("handoff", target="hotline")),
                               Button(replies.LEAVE_MESSAGE, payload("start_form", form="message"))])
        if self.work_orders is None:
            return BotMessage(replies.handoff("hotline", centre))
        kind = handoff.work_order_kinds.get(decision.intent or "", handoff.default_kind)
        order = self.work_orders.create(draft_work_order(kind, state, self.assistant.entries, message.channel,
                                                         message.sender), handoff.contact_wait_minutes * 60)
        state.contact_order = order.id
        return BotMessage(replies.work_order_filed(centre, order.reference) + replies.ASK_CONTACT,
                          [Button(replies.GIVE_CONTACT, payload("contact", consent="yes")),
                           Button(replies.NO_CONTACT, payload("contact", consent="no"))])

    def _decide(self, state: ConversationState, text: str, button: Payload | None, u: Understanding,
                fresh: Decision | None) -> Decision:
        if button is not None:
            return self._answered(state, text, button, u) or self._button(button, u)
        if fresh is None:  # nothing to understand (blank, emoji only): ask what they need
            return Decision("clarify", confidence=1.0, intent=u.intent)
        if fresh.outcome == "handoff":  # 转人工 / 投诉 win over a pending question
            return fresh
        rank = self.settings.new_subject_rank
        return self._answered(state, text, None, u, fresh) or follows_up(
            state, u, fresh, self.guides,
            lambda: (state.item not in fresh.candidates[:rank] and self._new_subject(state, u))
            or self._next_step(state, u, fresh),
            lambda: self._bundle_member(state, u, fresh))

    def _next_step(self, state: ConversationState, u: Understanding, fresh: Decision) -> bool:
        """The message is the next step of a life event: it gets a confident answer about another
        item of a 一件事 the current item belongs to (报户口要多久 after 出生医学证明: both are steps of
        出生一件事), and has words of its own, so it is not a follow-up of the current item."""
        if fresh.outcome != "answer" or fresh.item in (None, state.item) or not u.subject:
            return False
        return any(state.item in items and fresh.item in items for items in self.assistant.bundles.values())

    def _bundle_member(self, state: ConversationState, u: Understanding, fresh: Decision) -> str | None:
        """The item of the 一件事 under discussion a message is about: named, ranked first with
        words of its own besides the section cue (刻章要钱吗, not 要钱吗), or the one of the
        options a clarify would offer, on buttons or in text (公积金能一起取吗 in 退休一件事)."""
        members = self.assistant.bundles.get(state.item or "", [])
        named = u.named_slugs() & set(members)
        if len(named) == 1:
            return named.pop()
        if u.candidates and u.candidates[0].slug in members and self._subject_words(u):
            return u.candidates[0].slug
        if fresh.outcome == "clarify":
            return next((slug for slug in fresh.options if slug in members), None)
        return None

    def _answered(self, state: ConversationState, text: str, button: Payload | None,
                  u: Understanding, fresh: Decision | None = None) -> Decision | None:
        """The reply to the bot's pending question: an option chosen, or all of them declined."""
        if state.pending is None:
            return None
        if state.pending.situation is not None:
            return self._situation_answered(state, state.pending, text, button, u, fresh)
        intent = button.intent if button else u.intent
        option = chosen(text, button, intent, state.pending.options, self.assistant.entries)
        if option is not None:
            return Decision("answer", item=option, section=state.pending.section or u.section,
                            candidates=state.pending.options, confidence=1.0, intent="choose_option")
        if declined(text, button):
            return Decision("out_of_scope", intent="deny", confidence=1.0)
        return None

    def _situation_answered(self, state: ConversationState, pending: Pending, text: str, button: Payload | None,
                            u: Understanding, fresh: Decision | None) -> Decision | None:
        """An answer to a situation question (or 跳过) continues with the same guide. A reply that
        picks no option is asked again once, with a hint to tap a button (我俩户口都在这边 is an
        answer, just not one the bot can read); a question of its own instead, or a second
        unreadable reply, counts the guide's situations as skipped."""
        item = pending.item or ""
        entry = self.assistant.entries.get(item)
        situation = next((s for s in getattr(entry, "situations", []) if s.key == pending.situation), None)
        skip = skipped(text, button)  # 不知道有没有遗嘱 skips, though it holds the option 没有遗嘱
        option = chosen_option(text, button, situation) if situation is not None and not skip else None
        intent = "choose_situation"
        own_question = button is not None or fresh is None or self._own_question(item, u, fresh)
        if option is not None and situation is not None:
            state.choices.setdefault(item, {})[situation.key] = option
        elif skip or (pending.reasked and not own_question):
            state.guided.append(item)
        elif not own_question:
            intent = REASK
        else:
            state.guided.append(item)
            return None
        return Decision("answer", item=item, section=pending.section, candidates=[item], confidence=1.0,
                        intent=intent)

    def _own_question(self, item: str, u: Understanding, fresh: Decision) -> bool:
        """A message that asks something of its own rather than answering the bot's question:
        a section (多久能办好), another guide named or answered, thanks or a greeting, or a
        "那…呢" (what about …?) question."""
        named = (u.named_slugs() & self.guides) - {item}
        moved = (fresh.outcome == "answer" or (fresh.outcome == "smalltalk" and fresh.intent != AFFIRM)) \
            and fresh.item != item
        return u.section is not None or u.intent == ASK_ALL or bool(named) or moved or \
            bool(WHAT_ABOUT.match(u.text))

    def _button(self, button: Payload, u: Understanding) -> Decision:
        """A button outside any pending question: feedback, a handoff button, or an option tapped late."""
        if button.intent in FEEDBACK_INTENTS:
            return Decision("smalltalk", confidence=1.0, intent=button.intent)
        targets = self.assistant.settings.decision.handoff_intents
        target = button.entities.get("target") if button.intent == "handoff" else targets.get(button.intent)
        if target in ("agent", "hotline"):
            return Decision("handoff", target=target, confidence=1.0, intent=button.intent)  # type: ignore[arg-type]
        item = button.entities.get("item")
        if button.intent == "choose_option" and item in self.assistant.entries:
            return Decision("answer", item=item, candidates=[item], confidence=1.0, intent=button.intent)
        return Decision("clarify", confidence=1.0, intent=button.intent)  # a stale or unknown button: ask afresh

    def _guide_situations(self, state: ConversationState, decision: Decision, turn: Turn) -> None:
        """Before a guide's materials, ask the next of its situation questions (情形引导)."""
        if decision.outcome != "answer" or decision.intent == ASK_ALL:
            return
        entry = self.assistant.entries.get(decision.item or "")
        situation = next_question(entry, state, decision.section)
        if situation is None or not isinstance(entry, ServiceItem):
            if isinstance(entry, ServiceItem) and entry.situations and next_question(entry, state) is None \
                    and entry.slug not in state.guided:
                state.guided.append(entry.slug)  # all answered: the tailored list was given
            return
        reasked = decision.intent == REASK
        turn.messages, turn.answer = [question_message(entry, situation, decision.section, reasked)], None
        state.pending = Pending([o.key for o in situation.options], decision.section, entry.slug, situation.key,
                                reasked)

    def _ask_for_feedback(self, decision: Decision, turn: Turn) -> None:
        """有用 / 没用 under every answer from a guide; the five-level rating when the citizen
        says thanks or goodbye."""
        if turn.answer is not None:
            turn.messages[-1].buttons += [Button(replies.USEFUL_YES, payload("feedback", useful="yes")),
                                          Button(replies.USEFUL_NO, payload("feedback", useful="no"))]
        elif decision.outcome == "smalltalk" and decision.intent in ("thank", "goodbye"):
            turn.messages.append(BotMessage(replies.RATE, [Button(label, payload("rate", level=level))
                                                           for level, label in LEVELS.items()]))

    def _feedback(self, state: ConversationState, button: Payload | None, message: UserMessage) -> BotMessage:
        """Store a 有用 / 没用 or a rating with the masked transcript; 没用 offers a person."""
        entities = button.entities if button else {}
        if "useful" in entities:
            kind, value = "useful", entities["useful"]
        else:
            kind, value = "rating", entities.get("level", "")
        if self.feedback is not None and value in (USEFUL if kind == "useful" else LEVELS):
            self.feedback.add(Feedback(message.channel, message.sender, kind, value, state.item, state.transcript))
        if kind == "useful" and value == "no":
            return BotMessage(replies.NOT_USEFUL, self._offer_person().buttons)
        return BotMessage(replies.THANKS_FOR_FEEDBACK)

    def _remember(self, state: ConversationState, decision: Decision) -> None:
        # the guides named in text as well as the buttons: a typed 换领的 picks one of them
        state.pending = Pending(decision.options, decision.section) if decision.outcome == "clarify" else None
        if decision.outcome == "answer":
            state.item = decision.item
        if decision.outcome == "out_of_scope" or (decision.outcome == "clarify" and not decision.candidates):
            state.failures += 1
        elif decision.outcome != "smalltalk":
            state.failures = 0

    def _offer_person(self) -> BotMessage:
        return BotMessage(replies.offer_person(self.assistant.settings.centre),
                          [Button(replies.TO_AGENT, payload("handoff", target="agent")),
                           Button(replies.TO_HOTLINE, payload("handoff", target="hotline"))])


def build_dialogue(assistant: Assistant, relay: Relay | None = None) -> Dialogue:
    """The engine with the configured tracker store (in-process memory by default), the
    work-order store (the main database unless ``handoff.database_url`` names another), and
    the ``relay`` staff talk through."""
    settings = assistant.settings
    store = tracker_store_from_url(settings.dialogue.tracker_url, settings.dialogue.session_expiry_minutes * 60)
    url = settings.handoff.database_url or settings.store.database_url
    work_orders, feedback, requests = WorkOrderStore(url), FeedbackStore(url), ServiceRequestStore(url)
    for durable in (work_orders, feedback, requests):
        durable.create_schema()
    return Dialogue(assistant, store, settings.dialogue, work_orders, feedback=feedback, relay=relay,
                    service_requests=requests)
