"""Work orders written durably first, then delivered to the hotline's webhook through an outbox.

:meth:`WorkOrderStore.create` writes the order and its outbox row in one transaction, so an
order exists before anything is sent and is never sent without existing. :class:`OutboxDeliverer`
then posts due rows, retrying with capped exponential backoff, for as long as the receiver is
down. Delivery is at least once (a worker killed between the POST and the commit sends again);
receivers de-duplicate by the ``Idempotency-Key`` header, which is the order id.

Two workers never send the same row at the same time: a claim sets ``locked_until`` in the
claiming statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's single writer
serialises it), and a killed worker's claims simply expire.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import DateTime, Double, ForeignKey, Index, Integer, String, Text, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import ColumnElement

from bot.handoff.work_orders import Contact, WorkOrder, new_reference
from knowledge.store import engine_for
from nlu.privacy import mask_personal

log = logging.getLogger(__name__)

Clock = Callable[[], float]
MAX_ERROR_CHARS = 500
REFERENCE_ATTEMPTS = 5


class Base(DeclarativeBase):
    pass


class WorkOrderRow(Base):
    __tablename__ = "work_order"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)  # the exact body posted: every retry is byte-identical
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxRow(Base):
    """Delivery state of one work order; times are epoch seconds (the deliverer's clock)."""

    __tablename__ = "work_order_outbox"
    __table_args__ = (Index("ix_work_order_outbox_due", "delivered_at", "next_attempt_at"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("work_order.id", ondelete="CASCADE"), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Double)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    locked_until: Mapped[float | None] = mapped_column(Double, nullable=True)


@dataclass(frozen=True)
class DeliveryStatus:
    attempts: int
    next_attempt_at: float
    last_error: str | None
    delivered_at: float | None
    locked_until: float | None


@dataclass(frozen=True)
class Claim:
    """A row this worker may send until ``locked_until``."""

    order_id: str
    reference: str
    body: bytes
    attempts: int
    locked_until: float


def encode_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(body: bytes, secret: str) -> str:
    """The ``X-Daoban-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of the exact body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _error_text(text: str) -> str:
    return mask_personal(text)[:MAX_ERROR_CHARS]


class WorkOrderStore:
    """Work orders and their outbox rows in SQLite or PostgreSQL; one instance per process."""

    def __init__(self, url: str, clock: Clock = time.time) -> None:
        self.engine = engine_for(url)
        self.clock = clock

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def create(self, order: WorkOrder, hold_seconds: float = 0.0) -> WorkOrder:
        """Store the order and queue it for delivery, atomically; returns it as stored.

        ``hold_seconds`` delays the first delivery, so the citizen can still consent to be
        contacted (:meth:`add_contact`) or decline (:meth:`release`) before the order leaves.
        Creating the same id again returns the stored order (a retried request creates nothing);
        a colliding reference is redrawn, so the returned reference may differ from the given one.
        """
        for _ in range(REFERENCE_ATTEMPTS):
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(WorkOrderRow).values(
                        id=order.id, reference=order.reference, kind=order.kind,
                        payload=encode_body(order.payload()).decode("utf-8"), created_at=order.created_at))
                    connection.execute(insert(OutboxRow).values(
                        order_id=order.id, attempts=0, next_attempt_at=self.clock() + hold_seconds))
                return order
            except IntegrityError:
                existing = self.get(order.id)
                if existing is not None:
                    return existing
                order = order.model_copy(update={"reference": new_reference(order.created_at)})
        raise RuntimeError(f"no free work order reference after {REFERENCE_ATTEMPTS} draws for {order.id}")

    def add_contact(self, order_id: str, contact: Contact) -> WorkOrder | None:
        """Attach a contact the citizen consented to and deliver at once; ``None`` when the order
        is unknown, already delivered or being sent (its held time ran out): it goes without one."""
        now = self.clock()
        unsent = (OutboxRow.delivered_at.is_(None),  # and not being sent right now with the old body
                  or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now))
        with self.engine.begin() as connection:
            claimed = connection.execute(update(OutboxRow).where(OutboxRow.order_id == order_id, *unsent)
                                         .values(next_attempt_at=now).returning(OutboxRow.order_id)).first()
            payload = connection.scalar(select(WorkOrderRow.payload).where(WorkOrderRow.id == order_id))
            if claimed is None or payload is None:
                return None
            order = WorkOrder.from_payload(json.loads(payload)).model_copy(
                update={"contact": contact, "contact_consent": True})
            connection.execute(update(WorkOrderRow).where(WorkOrderRow.id == order_id)
                               .values(payload=encode_body(order.payload()).decode("utf-8")))
        return order

    def release_held(self, order_id: str) -> None:
        """Deliver a held order now, without a contact (the citizen declined or moved on)."""
        with self.engine.begin() as connection:
            connection.execute(update(OutboxRow)
                               .where(OutboxRow.order_id == order_id, OutboxRow.delivered_at.is_(None),
                                      OutboxRow.next_attempt_at > self.clock(), OutboxRow.attempts == 0)
                               .values(next_attempt_at=self.clock()))

    def get(self, order_id: str) -> WorkOrder | None:
        with self.engine.connect() as connection:
            payload = connection.scalar(select(WorkOrderRow.payload).where(WorkOrderRow.id == order_id))
        return WorkOrder.from_payload(json.loads(payload)) if payload is not None else None

    def status(self, order_id: str) -> DeliveryStatus | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(
                OutboxRow.attempts, OutboxRow.next_attempt_at, OutboxRow.last_error, OutboxRow.delivered_at,
                OutboxRow.locked_until).where(OutboxRow.order_id == order_id)).first()
        return DeliveryStatus(*row) if row is not None else None

    def pending_count(self) -> int:
        return self._count(OutboxRow.delivered_at.is_(None))

    def delivered_count(self) -> int:
        return self._count(OutboxRow.delivered_at.is_not(None))

    def _count(self, condition: ColumnElement[bool]) -> int:
        with self.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(OutboxRow).where(condition)) or 0

    def claim_due(self, now: float, lock_until: float, limit: int) -> list[Claim]:
        """Lock up to ``limit`` due, undelivered, unlocked rows until ``lock_until`` and return them.

        One UPDATE … RETURNING whose first act is to take the write lock: on SQLite a second
        claimer waits (busy_timeout) and then sees the new ``locked_until``; on PostgreSQL
        ``SKIP LOCKED`` makes it take other rows instead of waiting.
        """
        due = (select(OutboxRow.order_id)
               .where(OutboxRow.delivered_at.is_(None), OutboxRow.next_attempt_at <= now,
                      or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now))
               .order_by(OutboxRow.next_attempt_at)
               .limit(limit))
        if self.engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        with self.engine.begin() as connection:
            claimed = connection.execute(
                update(OutboxRow).where(OutboxRow.order_id.in_(due)).values(locked_until=lock_until)
                .returning(OutboxRow.order_id, OutboxRow.attempts)).all()
            if not claimed:
                return []
            attempts = dict(claimed)
            orders = connection.execute(select(WorkOrderRow.id, WorkOrderRow.reference, WorkOrderRow.payload)
                                        .where(WorkOrderRow.id.in_(list(attempts)))).all()
        return [Claim(order_id, reference, payload.encode("utf-8"), attempts[order_id], lock_until)
                for order_id, reference, payload in orders]

    def mark_delivered(self, order_id: str, at: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(OutboxRow)
                               .where(OutboxRow.order_id == order_id, OutboxRow.delivered_at.is_(None))
                               .values(delivered_at=at, attempts=OutboxRow.attempts + 1, locked_until=None))

    def mark_failed(self, order_id: str, error: str, next_attempt_at: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(OutboxRow)
                               .where(OutboxRow.order_id == order_id, OutboxRow.delivered_at.is_(None))
                               .values(attempts=OutboxRow.attempts + 1, last_error=_error_text(error),
                                       next_attempt_at=next_attempt_at, locked_until=None))

    def release(self, order_ids: list[str]) -> None:
        """Give back claims this worker did not get round to (they are due again at once)."""
        if order_ids:
            with self.engine.begin() as connection:
                connection.execute(update(OutboxRow).where(OutboxRow.order_id.in_(order_ids))
                                   .values(locked_until=None))


class OutboxDeliverer:
    """Posts due work orders to the webhook; run one or more per deployment (they never double-send a row)."""

    def __init__(self, store: WorkOrderStore, webhook_url: str, secret: str | None = None, timeout: float = 5.0,
                 base_delay: float = 2.0, max_delay: float = 300.0, batch: int = 20, clock: Clock = time.time,
                 jitter: float = 0.2, rng: random.Random | None = None) -> None:
        self.store = store
        self.webhook_url = webhook_url
        self.secret = secret
        self.timeout = timeout
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.batch = batch
        self.clock = clock
        self.jitter = jitter  # a retry waits between (1 - jitter) and 1 times the backoff, never above max_delay
        self.rng = rng or random.Random()
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt: base, 2·base, 4·base … capped."""
        delay = min(self.max_delay, self.base_delay * 2 ** min(max(attempts - 1, 0), 60))
        return delay * (1 - self.jitter * self.rng.random())

    def deliver_due(self) -> int:
        """Send one batch of due rows; returns how many were delivered."""
        return self._deliver_batch()[1]

    def _deliver_batch(self) -> tuple[int, int]:
        now = self.clock()
        claims = self.store.claim_due(now, now + self.timeout * 2, self.batch)
        delivered = 0
        for index, claim in enumerate(claims):
            if self.clock() + self.timeout > claim.locked_until:
                # Not enough of the lock left for a whole request: another worker may take these.
                self.store.release([later.order_id for later in claims[index:]])
                break
            delivered += self._send(claim)
        return len(claims), delivered

    def _send(self, claim: Claim) -> bool:
        headers = {"Content-Type": "application/json", "Idempotency-Key": claim.order_id}
        if self.secret:
            headers["X-Daoban-Signature"] = signature(claim.body, self.secret)
        try:
            response = self.client.post(self.webhook_url, content=claim.body, headers=headers)
            error = None if response.is_success else f"HTTP {response.status_code}: {response.text[:200]}"
        except Exception as exc:  # connection refused, timeout, bad URL …: all retried
            error = f"{type(exc).__name__}: {exc}"
        attempt = claim.attempts + 1
        if error is None:
            self.store.mark_delivered(claim.order_id, self.clock())
            log.info("work order %s (%s) delivered (attempt %d)", claim.reference, claim.order_id, attempt)
            return True
        delay = self.backoff(attempt)
        self.store.mark_failed(claim.order_id, error, self.clock() + delay)
        log.warning("work order %s (%s) attempt %d failed: %s; retry in %.1f s",
                    claim.reference, claim.order_id, attempt, _error_text(error), delay)
        return False

    def run(self, stop: threading.Event, poll_interval: float = 1.0) -> None:
        """Deliver until ``stop`` is set; a full batch is followed at once by the next one."""
        while not stop.is_set():
            try:
                claimed, _ = self._deliver_batch()
            except SQLAlchemyError as exc:  # the database is away: keep the worker alive and try again
                log.error("work order outbox: database error: %s", _error_text(str(exc)))
                claimed = 0
            if claimed < self.batch:
                stop.wait(poll_interval)

    def start_background(self, stop: threading.Event, poll_interval: float = 1.0) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop, poll_interval), name="work-order-outbox", daemon=True)
        thread.start()
        return thread
