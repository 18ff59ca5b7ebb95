"""What retrieval knows of each guide: its name, aliases, example questions and keywords.

Only the words people use to *ask* for a guide are indexed, not its body: material names
such as 身份证 appear in dozens of guides and would drown the signal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from knowledge.schema import Entry, FaqEntry, LifeEvent, ServiceItem
from nlu.normalize import normalize

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")


def entry_passages(entry: Entry) -> list[str]:
    """Normalised, de-duplicated texts that name or ask for ``entry``, name first: its names,
    example questions, the questions of its own FAQ, and an imported FAQ's keywords."""
    texts = [entry.name, *entry.aliases, *entry.examples]
    if isinstance(entry, ServiceItem | LifeEvent):
        texts.extend(pair.q for pair in entry.faq)
    if isinstance(entry, FaqEntry) and entry.keywords:
        texts.append("、".join(entry.keywords))
    return list(dict.fromkeys(t for t in (normalize(text).text for text in texts) if t))


def all_passages(entries: Mapping[str, Entry]) -> tuple[list[str], list[str]]:
    """Parallel lists (slug of each passage, passage text) over the whole knowledge base."""
    owners, texts = [], []
    for slug, entry in entries.items():
        for text in entry_passages(entry):
            owners.append(slug)
            texts.append(text)
    return owners, texts


def char_bigrams(text: str) -> list[str]:
    return [run[i:i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]
