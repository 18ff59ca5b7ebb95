"""Passage embeddings kept in the database, keyed by encoder and text hash.

Guide text that did not change between knowledge versions is never embedded again, so a
rebuild only pays for what changed; a different encoder has its own rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
from sqlalchemy import LargeBinary, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from knowledge.store import engine_for


class Base(DeclarativeBase):
    pass


class EmbeddingRow(Base):
    __tablename__ = "nlu_embedding"

    encoder: Mapped[str] = mapped_column(String(128), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)
        Base.metadata.create_all(self.engine)
        self.sessions = sessionmaker(self.engine)
        self.last_embedded = 0  # how many texts the last call had to embed (for logs and tests)

    def embed(self, encoder_name: str, texts: list[str], embed: Callable[[list[str]], np.ndarray],
              dimension: int, batch: int = 256) -> np.ndarray:
        """Vectors for ``texts`` in order: cached rows first, the rest embedded and stored."""
        hashes = [text_hash(text) for text in texts]
        found: dict[str, np.ndarray] = {}
        with self.sessions() as session:
            wanted = sorted(set(hashes))
            for start in range(0, len(wanted), 500):
                rows = session.execute(select(EmbeddingRow.text_hash, EmbeddingRow.vector).where(
                    EmbeddingRow.encoder == encoder_name, EmbeddingRow.text_hash.in_(wanted[start:start + 500])))
                found.update({h: np.frombuffer(v, dtype=np.float32) for h, v in rows})
        missing = list(dict.fromkeys(t for t, h in zip(texts, hashes, strict=True) if h not in found))
        self.last_embedded = len(missing)
        for start in range(0, len(missing), batch):
            chunk = missing[start:start + batch]
            vectors = embed(chunk)
            with self.sessions.begin() as session:
                for text, vector in zip(chunk, vectors, strict=True):
                    key = text_hash(text)
                    found[key] = np.asarray(vector, dtype=np.float32)
                    session.merge(EmbeddingRow(encoder=encoder_name, text_hash=key, vector=found[key].tobytes()))
        matrix = np.vstack([found[h] for h in hashes]) if hashes else np.zeros((0, dimension), np.float32)
        return matrix.astype(np.float32, copy=False)

    def close(self) -> None:
        self.engine.dispose()
