"""Conversation state in SQLite or PostgreSQL: survives restarts and is shared by workers.

One row per conversation, upserted on every save. Idle rows are deleted lazily when
loaded and in bulk by :meth:`SqlTrackerStore.purge_expired` (for a periodic job).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, ColumnElement, Float, Index, MetaData, Table, Text, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from bot.tracker.base import ConversationKey, dump_state, is_expired, load_state
from knowledge.store import engine_for

log = logging.getLogger(__name__)

metadata = MetaData()

# Text keys: no length limit that PostgreSQL would enforce and SQLite would silently ignore.
conversation_state = Table(
    "conversation_state",
    metadata,
    Column("channel", Text, primary_key=True),
    Column("sender", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("updated_at", Float, nullable=False),  # epoch seconds of the last save
    Index("ix_conversation_state_updated_at", "updated_at"),
)

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class SqlTrackerStore:
    """Conversation state in the ``conversation_state`` table (SQLite gets WAL and a busy timeout)."""

    def __init__(self, url: str, expiry_seconds: float = 0, clock: Callable[[], float] = time.time) -> None:
        parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
        if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
            # Each pooled connection would get its own empty database, so state would vanish between threads.
            raise ValueError("in-memory SQLite cannot hold conversation state; use 'memory' or a SQLite file")
        if parsed.get_backend_name() not in _INSERTS:
            raise ValueError(f"unsupported database for conversation state: {parsed.get_backend_name()!r}")
        self.expiry_seconds = expiry_seconds
        self.clock = clock
        self.engine = engine_for(url)
        self._insert = _INSERTS[self.engine.dialect.name]
        self.create_schema()

    def create_schema(self) -> None:
        """Create the table and its index if they are missing (safe to call again)."""
        metadata.create_all(self.engine, checkfirst=True)

    @staticmethod
    def _where(key: ConversationKey) -> ColumnElement[bool]:
        return (conversation_state.c.channel == key.channel) & (conversation_state.c.sender == key.sender)

    def load(self, key: ConversationKey) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(conversation_state.c.state, conversation_state.c.updated_at).where(self._where(key))
            ).first()
        if row is None:
            return None
        now = self.clock()
        if is_expired(row.updated_at, now, self.expiry_seconds):
            # Only if still idle: another worker may have saved this conversation since the read.
            with self.engine.begin() as connection:
                connection.execute(
                    delete(conversation_state).where(
                        self._where(key), conversation_state.c.updated_at < now - self.expiry_seconds
                    )
                )
            log.debug("conversation %s expired", key.masked())
            return None
        return load_state(row.state)

    def save(self, key: ConversationKey, state: dict[str, Any]) -> None:
        text = dump_state(key, state)
        insert = self._insert(conversation_state).values(
            channel=key.channel, sender=key.sender, state=text, updated_at=self.clock()
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[conversation_state.c.channel, conversation_state.c.sender],
            set_={"state": insert.excluded.state, "updated_at": insert.excluded.updated_at},
        )
        with self.engine.begin() as connection:
            connection.execute(upsert)

    def delete(self, key: ConversationKey) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(conversation_state).where(self._where(key)))

    def purge_expired(self) -> int:
        """Delete every conversation idle longer than the expiry; returns how many (0 when none expire)."""
        if self.expiry_seconds <= 0:
            return 0
        cutoff = self.clock() - self.expiry_seconds
        with self.engine.begin() as connection:
            result = connection.execute(delete(conversation_state).where(conversation_state.c.updated_at < cutoff))
        if result.rowcount:
            log.info("purged %d expired conversations", result.rowcount)
        return result.rowcount

    def close(self) -> None:
        self.engine.dispose()
