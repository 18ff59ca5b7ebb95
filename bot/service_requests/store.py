"""Bookings, 帮办代办 requests and messages left for staff in SQLite or PostgreSQL, each with a reference the citizen
can quote. They hold the name and mobile number the citizen gave for this purpose: the
store is for staff, never for logs."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, Text, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.handoff.work_orders import new_reference
from knowledge.store import engine_for

PREFIXES = {"booking": "YY", "proxy": "BD", "message": "LY"}  # 预约 / 帮代 / 留言
STATUSES = ("submitted", "confirmed", "done", "cancelled")
ATTEMPTS = 5


class Base(DeclarativeBase):
    pass


class ServiceRequestRow(Base):
    __tablename__ = "service_request"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    item: Mapped[str] = mapped_column(String(128))  # empty for a message left with no guide in question
    fields: Mapped[str] = mapped_column(Text)  # JSON: the form's answers
    status: Mapped[str] = mapped_column(String(16))  # submitted → confirmed / done / cancelled (staff console)
    channel: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class ServiceRequest:
    reference: str
    kind: str
    item: str
    fields: dict[str, str]
    status: str
    channel: str
    created_at: datetime


class ServiceRequestStore:
    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def create(self, kind: str, item: str, fields: dict[str, str], channel: str, sender: str) -> str:
        """Store a submitted request; returns its reference (prefix + China date + 6 random digits)."""
        now = datetime.now(UTC)
        for _ in range(ATTEMPTS):
            reference = new_reference(now, PREFIXES[kind])
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(ServiceRequestRow).values(
                        id=uuid.uuid4().hex, reference=reference, kind=kind, item=item,
                        fields=json.dumps(fields, ensure_ascii=False), status="submitted", channel=channel,
                        sender=sender, created_at=now))
                return reference
            except IntegrityError:
                continue
        raise RuntimeError(f"no free {kind} reference after {ATTEMPTS} draws")

    def recent(self, status: str | None = None, limit: int = 200) -> list[ServiceRequest]:
        """Newest first; ``status`` filters (submitted, confirmed, done, cancelled)."""
        query = select(ServiceRequestRow).order_by(ServiceRequestRow.created_at.desc()).limit(limit)
        if status:
            query = query.where(ServiceRequestRow.status == status)
        with self.engine.connect() as connection:
            return [_request(row) for row in connection.execute(query)]

    def set_status(self, reference: str, status: str) -> bool:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {STATUSES}")
        with self.engine.begin() as connection:
            changed = connection.execute(update(ServiceRequestRow).where(ServiceRequestRow.reference == reference)
                                         .values(status=status))
        return changed.rowcount == 1

    def get(self, reference: str) -> ServiceRequest | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(ServiceRequestRow).where(ServiceRequestRow.reference == reference)).first()
        return _request(row) if row is not None else None

    def close(self) -> None:
        self.engine.dispose()


def _request(row: Any) -> ServiceRequest:
    return ServiceRequest(row.reference, row.kind, row.item, json.loads(row.fields), row.status, row.channel,
                          row.created_at)
