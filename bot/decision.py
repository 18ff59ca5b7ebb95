"""What to do with an understood message: answer, ask back, hand off, chat, or say honestly
that no guide covers it. Rules and thresholds come from ``config.yml`` ``decision``.

A wrong confident answer from a government assistant is worse than none, so the bot
answers only when the decision model (``bot/decision_model.py``) is confident enough that
the best guide is the right one; otherwise it asks back or says no guide covers it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

from bot.decision_model import ANSWER, OUT_OF_SCOPE, DecisionModel, features
from daoban.settings import DecisionSettings
from knowledge.schema import Frequency
from nlu.pipeline import Understanding
from nlu.retrieval.hybrid import Candidate

Outcome = Literal["answer", "clarify", "handoff", "out_of_scope", "smalltalk"]
Target = Literal["hotline", "agent"]
FREQUENCY_SIGN: dict[Frequency, int] = {"high": 1, "normal": 0, "low": -1}  # a guide's frequency as a bonus's sign


@dataclass
class Decision:
    outcome: Outcome
    item: str | None = None
    section: str | None = None
    candidates: list[str] = field(default_factory=list)
    target: Target | None = None
    confidence: float = 0.0
    intent: str | None = None
    more: list[str] = field(default_factory=list)  # a clarify's topic guides beyond its buttons, named in text

    @property
    def options(self) -> list[str]:
        """Every guide a clarify offers: its buttons, then those it names in text."""
        return [*self.candidates, *self.more]

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "item": self.item, "section": self.section,
                "candidates": self.candidates, "target": self.target,
                "confidence": round(self.confidence, 3), "intent": self.intent, "more": self.more}


@dataclass(frozen=True)
class CandidateRules:
    """What the decision's rules know of the knowledge: the 一件事 bundles with their items, the
    words that ask for a bundle (全套, 一起办), which guides are service items, and which entries
    describe services handled elsewhere (knowledge/data/elsewhere/)."""

    bundles: Mapping[str, list[str]] = field(default_factory=dict)
    bundle_cues: list[str] = field(default_factory=list)
    items: Collection[str] = frozenset()
    elsewhere: Collection[str] = frozenset()
    topics: Mapping[str, frozenset[str]] = field(default_factory=dict)  # guide → the words of its name
    frequency: Mapping[str, Frequency] = field(default_factory=dict)  # guide → how often it is handled (高频)

    @cached_property
    def frequency_signs(self) -> dict[str, int]:
        """Each guide's frequency as the sign of its topic bonus: +1 high, 0 normal, -1 low."""
        return {slug: FREQUENCY_SIGN[self.frequency.get(slug, "normal")] for slug in self.topics}

    @cached_property
    def topic_weights(self) -> dict[str, float]:
        """Each name word's weight, rarer across guide names weighing more (户口 over 登记)."""
        counts = Counter(word for words in self.topics.values() for word in words)
        return {word: math.log((1 + len(self.topics)) / count) for word, count in counts.items()}


def topic_options(text: str, candidates: list[Candidate], rules: CandidateRules, limit: int,
                  share: float, frequency_bonus: float = 0.0) -> list[str]:
    """Clarify options (at most ``limit``) for a question about a topic several guides share (户口怎么弄, 退休的事,
    不动产登记): the guides whose names carry most of the name words the question uses (weighted
    by rarity), any guide of the centre — the ranking may have missed them all (户口的手续去哪办) —
    among equals the best scored, a common errand (``frequency: high``) scoring ``frequency_bonus``
    more and a rare one (``low``) as much less (身份证: 补领 and 换领 before 临时; 用公积金买房: 贷款
    still before 租房), those the ranking missed last, commonest first; and only those carrying at
    least ``share`` of the best one's weight (社保卡: not 最低生活保障 for its 保障). Empty when fewer
    than two are left: then the guides closest in score are offered."""
    weights = rules.topic_weights
    words = {word for word in weights if word in text}
    scores = {c.slug: c.score for c in candidates}
    sign = rules.frequency_signs
    carried = [(-sum(weights[w] for w in words & names), -scores.get(slug, -math.inf) - sign[slug] * frequency_bonus,
                -sign[slug], slug)
               for slug, names in rules.topics.items() if slug not in rules.elsewhere]
    ranked = sorted(entry for entry in carried if entry[0] < 0)
    ranked = [entry for entry in ranked if entry[0] <= share * ranked[0][0]] if ranked else []
    return [slug for *_, slug in ranked[:limit]] if len(ranked) >= 2 else []


