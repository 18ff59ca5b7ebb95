"""Fusing the channels (lexical BM25, dense embeddings, the guide classifier): each score is
mapped onto 0–1 with calibrated bounds (``config.yml`` ``nlu.retrieval``), then weighted, the
weights of missing channels shared among the others; a guide named outright gets a bonus.

The dense channel costs most of a message's time (about 1 ms per token on one core), so it
embeds a compacted query (``dense_query``) and is skipped when the cheap channels already
agree (``dense_not_needed``); ``dense_skip_at`` above 1 and a large ``dense_skip_agreement``
turn skipping off.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np

from daoban.settings import RetrievalSettings
from nlu.retrieval.classifier import GuideClassifier
from nlu.retrieval.dense import DenseIndex
from nlu.retrieval.lexical import LexicalIndex

CHANNELS = ("lexical", "dense", "classifier")  # field names of ``Channels`` and ``Candidate``


@dataclass(frozen=True)
class Candidate:
    slug: str
    score: float  # fused, 0–1
    lexical: float  # raw channel scores, for reports, calibration and the decision model
    dense: float
    classifier: float = float("nan")


@dataclass(frozen=True)
class ChannelBest:
    """One channel's own favourite guide, its raw score and its lead over the channel's
    runner-up: whether the channels agree is evidence the decision model weighs."""

    slug: str
    score: float
    lead: float


def lexical_part(lexical: np.ndarray, s: RetrievalSettings) -> np.ndarray:
    return np.clip(lexical / s.lexical_full, 0, 1)


def _lead(scores: np.ndarray) -> tuple[int, float]:
    """Index of the best score and its lead over the runner-up."""
    if len(scores) < 2:
        return 0, float("inf")
    order = np.argsort(scores)
    return int(order[-1]), float(scores[order[-1]] - scores[order[-2]])


def dense_not_needed(channels: Channels, s: RetrievalSettings) -> bool:
    """The cheap channels already agree: a strong lexical lead the classifier does not dispute
    (中午办不办: one example of 离婚登记 says 办不办, the classifier claims 午间服务), or lexical and
    the classifier picking the same guide with a clear classifier margin."""
    if not len(channels.lexical):
        return True
    part = lexical_part(channels.lexical, s)
    best, lead = _lead(part)
    decisive = part[best] >= s.dense_skip_at and lead >= s.dense_skip_margin
    if channels.classifier is None:
        return decisive
    best_class, class_lead = _lead(channels.classifier)
    clear = class_lead >= s.dense_skip_agreement
    if decisive:
        # a dispute is a clear claim on another guide: a positive SVM margin (guides that are not
        # classes, such as imported FAQs, score 0) well ahead of the classifier's runner-up
        return best_class == best or not (clear and channels.classifier[best_class] > 0)
    return best_class == best and clear


def _scaled(scores: np.ndarray, floor: float, full: float) -> np.ndarray:
    return np.clip((scores - floor) / (full - floor), 0, 1)


@dataclass
class Channels:
    """Raw per-guide scores of each channel; ``None`` for a channel that did not run."""

    lexical: np.ndarray
    dense: np.ndarray | None = None
    classifier: np.ndarray | None = None


def fuse(channels: Channels, named: Collection[int], s: RetrievalSettings) -> np.ndarray:
    """One 0–1 score per guide from the raw channel scores."""
    parts = [(1 - s.dense_weight - s.classifier_weight, lexical_part(channels.lexical, s))]
    if channels.dense is not None:
        parts.append((s.dense_weight, _scaled(channels.dense, s.dense_floor, s.dense_full)))
    if channels.classifier is not None:
        parts.append((s.classifier_weight, _scaled(channels.classifier, s.classifier_floor, s.classifier_full)))
    total = sum(weight for weight, _ in parts) or 1.0
    fused = sum(weight * part for weight, part in parts) / total
    for position in named:
        fused[position] += s.entity_bonus
    return np.clip(fused, 0, 1)


class HybridRetriever:
    def __init__(self, lexical: LexicalIndex, dense: DenseIndex | None, classifier: GuideClassifier | None,
                 settings: RetrievalSettings, dense_query: Callable[[str], str]) -> None:
        self.lexical, self.dense, self.classifier, self.settings = lexical, dense, classifier, settings
        self.dense_query = dense_query  # what of a message the dense channel embeds (nlu/retrieval/dense_query.py)
        self.slugs = lexical.slugs
        self.position = {slug: i for i, slug in enumerate(self.slugs)}

    def channel_scores(self, text: str) -> Channels:
        """Raw scores of every channel; dense is skipped when lexical alone is decisive."""
        channels = Channels(self.lexical.scores(text))
        if self.classifier is not None:
            channels.classifier = self.classifier.scores(text)
        if self.dense is not None and text and not dense_not_needed(channels, self.settings):
            channels.dense = self.dense_scores(text)
        return channels

    def dense_scores(self, text: str) -> np.ndarray | None:
        """The dense channel (``None`` without an encoder), on ``dense_query(text)``."""
        return None if self.dense is None else self.dense.scores(self.dense_query(text))

    def named_positions(self, named: Collection[str]) -> list[int]:
        return [self.position[slug] for slug in named if slug in self.position]

    def candidates(self, channels: Channels, named: Collection[int], settings: RetrievalSettings) -> list[Candidate]:
        """The best ``settings.candidates`` guides by fused score (also used by calibration)."""
        fused = fuse(channels, named, settings)
        top = np.argsort(-fused, kind="stable")[: settings.candidates]
        def raw(scores: np.ndarray | None, i: int) -> float:
            return float(scores[i]) if scores is not None else float("nan")

        def classified(i: int) -> float:
            """The classifier's margin, unknown (not 0) for a guide it has no class for."""
            known = self.classifier is None or self.classifier.covered[i]
            return raw(channels.classifier, i) if known else float("nan")

        return [Candidate(self.slugs[i], float(fused[i]), float(channels.lexical[i]), raw(channels.dense, i),
                          classified(i)) for i in top]

    def channel_best(self, channels: Channels) -> dict[str, ChannelBest]:
        """Each channel that ran: its favourite guide and lead."""
        best = {}
        for name in CHANNELS:
            scores = getattr(channels, name)
            if scores is not None and len(scores):
                position, lead = _lead(scores)
                lead = lead if np.isfinite(lead) else 1.0  # a single guide: nothing to lead
                best[name] = ChannelBest(self.slugs[position], float(scores[position]), lead)
        return best
