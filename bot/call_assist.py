"""Hotline agent assist (坐席助手): from a 12345 call's transcript so far, what the agent needs
on screen — the guides the caller probably means, a script to read out, the checklist
tailored to the caller's situation, a drafted work order and an SMS text.

The caller's latest words (``assist.window_chars``) are understood like a chat message, by the
same understanding and decision as every channel. Situations (情形) are read from what the
caller said where an answer is unmistakable (外省的, 我七十二了), and the agent can set or
correct them; anything read from the transcript is marked so the agent knows to confirm it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from bot.assistant import Assistant
from bot.decision import Decision
from bot.dialogue.choices import distinctive
from bot.dialogue.situations import chosen_by_range
from bot.handoff.policy import compose_summary
from bot.handoff.work_orders import KIND_LABELS
from daoban.settings import AssistSettings
from knowledge.answer import Answer
from knowledge.brief import sms_text, spoken_script
from knowledge.schema import ServiceItem, Situation
from knowledge.service import answer_for
from nlu.pipeline import Understanding
from nlu.privacy import mask_personal

Speaker = Literal["caller", "agent"]
CONSULT = "consult"  # a call that only asks how to do something is a 咨询 work order
UNDERSTOOD_CACHE = 2048  # segments re-sent with every POST are understood once


@dataclass(frozen=True)
class Segment:
    speaker: Speaker
    text: str


class UnknownGuide(ValueError):
    """The agent picked a guide or a situation option the knowledge base does not have."""


class CallAssistant:
    def __init__(self, assistant: Assistant, settings: AssistSettings) -> None:
        self.assistant, self.settings = assistant, settings
        self.entries = assistant.entries
        self._understood = lru_cache(maxsize=UNDERSTOOD_CACHE)(self._understand)

    def _understand(self, text: str) -> tuple[Understanding, Decision]:
        understanding = self.assistant.understander.understand(text)
        return understanding, self.assistant.decide(understanding)

    def suggest(self, segments: list[Segment], item: str | None = None,
                choices: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Suggestions for the call so far; ``item`` and ``choices`` are what the agent picked."""
        caller = [s.text.strip() for s in segments if s.speaker == "caller" and s.text.strip()]
        question = self.window(caller)
        understanding, decision = self._understood(question) if question else (None, Decision("out_of_scope"))
        scores = {c.slug: c.score for c in understanding.candidates} if understanding else {}
        if item is not None and item not in self.entries:
            raise UnknownGuide(f"没有事项 {item}")
        chosen = item or (decision.item if decision.outcome == "answer" else None)
        suggestion: dict[str, Any] = {
            "question": mask_personal(question),
            "outcome": decision.outcome,
            "confidence": round(decision.confidence, 3),
            "candidates": [{"slug": slug, "name": self.entries[slug].name, "kind": self.entries[slug].kind,
                            "score": round(scores.get(slug, 0.0), 3)}
                           for slug in decision.candidates if slug in self.entries],
            "item": chosen,
            "picked_by": "agent" if item else ("assistant" if chosen else None),
        }
        situation_choices, detected = self.situations(chosen, caller, choices or {})
        try:  # tailoring refuses a situation or option the guide does not have
            answer = answer_for(self.entries.get, self.assistant.settings.centre, chosen,
                                choices=situation_choices) if chosen else None
        except ValueError as error:
            raise UnknownGuide(str(error)) from error
        suggestion.update(self.guide(answer, chosen, situation_choices, detected))
        suggestion["work_order"] = self.work_order(caller, chosen)
        return suggestion

    def window(self, caller: list[str]) -> str:
        """The caller's latest segments, up to ``window_chars``: the current question (a call
        often moves from one matter to the next)."""
        kept: list[str] = []
        for text in reversed(caller):
            if kept and sum(map(len, kept)) + len(text) > self.settings.window_chars:
                break
            kept.insert(0, text)
        return "，".join(kept)[-self.settings.window_chars:]

    def situations(self, slug: str | None, caller: list[str], choices: Mapping[str, str]) -> tuple[
            dict[str, str], list[str]]:
        """The agent's choices plus those the caller's words settle; which keys were read from
        the transcript. A choice the guide does not have is refused when the answer is built."""
        entry = self.entries.get(slug) if slug else None
        if not isinstance(entry, ServiceItem):
            if choices:
                raise UnknownGuide(f"事项 {slug} 没有可选情形")
            return {}, []
        merged, detected = dict(choices), []
        for situation in entry.situations:
            if situation.key not in merged and (option := self._heard(situation, caller)):
                merged[situation.key] = option
                detected.append(situation.key)
        return merged, detected

    @staticmethod
    def _heard(situation: Situation, caller: list[str]) -> str | None:
        """The option the caller's latest words name unmistakably (never an option number: a
        caller's "两个" is not a menu choice)."""
        names = {option.key: [option.label] for option in situation.options}
        for text in reversed(caller):
            option = chosen_by_range(text, situation) or distinctive(text, names)
            if option:
                return option
        return None

    def guide(self, answer: Answer | None, slug: str | None, choices: dict[str, str],
              detected: list[str]) -> dict[str, Any]:
        """Script, checklist, the next situation question and the SMS for the chosen guide."""
        if answer is None or slug is None:
            return {"guide": None, "script": [], "situations": [], "next_question": None, "checklist": [],
                    "tailored": False, "sms": None}
        entry = self.entries[slug]
        situations = entry.situations if isinstance(entry, ServiceItem) else []
        materials = next((s.checklist for s in answer.sections if s.key == "materials"), [])
        pending = [s for s in situations if s.key not in choices]
        return {
            "guide": {"slug": slug, "name": answer.title, "department": answer.department,
                      "citation": answer.citation, "version": answer.version.isoformat(), "url": f"/guides/{slug}"},
            "script": spoken_script(answer, self.settings.script_materials),
            "situations": [{"key": s.key, "question": s.question,
                            "options": [{"key": o.key, "label": o.label} for o in s.options],
                            "chosen": choices.get(s.key), "heard": s.key in detected} for s in situations],
            "next_question": pending[0].question if pending else None,
            "checklist": [{"text": row.text(), "name": row.name, "form": row.form, "requirement": row.requirement}
                          for row in materials],
            "tailored": not pending,
            "sms": sms_text(answer, self.assistant.settings.centre, self.settings.sms_max_chars),
        }

    def work_order(self, caller: list[str], slug: str | None) -> dict[str, Any]:
        """The 12345 work order to file if the call needs one: a complaint, report, suggestion
        or praise anywhere in the call makes it that kind; otherwise a 咨询."""
        kinds = self.assistant.settings.handoff.work_order_kinds
        kind = CONSULT
        for text in caller:
            _, decision = self._understood(text)
            if decision.outcome == "handoff" and decision.intent in kinds:
                kind = kinds[decision.intent]
        entry = self.entries.get(slug) if slug else None
        label = KIND_LABELS[kind]
        return {"kind": kind, "kind_label": label, "item": slug,
                "department": getattr(entry, "department", None),
                "summary": mask_personal(compose_summary(f"市民来电{label}", caller, entry))}
