"""For teams that already run Rasa: the real ``daoban rasa-actions`` server (rasa-sdk, in its
own process) answering Rasa's action webhook payloads, and ``daoban export rasa``'s project
skeleton agreeing with those actions and with our training data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from bot.assistant import Assistant
from bot.dialogue.payloads import BUTTON_INTENTS
from bot.handoff.policy import staffed
from connectors.rasa.actions import ACTIONS, ANSWER, HANDOFF, SLOTS, WORK_ORDER
from connectors.rasa.export import FALLBACK_INTENT, export_project
from daoban.settings import Settings
from nlu.training_data import parse_nlu
from tests.paths import ROOT
from tests.servers import free_port

STARTUP_SECONDS = 180


@pytest.fixture(scope="module")
def action_server(assistant: Assistant, embedding_cache_url: str,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``daoban rasa-actions`` on a free port with its own SQLite database; yields (URL, database URL).
    (``assistant`` first, so the embedding cache the server reads is already filled.)"""
    database = f"sqlite:///{tmp_path_factory.mktemp('actions') / 'daoban.db'}"
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database, "DAOBAN_EMBEDDING_CACHE": embedding_cache_url,
                   "DAOBAN_WORK_ORDER_WEBHOOK": ""}
    process = subprocess.Popen([sys.executable, "-m", "daoban.cli", "rasa-actions", "--port", str(port)],
                               cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"daoban rasa-actions exited: {process.stdout.read().decode() if process.stdout else ''}")
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("daoban rasa-actions did not start")
            time.sleep(0.5)
        yield url, database
    finally:
        process.terminate()
        process.wait(timeout=20)


