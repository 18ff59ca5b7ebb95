"""The minimal HTTP app: knowledge endpoints, readiness, and escaping of guide text in pages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from connectors.http_app import create_app
from daoban.settings import Settings
from knowledge.loader import load_directory
from knowledge.store import KnowledgeStore
from tests.paths import DATA_DIR


@pytest.fixture
def client(settings: Settings, knowledge: KnowledgeStore) -> TestClient:
    """The knowledge endpoints alone (no runtime)."""
    return TestClient(create_app(settings, knowledge))


def test_health_and_readiness(client: TestClient, tmp_path: Path, settings: Settings) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["entries"] >= 1
    empty = TestClient(create_app(settings, KnowledgeStore(f"sqlite:///{tmp_path / 'empty.db'}")))
    assert empty.get("/ready").status_code == 503


def test_list_search_and_show(client: TestClient) -> None:
    events = client.get("/api/guides", params={"kind": "event"}).json()
    assert events and all(row["kind"] == "event" for row in events)
    found = client.get("/api/guides", params={"q": "第一次办身份证"}).json()
    assert [row["slug"] for row in found] == ["id-card-first"]
    answer = client.get("/api/guides/id-card-first", params={"section": "fee"}).json()
    assert answer["focus"] == "fee" and answer["sections"][0]["key"] == "fee"
    assert "2026-10-15" in answer["citation"]
    tailored = client.get("/api/guides/id-card-first", params={"situation": "age=under-16"}).json()
    assert tailored["situation"][0]["label"] == "未满16周岁"


def test_home_page_shows_the_guides_marked_common(client: TestClient) -> None:
    home = client.get("/").text
    assert 'href="/guides/id-card-reissue"' in home and 'href="/guides/event-company-startup"' in home
    assert 'href="/guides/id-card-temp"' not in home  # frequency: low
    assert 'href="/guides/id-card-first"' not in home  # normal
    listed = {row["slug"]: row["frequency"] for row in client.get("/api/guides", params={"kind": "item"}).json()}
    assert listed["id-card-reissue"] == "high" and listed["id-card-first"] == "normal"


def test_errors_are_clear_json(client: TestClient) -> None:
    missing = client.get("/api/guides/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    assert client.get("/api/guides/id-card-first", params={"situation": "age=99"}).status_code == 400
    assert client.get("/api/guides/id-card-first", params={"section": "<script>"}).status_code == 422
    assert client.get("/api/guides", params={"q": "x" * 101}).status_code == 422


def test_pages_escape_guide_text(tmp_path: Path, settings: Settings) -> None:
    data = yaml.safe_load((DATA_DIR / "items" / "id-card-first.yaml").read_text(encoding="utf-8"))
    data["name"] = "<script>alert('x')</script>身份证"
    data["conditions"] = ["<img src=x onerror=alert(1)>"]
    data["frequency"] = "high"  # on the home page too
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "id-card-first.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    store = KnowledgeStore(f"sqlite:///{tmp_path / 'x.db'}")
    store.build(load_directory(tmp_path / "kb").entries, source="hostile")
    client = TestClient(create_app(settings, store))
    for page in (client.get("/").text, client.get("/guides").text, client.get("/guides/id-card-first").text,
                 client.get("/guides", params={"q": "<b>"}).text):
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in client.get("/guides/id-card-first").text
