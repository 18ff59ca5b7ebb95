"""The lexical channel: BM25 (``bm25s``) over jieba words and character bigrams, one document
per guide. Bigrams keep a typo'd or unsegmented word partly matchable; words keep precision.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping

import bm25s
import numpy as np

from knowledge.schema import Entry
from nlu.retrieval.passages import char_bigrams, entry_passages

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on itself at import
Tokenize = Callable[[str], list[str]]


class LexicalIndex:
    def __init__(self, entries: Mapping[str, Entry], words: Tokenize) -> None:
        self.words = words
        self.slugs = list(entries)
        documents = [self.tokens(" ".join(entry_passages(entries[slug]))) for slug in self.slugs]
        self.bm25 = bm25s.BM25()
        self.bm25.index(documents or [[""]], show_progress=False)
        frequencies = Counter(token for document in documents for token in set(document))
        count = max(len(documents), 1)
        self.idf = {token: _idf(count, df) for token, df in frequencies.items()}
        self.share = {token: df / count for token, df in frequencies.items()}  # of guides using it
        self.unknown_idf = _idf(count, 0)

    def tokens(self, text: str) -> list[str]:
        return [*self.words(text), *char_bigrams(text)]

    def scores(self, text: str) -> np.ndarray:
        """Per guide, BM25 divided by the query's total idf: about 0 (nothing shared) to 1.

        Query tokens the knowledge base never uses count in the divisor at full weight, so a
        question about something uncovered scores low even when one common word matches.
        """
        query = list(dict.fromkeys(self.tokens(text)))
        if not query or not self.slugs:
            return np.zeros(len(self.slugs), dtype=np.float32)
        total = sum(self.idf.get(token, self.unknown_idf) for token in query)
        return np.asarray(self.bm25.get_scores(query), dtype=np.float32) / np.float32(total)


def _idf(documents: int, frequency: int) -> float:
    """Lucene's BM25 idf, the variant ``bm25s`` scores with by default."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
