"""12345 work orders: durable creation, and delivery through the outbox to a real HTTP receiver.

The receiver is a real server on a local port ("down" is nothing listening there); it verifies
the signature and de-duplicates by ``Idempotency-Key`` as a real hotline system would. The
acceptance test runs the worker as a process and kills it with SIGKILL mid-way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.handoff import KIND_LABELS, Contact, OutboxDeliverer, Turn, WorkOrder, WorkOrderStore
from bot.handoff.outbox import OutboxRow, WorkOrderRow
from bot.handoff.outbox_worker import SECRET_VARIABLE, parse_args
from tests.paths import ROOT
from tests.servers import SECRET, Receiver, free_port

PHONE = "13812345678"
MASKED_PHONE = "138****5678"


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def make_order(number: int = 0, consent: bool = True, **changes: Any) -> WorkOrder:
    kinds = list(KIND_LABELS)
    fields = {
        "kind": kinds[number % len(kinds)],
        "summary": f"第{number}号：办理营业执照时窗口要求提供指南以外的材料",
        "department": "区市场监督管理局",
        "contact": Contact(name="张三", phone=PHONE),
        "contact_consent": consent,
        "transcript": [Turn(role="user", text=f"我要投诉，电话{PHONE}"),
                       Turn(role="bot", text="好的，正在为您转12345。")],
        "channel": "web",
        "sender": f"web-{number}",
        "item": "business-licence",
    }
    return WorkOrder(**(fields | changes))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on a free port, not yet started: the webhook is down until the test starts it."""
    server = Receiver(free_port())
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def outbox_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'orders.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def orders(outbox_url: str, clock: FakeClock) -> Iterator[WorkOrderStore]:
    store = WorkOrderStore(outbox_url, clock=clock)
    store.create_schema()
    yield store
    store.close()


@pytest.fixture
def deliverers() -> Iterator[list[OutboxDeliverer]]:
    """Deliverers a test makes are closed afterwards."""
    made: list[OutboxDeliverer] = []
    yield made
    for deliverer in made:
        deliverer.close()


def deliverer_for(made: list[OutboxDeliverer], store: WorkOrderStore, url: str, **options: Any) -> OutboxDeliverer:
    deliverer = OutboxDeliverer(store, url, **({"secret": SECRET} | options))
    made.append(deliverer)
    return deliverer


# Creating work orders


def test_created_order_and_outbox_row_are_durable(orders: WorkOrderStore, outbox_url: str, clock: FakeClock) -> None:
    order = orders.create(make_order())
    other = WorkOrderStore(outbox_url)  # a fresh engine: what another process would see
    try:
        assert other.get(order.id) == order
        status = other.status(order.id)
        assert status is not None and status.attempts == 0 and status.delivered_at is None
        assert status.next_attempt_at == clock.now  # due at once
        assert other.pending_count() == 1 and other.delivered_count() == 0
    finally:
        other.close()


def test_order_and_outbox_row_are_written_in_one_transaction(orders: WorkOrderStore) -> None:
    kept = orders.create(make_order(1))
    OutboxRow.__table__.drop(orders.engine)  # the second insert of the next create now fails
    with pytest.raises(Exception, match="work_order_outbox"):
        orders.create(make_order(2))
    with orders.engine.connect() as connection:
        assert connection.scalars(select(WorkOrderRow.id)).all() == [kept.id]


def test_creating_the_same_order_twice_stores_it_once(orders: WorkOrderStore) -> None:
    order = make_order()
    assert orders.create(order) == order
    assert orders.create(order.model_copy(update={"summary": "重复提交"})) == order
    assert orders.pending_count() == 1


def test_a_colliding_reference_is_redrawn(orders: WorkOrderStore) -> None:
    first = orders.create(make_order(1))
    second = orders.create(make_order(2, reference=first.reference))
    assert second.reference != first.reference and second.reference.startswith("GD")
    assert orders.get(second.id) == second and orders.pending_count() == 2


