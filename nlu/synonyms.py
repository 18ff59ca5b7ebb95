"""Synonyms from the Rasa training data (房本 → 不动产权证书): the question is expanded with the
canonical term, so both the citizen's word and the guide's word can match."""

from __future__ import annotations

import re
from collections.abc import Mapping

from nlu.normalize import normalize


class SynonymExpander:
    def __init__(self, synonyms: Mapping[str, str]) -> None:
        self.canonical = {normalize(v).text: normalize(c).text for v, c in synonyms.items()}
        self.canonical = {v: c for v, c in self.canonical.items() if v and c and v != c}
        terms = sorted({*self.canonical, *self.canonical.values()}, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, terms))) if terms else None

    def expand(self, text: str) -> str:
        """``text`` plus the canonical form of each variant in it that the text does not already hold."""
        if self.pattern is None:
            return text
        found = [self.canonical[m.group(0)] for m in self.pattern.finditer(text) if m.group(0) in self.canonical]
        extra = [term for term in dict.fromkeys(found) if term not in text]
        return " ".join([text, *extra])
