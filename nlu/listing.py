"""A message that is only a list of things (结婚证离婚证, 出生证明和户口, 社保卡/医保卡): it names
what it is about but not the errand, and not even one thing, so the bot asks back rather than
answer its best guess.

The things are the knowledge's own: every guide's name and aliases (errands), the materials the
guides ask for (documents), the synonym table's terms (户口本, 社保卡) and the ``thing`` lookup
table for words citizens use that the guides never write alone (户口, 社保). Two-character
materials are left out: most are pieces of longer names (申请, 备案), not things.
"""

from __future__ import annotations

from collections.abc import Iterable

# What may join the things of a list: 和, 跟, 与, 及, 或, 还有, 以及, 或者, punctuation and spaces.
SEPARATORS = frozenset({*",/ ;和跟与及或", "还有", "以及", "或者"})
SHORTEST_MATERIAL = 3


class ListingDetector:
    def __init__(self, errands: Iterable[str], materials: Iterable[str], words: Iterable[str]) -> None:
        self.things = frozenset({*errands, *words, *(m for m in materials if len(m) >= SHORTEST_MATERIAL)} - {""})
        self.longest = max(map(len, self.things | SEPARATORS))

    def is_listing(self, text: str) -> bool:
        """Two or more things and nothing else (the text is normalised: ASCII punctuation).

        Dynamic programming over the text, not one regular expression: a term that is two
        other terms (离婚登记申请书 = 离婚登记 + 申请书) would make a regex backtrack through every
        way of cutting a long hostile message; this stays linear in its length."""
        text = text.rstrip("?.!")
        most = [-1] * (len(text) + 1)  # the most things a cut of text[:i] into things and separators holds
        most[0] = 0
        for start in range(len(text)):
            if most[start] < 0:
                continue
            for end in range(start + 1, min(len(text), start + self.longest) + 1):
                piece = text[start:end]
                if piece in self.things:
                    most[end] = max(most[end], most[start] + 1)
                elif piece in SEPARATORS and start > 0:
                    most[end] = max(most[end], most[start])
        return most[-1] >= 2
