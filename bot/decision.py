"""What to do with an understood message: answer, ask back, hand off, chat, or say honestly
that no guide covers it. Rules and thresholds come from ``config.yml`` ``decision``.

A wrong confident answer from a government assistant is worse than none, so the bot
answers only when the best guide is both good enough and clearly ahead of the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from daoban.settings import DecisionSettings
from nlu.pipeline import Understanding
from nlu.retrieval.hybrid import Candidate

Outcome = Literal["answer", "clarify", "handoff", "out_of_scope", "smalltalk"]
Target = Literal["hotline", "agent"]


@dataclass
class Decision:
    outcome: Outcome
    item: str | None = None
    section: str | None = None
    candidates: list[str] = field(default_factory=list)
    target: Target | None = None
    confidence: float = 0.0
    intent: str | None = None

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "item": self.item, "section": self.section,
                "candidates": self.candidates, "target": self.target,
                "confidence": round(self.confidence, 3), "intent": self.intent}


def _cue_target(u: Understanding, cues: dict[str, list[str]]) -> Target | None:
    """Explicit words (转人工, 投诉, 举报) always hand off, whatever the classifier thinks."""
    for target, words in cues.items():
        if any(word in u.text for word in words):
            return target  # type: ignore[return-value]
    return None


def prefer_items_over_bundles(u: Understanding, candidates: list[Candidate], bundles: Mapping[str, list[str]],
                              bundle_cues: list[str], margin: float) -> list[Candidate]:
    """A question about one thing (刻章, 食品经营许可) is about that item even when a 一件事
    bundle containing it ranks first; only bundle words (全套, 一起办, 要办哪些) keep the bundle."""
    if not candidates or candidates[0].slug not in bundles or any(cue in u.text for cue in bundle_cues):
        return candidates
    top, items = candidates[0], set(bundles[candidates[0].slug])
    for candidate in candidates[1:]:
        if candidate.slug in items and top.score - candidate.score <= margin:
            promoted = replace(candidate, score=top.score)
            return [promoted, *(c for c in candidates if c.slug != candidate.slug)]
    return candidates


def decide(u: Understanding, settings: DecisionSettings, handoff_cues: dict[str, list[str]],
           bundles: Mapping[str, list[str]] | None = None, bundle_cues: list[str] | None = None) -> Decision:
    intent, confidence = u.intent, u.intent_confidence
    candidates = prefer_items_over_bundles(u, u.candidates, bundles or {}, bundle_cues or [], settings.bundle_margin)
    top = candidates[0] if candidates else None
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0

    target = _cue_target(u, handoff_cues)
    if target is None and confidence >= settings.intent_threshold:
        target = settings.handoff_intents.get(intent)
    if target is not None:
        return Decision("handoff", target=target, confidence=confidence, intent=intent,
                        candidates=[c.slug for c in candidates[:settings.max_options]])

    # A short question ("医保", "开公司") names a topic, not an item: it needs a clearer lead.
    margin = settings.short_question_margin if len(u.text) <= settings.short_question_chars else settings.answer_margin
    if top is not None and top.score >= settings.answer_threshold and top.score - runner_up >= margin:
        return Decision("answer", item=top.slug, section=u.section, confidence=top.score, intent=intent,
                        candidates=[c.slug for c in candidates[:settings.max_options]])

    if intent in settings.smalltalk_intents and confidence >= settings.intent_threshold:
        return Decision("smalltalk", confidence=confidence, intent=intent)

    if intent in settings.out_of_scope_intents and confidence >= settings.intent_threshold:
        return Decision("out_of_scope", confidence=confidence, intent=intent,
                        candidates=[c.slug for c in candidates[:settings.max_options]])

    if top is not None and top.score >= settings.clarify_threshold:
        close = [c for c in candidates if top.score - c.score <= settings.clarify_margin]
        # One close option too: "您是要办理 X 吗？" is safer than a shaky answer.
        return Decision("clarify", section=u.section, candidates=[c.slug for c in close[:settings.max_options]],
                        confidence=top.score, intent=intent)

    return Decision("out_of_scope", confidence=1 - (top.score if top else 0.0), intent=intent,
                    candidates=[c.slug for c in candidates[:settings.max_options]])