def test_contact_is_dropped_without_consent(orders: WorkOrderStore) -> None:
    private = make_order(consent=False, sender=PHONE)
    assert private.contact is None
    assert PHONE not in json.dumps(private.payload(), ensure_ascii=False)  # nor in the transcript or sender
    assert MASKED_PHONE in private.transcript[0].text
    orders.create(private)
    with orders.engine.connect() as connection:
        stored = connection.scalar(select(WorkOrderRow.payload).where(WorkOrderRow.id == private.id))
    assert PHONE not in stored and "张三" not in stored

    consented = make_order(consent=True)
    assert consented.contact == Contact(name="张三", phone=PHONE)
    assert consented.payload()["contact"] == {"name": "张三", "phone": PHONE}


def test_payload_is_the_webhook_json() -> None:
    order = make_order(2, kind="complaint")
    payload = order.payload()
    assert payload["id"] == order.id and len(order.id) == 32
    assert payload["kind"] == "complaint" and payload["kind_label"] == "投诉"
    assert payload["reference"].startswith("GD") and len(payload["reference"]) == 16
    assert [turn["role"] for turn in payload["transcript"]] == ["user", "bot"]
    assert payload["transcript"][0]["at"].endswith("Z") and payload["created_at"].endswith("Z")
    assert payload["item"] == "business-licence" and payload["channel"] == "web"
    assert WorkOrder.from_payload(json.loads(json.dumps(payload))) == order
    assert KIND_LABELS == {"consult": "咨询", "help": "求助", "complaint": "投诉", "report": "举报",
                           "suggestion": "建议", "praise": "表扬"}
    with pytest.raises(ValueError):
        make_order(kind="chat")


# Delivering


def test_delivers_signed_orders_once(orders: WorkOrderStore, receiver: Receiver,
                                     deliverers: list[OutboxDeliverer]) -> None:
    created = [orders.create(make_order(number)) for number in range(3)]
    receiver.start()
    deliverer = deliverer_for(deliverers, orders, receiver.url)
    assert deliverer.deliver_due() == 3
    assert orders.delivered_count() == 3 and orders.pending_count() == 0
    assert deliverer.deliver_due() == 0 and len(receiver.posts) == 3  # delivered rows are not sent again
    by_key = {post.key: post for post in receiver.posts}
    for order in created:
        post = by_key[order.id]
        assert post.content_type == "application/json"
        assert post.signature == "sha256=" + hmac.new(SECRET.encode(), post.body, hashlib.sha256).hexdigest()
        assert json.loads(post.body) == order.payload()
        status = orders.status(order.id)
        assert status is not None and status.delivered_at is not None and status.attempts == 1


@pytest.mark.parametrize("secret", ["wrong-secret", None])
def test_receiver_detects_a_wrong_or_missing_signature(orders: WorkOrderStore, receiver: Receiver,
                                                       deliverers: list[OutboxDeliverer], secret: str | None) -> None:
    order = orders.create(make_order())
    receiver.start()
    assert deliverer_for(deliverers, orders, receiver.url, secret=secret).deliver_due() == 0
    [post] = receiver.posts
    assert not post.valid and post.status == 401 and receiver.accepted == {}
    assert (post.signature is None) == (secret is None)
    status = orders.status(order.id)
    assert status is not None and status.attempts == 1 and status.delivered_at is None
    assert status.last_error is not None and status.last_error.startswith("HTTP 401")


