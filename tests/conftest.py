"""Shared fixtures: the sample knowledge base, settings, and stores on SQLite and the real PostgreSQL.

Tests that need PostgreSQL or Redis use the servers at ``DATABASE_URL`` / ``REDIS_URL``
(default 127.0.0.1). They skip only when no server is reachable and
``DAOBAN_REQUIRE_SERVICES`` is unset; CI sets it, so there they fail instead.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from bot.assistant import Assistant
from bot.dialogue.engine import Dialogue
from bot.handoff.outbox import WorkOrderStore
from bot.service_requests.store import ServiceRequestStore
from bot.tracker import tracker_store_from_url
from connectors.console.relay import Hub, ServerRelay
from connectors.console.users import StaffStore
from connectors.http_app import create_app, with_socketio
from connectors.runtime import Runtime
from daoban.settings import Settings, load_settings
from knowledge.loader import LoadResult, load_directory
from knowledge.store import KnowledgeStore
from nlu.pipeline import build_understander
from tests.browser import chromium_browser
from tests.paths import DATA_DIR
from tests.servers import serving

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def require_service(url: str, name: str) -> None:
    """Skip (or fail, when services are required) unless the server answers on its port."""
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), timeout=2).close()
    except OSError as exc:
        message = f"{name} not reachable at {parsed.hostname}:{parsed.port}: {exc}"
        if os.environ.get("DAOBAN_REQUIRE_SERVICES"):
            pytest.fail(message + " (DAOBAN_REQUIRE_SERVICES is set)")
        pytest.skip(message)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(environ={})


@pytest.fixture(scope="session")
def sample_kb() -> LoadResult:
    return load_directory(DATA_DIR)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = os.environ.get("DATABASE_URL", POSTGRES_DEFAULT)
    if not base.startswith("postgresql"):
        base = POSTGRES_DEFAULT
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    require_service(base, "PostgreSQL")
    schema = f"daoban_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KnowledgeStore]:
    """The same store tests run on SQLite and on the real PostgreSQL server."""
    url = f"sqlite:///{tmp_path / 'kb.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    knowledge_store = KnowledgeStore(url, keep_versions=3)
    knowledge_store.create_schema()
    yield knowledge_store
    knowledge_store.close()


@pytest.fixture(scope="session")
def embedding_cache_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One embedding cache for the whole run, so each guide text is embedded once per run."""
    return f"sqlite:///{tmp_path_factory.mktemp('embeddings') / 'cache.db'}"


@pytest.fixture(scope="session")
def assistant(settings: Settings, sample_kb: LoadResult, embedding_cache_url: str) -> Assistant:
    """The assistant on the sample knowledge base with the default (dense + lexical) pipeline."""
    return Assistant(sample_kb.entries, settings,
                     build_understander(sample_kb.entries, settings.nlu, embedding_cache_url))


STAFFED = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday morning: staff on duty
STAFF_PASSWORD = "correct-horse-9"


@pytest.fixture
def runtime(assistant: Assistant, settings: Settings, tmp_path: Path) -> Runtime:
    """What ``daoban serve`` builds, on temporary SQLite stores, with staff on duty and one
    staff account (``wang`` / ``STAFF_PASSWORD``)."""
    url = f"sqlite:///{tmp_path / 'runtime.db'}"
    orders, requests, staff = WorkOrderStore(url), ServiceRequestStore(url), StaffStore(url)
    for store in (orders, requests, staff):
        store.create_schema()
    staff.add("wang", "王工作人员", "agent", STAFF_PASSWORD)
    relay = ServerRelay(Hub())
    dialogue = Dialogue(assistant, tracker_store_from_url(None, 0), settings.dialogue, orders, lambda: STAFFED,
                        relay=relay, service_requests=requests)
    return Runtime(settings, assistant, dialogue, relay, staff)


@pytest.fixture
def knowledge(sample_kb: LoadResult, tmp_path: Path) -> KnowledgeStore:
    """A knowledge store on temporary SQLite with the sample guides built in."""
    store = KnowledgeStore(f"sqlite:///{tmp_path / 'kb.db'}")
    store.build(sample_kb.entries, source="sample")
    return store


@pytest.fixture
def client(runtime: Runtime, settings: Settings, knowledge: KnowledgeStore) -> TestClient:
    """The whole app with every channel, in process."""
    return TestClient(create_app(settings, knowledge, runtime))


@pytest.fixture
def server_url(runtime: Runtime, settings: Settings, knowledge: KnowledgeStore) -> Iterator[str]:
    """The whole app, Socket.IO in front, on a real uvicorn server in a thread."""
    with serving(with_socketio(create_app(settings, knowledge, runtime), runtime, settings)) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator:
    yield from chromium_browser()
