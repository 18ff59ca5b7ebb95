"""``/wechat``: the official account's server URL.

GET answers WeChat's verification (signature over token, timestamp and nonce; echo
``echostr``). POST takes a message in plain or safe mode (``encrypt_type=aes``,
``msg_signature``), refuses a wrong signature (403) or unsafe XML (400) before reading it,
answers each message once (WeChat's retries get the same reply), and replies passively
within ``reply_deadline_seconds``. A later answer, or the part of one that does not fit in a
reply, is pushed through the customer-service message API.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage, TextMessage, VoiceMessage
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.dialogue.engine import UserMessage
from bot.tracker import ConversationKey
from connectors.rendering import render_turn
from connectors.runtime import Runtime
from connectors.wechat.customer_service import CustomerServiceClient
from connectors.wechat.dedupe import Answer, ReplyOnce
from connectors.wechat.render import split_bytes, wechat_text
from connectors.wechat.xml_guard import UnsafeXml, checked
from daoban.settings import MenuButton, WeChatSettings

log = logging.getLogger(__name__)
CHANNEL = "wechat"
CHOICES_CHANNEL = "wechat-choices"  # the payloads behind the last numbered choices, per follower
SUCCESS = "success"  # WeChat's "no passive reply" answer
UNSUPPORTED = "暂时只能处理文字和语音消息。请用文字告诉我您要办的事，例如“身份证丢了怎么补办”。"
UNHEARD = "没能听清您的语音，请再说一遍，或者发文字给我。"
BUSY = "抱歉，系统暂时繁忙，请稍后再试，或拨打12345。"
Param = Annotated[str, Query(max_length=128)]


def wechat_router(runtime: Runtime, settings: WeChatSettings,
                  push: CustomerServiceClient | None = None) -> APIRouter:
    router = APIRouter(tags=["微信公众号"])
    once = ReplyOnce(settings.dedupe_seconds)
    workers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="wechat")
    menu_asks = {button.key: button.ask for button in _flatten(settings.menu) if button.key and button.ask}

    def token() -> str:
        if not settings.token:
            raise HTTPException(status_code=503, detail="微信公众号未配置（DAOBAN_WECHAT_TOKEN）")
        return settings.token

    @router.get("/wechat", response_class=PlainTextResponse, summary="微信服务器配置校验")
    def verify(signature: Param = "", timestamp: Param = "", nonce: Param = "",
               echostr: Annotated[str, Query(max_length=256)] = "") -> str:
        try:
            check_signature(token(), signature, timestamp, nonce)
        except InvalidSignatureException as exc:
            raise HTTPException(status_code=403, detail="签名校验失败") from exc
        return echostr

    @router.post("/wechat", summary="接收微信消息（明文或安全模式）")
    async def receive(request: Request, signature: Param = "", timestamp: Param = "", nonce: Param = "",
                      encrypt_type: Param = "raw", msg_signature: Param = "") -> Response:
        started = time.monotonic()
        secret = token()
        body = await request.body()
        crypto = _crypto(secret, settings) if encrypt_type == "aes" else None
        try:
            if crypto is not None:
                xml = checked(crypto.decrypt_message(checked(body), msg_signature, timestamp, nonce))
            else:
                check_signature(secret, signature, timestamp, nonce)
                xml = checked(body)
            message = parse_message(xml)
        except InvalidSignatureException as exc:
            raise HTTPException(status_code=403, detail="签名校验失败") from exc
        except (UnsafeXml, InvalidAppIdException, KeyError, ValueError, TypeError) as exc:
            raise HTTPException(status_code=400, detail="消息格式不正确") from exc
        reply = await asyncio.to_thread(answer_within_deadline, message, started)
        if reply is None:
            return PlainTextResponse(SUCCESS)
        xml_reply = TextReply(message=message, content=reply).render()
        if crypto is not None:
            xml_reply = crypto.encrypt_message(xml_reply, nonce, timestamp)
        return Response(xml_reply, media_type="application/xml")

    def answer_within_deadline(message: BaseMessage, started: float) -> str | None:
        """The passive reply, or ``None`` (reply ``success``) when the answer is pushed later."""
        answer, mine = once.claim(_dedupe_key(message))
        if mine:
            workers.submit(_produce, answer, message)
        remaining = settings.reply_deadline_seconds - (time.monotonic() - started)
        try:
            pieces = answer.pieces.result(timeout=max(remaining, 0.0))
        except FutureTimeout:
            if mine:
                with answer.lock:
                    answer.pushed = True
                answer.pieces.add_done_callback(lambda done: _push(message.source, done.result()))
            return None
        with answer.lock:
            if answer.pushed:
                return None
        if mine:
            _push_later(message.source, pieces[1:])
        return pieces[0] if pieces else None

    def _produce(answer: Answer, message: BaseMessage) -> None:
        try:
            answer.pieces.set_result(_answer(message))
        except Exception:  # answered honestly rather than left to time out
            log.exception("wechat: answering failed")
            answer.pieces.set_result([BUSY])

    def _answer(message: BaseMessage) -> list[str]:
        incoming = _incoming(message, settings, menu_asks)
        if incoming is None:
            return []
        if incoming.fixed:
            return split_bytes(incoming.text, settings.max_reply_bytes)
        choices_key = ConversationKey(CHOICES_CHANNEL, message.source)
        text = _numbered_choice(incoming.text, runtime.dialogue.store.load(choices_key))
        turn = runtime.handle(UserMessage(text, message.source, CHANNEL))
        reply, payloads = wechat_text(render_turn(turn, runtime.assistant.entries))
        runtime.dialogue.store.save(choices_key, {"payloads": payloads})
        return split_bytes(reply, settings.max_reply_bytes)

    def _push(openid: str, pieces: list[str]) -> None:
        if not pieces:
            return
        if push is None:
            log.warning("wechat: an answer missed the deadline and no app secret is set to push it")
            return
        push.push_texts(openid, pieces)

    def _push_later(openid: str, pieces: list[str]) -> None:
        if pieces:
            workers.submit(_push, openid, pieces)

    return router


def _crypto(token: str, settings: WeChatSettings) -> WeChatCrypto:
    if not settings.encoding_aes_key or not settings.app_id:
        raise HTTPException(status_code=503, detail="安全模式未配置（DAOBAN_WECHAT_AES_KEY、DAOBAN_WECHAT_APP_ID）")
    return WeChatCrypto(token, settings.encoding_aes_key, settings.app_id)


def _dedupe_key(message: BaseMessage) -> str:
    """MsgId for messages; sender and CreateTime for events, which have none."""
    msg_id = getattr(message, "id", None)
    return f"id:{msg_id}" if msg_id else f"event:{message.source}:{message.create_time}"


@dataclass(frozen=True)
class Incoming:
    text: str
    fixed: bool = False  # a reply of our own (welcome, unsupported type), not text for the engine


def _incoming(message: BaseMessage, settings: WeChatSettings, menu_asks: dict[str, str]) -> Incoming | None:
    """What the follower said, as text for the engine, or the fixed reply it gets; ``None``
    for nothing to answer (unsubscribe, a menu link opened)."""
    if isinstance(message, TextMessage):
        return Incoming(message.content) if message.content else Incoming(UNSUPPORTED, fixed=True)
    if isinstance(message, VoiceMessage):
        return Incoming(message.recognition) if message.recognition else Incoming(UNHEARD, fixed=True)
    if message.type == "event":
        event = getattr(message, "event", "")
        if event in ("subscribe", "subscribe_scan"):
            return Incoming(settings.welcome, fixed=True)
        if event == "click":
            ask = menu_asks.get(getattr(message, "key", "") or "")
            return Incoming(ask) if ask else Incoming(settings.welcome, fixed=True)
        return None
    return Incoming(UNSUPPORTED, fixed=True)


def _numbered_choice(text: str, saved: dict | None) -> str:
    """A reply that is just the number of one of the last choices stands for its payload."""
    payloads = (saved or {}).get("payloads") or []
    number = text.strip()
    if number.isdigit() and 1 <= int(number) <= len(payloads):
        return payloads[int(number) - 1]
    return text


def _flatten(buttons: list[MenuButton]) -> list[MenuButton]:
    return [b for button in buttons for b in (button, *_flatten(button.sub_button))]
