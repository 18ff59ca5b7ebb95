"""The WeChat official-account channel, with WeChat's own published samples: the signature
vector and sample text message from the official-account docs, and the AES message vector
from WeChat's encryption docs (as wechatpy's tests use them). Late and long answers go to a
local fake of the customer-service message API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import xmltodict
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.assistant import Turn
from bot.dialogue.engine import UserMessage
from bot.tracker import ConversationKey
from connectors.http_app import create_app
from connectors.runtime import Runtime
from connectors.wechat.menu import menu_json
from connectors.wechat.render import split_bytes
from daoban.cli import app as cli
from daoban.settings import MenuButton, Settings
from knowledge.store import KnowledgeStore
from tests.servers import free_port

# Published samples.
PLAIN_TOKEN, PLAIN_SIGNATURE, PLAIN_TIMESTAMP, PLAIN_NONCE = (
    "test", "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", "1410685589", "test")
SAMPLE_TEXT = b"""<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[fromUser]]></FromUserName>
  <CreateTime>1348831860</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[this is a test]]></Content>
  <MsgId>1234567890123456</MsgId>
</xml>"""
AES_TOKEN, AES_KEY, AES_APP_ID = "123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"
AES_SIGNATURE, AES_TIMESTAMP, AES_NONCE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294"
AES_MESSAGE = """<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>
<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>
<AgentID><![CDATA[1]]></AgentID>
</xml>"""


class FakeWeChatApi:
    """``token`` and ``message/custom/send`` as WeChat answers them; records what was sent."""

    def __init__(self) -> None:
        self.port = free_port()
        self.token_requests = 0
        self.sent: list[dict] = []
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                assert url.path == "/cgi-bin/token" and parse_qs(url.query)["grant_type"] == ["client_credential"]
                with api.lock:
                    api.token_requests += 1
                self._json({"access_token": "TOKEN-1", "expires_in": 7200})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if url.path != "/cgi-bin/message/custom/send" or parse_qs(url.query)["access_token"] != ["TOKEN-1"]:
                    self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    return
                with api.lock:
                    api.sent.append(body)
                self._json({"errcode": 0, "errmsg": "ok"})

            def _json(self, data: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/"

    def wait_for(self, count: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count:
            assert time.monotonic() < deadline, f"{len(self.sent)} of {count} messages pushed"
            time.sleep(0.05)
        return self.sent


@pytest.fixture
def fake_api() -> Iterator[FakeWeChatApi]:
    api = FakeWeChatApi()
    yield api
    api.server.shutdown()


def wechat_client(settings: Settings, runtime: Runtime, knowledge: KnowledgeStore, **wechat: object) -> TestClient:
    configured = settings.model_copy(update={"wechat": settings.wechat.model_copy(
        update={"token": PLAIN_TOKEN} | wechat)})
    return TestClient(create_app(configured, knowledge, runtime))


@pytest.fixture
def client(settings: Settings, runtime: Runtime, knowledge: KnowledgeStore) -> TestClient:
    return wechat_client(settings, runtime, knowledge)


def signed(token: str = PLAIN_TOKEN, timestamp: str = "1700000000", nonce: str = "n0nce") -> dict[str, str]:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce, "openid": "o-user"}


def text_message(content: str, msg_id: int, user: str = "o-user") -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_centre]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{1700000000 + msg_id}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


def event(kind: str, user: str = "o-user", key: str = "", at: int = 1700000000) -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_centre]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{at}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{kind}]]></Event>"
            f"<EventKey><![CDATA[{key}]]></EventKey></xml>").encode()


def reply_of(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return xmltodict.parse(response.text)["xml"]


def test_verification_uses_the_published_signature(client: TestClient) -> None:
    params = {"signature": PLAIN_SIGNATURE, "timestamp": PLAIN_TIMESTAMP, "nonce": PLAIN_NONCE, "echostr": "e-123"}
    verified = client.get("/wechat", params=params)
    assert verified.status_code == 200 and verified.text == "e-123"
    forged = client.get("/wechat", params=params | {"signature": PLAIN_SIGNATURE[:-1] + "e"})
    assert forged.status_code == 403 and "签名" in forged.json()["error"]


def test_the_published_sample_text_message_gets_a_reply(client: TestClient) -> None:
    reply = reply_of(client.post("/wechat", params=signed(), content=SAMPLE_TEXT))
    assert (reply["ToUserName"], reply["FromUserName"], reply["MsgType"]) == ("fromUser", "toUser", "text")
    assert reply["Content"]


def test_safe_mode_decrypts_the_published_vector_and_encrypts_the_reply(
        settings: Settings, runtime: Runtime, knowledge: KnowledgeStore) -> None:
    client = wechat_client(settings, runtime, knowledge, token=AES_TOKEN, encoding_aes_key=AES_KEY,
                           app_id=AES_APP_ID)
    params = {"encrypt_type": "aes", "msg_signature": AES_SIGNATURE, "timestamp": AES_TIMESTAMP,
              "nonce": AES_NONCE, "signature": "ignored-in-safe-mode"}
    response = client.post("/wechat", params=params, content=AES_MESSAGE.encode())
    envelope = reply_of(response)
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    crypto = WeChatCrypto(AES_TOKEN, AES_KEY, AES_APP_ID)
    inner = xmltodict.parse(crypto.decrypt_message(response.text, envelope["MsgSignature"], envelope["TimeStamp"],
                                                   envelope["Nonce"]))["xml"]
    assert inner["ToUserName"] == "messense" and inner["MsgType"] == "text" and inner["Content"]
    forged = client.post("/wechat", params=params | {"msg_signature": "0" * 40}, content=AES_MESSAGE.encode())
    assert forged.status_code == 403


def test_bad_and_hostile_bodies_are_refused_unparsed(client: TestClient, settings: Settings) -> None:
    assert client.post("/wechat", params=signed(), content=b"<xml><Content>unclosed").status_code == 400
    assert client.post("/wechat", params=signed(), content=b"not xml at all").status_code == 400
    xxe = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
           b"<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>9</MsgId></xml>")
    refused = client.post("/wechat", params=signed(), content=xxe)
    assert refused.status_code == 400 and "root:" not in refused.text
    laughs = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              b"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]><xml><Content>&c;</Content></xml>")
    assert client.post("/wechat", params=signed(), content=laughs).status_code == 400
    assert client.post("/wechat", params=signed(), content=b"<other/>").status_code == 400
    big = text_message("好" * settings.server.max_body_bytes, 77)
    assert client.post("/wechat", params=signed(), content=big).status_code == 413
    assert client.post("/wechat", params={**signed(), "signature": "0" * 40},
                       content=text_message("你好", 78)).status_code == 403


def test_a_retried_message_is_answered_once(client: TestClient, runtime: Runtime) -> None:
    first = reply_of(client.post("/wechat", params=signed(), content=text_message("护照多少钱", 501)))
    again = reply_of(client.post("/wechat", params=signed(), content=text_message("护照多少钱", 501)))
    assert first["Content"] == again["Content"] and "护照" in first["Content"]
    transcript = runtime.dialogue.store.load(ConversationKey("wechat", "o-user"))["transcript"]
    assert [line["role"] for line in transcript].count("user") == 1


def test_events_voice_and_other_types(client: TestClient) -> None:
    welcome = reply_of(client.post("/wechat", params=signed(), content=event("subscribe")))["Content"]
    assert "欢迎关注" in welcome
    hours = reply_of(client.post("/wechat", params=signed(), content=event("CLICK", key="HOURS", at=1700000001)))
    assert "办公时间" in hours["Content"]
    voice = (b"<xml><ToUserName>gh</ToUserName><FromUserName>o-user</FromUserName><CreateTime>1700000100</CreateTime>"
             b"<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format>"
             b"<Recognition><![CDATA[\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81\xe4\xb8\xa2\xe4\xba\x86\xe6\x80\x8e\xe4\xb9"
             b"\x88\xe8\xa1\xa5\xe5\x8a\x9e]]></Recognition><MsgId>601</MsgId></xml>")  # 身份证丢了怎么补办
    assert "身份证" in reply_of(client.post("/wechat", params=signed(), content=voice))["Content"]
    image = (b"<xml><ToUserName>gh</ToUserName><FromUserName>o-user</FromUserName><CreateTime>1700000200</CreateTime>"
             b"<MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl><MediaId>m</MediaId><MsgId>602</MsgId></xml>")
    assert "文字" in reply_of(client.post("/wechat", params=signed(), content=image))["Content"]
    gone = client.post("/wechat", params=signed(), content=event("unsubscribe", at=1700000300))
    assert gone.status_code == 200 and gone.text == "success"


def test_buttons_become_numbered_choices(client: TestClient) -> None:
    asked = reply_of(client.post("/wechat", params=signed(), content=text_message("公积金怎么取", 701)))["Content"]
    assert "请回复数字选择" in asked
    first_option = next(line for line in asked.splitlines() if line.startswith("1. "))[3:]
    chosen = reply_of(client.post("/wechat", params=signed(), content=text_message("1", 702)))["Content"]
    assert first_option in chosen


def test_a_late_answer_is_pushed_and_a_long_one_continues_in_pushed_messages(
        settings: Settings, runtime: Runtime, knowledge: KnowledgeStore, fake_api: FakeWeChatApi,
        monkeypatch: pytest.MonkeyPatch) -> None:
    wechat = {"app_id": "wx-app", "app_secret": "s3cret", "api_base_url": fake_api.base_url}
    handle = runtime.handle

    def slow(message: UserMessage) -> Turn:  # an answer that certainly misses the deadline
        time.sleep(0.3)
        return handle(message)

    monkeypatch.setattr(runtime, "handle", slow)
    late = wechat_client(settings, runtime, knowledge, reply_deadline_seconds=0.05, **wechat)
    response = late.post("/wechat", params=signed(), content=text_message("护照多少钱", 801, user="o-late"))
    assert response.text == "success"
    [pushed] = fake_api.wait_for(1)
    assert pushed["touser"] == "o-late" and pushed["msgtype"] == "text" and "护照" in pushed["text"]["content"]
    late.post("/wechat", params=signed(), content=text_message("身份证补办多少钱", 802, user="o-late"))
    fake_api.wait_for(2)
    assert fake_api.token_requests == 1  # the access token is cached

    monkeypatch.undo()
    long = wechat_client(settings, runtime, knowledge, max_reply_bytes=300, **wechat)
    reply = reply_of(long.post("/wechat", params=signed(), content=text_message("护照要带什么材料", 803, "o-long")))
    assert 0 < len(reply["Content"].encode()) <= 300
    rest = [m["text"]["content"] for m in fake_api.wait_for(3) if m["touser"] == "o-long"]
    assert rest and all(len(text.encode()) <= 300 for text in rest)


def test_unconfigured_wechat_is_unavailable(settings: Settings, runtime: Runtime, knowledge: KnowledgeStore) -> None:
    client = TestClient(create_app(settings, knowledge, runtime))
    assert client.get("/wechat", params={"echostr": "x"}).status_code == 503


@pytest.mark.parametrize("limit", [50, 300, 2048])
def test_split_bytes_keeps_every_piece_within_the_limit(limit: int) -> None:
    text = "\n".join(f"第{n}项：居民身份证原件1份，复印件2份" for n in range(60))
    pieces = split_bytes(text, limit)
    assert all(len(piece.encode()) <= limit for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def test_the_menu_command_prints_wechats_menu_json() -> None:
    result = CliRunner().invoke(cli, ["wechat", "menu"])
    assert result.exit_code == 0, result.output
    menu = json.loads(result.output)
    buttons = [sub for top in menu["button"] for sub in top["sub_button"]]
    assert all(b["type"] == "click" and b["key"] and "ask" not in b for b in buttons)
    with pytest.raises(ValueError):
        menu_json([MenuButton(name=f"b{n}", key=f"K{n}") for n in range(4)])