def webhook(url: str, action: str, sender: str, said: str, intent: str = "ask", events: list | None = None,
            slots: dict | None = None) -> httpx.Response:
    """What Rasa's server posts to an action server to run ``action``."""
    tracker = {
        "sender_id": sender, "slots": slots or {}, "paused": False, "followup_action": None, "active_loop": {},
        "latest_message": {"text": said, "intent": {"name": intent, "confidence": 0.93}, "entities": []},
        "events": events or [{"event": "user", "text": said, "parse_data": {"intent": {"name": intent}}}],
        "latest_action_name": "action_listen", "latest_event_time": time.time(),
    }
    body = {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": {}, "version": "3.6.21"}
    return httpx.post(url + "/webhook", json=body, timeout=30)


def slots_set(result: dict[str, Any]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in result["events"] if event["event"] == "slot"}


def test_the_server_lists_our_actions(action_server: tuple[str, str]) -> None:
    url, _ = action_server
    names = {action["name"] for action in httpx.get(url + "/actions").json()}
    assert names == {ANSWER, WORK_ORDER, HANDOFF}
    assert webhook(url, "action_no_such", "u0", "你好").status_code == 404
    assert httpx.post(url + "/webhook", content=b"null", headers={"Content-Type": "application/json"}).status_code \
        == 400


def test_answers_from_guides_with_situation_guidance(action_server: tuple[str, str]) -> None:
    url, _ = action_server
    first = webhook(url, ANSWER, "rasa-u1", "身份证丢了怎么补办").json()
    assert slots_set(first)["daoban_item"] == "id-card-reissue" and slots_set(first)["daoban_outcome"] == "answer"
    texts = "".join(r.get("text") or "" for r in first["responses"])
    assert "居民身份证补领" in texts and "户口" in texts  # its situations are asked first
    buttons = [b for r in first["responses"] for b in r.get("buttons") or []]
    question = next(b for b in buttons if b["payload"].startswith("/choose_situation"))
    assert question["title"] in {"本市户籍", "外省市户籍（跨省通办异地补领）"}

    non_local = next(b for b in buttons if b["title"].startswith("外省市户籍"))
    second = webhook(url, ANSWER, "rasa-u1", non_local["payload"], intent="choose_situation",
                     slots={"daoban_item": "id-card-reissue"}).json()
    assert "临时居民身份证" in "".join(r.get("text") or "" for r in second["responses"])  # the next question
    skip = next(b for r in second["responses"] for b in r.get("buttons") or [] if b["payload"] == "/skip")
    third = webhook(url, ANSWER, "rasa-u1", skip["payload"], intent="skip").json()
    tailored = "".join(r.get("text") or "" for r in third["responses"])
    assert "居住证" in tailored and "外省市户籍" in tailored  # the list for the chosen situation
    assert "版本日期 2026-09-20" in tailored


def test_files_a_work_order_of_rasas_intent_from_rasas_transcript(action_server: tuple[str, str]) -> None:
    url, database = action_server
    events = [{"event": "user", "text": "营业执照怎么办"}, {"event": "bot", "text": "【营业执照】……"},
              {"event": "user", "text": "我要投诉，窗口让我跑了三趟，电话13812345678"}]
    result = webhook(url, WORK_ORDER, "rasa-u2", events[-1]["text"], intent="complaint", events=events).json()
    reference = slots_set(result)["daoban_work_order"]
    assert reference.startswith("GD") and reference in result["responses"][0]["text"]
    assert {b["payload"] for b in result["responses"][0]["buttons"]} >= {'/contact{"consent": "yes"}'}
    with create_engine(database).connect() as connection:
        kind, payload = connection.execute(text("SELECT kind, payload FROM work_order WHERE reference = :r"),
                                           {"r": reference}).one()
    order = json.loads(payload)
    assert kind == "complaint" and "跑了三趟" in order["summary"] and "营业执照怎么办" in order["summary"]
    assert "13812345678" not in payload  # no consent yet: masked
    assert [turn["role"] for turn in order["transcript"]][:3] == ["user", "bot", "user"]


def test_hands_over_to_staff_or_says_when_they_are_back(action_server: tuple[str, str], settings: Settings) -> None:
    url, _ = action_server
    on_duty = staffed(datetime.now(ZoneInfo(settings.handoff.timezone)), settings.centre)
    result = webhook(url, HANDOFF, "rasa-u3", "转人工", intent="request_human").json()
    reply = result["responses"][0]["text"]
    assert ("转接人工" in reply) if on_duty else ("不是人工服务时间" in reply)
    assert slots_set(result) == {"daoban_handoff": "agent"}


def test_the_exported_project_matches_the_actions_and_training_data(settings: Settings, tmp_path: Path) -> None:
    written = export_project(settings, tmp_path, "http://actions:5055/webhook")
    assert {path.name for path in written} >= {"nlu.yml", "rules.yml", "domain.yml", "endpoints.yml", "config.yml"}
    load = lambda name: yaml.safe_load((tmp_path / name).read_text(encoding="utf-8"))  # noqa: E731
    nlu, domain, rules = load("data/nlu.yml"), load("domain.yml"), load("data/rules.yml")
    trained = parse_nlu(nlu, "nlu.yml")  # our own Rasa reader reads it back
    assert {"ask", "complaint", "request_human", "greet"} <= set(trained.intents)
    assert any(line == "身份证丢了怎么补办" for line in trained.intents["ask"])  # a guide's example question
    assert trained.synonyms and trained.lookups
    assert set(domain["intents"]) == set(trained.intents) | set(BUTTON_INTENTS)
    assert set(domain["actions"]) == {action.action_name for action in ACTIONS}
    assert set(domain["slots"]) == set(SLOTS)
    steps = {rule["steps"][0]["intent"]: rule["steps"][1]["action"] for rule in rules["rules"]}
    assert set(steps) == set(domain["intents"]) | {FALLBACK_INTENT}
    assert steps["complaint"] == WORK_ORDER and steps["request_human"] == HANDOFF and steps["ask"] == ANSWER
    assert steps["choose_situation"] == ANSWER
    assert load("endpoints.yml") == {"action_endpoint": {"url": "http://actions:5055/webhook"}}


def test_every_button_intent_is_declared() -> None:
    """A button whose intent the exported domain lacks would be unknown to Rasa."""
    sources = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("connectors/**/*.py")]
    used = {match.split('"')[1] for path in sources
            for match in re.findall(r'payload\("[a-z_]+"', path.read_text(encoding="utf-8"))}
    assert used and used <= set(BUTTON_INTENTS)
