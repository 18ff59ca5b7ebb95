"""The same tracker-store tests on memory, SQLite, the real PostgreSQL and the real Redis.

Memory and SQL stores get an injected clock, so expiry is tested by advancing it; Redis
keeps its own time, so its expiry tests use a real 0.3 s expiry and short sleeps.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.tracker import ConversationKey, TrackerStore, tracker_store_from_url
from bot.tracker.memory import InMemoryTrackerStore
from bot.tracker.redis_store import RedisTrackerStore
from bot.tracker.sql import SqlTrackerStore
from tests.conftest import require_service

REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
EXPIRY = 0.3  # seconds; real time on Redis, clock time elsewhere
TEN_YEARS = 10 * 365 * 86400.0

KEY = ConversationKey("wechat", "oABC123")
STATE: dict[str, Any] = {
    "intent": "办理身份证",
    "slots": {"age": "under-16", "district": "朝阳区", "materials": ["户口簿", "照片"]},
    "history": [{"user": "身分證掉了咋辦", "bot": "请问办理人是否未满16周岁？"}],
    "turn": 3,
    "handoff": False,
    "score": 0.75,
    "note": None,
}


def redis_url() -> str:
    return os.environ.get("REDIS_URL", REDIS_DEFAULT)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    """Opens stores of one kind on one database / prefix, and closes them afterwards."""

    kind: str
    factory: Callable[[float], TrackerStore]
    clock: FakeClock | None  # None: the back end keeps real time (Redis)
    stores: list[TrackerStore] = field(default_factory=list)

    def open(self, expiry_seconds: float = 0) -> TrackerStore:
        store = self.factory(expiry_seconds)
        self.stores.append(store)
        return store

    def idle(self, seconds: float) -> None:
        """Let the conversation sit: advance the fake clock, or really wait on Redis."""
        if self.clock is not None:
            self.clock.advance(seconds)
        else:
            time.sleep(seconds)


def open_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    clock = FakeClock()
    if kind == "memory":
        return Backend(kind, lambda expiry: InMemoryTrackerStore(expiry, clock=clock), clock)
    if kind in ("sqlite", "postgresql"):
        url = f"sqlite:///{tmp_path / 'tracker.db'}" if kind == "sqlite" else request.getfixturevalue("postgres_url")
        return Backend(kind, lambda expiry: SqlTrackerStore(url, expiry, clock=clock), clock)
    url = redis_url()
    require_service(url, "Redis")
    prefix = f"daoban:test:{uuid.uuid4().hex}:"
    return Backend(kind, lambda expiry: RedisTrackerStore(url, expiry, prefix=prefix), None)


def close_backend(backend: Backend) -> None:
    for store in backend.stores:
        if isinstance(store, RedisTrackerStore):
            keys = list(store.client.scan_iter(match=store.prefix + "*"))
            if keys:
                store.client.delete(*keys)
        store.close()


ALL = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.services),
       pytest.param("redis", marks=pytest.mark.services)]
CLOCKED = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


@pytest.fixture(params=ALL)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    opened = open_backend(request.param, request, tmp_path)
    yield opened
    close_backend(opened)


@pytest.fixture(params=CLOCKED)
def clocked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Back ends with an injectable clock and ``purge_expired`` (memory and SQL)."""
    opened = open_backend(request.param, request, tmp_path)
    yield opened
    close_backend(opened)


# --- every back end -----------------------------------------------------------------------------


def test_round_trip_of_nested_chinese_state(backend: Backend) -> None:
    store = backend.open()
    assert isinstance(store, TrackerStore)
    store.save(KEY, STATE)
    assert store.load(KEY) == STATE


def test_absent_conversation_loads_as_none(backend: Backend) -> None:
    store = backend.open()
    assert store.load(ConversationKey("web", str(uuid.uuid4()))) is None
    store.save(KEY, STATE)
    assert store.load(ConversationKey("web", KEY.sender)) is None


def test_channels_and_senders_are_isolated(backend: Backend) -> None:
    store = backend.open()
    keys = [
        ConversationKey("wechat", "same"),
        ConversationKey("web", "same"),
        ConversationKey("a:b", "c"),
        ConversationKey("a", "b:c"),
        ConversationKey("a", "b%3Ac"),  # what "b:c" percent-encodes to
        ConversationKey("web", "it's \"quoted\""),
        ConversationKey("微信", "张三:李四"),
        ConversationKey("web", "*"),
    ]
    for index, key in enumerate(keys):
        store.save(key, {"index": index, "who": key.sender})
    for index, key in enumerate(keys):
        assert store.load(key) == {"index": index, "who": key.sender}
    store.delete(keys[0])
    assert store.load(keys[0]) is None
    assert store.load(keys[1]) == {"index": 1, "who": "same"}


def test_save_overwrites(backend: Backend) -> None:
    store = backend.open()
    store.save(KEY, STATE)
    store.save(KEY, {"turn": 4})
    assert store.load(KEY) == {"turn": 4}


