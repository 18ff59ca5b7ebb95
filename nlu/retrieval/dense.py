"""The dense channel: every passage embedded once (cached), a faiss inner-product index, and a
guide's score is its best passage's cosine similarity to the question."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import faiss
import numpy as np

from knowledge.schema import Entry
from nlu.retrieval.embedding_cache import EmbeddingCache
from nlu.retrieval.encoders import Encoder
from nlu.retrieval.passages import all_passages

QUERY_CACHE_SIZE = 4096  # citizens repeat the same short questions; their vectors are reused


class DenseIndex:
    def __init__(self, entries: Mapping[str, Entry], encoder: Encoder, cache: EmbeddingCache,
                 neighbours: int = 64) -> None:
        self.encoder = encoder
        self.slugs = list(entries)
        position = {slug: i for i, slug in enumerate(self.slugs)}
        owners, texts = all_passages(entries)
        self.owner = np.asarray([position[slug] for slug in owners], dtype=np.int64)
        vectors = cache.embed(encoder.name, texts, encoder.passages, encoder.dimension)
        self.embedded = cache.last_embedded
        self.index = faiss.IndexFlatIP(encoder.dimension)
        if len(vectors):
            self.index.add(vectors)
        self.neighbours = min(neighbours, max(len(texts), 1))
        self.query_vector = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._query_vector)

    def _query_vector(self, text: str) -> np.ndarray:
        return self.encoder.queries([text])

    def scores(self, text: str) -> np.ndarray:
        """Per guide, the best cosine similarity among its nearest passages (0 when none is near)."""
        result = np.zeros(len(self.slugs), dtype=np.float32)
        if self.index.ntotal == 0:
            return result
        similarities, ids = self.index.search(self.query_vector(text), self.neighbours)
        for similarity, passage in zip(similarities[0], ids[0], strict=True):
            if passage >= 0:
                owner = self.owner[passage]
                result[owner] = max(result[owner], similarity)
        return result
