"""Fusing the channels: each score is mapped onto 0–1 with calibrated bounds (``config.yml``
``nlu.retrieval``), then weighted; a guide named outright in the question gets a bonus."""

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


class HybridRetriever:
    def __init__(self, lexical: LexicalIndex, dense: DenseIndex | None, settings: RetrievalSettings) -> None:
        self.lexical, self.dense, self.settings = lexical, dense, settings
        self.slugs = lexical.slugs
        self.position = {slug: i for i, slug in enumerate(self.slugs)}

    def rank(self, text: str, named: Collection[str] = (), limit: int | None = None) -> list[Candidate]:
        s = self.settings
        lexical = self.lexical.scores(text)
        fused = np.clip(lexical / s.lexical_full, 0, 1)
        dense = np.zeros_like(lexical)
        if self.dense is not None and text:
            dense = self.dense.scores(text)
            dense_part = np.clip((dense - s.dense_floor) / (s.dense_full - s.dense_floor), 0, 1)
            fused = s.dense_weight * dense_part + (1 - s.dense_weight) * fused
        for slug in named:
            if slug in self.position:
                fused[self.position[slug]] += s.entity_bonus
        fused = np.clip(fused, 0, 1)
        top = np.argsort(-fused, kind="stable")[: limit or s.candidates]
        return [Candidate(self.slugs[i], float(fused[i]), float(lexical[i]), float(dense[i])) for i in top]