def test_delete_and_delete_absent(backend: Backend) -> None:
    store = backend.open()
    store.save(KEY, STATE)
    store.delete(KEY)
    assert store.load(KEY) is None
    store.delete(KEY)
    store.delete(ConversationKey("web", "never-seen"))
    assert store.load(KEY) is None


def test_stored_state_is_not_shared_by_reference(backend: Backend) -> None:
    store = backend.open()
    state = {"slots": {"age": "adult"}, "history": []}
    store.save(KEY, state)
    state["slots"]["age"] = "changed"
    state["history"].append("changed")
    loaded = store.load(KEY)
    assert loaded == {"slots": {"age": "adult"}, "history": []}
    assert loaded is not None
    loaded["slots"]["age"] = "mutated after load"
    assert store.load(KEY) == {"slots": {"age": "adult"}, "history": []}


def test_idle_conversation_expires(backend: Backend) -> None:
    store = backend.open(EXPIRY)
    store.save(KEY, STATE)
    assert store.load(KEY) == STATE
    backend.idle(EXPIRY + 0.1)
    assert store.load(KEY) is None
    store.save(KEY, {"turn": 1})  # a new conversation starts afresh
    assert store.load(KEY) == {"turn": 1}


def test_saving_refreshes_the_idle_timer(backend: Backend) -> None:
    store = backend.open(EXPIRY)
    store.save(KEY, {"turn": 1})
    backend.idle(0.2)
    store.save(KEY, {"turn": 2})
    backend.idle(0.2)  # 0.4 s since the first save, 0.2 s since the last
    assert store.load(KEY) == {"turn": 2}
    backend.idle(EXPIRY + 0.1)
    assert store.load(KEY) is None


@pytest.mark.parametrize("expiry", [0, -1])
def test_zero_or_negative_expiry_never_expires(backend: Backend, expiry: float) -> None:
    store = backend.open(expiry)
    store.save(KEY, STATE)
    if isinstance(store, RedisTrackerStore):
        assert store.client.pttl(store.key_for(KEY)) == -1  # no time to live at all, so no need to wait
    else:
        backend.idle(TEN_YEARS)
    assert store.load(KEY) == STATE


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"when": object()}, TypeError),
        ({"ids": {1, 2}}, TypeError),
        ({"score": float("nan")}, ValueError),
        (["not", "a", "dict"], TypeError),
    ],
)
def test_non_json_state_raises_and_keeps_the_previous_state(
    backend: Backend, bad: Any, error: type[Exception]
) -> None:
    store = backend.open()
    store.save(KEY, STATE)
    with pytest.raises(error, match=r"wechat:#[0-9a-f]{10}") as raised:
        store.save(KEY, bad)
    assert KEY.sender not in str(raised.value)
    assert store.load(KEY) == STATE


def test_circular_state_raises(backend: Backend) -> None:
    store = backend.open()
    state: dict[str, Any] = {}
    state["self"] = state
    with pytest.raises(ValueError, match="wechat:#"):
        store.save(KEY, state)
    assert store.load(KEY) is None


def test_concurrent_saves_to_different_keys_all_land(backend: Backend) -> None:
    store = backend.open()
    keys = [ConversationKey("web", f"user-{index}") for index in range(32)]

    def work(index: int) -> None:
        for turn in range(2):
            store.save(keys[index], {"index": index, "turn": turn, "text": "你好"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(len(keys))))
    assert [store.load(key) for key in keys] == [
        {"index": index, "turn": 1, "text": "你好"} for index in range(len(keys))
    ]


def test_concurrent_saves_to_one_key_leave_one_whole_state(backend: Backend) -> None:
    store = backend.open()
    states = [{"writer": index, "payload": "材料" * 50} for index in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda state: store.save(KEY, state), states))
    assert store.load(KEY) in states


def test_logs_never_carry_state_or_sender(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = backend.open(EXPIRY)
    sender = "o-secret-sender-id"
    key = ConversationKey("wechat", sender)
    store.save(key, {"id_number": "110101200001011234"})
    assert store.load(key) == {"id_number": "110101200001011234"}
    if backend.clock is not None:  # Redis expires keys itself and logs nothing
        backend.idle(EXPIRY + 0.1)
        assert store.load(key) is None
        assert key.masked() in caplog.text  # the expiry was logged, masked
    assert sender not in caplog.text
    assert "110101200001011234" not in caplog.text


# --- back ends that persist ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.services),
                                     pytest.param("redis", marks=pytest.mark.services)], indirect=True)
def test_state_survives_a_new_store_instance(backend: Backend) -> None:
    first = backend.open()
    first.save(KEY, STATE)
    first.close()
    second = backend.open()
    assert second.load(KEY) == STATE


# --- memory and SQL: purge ----------------------------------------------------------------------


