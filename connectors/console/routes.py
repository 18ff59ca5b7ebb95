"""The staff console: ``/console`` (login required) and its JSON API under ``/api/console``.

Staff see the conversations waiting for a person and their own, read a conversation with
the guide it is about, take it over, reply, hand it back, and work through 预约 / 帮办代办
requests and 留言 by status; admins manage the accounts. A WebSocket (``/api/console/ws``)
pushes every change. Logging in sets an HttpOnly, SameSite=Strict session cookie; the API
answers 401 without it, and 403 to an agent asking for an admin's function.
"""


from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, HTTPException, Path, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from bot.dialogue.state import ConversationState
from bot.service_requests.store import STATUSES
from bot.tracker import ConversationKey
from connectors.console.relay import ServerRelay, conversation_id
from connectors.console.users import USERNAME_PATTERN, Role, Staff, StaffStore
from connectors.messages_api import SENDER_PATTERN
from connectors.runtime import Runtime
from nlu.normalize import MAX_INPUT_CHARS

COOKIE = "daoban_staff"
STATIC = FilePath(__file__).parent / "static"
ChannelPath = Annotated[str, Path(pattern=r"^[a-z-]{2,16}$")]
SenderPath = Annotated[str, Path(pattern=SENDER_PATTERN)]


class Login(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=1, max_length=200)


class Reply(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_INPUT_CHARS)


