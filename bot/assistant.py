"""The engine every channel talks to: one message in, the decision and the bot's messages out.

Channels turn their protocol into ``respond(text)`` and render the :class:`BotMessage` list
their own way; ``daoban eval`` checks the same :class:`Decision` the channels act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bot import replies
from bot.decision import CandidateRules, Decision, cue_pattern, decide
from bot.decision_model import DecisionModel
from bot.dialogue.payloads import payload
from daoban.settings import Settings
from knowledge.answer import Answer, render_text
from knowledge.loader import load_directory
from knowledge.schema import Entry, FaqEntry, LifeEvent, ServiceItem
from knowledge.service import answer_for
from nlu.pipeline import Understander, Understanding, build_understander

HANDOFF_CUE_LOOKUPS = {"agent": "handoff_agent", "hotline": "handoff_hotline"}
BUNDLE_CUE_LOOKUP = "bundle"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass
class BotMessage:
    text: str
    buttons: list[Button] = field(default_factory=list)


@dataclass
class Turn:
    understanding: Understanding
    decision: Decision
    messages: list[BotMessage]
    answer: Answer | None = None


class Assistant:
    def __init__(self, entries: Mapping[str, Entry], settings: Settings, understander: Understander) -> None:
        self.entries, self.settings, self.understander = entries, settings, understander
        lookups = understander.training.lookups
        self.handoff_cues = {target: cue_pattern(lookups.get(name, []), understander.training.regexes.get(name, []))
                            for target, name in HANDOFF_CUE_LOOKUPS.items()}
        self.rules = CandidateRules(
            bundles={slug: e.items for slug, e in entries.items() if isinstance(e, LifeEvent)},
            bundle_cues=lookups.get(BUNDLE_CUE_LOOKUP, []),
            items=frozenset(slug for slug, e in entries.items() if isinstance(e, ServiceItem)),
            elsewhere=frozenset(slug for slug, e in entries.items() if isinstance(e, FaqEntry) and e.handled_elsewhere),
            topics={slug: frozenset(word for word in understander.segmenter.search_words(e.name) if len(word) > 1)
                    for slug, e in entries.items()},
            frequency={slug: e.frequency for slug, e in entries.items()})

    @property
    def bundles(self) -> Mapping[str, list[str]]:
        """一件事 → its items."""
        return self.rules.bundles

    @cached_property
    def model(self) -> DecisionModel:
        """Loaded on first use, so ``daoban train-decision`` can run before any model exists."""
        return DecisionModel.load(self.settings.decision.model)

    def decide(self, understanding: Understanding) -> Decision:
        return decide(understanding, self.settings.decision, self.model, self.handoff_cues, self.rules)

    def respond(self, text: str) -> Turn:
        """A first turn with no conversation behind it (``bot/dialogue`` keeps the thread)."""
        understanding = self.understander.understand(text)
        return self.render(understanding, self.decide(understanding))

    def render(self, understanding: Understanding, decision: Decision, choices: dict[str, str] | None = None) -> Turn:
        """The bot's messages for a decision: the guide's answer (tailored to the situation
        ``choices``), buttons, or a handoff."""
        answer = None
        centre = self.settings.centre
        if decision.outcome == "answer" and decision.item:
            answer = answer_for(self.entries.get, centre, decision.item, focus=decision.section, choices=choices)
            messages = [BotMessage(t) for t in render_text(answer, self.settings.answer.max_message_bytes)] \
                if answer else [BotMessage(replies.out_of_scope(centre))]
            messages[-1].buttons = self._bundled_items(decision.item)
        elif decision.outcome == "clarify":
            messages = [self._clarify(decision)]
        elif decision.outcome == "handoff":
            messages = [BotMessage(replies.handoff(decision.target or "hotline", centre))]
        elif decision.outcome == "smalltalk":
            messages = [BotMessage(replies.smalltalk(decision.intent or "greet", centre))]
        elif decision.outcome == "out_of_scope" and decision.item and (
                answer := answer_for(self.entries.get, centre, decision.item)):
            # no guide here, but the referral list knows where it is handled (knowledge/data/elsewhere/)
            messages = [BotMessage(t) for t in render_text(answer, self.settings.answer.max_message_bytes)]
            messages.append(BotMessage(replies.handled_elsewhere(centre)))
        else:
            messages = [BotMessage(replies.out_of_scope(centre))]
        return Turn(understanding, decision, messages, answer)

    def _bundled_items(self, slug: str) -> list[Button]:
        """A 一件事's answer is its overview; a button per bundled item leads into each one."""
        event = self.entries.get(slug)
        if not isinstance(event, LifeEvent):
            return []
        return [Button(self.entries[item].name, payload("choose_option", item=item))
                for item in event.items if item in self.entries]

    def _clarify(self, decision: Decision) -> BotMessage:
        names = [(slug, self.entries[slug].name) for slug in decision.candidates if slug in self.entries]
        if not names:
            return BotMessage(replies.NO_CONTEXT)
        buttons = [Button(name, payload("choose_option", item=slug)) for slug, name in names]
        if len(names) == 1:
            text = replies.CLARIFY_ONE.format(name=names[0][1])
            return BotMessage(text, [*buttons, Button(replies.NOT_THESE, payload("deny"))])
        more = "、".join(self.entries[slug].name for slug in decision.more if slug in self.entries)
        return BotMessage(replies.CLARIFY + (replies.CLARIFY_MORE.format(names=more) if more else ""), buttons)


def load_entries(directories: list[Path]) -> dict[str, Entry]:
    """Entries of several knowledge directories (e.g. the sample guides plus an imported FAQ)."""
    entries: dict[str, Entry] = {}
    for directory in directories:
        result = load_directory(directory)
        if result.errors:
            raise ValueError(f"{directory}: {len(result.errors)} errors; run daoban kb validate")
        entries.update(result.entries)
    return entries


def build_assistant(settings: Settings, directories: list[Path] | None = None) -> Assistant:
    entries = load_entries(directories or [settings.knowledge.data_dir])
    return Assistant(entries, settings, build_understander(entries, settings.nlu, settings.store.database_url))