def test_non_2xx_is_retried_with_the_same_body(orders: WorkOrderStore, receiver: Receiver, clock: FakeClock,
                                               deliverers: list[OutboxDeliverer]) -> None:
    order = orders.create(make_order())
    receiver.statuses = [503, 500]
    receiver.start()
    deliverer = deliverer_for(deliverers, orders, receiver.url, clock=clock, base_delay=10.0)
    assert deliverer.deliver_due() == 0
    status = orders.status(order.id)
    assert status is not None and status.attempts == 1 and status.last_error is not None
    assert status.last_error.startswith("HTTP 503")

    clock.now = status.next_attempt_at - 0.01  # not due yet: nothing is sent
    assert deliverer.deliver_due() == 0 and len(receiver.posts) == 1
    clock.now = status.next_attempt_at
    assert deliverer.deliver_due() == 0
    status = orders.status(order.id)
    assert status is not None and status.attempts == 2 and status.last_error.startswith("HTTP 500")
    clock.now = status.next_attempt_at
    assert deliverer.deliver_due() == 1
    assert [post.status for post in receiver.posts] == [503, 500, 200]
    assert {post.key for post in receiver.posts} == {order.id}
    assert len({post.body for post in receiver.posts}) == 1  # every retry is byte-identical
    assert list(receiver.accepted) == [order.id]


def test_connection_refused_is_retried_until_the_receiver_is_back(
        orders: WorkOrderStore, receiver: Receiver, clock: FakeClock, deliverers: list[OutboxDeliverer]) -> None:
    created = [orders.create(make_order(number)) for number in range(4)]
    deliverer = deliverer_for(deliverers, orders, receiver.url, clock=clock, base_delay=1.0)
    assert deliverer.deliver_due() == 0  # nothing listening
    statuses = [orders.status(order.id) for order in created]
    assert all(s is not None and s.attempts == 1 and "Connect" in (s.last_error or "") for s in statuses)
    assert orders.pending_count() == 4

    receiver.start()
    clock.now += 1.0
    assert deliverer.deliver_due() == 4
    assert set(receiver.accepted) == {order.id for order in created}


def test_backoff_grows_and_caps(orders: WorkOrderStore, receiver: Receiver, clock: FakeClock,
                                deliverers: list[OutboxDeliverer]) -> None:
    exact = deliverer_for(deliverers, orders, receiver.url, base_delay=1.0, max_delay=16.0, jitter=0.0)
    assert [exact.backoff(attempt) for attempt in range(1, 9)] == [1, 2, 4, 8, 16, 16, 16, 16]
    assert exact.backoff(10_000) == 16  # no overflow after a very long outage

    order = orders.create(make_order())
    deliverer = deliverer_for(deliverers, orders, receiver.url, clock=clock, base_delay=1.0, max_delay=16.0)
    delays = []
    for _ in range(8):  # receiver down throughout; the clock jumps to each retry, nobody sleeps
        start = clock.now
        assert deliverer.deliver_due() == 0
        status = orders.status(order.id)
        assert status is not None
        delays.append(status.next_attempt_at - start)
        clock.now = status.next_attempt_at
    assert status.attempts == 8
    for delay, expected in zip(delays, [1, 2, 4, 8, 16, 16, 16, 16], strict=True):
        assert expected * 0.8 - 1e-6 <= delay <= expected + 1e-6, delays


def test_a_held_order_waits_for_consent_then_goes_with_the_contact(
        orders: WorkOrderStore, receiver: Receiver, clock: FakeClock, deliverers: list[OutboxDeliverer]) -> None:
    held = orders.create(make_order(consent=False), hold_seconds=600)
    receiver.start()
    deliverer = deliverer_for(deliverers, orders, receiver.url, clock=clock)
    assert deliverer.deliver_due() == 0 and receiver.posts == []  # held: the citizen may still consent
    contact = Contact(name="李四", phone=PHONE)
    updated = orders.add_contact(held.id, contact)
    assert updated is not None and updated.contact == contact and updated.contact_consent
    assert deliverer.deliver_due() == 1  # consent releases it at once
    body = json.loads(receiver.posts[0].body)
    assert body["contact"] == {"name": "李四", "phone": PHONE} and body["reference"] == held.reference
    assert orders.add_contact(held.id, contact) is None  # delivered: too late to change what was sent


