"""What retrieval knows of each guide: its name, aliases, example questions and keywords.

Only the words people use to *ask* for a guide are indexed, not its body: material names
such as 身份证 appear in dozens of guides and would drown the signal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from knowledge.schema import Entry, FaqEntry, ServiceItem
from nlu.normalize import normalize

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
SLUG_KIND_PREFIXES = frozenset({"faq", "event"})


def entry_passages(entry: Entry) -> list[str]:
    """Normalised, de-duplicated texts that name or ask for ``entry``, name first: its names,
    example questions, an item's own FAQ questions, and an imported FAQ's keywords.

    An event's FAQ is left out: it asks about single bundled items (刻公章要花钱吗), and those
    questions belong to the items."""
    texts = [entry.name, *entry.aliases, *entry.examples, english_label(entry.slug)]
    if isinstance(entry, ServiceItem):
        texts.extend(pair.q for pair in entry.faq)
    if isinstance(entry, FaqEntry) and entry.keywords:
        texts.append("、".join(entry.keywords))
    return list(dict.fromkeys(t for t in (normalize(text).text for text in texts) if t))


def english_label(slug: str) -> str:
    """The catalogue slugs are English names (no-crime-cert, id-card-reissue): as words they
    give English questions something to match. Imported slugs (tpe-GIP_123) give nothing."""
    parts = slug.split("-")
    if not all(part.isalpha() and part.islower() for part in parts):
        return ""
    return " ".join(part for part in parts if part not in SLUG_KIND_PREFIXES)


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
