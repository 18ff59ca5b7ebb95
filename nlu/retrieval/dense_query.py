"""What the dense channel embeds of a message: its words without fillers, and only the end.

The encoder costs about 1 ms per token on one core, so every token saved is time saved.
Fillers (我, 的, 了, 请问 … from the ``filler`` lookup table) carry nothing that finds a guide;
a rambling message asks its question last, so only the last words of what remains are kept,
up to ``max_chars`` tokens — a Chinese character or an English word each count as one, so
an English question keeps as much meaning as a Chinese one (counted in characters, 30 were
six English words). Measured in docs/understanding.md (``bench/dense_query_length.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection


def _latin(word: str) -> bool:
    return word[:1].isascii() and word[:1].isalnum()


def join_words(words: list[str]) -> str:
    """Chinese words run together; Latin words (English questions, numbers) keep a space."""
    text = ""
    for word in words:
        if text and text[-1].isascii() and not text[-1].isspace() and _latin(word):
            text += " "
        text += word
    return text


def units(word: str) -> int:
    """What a word costs the encoder, roughly: a token per Chinese character, one per Latin word."""
    return 1 if _latin(word) else len(word)


class DenseQuery:
    def __init__(self, words: Callable[[str], list[str]], fillers: Collection[str], max_chars: int) -> None:
        self.words, self.fillers, self.max_chars = words, frozenset(fillers), max_chars

    def __call__(self, text: str) -> str:
        """The last words that fit in ``max_chars`` units (a single longer word is cut from the left)."""
        words = [word for word in self.words(text) if word not in self.fillers] or [text]  # 嗯嗯: as it is
        tail: list[str] = []
        used = 0
        for word in reversed(words):
            if word.isspace():
                continue
            if tail and used + units(word) > self.max_chars:
                break
            tail.insert(0, word)
            used += units(word)
        query = join_words(tail)
        return query if len(tail) > 1 or _latin(query) else query[-self.max_chars:]