def test_a_held_order_goes_without_contact_when_declined_or_timed_out(
        orders: WorkOrderStore, receiver: Receiver, clock: FakeClock, deliverers: list[OutboxDeliverer]) -> None:
    declined = orders.create(make_order(1, consent=False), hold_seconds=600)
    ignored = orders.create(make_order(2, consent=False), hold_seconds=600)
    receiver.start()
    deliverer = deliverer_for(deliverers, orders, receiver.url, clock=clock)
    orders.release_held(declined.id)
    assert deliverer.deliver_due() == 1 and receiver.keys_posted() == [declined.id]
    clock.now += 600
    assert deliverer.deliver_due() == 1 and receiver.keys_posted() == [declined.id, ignored.id]
    assert all(json.loads(post.body)["contact"] is None for post in receiver.posts)


def test_a_contact_is_not_attached_while_the_order_is_being_sent(orders: WorkOrderStore, clock: FakeClock) -> None:
    order = orders.create(make_order(consent=False), hold_seconds=5)
    [claim] = orders.claim_due(clock.now + 5, clock.now + 15, limit=10)
    assert orders.add_contact(order.id, Contact(phone=PHONE)) is None  # the old body is on its way
    stored = orders.get(order.id)
    assert stored is not None and stored.contact is None and json.loads(claim.body)["contact"] is None


def test_claims_lock_rows_until_they_expire(outbox_url: str, clock: FakeClock) -> None:
    first, second = WorkOrderStore(outbox_url, clock=clock), WorkOrderStore(outbox_url, clock=clock)
    try:
        first.create_schema()
        created = {first.create(make_order(number)).id for number in range(5)}
        claims = first.claim_due(clock.now, clock.now + 10, limit=50)
        assert {claim.order_id for claim in claims} == created
        assert second.claim_due(clock.now + 9.9, clock.now + 20, limit=50) == []  # still locked
        first.mark_delivered(claims[0].order_id, clock.now + 1)
        # A claimer that died (SIGKILL) never releases: its rows come back once the lock expires.
        taken_over = second.claim_due(clock.now + 10, clock.now + 20, limit=50)
        assert {claim.order_id for claim in taken_over} == created - {claims[0].order_id}
    finally:
        first.close()
        second.close()


def test_concurrent_deliverers_never_send_a_row_twice(orders: WorkOrderStore, outbox_url: str, receiver: Receiver,
                                                      deliverers: list[OutboxDeliverer]) -> None:
    created = {orders.create(make_order(number)).id for number in range(40)}
    receiver.delay = 0.005
    receiver.start()
    stores = [WorkOrderStore(outbox_url), WorkOrderStore(outbox_url)]
    workers = [deliverer_for(deliverers, store, receiver.url, batch=4) for store in stores]
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def work(deliverer: OutboxDeliverer) -> None:
        try:
            barrier.wait()
            deadline = time.monotonic() + 20
            while orders.pending_count() and time.monotonic() < deadline:
                deliverer.deliver_due()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(deliverer,)) for deliverer in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for store in stores:
        store.close()
    assert errors == []
    keys = receiver.keys_posted()
    assert sorted(keys) == sorted(created)  # each row sent exactly once, by one of the two
    assert orders.delivered_count() == 40


