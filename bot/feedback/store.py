"""Feedback rows in SQLite or PostgreSQL, beside the work orders: a tracker store forgets idle
conversations, but what citizens said of the service must stay for the centre's 好差评 reports.
Each row keeps the masked transcript of the conversation it rates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, Text, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from knowledge.store import engine_for

# The five levels of the national 政务服务“好差评” scale, best first, with their scores.
LEVELS = {"5": "非常满意", "4": "满意", "3": "基本满意", "2": "不满意", "1": "非常不满意"}
USEFUL = {"yes": "有用", "no": "没用"}


class Base(DeclarativeBase):
    pass


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # "useful" (an answer) or "rating" (the conversation)
    value: Mapped[str] = mapped_column(String(8))  # yes / no, or 1–5
    item: Mapped[str | None] = mapped_column(String(128), nullable=True)
    transcript: Mapped[str] = mapped_column(Text)  # JSON, personal data masked


@dataclass(frozen=True)
class Feedback:
    channel: str
    sender: str
    kind: str
    value: str
    item: str | None
    transcript: list[dict[str, str]]


class FeedbackStore:
    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def add(self, feedback: Feedback) -> None:
        if feedback.kind not in ("useful", "rating") or feedback.value not in (USEFUL if feedback.kind == "useful"
                                                                                   else LEVELS):
            raise ValueError(f"unknown feedback {feedback.kind}={feedback.value!r}")
        with self.engine.begin() as connection:
            connection.execute(insert(FeedbackRow).values(
                at=datetime.now(UTC), channel=feedback.channel, sender=feedback.sender, kind=feedback.kind,
                value=feedback.value, item=feedback.item,
                transcript=json.dumps(feedback.transcript, ensure_ascii=False)))

    def counts(self, kind: str) -> dict[str, int]:
        """How often each value was given: the figures a 好差评 report starts from."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(FeedbackRow.value, func.count()).where(FeedbackRow.kind == kind)
                                      .group_by(FeedbackRow.value))
            return {value: count for value, count in rows}

    def close(self) -> None:
        self.engine.dispose()
