"""The knowledge store: guides in SQLite (default) or PostgreSQL through SQLAlchemy 2.

Each ``kb build`` writes a complete new version and switches the active-version pointer
in the same transaction, so readers see either the old base or the new one, never half
a rebuild. Every read goes through the pointer in a single statement for that reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from knowledge.loader import ENTRY_ADAPTER
from knowledge.schema import Entry, FaqEntry, Frequency, LifeEvent, ServiceItem


class Base(DeclarativeBase):
    pass


class KnowledgeVersion(Base):
    __tablename__ = "kb_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content_hash: Mapped[str] = mapped_column(String(64))
    entry_count: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)


class ActiveVersion(Base):
    """A single row naming the version readers see; switching it is the atomic step."""

    __tablename__ = "kb_active"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("kb_version.id"))


class EntryRow(Base):
    __tablename__ = "kb_entry"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("kb_version.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text, nullable=True)
    version_date: Mapped[str] = mapped_column(String(10))
    search_text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)


@dataclass(frozen=True)
class VersionInfo:
    id: int
    created_at: datetime
    content_hash: str
    entry_count: int
    source: str


@dataclass(frozen=True)
class EntrySummary:
    slug: str
    kind: str
    name: str
    department: str | None
    version_date: str
    frequency: Frequency = "normal"  # 高频事项 (high), rarely handled (low)


@dataclass(frozen=True)
class BuildResult:
    version: VersionInfo
    created: bool  # False when the content was unchanged and no version was written


def engine_for(url: str) -> Engine:
    """Create an engine; SQLite gets WAL (readers never block on a rebuild) and foreign keys."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
    return engine


def content_hash(entries: Mapping[str, Entry]) -> str:
    """Stable hash of the knowledge content, used to skip no-op rebuilds and to key caches."""
    digest = hashlib.sha256()
    for slug in sorted(entries):
        payload = ENTRY_ADAPTER.dump_python(entries[slug], mode="json")
        digest.update(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def search_text(entry: Entry) -> str:
    """What the store's simple search looks in: names, aliases, examples, keywords."""
    parts = [entry.name, *entry.aliases, *entry.examples]
    if isinstance(entry, FaqEntry):
        parts.extend(entry.keywords)
    if isinstance(entry, ServiceItem | LifeEvent):
        parts.append(entry.department)
    return "\n".join(parts)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class KnowledgeStore:
    """Versioned guides in a relational database; one instance per process."""

    def __init__(self, url: str, keep_versions: int = 5) -> None:
        self.engine = engine_for(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.keep_versions = keep_versions

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def _active_id(self):
        return select(ActiveVersion.version_id).where(ActiveVersion.id == 1).scalar_subquery()

    def build(self, entries: Mapping[str, Entry], source: str, force: bool = False) -> BuildResult:
        """Write ``entries`` as a new version and make it active, atomically."""
        self.create_schema()
        digest = content_hash(entries)
        with self.sessions.begin() as session:
            current = self._active_version(session)
            if current is not None and current.content_hash == digest and not force:
                return BuildResult(version=current, created=False)
            version = KnowledgeVersion(
                created_at=datetime.now(UTC), content_hash=digest, entry_count=len(entries), source=source
            )
            session.add(version)
            session.flush()
            session.add_all(self._rows(version.id, entries.values()))
            pointer = session.get(ActiveVersion, 1, with_for_update=True)
            if pointer is None:
                session.add(ActiveVersion(id=1, version_id=version.id))
            else:
                pointer.version_id = version.id
            session.flush()
            self._prune(session, version.id)
            info = _info(version)
        return BuildResult(version=info, created=True)

    @staticmethod
    def _rows(version_id: int, entries: Iterable[Entry]) -> list[EntryRow]:
        return [
            EntryRow(
                version_id=version_id,
                slug=entry.slug,
                kind=entry.kind,
                name=entry.name,
                department=getattr(entry, "department", None),
                version_date=entry.version.isoformat(),
                search_text=search_text(entry),
                data=ENTRY_ADAPTER.dump_python(entry, mode="json"),
            )
            for entry in entries
        ]

    def _prune(self, session: Session, active_id: int) -> None:
        ids = session.scalars(select(KnowledgeVersion.id).order_by(KnowledgeVersion.id.desc())).all()
        stale = [vid for vid in ids[self.keep_versions:] if vid != active_id]
        if stale:
            session.execute(delete(EntryRow).where(EntryRow.version_id.in_(stale)))
            session.execute(delete(KnowledgeVersion).where(KnowledgeVersion.id.in_(stale)))

    def _active_version(self, session: Session) -> VersionInfo | None:
        version = session.scalar(select(KnowledgeVersion).where(KnowledgeVersion.id == self._active_id()))
        return _info(version) if version else None

    def active_version(self) -> VersionInfo | None:
        with self.sessions() as session:
            return self._active_version(session)

    def versions(self) -> list[VersionInfo]:
        with self.sessions() as session:
            rows = session.scalars(select(KnowledgeVersion).order_by(KnowledgeVersion.id)).all()
            return [_info(row) for row in rows]

    def get(self, slug: str) -> Entry | None:
        """One entry of the active version, as a validated model."""
        with self.sessions() as session:
            data = session.scalar(
                select(EntryRow.data).where(EntryRow.version_id == self._active_id(), EntryRow.slug == slug)
            )
        return ENTRY_ADAPTER.validate_python(data) if data is not None else None

    def all_entries(self) -> dict[str, Entry]:
        """Every entry of the active version (read in one statement, so from one version)."""
        with self.sessions() as session:
            rows = session.execute(
                select(EntryRow.slug, EntryRow.data).where(EntryRow.version_id == self._active_id())
            ).all()
        return {slug: ENTRY_ADAPTER.validate_python(data) for slug, data in rows}

    def list(self, kind: str | None = None, limit: int = 500, offset: int = 0) -> list[EntrySummary]:
        query = select(EntryRow).where(EntryRow.version_id == self._active_id())
        if kind:
            query = query.where(EntryRow.kind == kind)
        query = query.order_by(EntryRow.kind, EntryRow.slug).limit(limit).offset(offset)
        with self.sessions() as session:
            return [_summary(row) for row in session.scalars(query)]

    def count(self) -> int:
        with self.sessions() as session:
            return session.scalar(
                select(func.count()).select_from(EntryRow).where(EntryRow.version_id == self._active_id())
            ) or 0

    def search(self, text: str, limit: int = 20) -> list[EntrySummary]:
        """Substring search over names, aliases and examples (bound parameters, escaped wildcards).

        A plain catalogue search for staff and the minimal app; understanding colloquial
        questions is the job of ``nlu`` retrieval.
        """
        terms = [term for term in text.split() if term][:8]
        if not terms:
            return []
        query = select(EntryRow).where(EntryRow.version_id == self._active_id())
        for term in terms:
            query = query.where(EntryRow.search_text.like(_like_pattern(term), escape="\\"))
        query = query.order_by(func.length(EntryRow.name), EntryRow.slug).limit(limit)
        with self.sessions() as session:
            return [_summary(row) for row in session.scalars(query)]


def _info(version: KnowledgeVersion) -> VersionInfo:
    return VersionInfo(
        id=version.id,
        created_at=version.created_at,
        content_hash=version.content_hash,
        entry_count=version.entry_count,
        source=version.source,
    )


def _summary(row: EntryRow) -> EntrySummary:
    return EntrySummary(
        slug=row.slug, kind=row.kind, name=row.name, department=row.department, version_date=row.version_date,
        frequency=row.data.get("frequency", "normal"),
    )