class NewAccount(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    display_name: str = Field(min_length=1, max_length=32)
    role: Role = "agent"
    password: str = Field(min_length=8, max_length=200)


class StatusChange(BaseModel):
    status: str = Field(pattern="^(" + "|".join(STATUSES) + ")$")


def console_router(runtime: Runtime, relay: ServerRelay, staff_store: StaffStore) -> APIRouter:
    router = APIRouter(tags=["工作台"])
    dialogue = runtime.dialogue
    entries = runtime.assistant.entries

    def current_staff(daoban_staff: Annotated[str | None, Cookie()] = None) -> Staff:
        staff = staff_store.staff_for(daoban_staff)
        if staff is None:
            raise HTTPException(status_code=401, detail="请先登录工作台")
        return staff

    StaffUser = Annotated[Staff, Depends(current_staff)]

    def current_admin(staff: StaffUser) -> Staff:
        if staff.role != "admin":
            raise HTTPException(status_code=403, detail="仅管理员可管理账号")
        return staff

    Admin = Annotated[Staff, Depends(current_admin)]

    @router.get("/console/login", include_in_schema=False)
    def login_page() -> FileResponse:
        return FileResponse(STATIC / "login.html", media_type="text/html")

    @router.get("/console", include_in_schema=False, response_model=None)
    def console_page(daoban_staff: Annotated[str | None, Cookie()] = None) -> Response:
        if staff_store.staff_for(daoban_staff) is None:
            return RedirectResponse("/console/login", status_code=303)
        return FileResponse(STATIC / "console.html", media_type="text/html")

    @router.post("/api/console/login")
    def log_in(login: Login, request: Request) -> JSONResponse:
        token = staff_store.log_in(login.username, login.password)
        if token is None:
            raise HTTPException(status_code=401, detail="用户名或密码不正确")
        response = JSONResponse({"ok": True})
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https", max_age=int(staff_store.session_hours * 3600))
        return response

    @router.post("/api/console/logout")
    def log_out(daoban_staff: Annotated[str | None, Cookie()] = None) -> JSONResponse:
        if daoban_staff:
            staff_store.log_out(daoban_staff)
        response = JSONResponse({"ok": True})
        response.delete_cookie(COOKIE, path="/")
        return response

    @router.get("/api/console/me")
    def me(staff: StaffUser) -> dict[str, str]:
        return {"username": staff.username, "display_name": staff.display_name, "role": staff.role}

    @router.get("/api/console/queue")
    def queue(staff: StaffUser) -> dict[str, list[dict[str, Any]]]:
        waiting = [{**conversation_id(w.key), "summary": w.summary, "since": w.since.isoformat()}
                   for w in sorted(relay.waiting.values(), key=lambda w: w.since)]
        held = [{**conversation_id(key), "staff": username} for key, username in relay.held.items()]
        return {"waiting": waiting, "held": held}

    @router.get("/api/console/conversations/{channel}/{sender}")
    def conversation(channel: ChannelPath, sender: SenderPath, staff: StaffUser) -> dict[str, Any]:
        key = ConversationKey(channel, sender)
        state = ConversationState.from_dict(dialogue.store.load(key))
        entry = entries.get(state.item) if state.item else None
        guide = ({"slug": entry.slug, "name": entry.name, "department": getattr(entry, "department", None),
                  "url": f"/guides/{entry.slug}"} if entry else None)
        return {**conversation_id(key), "staff": state.staff, "held_by": relay.held.get(key), "guide": guide,
                "transcript": state.transcript}

    @router.post("/api/console/conversations/{channel}/{sender}/take")
    def take(channel: ChannelPath, sender: SenderPath, staff: StaffUser) -> dict[str, bool]:
        key = ConversationKey(channel, sender)
        with runtime.lock(key):
            holder = relay.held.get(key)
            if holder not in (None, staff.username):
                raise HTTPException(status_code=409, detail=f"该会话已由{holder}接管")
            dialogue.take_over(key, staff.display_name)
            relay.held[key] = staff.username
        relay.hub.publish({"type": "taken", **conversation_id(key), "staff": staff.username})
        return {"ok": True}

    @router.post("/api/console/conversations/{channel}/{sender}/reply")
    def reply(channel: ChannelPath, sender: SenderPath, body: Reply, staff: StaffUser) -> dict[str, bool]:
        key = ConversationKey(channel, sender)
        with runtime.lock(key):
            if relay.held.get(key) != staff.username:
                raise HTTPException(status_code=409, detail="请先接入该会话")
            dialogue.staff_says(key, body.text)
        return {"ok": True}

    @router.post("/api/console/conversations/{channel}/{sender}/hand-back")
    def hand_back(channel: ChannelPath, sender: SenderPath, staff: StaffUser) -> dict[str, bool]:
        key = ConversationKey(channel, sender)
        with runtime.lock(key):
            if relay.held.get(key) != staff.username:
                raise HTTPException(status_code=409, detail="该会话不在您名下")
            dialogue.hand_back(key)
            relay.held.pop(key, None)
        relay.hub.publish({"type": "handed_back", **conversation_id(key)})
        return {"ok": True}

    @router.get("/api/console/requests")
    def requests(staff: StaffUser, status: str | None = None) -> list[dict[str, Any]]:
        store = dialogue.service_requests
        if store is None:
            return []
        return [{"reference": r.reference, "kind": r.kind, "item": r.item,
                 "item_name": entries[r.item].name if r.item in entries else "", "fields": r.fields,
                 "status": r.status, "channel": r.channel, "created_at": r.created_at.isoformat()}
                for r in store.recent(status if status in STATUSES else None)]

    @router.post("/api/console/requests/{reference}")
    def change_status(reference: str, body: StatusChange, staff: StaffUser) -> dict[str, bool]:
        store = dialogue.service_requests
        if store is None or not store.set_status(reference, body.status):
            raise HTTPException(status_code=404, detail=f"没有找到编号为{reference}的申请")
        relay.hub.publish({"type": "request_status", "reference": reference, "status": body.status})
        return {"ok": True}

    @router.get("/api/console/staff")
    def accounts(admin: Admin) -> list[dict[str, str]]:
        return [{"username": s.username, "display_name": s.display_name, "role": s.role}
                for s in staff_store.accounts()]

    @router.post("/api/console/staff", status_code=201)
    def add_account(body: NewAccount, admin: Admin) -> dict[str, str]:
        try:
            added = staff_store.add(body.username, body.display_name, body.role, body.password)
        except ValueError as error:
            raise HTTPException(status_code=409, detail=str(error)) from error
        return {"username": added.username, "display_name": added.display_name, "role": added.role}

    @router.delete("/api/console/staff/{username}")
    def remove_account(username: Annotated[str, Path(pattern=USERNAME_PATTERN)], admin: Admin) -> dict[str, bool]:
        if username == admin.username:
            raise HTTPException(status_code=409, detail="不能删除自己的账号")
        if not staff_store.remove(username):
            raise HTTPException(status_code=404, detail=f"没有账号“{username}”")
        return {"ok": True}

    @router.websocket("/api/console/ws")
    async def live(socket: WebSocket) -> None:
        if staff_store.staff_for(socket.cookies.get(COOKIE)) is None:
            await socket.close(code=4401)
            return
        await socket.accept()
        await relay.hub.join(socket)
        try:
            while True:
                await socket.receive_text()  # the console only listens; this notices it closing
        except WebSocketDisconnect:
            relay.hub.leave(socket)

    return router
