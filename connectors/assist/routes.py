"""Hotline agent assist over HTTP: ``POST /api/assist`` (the telephony / ASR system posts a
call's transcript segments), ``/api/assist/ws`` (the agent's page watches a call and adds to
it), ``POST /api/assist/sms`` and the assist page ``/console/assist``.

Callers are staff logged in to the console (cookie) or a system holding the bearer token
``assist.api_token``; everything else gets 401. A POST without ``call_id`` is one-shot: the
segments it carries are the whole call.
"""

from __future__ import annotations

import hmac
import re
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Cookie, Depends, Header, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from bot.call_assist import CallAssistant, Segment, UnknownGuide
from connectors.assist.calls import CALL_ID_PATTERN, Call, CallBook
from connectors.assist.sms import MOBILE_PATTERN, SmsFailed, SmsGateway
from connectors.console.routes import COOKIE
from connectors.console.users import StaffStore
from daoban.settings import AssistSettings
from nlu.normalize import MAX_INPUT_CHARS
from nlu.privacy import mask_personal

STATIC = FilePath(__file__).parent / "static"
MAX_SEGMENTS_PER_REQUEST = 200
SLUG = r"^[a-z0-9][a-z0-9-]{0,79}$"
KEY = r"^[A-Za-z0-9_-]{1,64}$"


class SegmentIn(BaseModel):
    speaker: Literal["caller", "agent"] = "caller"
    text: str = Field(max_length=MAX_INPUT_CHARS)
    final: bool = True


class AssistRequest(BaseModel):
    call_id: str | None = Field(default=None, pattern=CALL_ID_PATTERN)
    segments: list[SegmentIn] = Field(default=[], max_length=MAX_SEGMENTS_PER_REQUEST)
    item: str | None = Field(default=None, pattern=SLUG)  # the agent's pick; omitted: keep the call's
    choices: dict[Annotated[str, Field(pattern=KEY)], Annotated[str, Field(pattern=KEY)]] | None = None


class SmsRequest(BaseModel):
    phone: str = Field(pattern=MOBILE_PATTERN)
    text: str = Field(min_length=1, max_length=1000)
    call_id: str | None = Field(default=None, pattern=CALL_ID_PATTERN)


class PageEvent(BaseModel):
    """What the assist page sends over its WebSocket."""

    type: Literal["segment", "item", "choice", "reset"]
    speaker: Literal["caller", "agent"] = "caller"
    text: str = Field(default="", max_length=MAX_INPUT_CHARS)
    final: bool = True
    item: str | None = Field(default=None, pattern=SLUG)  # "item": the pick; "choice": the guide it is for
    situation: str | None = Field(default=None, pattern=KEY)
    option: str | None = Field(default=None, pattern=KEY)


