"""The understanding pipeline: small components run in the order ``config.yml`` names them.

A message enters as raw text and leaves as an :class:`Understanding`: the normalised text,
entities, intent ranking, the guide section asked about and the ranked guide candidates.
Like spaCy's pipeline, each component does one thing and the list is configuration, so
the ablation study (docs/understanding.md) only edits that list.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from daoban.settings import NluSettings
from knowledge.schema import Entry
from nlu.entities import PERSONAL_LABELS, Entity, EntityRecognizer
from nlu.intents import ASK, IntentClassifier, training_examples
from nlu.listing import ListingDetector
from nlu.normalize import normalize
from nlu.privacy import mask_personal
from nlu.retrieval.classifier import GuideClassifier
from nlu.retrieval.dense import DenseIndex
from nlu.retrieval.dense_query import DenseQuery
from nlu.retrieval.embedding_cache import EmbeddingCache
from nlu.retrieval.encoders import Encoder, load_encoder
from nlu.retrieval.hybrid import Candidate, ChannelBest, HybridRetriever
from nlu.retrieval.lexical import LexicalIndex
from nlu.sections import SECTIONS, SectionDetector
from nlu.segment import Segmenter
from nlu.synonyms import SynonymExpander
from nlu.training_data import TrainingData, load_training_data
from nlu.typo import Repair, TypoRepairer
from nlu.vocabulary import build_vocabulary, written_words

log = logging.getLogger(__name__)
# "classify_guides" is not a step of its own: it adds the guide classifier to ``retrieve``.
GENERIC_SHARE = 0.2  # a word this share of the guides' asking texts use names no subject (怎么办, 需要)
FILLER_LOOKUP = "filler"  # words the dense channel leaves out (nlu/data/fillers.yml)
TOPIC_ONLY_REGEX = "topic_only"  # 社保卡的事: a topic as a whole, no errand named (nlu/data/nlu.yml)
THING_LOOKUP = "thing"  # 户口, 社保: things citizens name that the guides never write alone (nlu/data/nlu.yml)
COMPONENTS = ("repair_typos", "synonyms", "entities", "intents", "sections", "classify_guides", "retrieve")


@dataclass
class Understanding:
    original: str
    text: str  # normalised and repaired: what the models see
    repairs: list[Repair] = field(default_factory=list)
    search_text: str = ""  # ``text`` with synonyms expanded: what retrieval sees
    entities: list[Entity] = field(default_factory=list)
    intents: list[tuple[str, float]] = field(default_factory=lambda: [(ASK, 1.0)])
    section: str | None = None
    section_weak: bool = False  # the section is named only by weak cues (怎么申请, 还能报吗)
    subject: list[str] | None = None  # its words besides section cues and fillers (None: not looked at)
    topic_only: bool = False  # names a topic as a whole (社保卡的事, 生小孩相关的手续), not an errand
    listing: bool = False  # only lists things (结婚证离婚证, 出生证明和户口), no errand named
    candidates: list[Candidate] = field(default_factory=list)
    channel_best: dict[str, ChannelBest] = field(default_factory=dict)  # per retrieval channel

    @property
    def intent(self) -> str:
        return self.intents[0][0]

    @property
    def intent_confidence(self) -> float:
        return self.intents[0][1]

    @property
    def masked(self) -> str:
        """The original with ID and phone numbers masked: the only form fit for logs."""
        return mask_personal(self.original)

    def named_slugs(self) -> set[str]:
        return {slug for entity in self.entities for slug in entity.ids}

    def personal_entities(self) -> list[Entity]:
        return [entity for entity in self.entities if entity.label in PERSONAL_LABELS]


class Understander:
    """Built once per knowledge version; ``understand`` is then pure and thread-safe."""

    def __init__(self, entries: Mapping[str, Entry], settings: NluSettings, *,
                 training: TrainingData | None = None, encoder: Encoder | None = None,
                 cache: EmbeddingCache | None = None) -> None:
        unknown = [name for name in settings.pipeline if name not in COMPONENTS]
        if unknown:
            raise ValueError(f"unknown nlu pipeline components: {unknown}; known: {list(COMPONENTS)}")
        started = time.perf_counter()
        self.settings = settings
        self.entries = entries
        self.training = training or load_training_data(settings.training_data)
        vocabulary = build_vocabulary(entries)
        self.segmenter = Segmenter(vocabulary.words())
        self.repairer = TypoRepairer(vocabulary.words(), self.segmenter.search_words, self.segmenter.spans,
                                     written_words(entries, self.segmenter.words))
        self.synonyms = SynonymExpander(self.training.synonyms)
        self.recognizer = EntityRecognizer(vocabulary, self.segmenter, self.training.regexes,
                                           self.training.lookups.get("district", []))
        self.classifier = IntentClassifier(training_examples(self.training.intents, entries))
        self.sections = SectionDetector(self.training.lookups, self.training.regexes)
        self.topic_only = [re.compile(pattern) for pattern in self.training.regexes.get(TOPIC_ONLY_REGEX, [])]
        self.fillers = frozenset(self.training.lookups.get(FILLER_LOOKUP, []))
        self.listing = ListingDetector(
            [normalize(text).text for entry in entries.values() if entry.kind in ("item", "event")
             for text in (entry.name, *entry.aliases)],
            [term for term, categories in vocabulary.terms.items() if "document" in categories],
            [normalize(word).text for word in (*(w for pair in self.training.synonyms.items() for w in pair),
                                               *self.training.lookups.get(THING_LOOKUP, []))])
        dense = None
        if "retrieve" in settings.pipeline and encoder is not None and cache is not None:
            dense = DenseIndex(entries, encoder, cache)
            log.info("dense index: %d passages, %d newly embedded with %s",
                     dense.index.ntotal, dense.embedded, encoder.name)
        classifier = GuideClassifier(entries) if "classify_guides" in settings.pipeline else None
        dense_query = DenseQuery(self.segmenter.words, self.training.lookups.get(FILLER_LOOKUP, []),
                                 settings.retrieval.dense_query_chars)
        self.retriever = HybridRetriever(LexicalIndex(entries, self.segmenter.search_words), dense, classifier,
                                         settings.retrieval, dense_query)
        self.steps: list[Callable[[Understanding], None]] = [
            getattr(self, f"_{name}") for name in settings.pipeline if name != "classify_guides"]
        log.info("understanding ready: %d guides, pipeline %s, %.1f s", len(entries), settings.pipeline,
                 time.perf_counter() - started)

    @property
    def has_dense(self) -> bool:
        return self.retriever.dense is not None

    def understand(self, original: str) -> Understanding:
        text = normalize(original).text
        result = Understanding(original=original, text=text, search_text=text)
        for step in self.steps:
            step(result)
        return result

    def _repair_typos(self, u: Understanding) -> None:
        u.repairs = self.repairer.find(u.text)
        if u.repairs:
            u.text = self.repairer.repair(u.text)
            u.search_text = u.text

    def _synonyms(self, u: Understanding) -> None:
        u.search_text = self.synonyms.expand(u.text)

    def _entities(self, u: Understanding) -> None:
        u.entities = self.recognizer.entities(u.text)

    def _intents(self, u: Understanding) -> None:
        u.intents = self.classifier.rank(u.text) if u.text else [(ASK, 0.0)]

    def _sections(self, u: Understanding) -> None:
        u.section, u.section_weak = self.sections.detect(u.text)
        if u.section is None and u.intent.startswith("ask_") and u.intent[4:] in SECTIONS:
            u.section = u.intent[4:]
        u.subject = self.subject_words(u.text)
        u.topic_only = any(pattern.search(u.text) for pattern in self.topic_only)
        u.listing = self.listing.is_listing(u.text)

    def subject_words(self, text: str) -> list[str]:
        """What a message is about, if anything: its words of two or more characters (single ones
        are particles) outside its section cues, not fillers, and used by fewer than ``GENERIC_SHARE``
        of the guides' asking texts (not 什么, 怎么办, 办理): 刻章 in 刻章要钱吗, nothing in 在哪儿补."""
        pattern, share = self.sections.pattern, self.retriever.lexical.share
        cues = [m.span() for m in pattern.finditer(text)] if pattern is not None else []
        return [word for start, word, _ in self.segmenter.spans(text)
                if len(word) > 1 and any(ch.isalnum() for ch in word) and word not in self.fillers
                and share.get(word, 0.0) < GENERIC_SHARE
                and not any(start < end and start + len(word) > begin for begin, end in cues)]

    def _retrieve(self, u: Understanding) -> None:
        channels = self.retriever.channel_scores(u.search_text)
        u.candidates = self.retriever.candidates(channels, self.retriever.named_positions(u.named_slugs()),
                                                 self.settings.retrieval)
        u.channel_best = self.retriever.channel_best(channels)


def configured_encoder(settings: NluSettings) -> Encoder | None:
    if "retrieve" not in settings.pipeline:
        return None
    e = settings.encoder
    return load_encoder(e.backend, e.model_path, e.threads, e.query_prefix, e.passage_prefix)


def warm_embeddings(entries: Mapping[str, Entry], settings: NluSettings, database_url: str) -> int:
    """Embed whatever guide text the cache lacks (run by ``kb build`` so serving starts warm)."""
    encoder = configured_encoder(settings)
    if encoder is None:
        return 0
    cache = EmbeddingCache(settings.embedding_cache_url or database_url)
    try:
        return DenseIndex(entries, encoder, cache).embedded
    finally:
        cache.close()


def build_understander(entries: Mapping[str, Entry], settings: NluSettings, database_url: str) -> Understander:
    """Load the configured encoder (or fall back to lexical only) and build the pipeline."""
    encoder = configured_encoder(settings)
    cache = EmbeddingCache(settings.embedding_cache_url or database_url) if encoder else None
    try:
        return Understander(entries, settings, encoder=encoder, cache=cache)
    finally:
        if cache is not None:
            cache.close()
