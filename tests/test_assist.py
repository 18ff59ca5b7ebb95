"""Hotline agent assist: suggestions from a call's transcript over HTTP and WebSocket, who may
ask for them, the SMS sent through the platform, and the script / SMS cut from a guide."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.assistant import Assistant
from connectors.http_app import create_app
from connectors.runtime import Runtime
from daoban.settings import AssistSettings, Settings
from knowledge.brief import required_materials, sms_text, spoken_script
from knowledge.service import answer_for
from knowledge.store import KnowledgeStore
from tests.servers import SECRET, Receiver, free_port
from tests.test_console import log_in

TOKEN = "asr-system-token-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LOST_ID_CALL = [
    {"speaker": "agent", "text": "您好，12345热线，请问有什么可以帮您"},
    {"speaker": "caller", "text": "喂，你好，我想问一下"},
    {"speaker": "caller", "text": "我那个身份证丢了，要怎么补办啊"},
    {"speaker": "caller", "text": "我户口是外省的"},
]


@pytest.fixture
def sms_gateway() -> Iterator[Receiver]:
    receiver = Receiver(free_port()).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def assist_client(runtime: Runtime, settings: Settings, knowledge: KnowledgeStore,
                  sms_gateway: Receiver) -> TestClient:
    """The app with an ASR token and an SMS platform configured."""
    configured = settings.model_copy(update={"assist": AssistSettings(
        api_token=TOKEN, sms_gateway_url=sms_gateway.url, sms_secret=SECRET)})
    return TestClient(create_app(configured, knowledge, runtime))


def test_only_staff_and_the_asr_system_may_ask(assist_client: TestClient) -> None:
    body = {"segments": LOST_ID_CALL}
    assert assist_client.post("/api/assist", json=body).status_code == 401
    assert assist_client.post("/api/assist", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert assist_client.post("/api/assist", json=body, headers=AUTH).status_code == 200
    page = assist_client.get("/console/assist", follow_redirects=False)
    assert page.status_code == 303 and "/console/login" in page.headers["location"]
    log_in(assist_client)
    assert assist_client.post("/api/assist", json=body).status_code == 200
    assert "坐席助手" in assist_client.get("/console/assist").text


def test_a_call_gets_the_guide_script_tailored_checklist_and_sms(assist_client: TestClient) -> None:
    s = assist_client.post("/api/assist", json={"segments": LOST_ID_CALL}, headers=AUTH).json()
    assert s["outcome"] == "answer" and s["item"] == "id-card-reissue" and s["picked_by"] == "assistant"
    assert s["candidates"][0]["slug"] == "id-card-reissue" and 0 < s["confidence"] <= 1
    script = "".join(s["script"])
    assert "居民身份证补领" in script and "40元" in script and "15个工作日" in script and "12-15号" in script
    place = next(x for x in s["situations"] if x["key"] == "hukou-place")
    assert place["chosen"] == "non-local" and place["heard"]  # "户口是外省的", marked for the agent to confirm
    names = [row["name"] for row in s["checklist"]]
    assert "居住证" in names and "居民户口簿" not in names  # the non-local option's list
    assert not s["tailored"] and s["next_question"].startswith("补领期间")
    assert "2026-09-20" in s["sms"] and "居民身份证补领" in s["sms"] and len(s["sms"]) <= 300
    assert s["work_order"]["kind"] == "consult" and s["work_order"]["department"].startswith("区公安分局")

    agent = {"segments": LOST_ID_CALL, "choices": {"hukou-place": "local", "temp-card": "with-temp"}}
    chosen = assist_client.post("/api/assist", json=agent, headers=AUTH).json()
    names = [row["name"] for row in chosen["checklist"]]
    assert chosen["tailored"] and chosen["next_question"] is None
    assert "居民户口簿" in names and "临时居民身份证申领登记表" in names  # the agent overrode what was heard


def test_complaints_draft_a_masked_complaint_order(assist_client: TestClient) -> None:
    call = [{"speaker": "caller", "text": "我要投诉，办营业执照的窗口态度太差了"},
            {"speaker": "caller", "text": "我电话13812345678，身份证号330106199001011234"}]
    order = assist_client.post("/api/assist", json={"segments": call}, headers=AUTH).json()["work_order"]
    assert order["kind"] == "complaint" and order["kind_label"] == "投诉"
    assert "市民来电投诉" in order["summary"] and "态度太差" in order["summary"]
    assert "13812345678" not in order["summary"] and "330106199001011234" not in order["summary"]


def test_bad_requests_are_refused_clearly(assist_client: TestClient) -> None:
    def post(body: object) -> int:
        return assist_client.post("/api/assist", json=body, headers=AUTH).status_code

    assert post({"segments": LOST_ID_CALL, "item": "no-such-guide"}) == 422
    assert post({"segments": LOST_ID_CALL, "item": "id-card-reissue", "choices": {"hukou-place": "mars"}}) == 422
    assert post({"segments": LOST_ID_CALL, "item": "<script>"}) == 422
    assert post({"segments": [{"speaker": "caller", "text": "x"}] * 201}) == 422
    assert post({"call_id": "../../etc", "segments": []}) == 422
    json_headers = {**AUTH, "Content-Type": "application/json"}
    response = assist_client.post("/api/assist", content=b"{not json", headers=json_headers)
    assert response.status_code == 400 and response.json()["error"]
    huge = assist_client.post("/api/assist", content=b"x" * 70_000, headers=AUTH)
    assert huge.status_code == 413


def test_a_followed_call_accumulates_and_reaches_the_agents_page(assist_client: TestClient) -> None:
    log_in(assist_client)
    with assist_client.websocket_connect("/api/assist/ws/call-0001") as page:
        assert page.receive_json()["outcome"] == "out_of_scope"  # nothing said yet
        first = {"call_id": "call-0001", "segments": [{"speaker": "caller", "text": "我身份证丢了", "final": False}]}
        assert assist_client.post("/api/assist", json=first, headers=AUTH).status_code == 200
        pushed = page.receive_json()
        assert pushed["transcript"] == [{"speaker": "caller", "text": "我身份证丢了", "final": False}]
        final = {"call_id": "call-0001", "segments": [{"speaker": "caller", "text": "我身份证丢了，要怎么补办"}]}
        assist_client.post("/api/assist", json=final, headers=AUTH)
        pushed = page.receive_json()
        assert [s["final"] for s in pushed["transcript"]] == [True]  # the interim text was replaced
        assert pushed["item"] == "id-card-reissue"

        page.send_text(json.dumps({"type": "choice", "item": "id-card-reissue", "situation": "hukou-place",
                                   "option": "local"}))
        chosen = page.receive_json()
        assert next(x for x in chosen["situations"] if x["key"] == "hukou-place")["chosen"] == "local"
        assert chosen["picked_by"] == "agent"  # confirming a situation confirmed the guide
        assist_client.post("/api/assist", json={"call_id": "call-0001", "segments": [
            {"speaker": "caller", "text": "另外我要投诉窗口排队太久"}]}, headers=AUTH)
        moved_on = page.receive_json()
        assert moved_on["item"] == "id-card-reissue" and moved_on["work_order"]["kind"] == "complaint"
        page.send_text(json.dumps({"type": "choice", "situation": "hukou-place", "option": "mars"}))
        assert "mars" in page.receive_json()["detail"]
        page.send_text("{broken")
        assert page.receive_json()["type"] == "error"
        page.send_text(json.dumps({"type": "item", "item": "passport"}))
        picked = page.receive_json()
        assert picked["item"] == "passport" and picked["picked_by"] == "agent"
        assert all(x["chosen"] is None for x in picked["situations"])  # choices belonged to the other guide
        assert assist_client.get("/api/assist/calls", headers=AUTH).json() == ["call-0001"]


def test_the_page_socket_needs_a_login(assist_client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed, assist_client.websocket_connect("/api/assist/ws/c1") as page:
        page.receive_json()
    assert closed.value.code == 4401


def test_sms_goes_through_the_platform_signed_and_masked_in_logs(
        assist_client: TestClient, sms_gateway: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body = {"phone": "13812345678", "text": "【示例区政务服务中心】您咨询的……", "call_id": "call-9"}
    response = assist_client.post("/api/assist/sms", json=body, headers=AUTH)
    assert response.status_code == 200 and "13812345678" not in response.text
    post = sms_gateway.posts[0]
    assert post.valid and json.loads(post.body) == body
    assert "13812345678" not in caplog.text and "138" in caplog.text
    sms_gateway.statuses.append(500)
    failed = assist_client.post("/api/assist/sms", json=body, headers=AUTH)
    assert failed.status_code == 502 and "500" in failed.json()["error"]
    assert assist_client.post("/api/assist/sms", json={**body, "phone": "12345"}, headers=AUTH).status_code == 422


def test_sms_without_a_platform_says_so(client: TestClient) -> None:
    log_in(client)
    response = client.post("/api/assist/sms", json={"phone": "13812345678", "text": "短信"})
    assert response.status_code == 503 and "短信平台" in response.json()["error"]


def test_script_and_sms_come_from_the_guide(assistant: Assistant, settings: Settings) -> None:
    answer = answer_for(assistant.entries.get, settings.centre, "company-registration")
    assert answer is not None
    required = [row.name for row in required_materials(answer)]
    script = spoken_script(answer, max_materials=2)
    assert len(required) > 2 and script[0].startswith("您要办的是“")
    assert script[1].startswith(f"需要带：{required[0]}") and script[1].endswith(f"等{len(required)}项。")
    assert script[1].count("、") == 1  # two materials named, the rest counted
    short = sms_text(answer, settings.centre, max_chars=120)
    assert len(short) <= 120 and short.startswith("【示例区政务服务中心】")
    faq = next(slug for slug, entry in assistant.entries.items() if entry.kind == "faq")
    faq_answer = answer_for(assistant.entries.get, settings.centre, faq)
    assert faq_answer is not None and spoken_script(faq_answer)[0].startswith(f"关于“{faq_answer.title}”")
