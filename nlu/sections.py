"""Which part of a guide a question asks about (fee, materials, …), from cue-word lookup tables.

The cues are the ``section_*`` lookup tables of the Rasa training data, so centres tune them
without code. Plain substring matching: cues like 多少钱 are unambiguous and typo-tolerant
enough, and matching must not depend on how jieba happened to cut the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, get_args

from nlu.normalize import normalize

Section = Literal["materials", "conditions", "process", "time_limit", "fee", "location", "hours", "online"]
SECTIONS: tuple[str, ...] = get_args(Section)
LOOKUP_PREFIX = "section_"
# "How do I do it" cues are the weakest: any other section named in the same question wins.
WEAK = frozenset({"process"})


class SectionDetector:
    def __init__(self, lookups: Mapping[str, list[str]]) -> None:
        cues: dict[str, str] = {}
        for name, words in lookups.items():
            section = name.removeprefix(LOOKUP_PREFIX)
            if name.startswith(LOOKUP_PREFIX) and section in SECTIONS:
                for word in words:
                    cue = normalize(word).text
                    if cue:
                        cues.setdefault(cue, section)
        self.cues = cues
        alternatives = sorted(cues, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None

    def sections(self, text: str) -> list[str]:
        """Sections named in ``text``, in order of first mention, weak ones last."""
        if self.pattern is None:
            return []
        found = list(dict.fromkeys(self.cues[m.group(0)] for m in self.pattern.finditer(text)))
        return [s for s in found if s not in WEAK] + [s for s in found if s in WEAK]

    def section(self, text: str) -> str | None:
        found = self.sections(text)
        return found[0] if found else None
