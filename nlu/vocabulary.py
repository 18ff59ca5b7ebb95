"""The knowledge vocabulary: every term the guides use, for typo repair, jieba and entity rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from knowledge.schema import Entry, FaqEntry, LifeEvent, ServiceItem
from nlu.normalize import normalize, simplified

_HAN_TERM = re.compile(r"^[\u4e00-\u9fff]{2,12}$")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_LEVEL_PREFIX = re.compile(r"^[区市县镇](?=..{3})")
_SPLIT = re.compile(r"[（()）、，,；;：:/\s]+")
SHARED_BY = 2  # a name piece found in more guides' names than this names none of them


@dataclass
class Vocabulary:
    """Terms by category (item, event, document, department…); a term may carry several."""

    terms: dict[str, set[str]] = field(default_factory=dict)
    owners: dict[str, set[str]] = field(default_factory=dict)  # item/event/faq term → slugs it names

    def add(self, term: str, category: str, owner: str | None = None) -> None:
        term = normalize(term).text  # the canonical form understanding sees (simplified, folded)
        if _HAN_TERM.match(term):
            self.terms.setdefault(term, set()).add(category)
            if owner:
                self.owners.setdefault(term, set()).add(owner)

    def words(self) -> list[str]:
        return sorted(self.terms)


def _pieces(text: str) -> Iterable[str]:
    """A name and its bracket-free parts: "居民身份证补领（遗失）" → itself, "居民身份证补领", "遗失"."""
    yield text
    yield from (piece for piece in _SPLIT.split(text) if piece)


def _shared_pieces(entries: Mapping[str, Entry]) -> set[str]:
    """Name pieces that more than ``SHARED_BY`` guides' names contain: 申请 out of
    职工正常退休（职）申请 names no guide in particular, 退休申请 does."""
    names = [" ".join((entry.name, *entry.aliases)) for entry in entries.values()]
    pieces = {normalize(piece).text for entry in entries.values() for text in (entry.name, *entry.aliases)
              for piece in _SPLIT.split(text) if piece and piece != text}
    return {piece for piece in pieces if sum(piece in name for name in names) > SHARED_BY}


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def written_words(entries: Mapping[str, Entry], split: Callable[[str], Iterable[str]], length: int = 2) -> set[str]:
    """The words of ``length`` characters the guides write, answers included, as ``split`` cuts
    them: a word the knowledge itself uses is no typo here (设籍, household registration, in a
    Taipei FAQ), while characters that only meet across a word boundary (通过|护士) still may be."""
    words: set[str] = set()
    for entry in entries.values():
        text = simplified(" ".join(_strings(entry.model_dump(mode="json"))))
        for run in _HAN_RUN.findall(text):
            words.update(word for word in split(run) if len(word) == length)
    return words


def build_vocabulary(entries: Mapping[str, Entry]) -> Vocabulary:
    vocabulary = Vocabulary()
    shared = _shared_pieces(entries)
    for entry in entries.values():
        category = {"item": "item", "event": "event", "faq": "faq"}[entry.kind]
        for text in (entry.name, *entry.aliases):
            for piece in _pieces(text):
                owned = piece == text or normalize(piece).text not in shared
                vocabulary.add(piece, category, entry.slug if owned else None)
        if isinstance(entry, ServiceItem | LifeEvent):
            for piece in _pieces(entry.department):
                vocabulary.add(piece, "department")
                vocabulary.add(_LEVEL_PREFIX.sub("", piece), "department")  # 区市场监督管理局 → 市场监督管理局
        if isinstance(entry, ServiceItem):
            for material in entry.materials:
                for piece in _pieces(material.name):
                    vocabulary.add(piece, "document")
        if isinstance(entry, FaqEntry):
            for keyword in entry.keywords:
                vocabulary.add(keyword, "keyword")
    return vocabulary
