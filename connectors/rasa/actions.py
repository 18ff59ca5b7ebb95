"""Custom actions for teams that already run Rasa (served by ``daoban rasa-actions``): their
Rasa server keeps the conversation and calls these over Rasa's action-server webhook.

- ``action_daoban_answer`` answers the latest message from our guides with our whole
  dialogue engine (clarify buttons, situation questions and the tailored checklist, section
  follow-ups), keeping its state per Rasa ``sender_id``; its buttons carry Rasa-style
  payloads (``/choose_situation{"option": …}``) that come straight back to it.
- ``action_daoban_work_order`` files a 12345 work order from Rasa's own transcript, of the
  kind Rasa's intent names (complaint → 投诉), and asks for consent to a call back.
- ``action_daoban_handoff`` hands over to staff when they are on duty, otherwise says when
  they are and offers 12345 / 留言.

Each sets slots (``daoban_item``, ``daoban_outcome``, ``daoban_handoff``,
``daoban_work_order``) a Rasa story or rule can branch on; ``daoban export rasa`` writes the
matching domain.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant import BotMessage
from bot.decision import Target
from bot.dialogue.engine import UserMessage
from bot.handoff.work_orders import Role
from bot.tracker import ConversationKey
from connectors.rasa.format import rest_messages
from connectors.rendering import render_turn
from connectors.runtime import Runtime
from nlu.normalize import MAX_INPUT_CHARS

CHANNEL = "rasa"
ANSWER, WORK_ORDER, HANDOFF = "action_daoban_answer", "action_daoban_work_order", "action_daoban_handoff"
SLOT_ITEM, SLOT_OUTCOME, SLOT_HANDOFF, SLOT_ORDER = "daoban_item", "daoban_outcome", "daoban_handoff", \
    "daoban_work_order"
SLOTS = (SLOT_ITEM, SLOT_OUTCOME, SLOT_HANDOFF, SLOT_ORDER)
ROLES: dict[str, Role] = {"user": "user", "bot": "bot"}


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")[:MAX_INPUT_CHARS]


def utter(dispatcher: CollectingDispatcher, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        dispatcher.utter_message(text=message.get("text"), buttons=message.get("buttons"),
                                 json_message=message.get("custom"))


def utter_bot_message(dispatcher: CollectingDispatcher, message: BotMessage) -> None:
    dispatcher.utter_message(text=message.text,
                             buttons=[{"title": b.title, "payload": b.payload} for b in message.buttons] or None)


class DaobanAction(Action):
    """An action with the running assistant; the executor gets instances, not classes."""

    action_name = ""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def name(self) -> str:
        return self.action_name


class AnswerFromGuides(DaobanAction):
    action_name = ANSWER

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = latest_text(tracker)
        if not text.strip():
            return []
        metadata = tracker.latest_message.get("metadata") or {}
        turn = self.runtime.handle(UserMessage(text, tracker.sender_id, CHANNEL, metadata))
        utter(dispatcher, rest_messages(tracker.sender_id, render_turn(turn, self.runtime.assistant.entries)))
        decision = turn.decision
        return [SlotSet(SLOT_ITEM, decision.item or tracker.get_slot(SLOT_ITEM)),
                SlotSet(SLOT_OUTCOME, decision.outcome),
                SlotSet(SLOT_HANDOFF, decision.target if decision.outcome == "handoff" else None)]


class Handover(DaobanAction):
    """What the two handoff actions share: the engine's own handoff, fed Rasa's transcript."""

    target: Target = "hotline"

    def hand_off(self, tracker: Tracker) -> tuple[BotMessage, str | None]:
        transcript = [(ROLES[event["event"]], str(event.get("text") or "")) for event in tracker.events
                      if event.get("event") in ROLES and event.get("text")]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        message = UserMessage(latest_text(tracker), tracker.sender_id, CHANNEL)
        with self.runtime.lock(ConversationKey(CHANNEL, tracker.sender_id)):
            return self.runtime.dialogue.hand_off_now(message, self.target, intent, transcript,
                                                      tracker.get_slot(SLOT_ITEM))


class FileWorkOrder(Handover):
    action_name = WORK_ORDER

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        reply, reference = self.hand_off(tracker)
        utter_bot_message(dispatcher, reply)
        return [SlotSet(SLOT_HANDOFF, "hotline"), SlotSet(SLOT_ORDER, reference)]


class HandOverToStaff(Handover):
    action_name = HANDOFF
    target = "agent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        reply, _ = self.hand_off(tracker)
        utter_bot_message(dispatcher, reply)
        return [SlotSet(SLOT_HANDOFF, "agent")]


ACTIONS = (AnswerFromGuides, FileWorkOrder, HandOverToStaff)