def assist_router(assistant: CallAssistant, settings: AssistSettings, staff_store: StaffStore) -> APIRouter:
    router = APIRouter(tags=["坐席助手"])
    calls = CallBook(settings.call_idle_minutes * 60)
    gateway = SmsGateway(settings.sms_gateway_url, settings.sms_secret, settings.sms_timeout) \
        if settings.sms_gateway_url else None

    def allowed(cookie: str | None, authorization: str | None) -> bool:
        token = settings.api_token
        if token and authorization and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
            return True
        return staff_store.staff_for(cookie) is not None

    def authorised(daoban_staff: Annotated[str | None, Cookie()] = None,
                   authorization: Annotated[str | None, Header()] = None) -> None:
        if not allowed(daoban_staff, authorization):
            raise HTTPException(status_code=401, detail="请先登录工作台，或提供坐席助手的访问令牌")

    def suggest(call: Call, call_id: str | None = None) -> dict[str, Any]:
        """Suggestions for the call, with its (masked) transcript when it is a followed call."""
        try:
            suggestion = assistant.suggest(call.transcript(), call.item, call.choices)
        except UnknownGuide as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        if call_id is None:
            return suggestion
        transcript = [{"speaker": s.speaker, "text": mask_personal(s.text), "final": s is not call.interim}
                      for s in call.transcript()]
        return {"type": "suggestion", "call_id": call_id, "transcript": transcript, **suggestion}

    def update(call: Call, request: AssistRequest) -> None:
        for segment in request.segments:
            call.hear(Segment(segment.speaker, segment.text), segment.final, settings.max_segments)
        if "item" in request.model_fields_set:
            call.pick(request.item)
        if request.choices is not None:
            call.choices = dict(request.choices)

    @router.get("/console/assist", include_in_schema=False, response_model=None)
    def assist_page(daoban_staff: Annotated[str | None, Cookie()] = None) -> Response:
        if staff_store.staff_for(daoban_staff) is None:
            return RedirectResponse("/console/login?next=/console/assist", status_code=303)
        return FileResponse(STATIC / "assist.html", media_type="text/html")

    @router.post("/api/assist", dependencies=[Depends(authorised)])
    def assist(request: AssistRequest) -> dict[str, Any]:
        """Suggestions for a call; with ``call_id`` the segments add to that call and every
        assist page watching it gets the new suggestions too."""
        if request.call_id is None:
            call = Call()
            update(call, request)
            return suggest(call)
        call = calls.call(request.call_id)
        update(call, request)
        suggestion = suggest(call, request.call_id)
        call.hub.publish(suggestion)
        return suggestion

    @router.get("/api/assist/calls", dependencies=[Depends(authorised)])
    def active_calls() -> list[str]:
        return calls.active()

    @router.post("/api/assist/sms", dependencies=[Depends(authorised)])
    def send_sms(request: SmsRequest) -> dict[str, Any]:
        if gateway is None:
            raise HTTPException(status_code=503, detail="未配置短信平台（assist.sms_gateway_url），请复制短信内容发送")
        try:
            gateway.send(request.phone, request.text, request.call_id)
        except SmsFailed as error:
            raise HTTPException(status_code=502, detail=str(error)) from error
        return {"ok": True, "phone": mask_personal(request.phone)}

    @router.websocket("/api/assist/ws/{call_id}")
    async def watch(socket: WebSocket, call_id: str) -> None:
        if not allowed(socket.cookies.get(COOKIE), socket.headers.get("authorization")):
            await socket.close(code=4401)
            return
        if not re.fullmatch(CALL_ID_PATTERN, call_id):
            await socket.close(code=4400)
            return
        await socket.accept()
        call = calls.call(call_id)
        await call.hub.join(socket)
        try:
            await socket.send_json(await run_in_threadpool(suggest, call, call_id))
            while True:
                await _page_event(socket, call, call_id)
        except WebSocketDisconnect:
            call.hub.leave(socket)

    async def _page_event(socket: WebSocket, call: Call, call_id: str) -> None:
        """Apply one event from the page and push the new suggestions to every watcher; an
        event naming a guide or option that does not exist is undone and answered with an error."""
        try:
            event = PageEvent.model_validate_json(await socket.receive_text())
        except ValidationError as error:
            await socket.send_json({"type": "error", "detail": f"无法识别的消息：{error.errors()[0]['msg']}"})
            return
        picked = call.item, dict(call.choices)
        if event.type == "segment" and event.text.strip():
            call.hear(Segment(event.speaker, event.text), event.final, settings.max_segments)
        elif event.type == "item":
            call.pick(event.item)
        elif event.type == "choice" and event.situation:
            if event.item:  # confirming a situation confirms the guide it belongs to
                call.pick(event.item)
            call.choices = {**call.choices, event.situation: event.option} if event.option else \
                {key: value for key, value in call.choices.items() if key != event.situation}
        elif event.type == "reset":
            call.segments, call.interim, call.item, call.choices = [], None, None, {}
        try:
            suggestion = await run_in_threadpool(suggest, call, call_id)
        except HTTPException as error:
            call.item, call.choices = picked
            await socket.send_json({"type": "error", "detail": error.detail})
            return
        call.hub.publish(suggestion)

    return router
