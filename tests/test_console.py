"""The staff console's API and live updates: login, the queue, takeover with relaying both
ways, hand-back, and requests by status. The browser side is in test_console_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connectors.console.users import StaffStore, password_matches
from connectors.runtime import Runtime
from tests.conftest import STAFF_PASSWORD


def log_in(client: TestClient) -> None:
    response = client.post("/api/console/login", json={"username": "wang", "password": STAFF_PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def say(client: TestClient, text: str, sender: str = "w-citizen") -> dict:
    response = client.post("/api/messages", json={"sender": sender, "text": text, "channel": "web"})
    assert response.status_code == 200
    return response.json()


def test_the_console_needs_a_login(client: TestClient) -> None:
    assert client.get("/api/console/queue").status_code == 401
    page = client.get("/console", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    wrong = client.post("/api/console/login", json={"username": "wang", "password": "wrong-password"})
    assert wrong.status_code == 401 and "不正确" in wrong.json()["error"]
    assert client.post("/api/console/login", json={"username": "<x>", "password": "p"}).status_code == 422
    log_in(client)
    assert client.get("/console").status_code == 200
    assert client.get("/api/console/me").json()["display_name"] == "王工作人员"
    client.post("/api/console/logout")
    assert client.get("/api/console/queue").status_code == 401  # the session is revoked, not just forgotten


def test_passwords_are_hashed_and_accounts_checked(tmp_path: Path) -> None:
    store = StaffStore(f"sqlite:///{tmp_path / 'staff.db'}")
    store.create_schema()
    store.add("li", "李", "admin", "long-enough-1")
    with store.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT password_hash FROM staff_user").scalar_one()
    assert "long-enough-1" not in stored and password_matches("long-enough-1", stored)
    with pytest.raises(ValueError):
        store.add("li", "李", "agent", "another-one-2")  # taken
    with pytest.raises(ValueError):
        store.add("zhao", "赵", "agent", "short")
    assert store.log_in("li", "long-enough-1") and store.log_in("li", "nope") is None


def test_takeover_relays_both_ways_and_hands_back(client: TestClient, runtime: Runtime) -> None:
    log_in(client)
    say(client, "护照怎么办")
    waiting = say(client, "转人工")
    assert waiting["decision"]["target"] == "agent" and "转接人工" in waiting["messages"][0]["text"]
    with client.websocket_connect("/api/console/ws") as live:
        queue = client.get("/api/console/queue").json()
        [entry] = queue["waiting"]
        assert (entry["channel"], entry["sender"]) == ("web", "w-citizen") and "护照" in entry["summary"]
        path = "/api/console/conversations/web/w-citizen"
        detail = client.get(path).json()
        assert detail["guide"]["slug"] == "passport" and detail["transcript"][0]["text"] == "护照怎么办"
        assert client.post(path + "/reply", json={"text": "您好"}).status_code == 409  # not taken yet
        assert client.post(path + "/take").status_code == 200
        assert live.receive_json()["type"] in ("staff_message", "taken")
        updates = client.get("/api/messages/w-citizen/updates").json()
        assert updates["staff"] and "王工作人员" in updates["messages"][0]["text"]
        question = "您好，请问护照是第一次办吗？"
        assert client.post(path + "/reply", json={"text": question}).status_code == 200
        assert client.get("/api/messages/w-citizen/updates").json()["messages"][0]["text"] == question
        silent = say(client, "是第一次，我电话13812345678")
        assert silent["messages"] == [] and silent["decision"]["intent"] == "relayed"  # the bot keeps quiet
        events = [live.receive_json() for _ in range(3)]
        heard = next(event for event in events if event["type"] == "user_message")
        assert heard["text"] == "是第一次，我电话13812345678"
        transcript = client.get(path).json()["transcript"]
        assert transcript[-1]["text"] == "是第一次，我电话138****5678"  # stored masked
        assert client.post(path + "/hand-back").status_code == 200
        assert "智能助手继续" in client.get("/api/messages/w-citizen/updates").json()["messages"][0]["text"]
    back = say(client, "要多少钱")
    assert (back["decision"]["item"], back["decision"]["section"]) == ("passport", "fee")
    assert client.get("/api/console/queue").json() == {"waiting": [], "held": []}


def test_requests_are_listed_and_their_status_changed(client: TestClient) -> None:
    log_in(client)
    for text in ("护照怎么办", "我要预约", "明天", "10点", "张三", "13912345678"):
        last = say(client, text, sender="w-booker")
    found = re.search(r"YY\d{14}", last["messages"][-1]["text"])
    assert found is not None, last["messages"]
    reference = found.group(0)
    listed = client.get("/api/console/requests").json()
    [booking] = [r for r in listed if r["reference"] == reference]
    assert booking["kind"] == "booking" and booking["item_name"] and booking["status"] == "submitted"
    assert booking["fields"]["mobile"] == "13912345678"
    assert client.post(f"/api/console/requests/{reference}", json={"status": "confirmed"}).status_code == 200
    assert client.get("/api/console/requests", params={"status": "confirmed"}).json()[0]["reference"] == reference
    assert client.post(f"/api/console/requests/{reference}", json={"status": "lost"}).status_code == 422
    assert client.post("/api/console/requests/YY0", json={"status": "done"}).status_code == 404


def test_the_websocket_refuses_strangers(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/api/console/ws") as socket:
        socket.receive_json()


def test_only_admins_manage_accounts(client: TestClient, runtime: Runtime) -> None:
    assert runtime.staff is not None
    log_in(client)  # wang is an agent
    assert client.get("/api/console/staff").status_code == 403
    new = {"username": "zhao", "display_name": "赵工作人员", "password": "long-enough-1"}
    assert client.post("/api/console/staff", json=new).status_code == 403
    runtime.staff.add("boss", "李主任", "admin", "admin-pass-1")
    response = client.post("/api/console/login", json={"username": "boss", "password": "admin-pass-1"})
    assert response.status_code == 200
    assert client.post("/api/console/staff", json=new).json() == {"username": "zhao", "display_name": "赵工作人员",
                                                                  "role": "agent"}
    assert client.post("/api/console/staff", json=new).status_code == 409  # taken
    assert client.post("/api/console/staff", json={**new, "username": "q", "password": "short"}).status_code == 422
    assert [a["username"] for a in client.get("/api/console/staff").json()] == ["boss", "wang", "zhao"]
    token = runtime.staff.log_in("zhao", "long-enough-1")
    assert runtime.staff.staff_for(token) is not None
    assert client.delete("/api/console/staff/zhao").json() == {"ok": True}
    assert runtime.staff.staff_for(token) is None  # removed: their session ends at once
    assert client.delete("/api/console/staff/zhao").status_code == 404
    assert client.delete("/api/console/staff/boss").status_code == 409  # not oneself