def cue_pattern(words: Collection[str], patterns: Collection[str] = ()) -> re.Pattern[str] | None:
    """One pattern for a cue's plain words (lookup table) and its regexes (建议 opening a
    message); ``None`` when it has neither."""
    parts = [re.escape(word) for word in words] + list(patterns)
    return re.compile("|".join(f"(?:{part})" for part in parts)) if parts else None


def _cue_target(u: Understanding, cues: Mapping[str, re.Pattern[str] | None]) -> Target | None:
    """Explicit words (转人工, 投诉, 举报, 建议… at the start) always hand off, whatever the
    classifier thinks."""
    for target, pattern in cues.items():
        if pattern is not None and pattern.search(u.text):
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
            return _promote(candidate, candidates)
    return candidates


def prefer_bundles_when_asked(u: Understanding, candidates: list[Candidate], bundles: Mapping[str, list[str]],
                              bundle_cues: list[str], margin: float, members: int) -> list[Candidate]:
    """The mirror image: "执照、食品证、消防那些能一起办吗" ranks one of the items first, but
    bundle words plus several of one bundle's items among the top candidates ask for the bundle,
    as do bundle words about the best item itself (开个有限公司所有手续一起弄)."""
    if not candidates or candidates[0].slug in bundles or not any(cue in u.text for cue in bundle_cues):
        return candidates
    top = candidates[0]
    for candidate in candidates[1:3]:
        if candidate.slug in bundles and top.score - candidate.score <= margin:
            items = set(bundles[candidate.slug])
            if top.slug in items or sum(c.slug in items for c in candidates[:5]) >= members:
                return _promote(candidate, candidates)
    return candidates


def prefer_items_over_section_faqs(u: Understanding, candidates: list[Candidate], section_faqs: Mapping[str, str],
                                   items: Collection[str], margin: float) -> list[Candidate]:
    """A question about one item's hours or place (身份证换新礼拜六能办不, 交契税的窗口中午休息不)
    is about that item, even when the centre-wide FAQ on that section (周六值班, 午间服务) ranks
    first: an item the question names outright (among the top five), or one within ``margin``
    (second or third), wins, and its answer is focused on the section asked about."""
    if not candidates or u.section is None or section_faqs.get(candidates[0].slug) != u.section:
        return candidates
    top, named = candidates[0], u.named_slugs()
    for rank, candidate in enumerate(candidates[1:5], start=2):
        close = rank <= 3 and top.score - candidate.score <= margin
        if candidate.slug in items and (candidate.slug in named or close):
            return _promote(candidate, candidates)
    return candidates


def prefer_guides_over_referrals(candidates: list[Candidate], elsewhere: Collection[str],
                                 margin: float) -> list[Candidate]:
    """A guide of this centre within ``margin`` of a service handled elsewhere ranked first
    (公积金退休提取 under 离职提取, an imported police FAQ under the sample 报案 referral) is
    what the centre can answer: it goes first; the model still decides whether to answer it."""
    if len(candidates) < 2 or candidates[0].slug not in elsewhere:
        return candidates
    runner_up = candidates[1]
    if runner_up.slug not in elsewhere and candidates[0].score - runner_up.score <= margin:
        return _promote(runner_up, candidates)
    return candidates


def _promote(winner: Candidate, candidates: list[Candidate]) -> list[Candidate]:
    return [replace(winner, score=candidates[0].score), *(c for c in candidates if c.slug != winner.slug)]


def decide(u: Understanding, settings: DecisionSettings, model: DecisionModel,
           handoff_cues: Mapping[str, re.Pattern[str] | None],
           rules: CandidateRules | None = None) -> Decision:
    intent, confidence = u.intent, u.intent_confidence
    rules = rules or CandidateRules()
    target = _cue_target(u, handoff_cues)
    if target is None and confidence >= settings.intent_threshold:
        target = settings.handoff_intents.get(intent)
    candidates = settle_candidates(u, settings, rules)
    options = [c.slug for c in candidates[:settings.max_options]]
    if target is not None:
        # A cue word (投诉) may decide against the classifier's top intent: name the handoff by
        # the likeliest intent that leads there, so a work order says 投诉, not 求助.
        intent = next((name for name, _ in u.intents if settings.handoff_intents.get(name) == target), intent)
        return Decision("handoff", target=target, confidence=confidence, intent=intent, candidates=options)

    p = model.probabilities(features(u, candidates, settings.smalltalk_intents, rules.elsewhere)) if candidates else {}
    return decide_with(u, candidates, p, settings, rules)


