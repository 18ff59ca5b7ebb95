"""The 12345 work order (工单) the assistant drafts when it hands a citizen over, so nobody repeats themselves.

A work order is plain data: the outbox (``bot/handoff/outbox.py``) stores it and posts
:meth:`WorkOrder.payload` to the hotline's webhook. Personal data is decided here, once, at
creation: without the citizen's consent the contact is dropped and ID / phone numbers in the
free text are masked, so nothing later (the database, the webhook, a log) can leak them.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from uuid import uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from nlu.privacy import mask_personal

WorkOrderKind = Literal["consult", "help", "complaint", "report", "suggestion", "praise"]
KIND_LABELS: dict[str, str] = {
    "consult": "咨询",
    "help": "求助",
    "complaint": "投诉",
    "report": "举报",
    "suggestion": "建议",
    "praise": "表扬",
}
Role = Literal["user", "bot", "agent"]

REFERENCE_PREFIX = "GD"  # 工单
CHINA_TIME = timezone(timedelta(hours=8), "CST")  # references carry the local date a citizen sees (no DST)


def new_reference(at: datetime | None = None, prefix: str = REFERENCE_PREFIX) -> str:
    """``GD20240501`` + 6 random digits: short enough to read out on the phone.

    Random digits can collide (rarely); the stores' unique constraints catch that and they
    draw a new one (:class:`~bot.handoff.outbox.WorkOrderStore`, the service-request store).
    """
    day = (at or datetime.now(UTC)).astimezone(CHINA_TIME).strftime("%Y%m%d")
    return f"{prefix}{day}{secrets.randbelow(10**6):06d}"


def _now() -> datetime:
    return datetime.now(UTC)


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    phone: str | None = None


class Turn(BaseModel):
    """One message of the conversation that led to the work order."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    text: str
    at: AwareDatetime = Field(default_factory=_now)


class WorkOrder(BaseModel):
    """A drafted work order; ``id`` is the idempotency key receivers de-duplicate by."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: uuid4().hex, pattern=r"^[0-9a-f]{32}$")
    reference: str = Field(default="", pattern=rf"^(|{REFERENCE_PREFIX}\d{{14}})$")  # empty: drawn at creation
    kind: WorkOrderKind
    summary: str = Field(min_length=1)
    department: str | None = None  # the suggested handling department
    contact: Contact | None = None
    contact_consent: bool = False
    transcript: list[Turn] = []
    channel: str
    sender: str
    item: str | None = None  # the guide slug the conversation was about, if any
    created_at: AwareDatetime = Field(default_factory=_now)

    @model_validator(mode="after")
    def _apply_consent(self) -> WorkOrder:
        """Without consent the citizen is not to be contacted: keep no way to do so."""
        if not self.contact_consent:
            self.contact = None
            self.summary = mask_personal(self.summary)
            self.sender = mask_personal(self.sender)
            self.transcript = [turn.model_copy(update={"text": mask_personal(turn.text)}) for turn in self.transcript]
        if not self.reference:
            self.reference = new_reference(self.created_at)
        return self

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def payload(self) -> dict[str, Any]:
        """The JSON object posted to the webhook (times in ISO 8601, ``kind_label`` in Chinese)."""
        data = self.model_dump(mode="json")
        data["kind_label"] = self.kind_label
        return data

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> WorkOrder:
        return cls.model_validate({key: value for key, value in payload.items() if key != "kind_label"})

    def describe(self) -> str:
        """How logs name a work order: reference and id only, never its content."""
        return f"{self.reference} ({self.id})"
