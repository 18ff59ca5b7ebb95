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
# A ``regex: section_<name>[_weak]`` of the training data adds cue patterns the same way; its
# matches only pick the section (the words inside still say what the question is about).
WEAK_SUFFIX = "_weak"


def _table_section(name: str) -> tuple[str, bool] | None:
    """The section a ``section_<name>[_weak]`` table names, and whether its cues are weak."""
    section = name.removeprefix(LOOKUP_PREFIX).removesuffix(WEAK_SUFFIX)
    return (section, name.endswith(WEAK_SUFFIX)) if name.startswith(LOOKUP_PREFIX) and section in SECTIONS else None


class SectionDetector:
    def __init__(self, lookups: Mapping[str, list[str]], regexes: Mapping[str, list[str]] | None = None) -> None:
        """``lookups``: cue words per ``section_*`` table; ``regexes``: cue patterns per
        ``section_*`` regex (能只办预包装备案吗: a yes-or-no "can I" question asks about conditions)."""
        cues: dict[str, str] = {}
        weak: set[str] = set()
        for name, words in lookups.items():
            table = _table_section(name)
            for word in words if table else ():
                cue = normalize(word).text
                if cue and cue not in cues:
                    cues[cue] = table[0]
                    if table[1]:
                        weak.add(cue)
        self.cues, self.weak = cues, frozenset(weak)
        alternatives = sorted(cues, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None
        self.patterns = [(re.compile(pattern), *table) for name, patterns in (regexes or {}).items()
                         if (table := _table_section(name)) for pattern in patterns]

    def detect(self, text: str) -> tuple[str | None, bool]:
        """The section ``text`` asks about first (one named by a strong cue before any named only
        by weak ones), and whether only weak cues name it (怎么申请, 还能报吗 say little: a follow-up
        reading must not override a fresh answer about another guide on their word alone)."""
        found = [(m.start(), self.cues[m.group(0)], m.group(0) in self.weak)
                 for m in (self.pattern.finditer(text) if self.pattern is not None else ())]
        found += [(m.start(), section, weak)
                  for pattern, section, weak in self.patterns for m in pattern.finditer(text)]
        found.sort(key=lambda match: match[0])
        strong = [section for _, section, weak in found if not weak]
        if strong:
            return strong[0], False
        return (found[0][1], True) if found else (None, False)