def test_purge_expired_deletes_only_idle_conversations(clocked: Backend) -> None:
    store = clocked.open(60)
    for index in range(3):
        store.save(ConversationKey("web", f"idle-{index}"), {"index": index})
    clocked.idle(40)
    fresh = ConversationKey("web", "fresh")
    store.save(fresh, {"fresh": True})
    clocked.idle(30)  # idle ones 70 s, the fresh one 30 s
    assert store.purge_expired() == 3  # type: ignore[attr-defined]
    assert store.purge_expired() == 0  # type: ignore[attr-defined]
    assert store.load(fresh) == {"fresh": True}
    # Gone from storage, not merely hidden: a store that never expires does not see them either.
    forever = clocked.open(0)
    if clocked.kind != "memory":
        assert forever.load(ConversationKey("web", "idle-0")) is None
        assert forever.load(fresh) == {"fresh": True}
    assert forever.purge_expired() == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("clocked", ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
                         indirect=True)
def test_sql_stores_share_state_and_expiry(clocked: Backend) -> None:
    reader = clocked.open(60)
    writer = clocked.open(60)
    writer.save(KEY, {"turn": 1})
    clocked.idle(61)
    assert reader.load(KEY) is None
    writer.save(KEY, {"turn": 2})
    assert reader.load(KEY) == {"turn": 2}


def test_memory_store_sweeps_idle_conversations_on_save() -> None:
    clock = FakeClock()
    store = InMemoryTrackerStore(60, clock=clock)
    for index in range(5):
        store.save(ConversationKey("web", f"gone-{index}"), {"index": index})
    clock.advance(61)
    store.save(KEY, STATE)  # more than one expiry period since the last sweep
    assert len(store._states) == 1
    assert store.load(KEY) == STATE


# --- SQL specifics ------------------------------------------------------------------------------


def test_create_schema_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'tracker.db'}"
    store = SqlTrackerStore(url, 0)
    store.save(KEY, STATE)
    store.create_schema()
    store.create_schema()
    assert store.load(KEY) == STATE
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db"])
def test_sql_store_rejects_unsuitable_databases(url: str) -> None:
    with pytest.raises(ValueError, match=r"memory|unsupported"):
        SqlTrackerStore(url, 0)


# --- Redis specifics ----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", [pytest.param("redis", marks=pytest.mark.services)], indirect=True)
def test_redis_uses_native_expiry_and_encoded_keys(backend: Backend) -> None:
    store = backend.open(EXPIRY)
    assert isinstance(store, RedisTrackerStore)
    key = ConversationKey("a:b", "张三")
    store.save(key, STATE)
    redis_key = store.key_for(key)
    assert redis_key == f"{store.prefix}a%3Ab:%E5%BC%A0%E4%B8%89"
    assert 0 < store.client.pttl(redis_key) <= EXPIRY * 1000
    assert store.key_for(ConversationKey("a:b", "c")) != store.key_for(ConversationKey("a", "b:c"))


# --- keys and the factory -----------------------------------------------------------------------


@pytest.mark.parametrize(("channel", "sender"), [("", "x"), ("web", ""), ("web", "a\x00b"), ("web", None)])
def test_conversation_key_rejects_bad_parts(channel: str, sender: Any) -> None:
    with pytest.raises(ValueError, match="ConversationKey"):
        ConversationKey(channel, sender)


def test_masked_key_hides_the_sender() -> None:
    masked = KEY.masked()
    assert masked.startswith("wechat:#")
    assert KEY.sender not in masked
    assert masked == ConversationKey("wechat", "oABC123").masked()
    assert masked != ConversationKey("wechat", "oABC124").masked()


@pytest.mark.parametrize("url", [None, "", "memory", "  memory  "])
def test_factory_defaults_to_memory(url: str | None) -> None:
    store = tracker_store_from_url(url, 30)
    assert isinstance(store, InMemoryTrackerStore)
    assert store.expiry_seconds == 30


def test_factory_builds_sqlite(tmp_path: Path) -> None:
    store = tracker_store_from_url(f"sqlite:///{tmp_path / 'tracker.db'}", 30)
    assert isinstance(store, SqlTrackerStore)
    assert store.expiry_seconds == 30
    store.save(KEY, STATE)
    assert store.load(KEY) == STATE
    store.close()


@pytest.mark.services
def test_factory_builds_postgresql(postgres_url: str) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)  # the driver is filled in
    store = tracker_store_from_url(plain, 30)
    assert isinstance(store, SqlTrackerStore)
    assert store.engine.dialect.name == "postgresql"
    store.save(KEY, STATE)
    assert store.load(KEY) == STATE
    store.close()


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://user:pw@cache.example:6380/1"])
def test_factory_builds_redis_without_connecting(url: str) -> None:
    store = tracker_store_from_url(url, 30)
    assert isinstance(store, RedisTrackerStore)
    assert store.expiry_seconds == 30
    store.close()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgres://u@h/db", "memcached://h", "var/tracker.db", "mem"])
def test_factory_rejects_unknown_urls(url: str) -> None:
    with pytest.raises(ValueError, match="accepted forms") as raised:
        tracker_store_from_url(url, 30)
    assert "redis://" in str(raised.value) and "sqlite:///" in str(raised.value)


def test_factory_error_hides_passwords() -> None:
    with pytest.raises(ValueError) as raised:
        tracker_store_from_url("mysql://admin:s3cret@db.example/app", 30)
    assert "s3cret" not in str(raised.value)