def decide_with(u: Understanding, candidates: list[Candidate], p: dict[str, float],
                settings: DecisionSettings, rules: CandidateRules) -> Decision:
    """The decision once the model's probabilities ``p`` are known (cross-validation replays this)."""
    intent, confidence = u.intent, u.intent_confidence
    options = [c.slug for c in candidates[:settings.max_options]]
    elsewhere = bool(p) and candidates[0].slug in rules.elsewhere
    bare = u.section is not None and u.subject == []  # 要带什么, 在哪儿补: a section of nothing named
    answerable = bool(p) and not topic_only(u, candidates[0]) and not (
        bare and not centre_wide(candidates[0].slug, rules))
    if answerable and p[ANSWER] >= settings.answer_probability:
        if elsewhere:  # the best reading is a service this centre does not handle: say where it is handled
            return Decision("out_of_scope", item=candidates[0].slug, confidence=p[ANSWER], intent=intent,
                            candidates=options)
        return Decision("answer", item=candidates[0].slug, section=u.section, confidence=p[ANSWER], intent=intent,
                        candidates=options)

    if intent in settings.smalltalk_intents and confidence >= settings.intent_threshold:
        return Decision("smalltalk", confidence=confidence, intent=intent)

    if intent in settings.out_of_scope_intents and confidence >= settings.intent_threshold:
        return Decision("out_of_scope", confidence=confidence, intent=intent, candidates=options)

    if bare:  # only the centre's own FAQs (几点下班, 在哪) answer it: ask what the errand is, no guesses as buttons
        return Decision("clarify", section=u.section, confidence=confidence, intent=intent)

    # A question some guide more likely than not covers, but which the model will not answer
    # outright (ambiguous, or the best guide may be the wrong one), gets the close guides as
    # buttons; a single one as "您是要办理 X 吗？". When "no guide covers this" is still the
    # single likeliest reading, saying so beats buttons that are probably all wrong.
    # (No buttons when the best reading is a service handled elsewhere: no guide answers it.)
    if p and not elsewhere and p[OUT_OF_SCOPE] < 0.5 and p[OUT_OF_SCOPE] < max(p.values()):
        limit = settings.max_options
        topic = topic_options(u.search_text or u.text, candidates, rules, 2 * limit, settings.topic_share,
                              settings.topic_frequency_bonus)
        close = topic or [c.slug for c in candidates if candidates[0].score - c.score <= settings.clarify_margin
                          and c.slug not in rules.elsewhere]  # buttons lead to guides that answer
        if candidates[0].slug not in close:  # the best reading is always offered (外地户口想办个居证: 居住证,
            close = [candidates[0].slug, *close]  # then the 户口 guides)
        # A topic shared by more guides than there are buttons (身份证: four) names the rest in text.
        return Decision("clarify", section=u.section, candidates=close[:limit], confidence=1.0 - p[OUT_OF_SCOPE],
                        intent=intent, more=close[limit:2 * limit] if topic else [])

    target = settings.handoff_intents.get(intent)
    if target is not None and confidence >= settings.handoff_fallback_threshold:
        # no guide answers it, and its likeliest reading asks for a person or for 12345
        return Decision("handoff", target=target, confidence=confidence, intent=intent, candidates=options)
    return Decision("out_of_scope", confidence=p.get(OUT_OF_SCOPE, 1.0), intent=intent, candidates=options)


def topic_only(u: Understanding, best: Candidate) -> bool:
    """社保卡的事, 公司工商登记的事想问问: a topic, not an errand, so even a likely best guess is
    asked back; unless the topic is the best guide's own name (二手房过户登记的事). A list of
    things (结婚证离婚证, 出生证明和户口) is always asked back: which of them, and what about it?"""
    return u.listing or (u.topic_only and best.slug not in u.named_slugs())


def centre_wide(slug: str, rules: CandidateRules) -> bool:
    """A centre FAQ (办公时间, 中心地址): not a service item, a 一件事 or a service handled elsewhere."""
    return slug not in rules.items and slug not in rules.bundles and slug not in rules.elsewhere


def settle_candidates(u: Understanding, settings: DecisionSettings, rules: CandidateRules) -> list[Candidate]:
    """Candidates after the item-or-FAQ and item-or-bundle rules: what the decision model sees."""
    candidates = prefer_items_over_section_faqs(u, u.candidates, settings.section_faqs, rules.items,
                                                settings.section_faq_margin)
    candidates = prefer_guides_over_referrals(candidates, rules.elsewhere, settings.referral_margin)
    candidates = prefer_items_over_bundles(u, candidates, rules.bundles, rules.bundle_cues, settings.bundle_margin)
    return prefer_bundles_when_asked(u, candidates, rules.bundles, rules.bundle_cues,
                                     settings.bundle_question_margin, settings.bundle_question_members)
