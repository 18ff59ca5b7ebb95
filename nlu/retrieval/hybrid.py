"""Fusing the channels: each score is mapped onto 0–1 with calibrated bounds (``config.yml``
``nlu.retrieval``), then weighted; a guide named outright in the question gets a bonus.

The dense channel costs most of a message's time (about 1.5 ms per token on one core), so
it is skipped when the lexical channel alone is decisive: a strong match well ahead of the
runner-up. ``dense_skip_at`` above 1 turns that off.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from daoban.settings import RetrievalSettings
from nlu.retrieval.dense import DenseIndex
from nlu.retrieval.lexical import LexicalIndex


@dataclass(frozen=True)
class Candidate:
    slug: str
    score: float  # fused, 0–1
    lexical: float  # raw channel scores, for reports and calibration
    dense: float


def lexical_part(lexical: np.ndarray, s: RetrievalSettings) -> np.ndarray:
    return np.clip(lexical / s.lexical_full, 0, 1)


def lexically_decisive(part: np.ndarray, s: RetrievalSettings) -> bool:
    if len(part) < 2:
        return len(part) == 1 and part[0] >= s.dense_skip_at
    first, second = np.partition(part, -2)[-1], np.partition(part, -2)[-2]
    return bool(first >= s.dense_skip_at and first - second >= s.dense_skip_margin)


def fuse(lexical: np.ndarray, dense: np.ndarray | None, named: Collection[int], s: RetrievalSettings) -> np.ndarray:
    """One 0–1 score per guide from the raw channel scores (``dense`` None: lexical alone)."""
    fused = lexical_part(lexical, s)
    if dense is not None:
        dense_part = np.clip((dense - s.dense_floor) / (s.dense_full - s.dense_floor), 0, 1)
        fused = s.dense_weight * dense_part + (1 - s.dense_weight) * fused
    for position in named:
        fused[position] += s.entity_bonus
    return np.clip(fused, 0, 1)


class HybridRetriever:
    def __init__(self, lexical: LexicalIndex, dense: DenseIndex | None, settings: RetrievalSettings) -> None:
        self.lexical, self.dense, self.settings = lexical, dense, settings
        self.slugs = lexical.slugs
        self.position = {slug: i for i, slug in enumerate(self.slugs)}

    def channel_scores(self, text: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw lexical scores, and dense ones unless there is no encoder or lexical is decisive."""
        lexical = self.lexical.scores(text)
        if self.dense is None or not text or lexically_decisive(lexical_part(lexical, self.settings), self.settings):
            return lexical, None
        return lexical, self.dense.scores(text)

    def named_positions(self, named: Collection[str]) -> list[int]:
        return [self.position[slug] for slug in named if slug in self.position]

    def rank(self, text: str, named: Collection[str] = ()) -> list[Candidate]:
        lexical, dense = self.channel_scores(text)
        return self.candidates(lexical, dense, self.named_positions(named), self.settings)

    def candidates(self, lexical: np.ndarray, dense: np.ndarray | None, named: Collection[int],
                   settings: RetrievalSettings) -> list[Candidate]:
        """The best ``settings.candidates`` guides by fused score (also used by calibration)."""
        fused = fuse(lexical, dense, named, settings)
        top = np.argsort(-fused, kind="stable")[: settings.candidates]
        return [Candidate(self.slugs[i], float(fused[i]), float(lexical[i]),
                          float(dense[i]) if dense is not None else float("nan")) for i in top]
