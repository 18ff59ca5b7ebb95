"""Word segmentation with jieba, taught the knowledge vocabulary so guide terms stay whole."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import jieba

jieba.setLogLevel(logging.WARNING)
USER_WORD_FREQUENCY = 200_000  # high enough that a guide term wins over jieba's own split
RARE_WORD_FREQUENCY = 5  # jieba's dictionary holds slips as rare words too (注消, 3 times)


class Segmenter:
    """A private jieba tokenizer (the global one is shared by every importer of jieba)."""

    def __init__(self, user_words: Iterable[str]) -> None:
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        for word in user_words:
            self.tokenizer.add_word(word, freq=USER_WORD_FREQUENCY)

    def spans(self, text: str) -> list[tuple[int, str, bool]]:
        """Precise-mode words of ``text`` with their offsets, and whether jieba's dictionary knows
        each one (a word its HMM joined, or one it holds only as a rarity, is not known): where
        words begin and end, and where a typo repair may look at two characters."""
        found, start = [], 0
        for word in self.tokenizer.lcut(text):
            found.append((start, word, len(word) == 1 or self.tokenizer.FREQ.get(word, 0) >= RARE_WORD_FREQUENCY))
            start += len(word)
        return found

    def words(self, text: str) -> list[str]:
        """Precise-mode words, without spaces and punctuation."""
        return [w for w in self.tokenizer.lcut(text) if w.strip() and any(ch.isalnum() for ch in w)]

    def search_words(self, text: str) -> list[str]:
        """Search-mode words: long words also yield their known sub-words (for retrieval)."""
        return [w for w in self.tokenizer.lcut_for_search(text) if w.strip() and any(ch.isalnum() for ch in w)]

    def user_dictionary(self, words: Iterable[str]) -> str:
        """The generated user dictionary in jieba's file format, for inspection and reuse."""
        return "".join(f"{word} {USER_WORD_FREQUENCY}\n" for word in sorted(words))
