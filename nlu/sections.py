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
# Cues of a ``section_<name>_weak`` table are the weakest: "how do I do it" (怎么办理, 怎么申请)
# loses to any other section named in the same question; 流程 or 步骤 are cues like any other.
WEAK_SUFFIX = "_weak"


class SectionDetector:
    def __init__(self, lookups: Mapping[str, list[str]]) -> None:
        cues: dict[str, str] = {}
        weak: set[str] = set()
        for name, words in lookups.items():
            section = name.removeprefix(LOOKUP_PREFIX).removesuffix(WEAK_SUFFIX)
            if name.startswith(LOOKUP_PREFIX) and section in SECTIONS:
                for word in words:
                    cue = normalize(word).text
                    if cue and cue not in cues:
                        cues[cue] = section
                        if name.endswith(WEAK_SUFFIX):
                            weak.add(cue)
        self.cues, self.weak = cues, frozenset(weak)
        alternatives = sorted(cues, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None

    def sections(self, text: str) -> list[str]:
        """Sections named in ``text``, in order of first mention; those named only by weak cues last."""
        matches = [m.group(0) for m in self.pattern.finditer(text)] if self.pattern is not None else []
        strong = [self.cues[cue] for cue in matches if cue not in self.weak]
        return list(dict.fromkeys(strong + [self.cues[cue] for cue in matches]))

    def section(self, text: str) -> str | None:
        found = self.sections(text)
        return found[0] if found else None
