"""What the dense channel embeds of a message: its words without fillers, and only the end.

The encoder costs about 1 ms per token on one core, so every token saved is time saved.
Fillers (我, 的, 了, 请问 … from the ``filler`` lookup table) carry nothing that finds a guide;
a rambling message asks its question last, so only the words in the last ``max_chars``
characters of what remains are kept. Measured in docs/understanding.md (``bench/dense_query_length.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection


def _latin(word: str) -> bool:
    return word[:1].isascii() and word[:1].isalnum()


def join_words(words: list[str]) -> str:
    """Chinese words run together; Latin words (English questions, numbers) keep a space."""
    text = ""
    for word in words:
        if text and _latin(text[-1]) and _latin(word):
            text += " "
        text += word
    return text


class DenseQuery:
    def __init__(self, words: Callable[[str], list[str]], fillers: Collection[str], max_chars: int) -> None:
        self.words, self.fillers, self.max_chars = words, frozenset(fillers), max_chars

    def __call__(self, text: str) -> str:
        """The last words that fit in ``max_chars`` (a single longer word is cut from the left)."""
        words = [word for word in self.words(text) if word not in self.fillers] or [text]  # 嗯嗯: as it is
        tail: list[str] = []
        for word in reversed(words):
            if tail and len(join_words([word, *tail])) > self.max_chars:
                break
            tail.insert(0, word)
        return join_words(tail)[-self.max_chars:]
