"""Entities with a spaCy ``zh`` pipeline: our jieba segmenter, regex entities and a gazetteer ruler.

No downloaded model: ``spacy.blank("zh")`` with the knowledge-aware jieba tokenizer, a
regex component fed by the ``regex:`` blocks of the Rasa training data (phone numbers, ID
numbers, dates) and an ``entity_ruler`` built from the knowledge gazetteer (items, events,
documents, departments) and the ``district`` lookup table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlu.segment import Segmenter
from nlu.vocabulary import Vocabulary

# Vocabulary category → entity label; FAQ keywords are retrieval cues, not entities.
CATEGORY_LABELS = {"item": "ITEM", "event": "EVENT", "faq": "FAQ", "document": "DOCUMENT",
                   "department": "DEPARTMENT"}
# Which category wins when one term is several things (a material that is also an alias).
LABEL_PRIORITY = ("ITEM", "EVENT", "FAQ", "DOCUMENT", "DEPARTMENT")
REGEX_LABELS = {"phone_number": "PHONE", "id_number": "ID_NUMBER", "date": "DATE"}
PERSONAL_LABELS = frozenset({"PHONE", "ID_NUMBER"})


@dataclass(frozen=True)
class Entity:
    label: str
    text: str
    start: int  # character offsets in the normalised text
    end: int
    ids: tuple[str, ...] = ()  # slugs an ITEM/EVENT/FAQ term names


class KnowledgeTokenizer:
    """spaCy tokenizer that cuts with our jieba segmenter, so guide terms stay whole tokens.

    Text matching a ``protected`` pattern (phone, ID number, date) becomes one token of its own,
    so those entities never share a token with a neighbouring word (22日去 → 22日 | 去).
    """

    def __init__(self, vocab: spacy.vocab.Vocab, segmenter: Segmenter, protected: re.Pattern[str] | None) -> None:
        self.vocab = vocab
        self.segmenter = segmenter
        self.protected = protected

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        start = 0
        for match in self.protected.finditer(text) if self.protected else ():
            words.extend(self._cut(text[start:match.start()]))
            words.append(match.group(0))
            start = match.end()
        words.extend(self._cut(text[start:]))
        return Doc(self.vocab, words=words, spaces=[False] * len(words))

    def _cut(self, text: str) -> list[str]:
        return [word for word in self.segmenter.tokenizer.lcut(text, HMM=True) if word] if text else []


class RegexEntities:
    """Pipeline component: labelled regular expressions on the characters, snapped to tokens."""

    def __init__(self, patterns: Mapping[str, list[str]]) -> None:
        self.patterns = [(label, re.compile(p)) for label, ps in patterns.items() for p in ps]

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for label, pattern in self.patterns:
            for match in pattern.finditer(doc.text):
                span = doc.char_span(match.start(), match.end(), label=label, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        doc.ents = spacy.util.filter_spans([*doc.ents, *spans])
        return doc


def build_entity_pipeline(vocabulary: Vocabulary, segmenter: Segmenter, regexes: Mapping[str, list[str]],
                          districts: list[str]) -> Language:
    nlp = spacy.blank("zh")
    patterns = {REGEX_LABELS[name]: ps for name, ps in regexes.items() if name in REGEX_LABELS}
    alternatives = "|".join(f"(?:{p})" for ps in patterns.values() for p in ps)
    nlp.tokenizer = KnowledgeTokenizer(nlp.vocab, segmenter, re.compile(alternatives) if alternatives else None)
    nlp.add_pipe("daoban_regex_entities", config={"patterns": patterns})
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": False})
    rules = []
    for term, categories in vocabulary.terms.items():
        labels = [CATEGORY_LABELS[c] for c in categories if c in CATEGORY_LABELS]
        if labels:
            label = min(labels, key=LABEL_PRIORITY.index)
            rules.append({"label": label, "pattern": term, "id": term})
    rules.extend({"label": "DISTRICT", "pattern": name, "id": name} for name in districts)
    with nlp.select_pipes(enable=[]):
        ruler.add_patterns(rules)
    return nlp


@Language.factory("daoban_regex_entities", default_config={"patterns": {}})
def _regex_entities(nlp: Language, name: str, patterns: dict[str, list[str]]) -> RegexEntities:
    return RegexEntities(patterns)


class EntityRecognizer:
    def __init__(self, vocabulary: Vocabulary, segmenter: Segmenter, regexes: Mapping[str, list[str]],
                 districts: list[str]) -> None:
        self.nlp = build_entity_pipeline(vocabulary, segmenter, regexes, districts)
        self.owners = vocabulary.owners

    def entities(self, text: str) -> list[Entity]:
        doc = self.nlp(text)
        return [Entity(label=span.label_, text=span.text, start=span.start_char, end=span.end_char,
                       ids=tuple(sorted(self.owners.get(span.text, ()))))
                for span in doc.ents]
