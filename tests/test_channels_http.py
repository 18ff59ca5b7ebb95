"""The message API and Rasa's REST and Socket.IO channels, on a real server where the
protocol needs one: each turns its protocol into one ``UserMessage`` and renders the same turn."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import socketio
from fastapi.testclient import TestClient

from bot.assistant import Assistant
from bot.dialogue.engine import Dialogue
from bot.handoff.outbox import WorkOrderStore
from bot.tracker import tracker_store_from_url
from connectors.http_app import create_app
from connectors.runtime import Runtime
from daoban.settings import Settings
from knowledge.store import KnowledgeStore
from tests.servers import SECRET, Receiver, free_port


def test_a_message_gets_the_answer_a_checklist_card_and_the_decision(client: TestClient) -> None:
    reply = client.post("/api/messages", json={"sender": "web-1", "text": "护照要带什么材料"})
    assert reply.status_code == 200
    body = reply.json()
    decision = body["decision"]
    assert (decision["outcome"], decision["item"], decision["section"]) == ("answer", "passport", "materials")
    assert 0 < decision["confidence"] <= 1 and decision["candidates"][0] == "passport"
    kinds = [message["type"] for message in body["messages"]]
    assert kinds[0] == "text" and "card" in kinds
    card = next(message for message in body["messages"] if message["type"] == "card")
    assert card["slug"] == "passport" and card["checklist"] and "2026" in card["citation"]
    assert all(item["name"] and item["detail"] for item in card["checklist"])
    texts = [message for message in body["messages"] if message["type"] == "text"]
    assert [button["title"] for button in texts[-1]["buttons"]][-2:] == ["有用", "没用"]


def test_buttons_come_back_as_payloads_and_the_thread_is_kept(client: TestClient) -> None:
    asked = client.post("/api/messages", json={"sender": "web-2", "text": "公积金怎么取"}).json()
    assert asked["decision"]["outcome"] == "clarify"
    button = asked["messages"][0]["buttons"][0]
    chosen = client.post("/api/messages", json={"sender": "web-2", "text": button["payload"]}).json()
    assert (chosen["decision"]["outcome"], chosen["decision"]["item"]) == ("answer", asked["decision"]["candidates"][0])
    follow = client.post("/api/messages", json={"sender": "web-2", "text": "多久能到账"}).json()
    assert follow["decision"]["item"] == chosen["decision"]["item"]
    other = client.post("/api/messages", json={"sender": "web-3", "text": "多久能到账"}).json()
    assert other["decision"]["item"] != chosen["decision"]["item"]  # another sender, another conversation


def test_the_api_says_clearly_what_is_wrong_with_a_request(client: TestClient, settings: Settings) -> None:
    malformed = client.post("/api/messages", content=b'{"sender": "x", "text": ', headers={
        "Content-Type": "application/json"})
    assert malformed.status_code == 400 and "JSON" in malformed.json()["error"]
    missing = client.post("/api/messages", json={"sender": "x"})
    assert missing.status_code == 422 and missing.json()["details"][0]["loc"][-1] == "text"
    assert client.post("/api/messages", json={"sender": "<script>", "text": "你好"}).status_code == 422
    assert client.post("/api/messages", json={"sender": "x", "text": "好" * 2001}).status_code == 422
    limit = settings.server.max_body_bytes
    oversize = client.post("/api/messages", content=b"{" + b" " * limit + b"}",
                           headers={"Content-Type": "application/json"})
    assert oversize.status_code == 413 and str(limit) in oversize.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"sender": "x", "text": "'
        for _ in range(limit // 1000 + 1):
            yield b"a" * 1000
        yield b'"}'

    streamed = client.post("/api/messages", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_openapi_documents_the_message_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/messages", "/webhooks/rest/webhook", "/api/guides/{slug}"} <= set(spec["paths"])


def test_rasa_rest_webhook_answers_in_rasas_format(client: TestClient) -> None:
    reply = client.post("/webhooks/rest/webhook", json={"sender": "rasa-1", "message": "公积金怎么取",
                                                        "metadata": {"page": "/"}})
    assert reply.status_code == 200
    [message] = reply.json()
    assert message["recipient_id"] == "rasa-1" and message["text"]
    assert all(set(button) == {"title", "payload"} for button in message["buttons"])
    chosen = client.post("/webhooks/rest/webhook", json={"sender": "rasa-1",
                                                         "message": message["buttons"][0]["payload"]}).json()
    assert chosen and all(item["recipient_id"] == "rasa-1" for item in chosen)
    answer = client.post("/webhooks/rest/webhook", json={"sender": "rasa-2", "message": "护照要带什么材料"}).json()
    assert all(set(item) <= {"recipient_id", "text", "buttons", "image", "custom"} for item in answer)
    assert any("custom" in item and item["custom"]["type"] == "card" for item in answer)
    assert client.post("/webhooks/rest/webhook", json={"sender": "rasa-1"}).status_code == 422
    assert client.get("/webhooks/rest/").json() == {"status": "ok"}


def test_socketio_speaks_rasas_protocol(server_url: str) -> None:
    with socketio.SimpleClient() as client:
        client.connect(server_url, transports=["websocket"])
        client.emit("session_request", {"session_id": None})
        event, session_id = client.receive(timeout=10)
        assert event == "session_confirm" and isinstance(session_id, str) and session_id
        client.emit("user_uttered", {"message": "公积金怎么取", "session_id": session_id})
        event, uttered = client.receive(timeout=20)
        assert event == "bot_uttered" and uttered["text"]
        replies = uttered["quick_replies"]
        assert replies and all(r["content_type"] == "text" and r["title"] and r["payload"] for r in replies)
        client.emit("user_uttered", {"message": replies[0]["payload"], "session_id": session_id})
        event, chosen = client.receive(timeout=20)
        assert event == "bot_uttered" and chosen["text"]
        client.emit("user_uttered", {"message": "护照要带什么材料", "session_id": session_id})
        answers = [client.receive(timeout=20)[1]]
        while answers[-1].get("type") != "card":  # the answer's texts, the last with 有用 / 没用, then the card
            answers.append(client.receive(timeout=20)[1])
        assert answers[0]["text"].startswith("【") and answers[-2]["quick_replies"][-1]["title"] == "没用"
        assert answers[-1]["slug"] == "passport" and answers[-1]["checklist"]


def test_socketio_keeps_the_session_across_reconnects_and_ignores_bad_events(server_url: str) -> None:
    with socketio.SimpleClient() as first:
        first.connect(server_url, transports=["websocket"])
        first.emit("session_request", {"session_id": "kept-session-1"})
        assert first.receive(timeout=10) == ["session_confirm", "kept-session-1"]
        first.emit("user_uttered", {"message": "护照怎么办", "session_id": "kept-session-1"})
        assert first.receive(timeout=20)[0] == "bot_uttered"
    with socketio.SimpleClient() as again:  # a page reload: same session, same conversation
        again.connect(server_url, transports=["websocket"])
        again.emit("session_request", {"session_id": "kept-session-1"})
        again.receive(timeout=10)
        again.emit("user_uttered", "not an object")
        again.emit("user_uttered", {"message": "你好", "session_id": "<bad id>"})
        again.emit("user_uttered", {"message": "多少钱", "session_id": "kept-session-1"})
        event, uttered = again.receive(timeout=20)
        assert event == "bot_uttered" and "护照" in json.dumps(uttered, ensure_ascii=False)


def test_the_server_delivers_work_orders_itself(assistant: Assistant, settings: Settings, tmp_path: Path) -> None:
    receiver = Receiver(free_port()).start()
    handoff = settings.handoff.model_copy(update={"webhook_url": receiver.url, "webhook_secret": SECRET,
                                                  "poll_interval": 0.05})
    configured = settings.model_copy(update={"handoff": handoff})
    orders = WorkOrderStore(f"sqlite:///{tmp_path / 'orders.db'}")
    orders.create_schema()
    runtime = Runtime(configured, assistant, Dialogue(assistant, tracker_store_from_url(None, 0),
                                                      settings.dialogue, orders))
    runtime.start_outbox()
    try:
        client = TestClient(create_app(configured, KnowledgeStore(f"sqlite:///{tmp_path / 'kb.db'}"), runtime))
        filed = client.post("/api/messages", json={"sender": "w", "text": "我要投诉窗口态度差"}).json()
        assert filed["decision"]["target"] == "hotline"
        client.post("/api/messages", json={"sender": "w", "text": "不用联系我"})
        deadline = time.monotonic() + 10
        while not receiver.accepted:
            assert time.monotonic() < deadline, "work order not delivered"
            time.sleep(0.05)
        [order] = receiver.accepted.values()
        assert order["kind"] == "complaint" and order["reference"] in filed["messages"][0]["text"]
    finally:
        runtime.close()
        receiver.stop()