def test_background_thread_delivers_orders_created_later(orders: WorkOrderStore, receiver: Receiver,
                                                         deliverers: list[OutboxDeliverer]) -> None:
    receiver.start()
    stop = threading.Event()
    thread = deliverer_for(deliverers, orders, receiver.url).start_background(stop, poll_interval=0.02)
    try:
        created = {orders.create(make_order(number)).id for number in range(5)}
        wait_until(lambda: orders.delivered_count() == 5, 10, "the background thread to deliver 5 orders")
        assert set(receiver.accepted) == created
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_logs_and_stored_errors_mask_personal_data(orders: WorkOrderStore, receiver: Receiver,
                                                   deliverers: list[OutboxDeliverer],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    order = orders.create(make_order(consent=True))  # the phone is in the payload, as consented
    receiver.statuses = [500]
    receiver.echo = True  # the receiver's error page repeats the request body
    receiver.start()
    deliverer = deliverer_for(deliverers, orders, receiver.url, base_delay=0.0)
    with caplog.at_level(logging.INFO, logger="bot.handoff.outbox"):
        assert deliverer.deliver_due() == 0
        assert deliverer.deliver_due() == 1
    assert PHONE in receiver.posts[0].body.decode()  # the test would notice an unmasked phone
    assert PHONE not in caplog.text and MASKED_PHONE in caplog.text
    assert order.reference in caplog.text and order.id in caplog.text and "HTTP 500" in caplog.text
    status = orders.status(order.id)
    assert status is not None and PHONE not in (status.last_error or "") and MASKED_PHONE in (status.last_error or "")


# The worker process


def test_worker_requires_a_database_and_a_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DAOBAN_WORK_ORDER_WEBHOOK", raising=False)
    with pytest.raises(SystemExit):
        parse_args(["--webhook", "http://127.0.0.1:1/"])
    args = parse_args(["--db", "sqlite:///x.db", "--webhook", "http://127.0.0.1:1/", "--base-delay", "0.05"])
    assert args.base_delay == 0.05 and args.timeout == 5.0


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    """Worker processes a test starts; any still running at the end are killed."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(5)


@pytest.mark.slow
def test_webhook_down_then_back_with_worker_killed_loses_nothing(
        tmp_path: Path, receiver: Receiver, processes: list[subprocess.Popen]) -> None:
    """The acceptance test: 50 orders while the webhook is down, workers SIGKILLed twice, all arrive."""
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    store = WorkOrderStore(url)
    store.create_schema()
    environment = os.environ | {SECRET_VARIABLE: SECRET}
    logs: list[Path] = []

    def start_worker() -> subprocess.Popen:
        log_path = tmp_path / f"worker-{len(logs)}.log"
        logs.append(log_path)
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.handoff.outbox_worker", "--db", url, "--webhook", receiver.url,
                 "--timeout", "1", "--base-delay", "0.05", "--max-delay", "0.5", "--batch", "5",
                 "--poll-interval", "0.05"],
                cwd=ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    def kill(process: subprocess.Popen) -> None:
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(5) == -signal.SIGKILL

    def fewest_attempts() -> int:
        with store.engine.connect() as connection:
            return connection.scalar(select(func.min(OutboxRow.attempts))) or 0

    try:
        first = start_worker()
        created = [store.create(make_order(number)) for number in range(50)]  # webhook down meanwhile
        wait_until(lambda: fewest_attempts() >= 2, 15, "the first worker to try every order twice")
        kill(first)
        assert store.pending_count() == 50 and receiver.posts == []

        receiver.delay = 0.05  # slow enough to kill the next worker in the middle of the backlog
        receiver.start()
        second = start_worker()
        wait_until(lambda: len(receiver.accepted) >= 10, 15, "the second worker to deliver 10 orders")
        kill(second)
        assert store.pending_count() > 0, "the second worker finished before it could be killed mid-way"

        third = start_worker()
        wait_until(lambda: store.delivered_count() == 50, 20, "all 50 orders to be delivered")
        third.send_signal(signal.SIGTERM)
        assert third.wait(10) == 0
    finally:
        store.close()

    worker_logs = "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in logs)
    assert set(receiver.accepted) == {order.id for order in created}, worker_logs  # all 50, once each
    assert {order.id: order.payload() for order in created} == receiver.accepted
    assert all(post.valid for post in receiver.posts)
    assert len(receiver.posts) >= 50  # at least once; duplicates (a kill after the POST) were de-duplicated
    assert "delivered" in worker_logs and PHONE not in worker_logs
