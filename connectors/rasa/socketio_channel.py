"""Rasa's Socket.IO channel (python-socketio 5), as ``rasa-webchat`` and other Rasa front
ends speak it: ``session_request`` → ``session_confirm``; ``user_uttered`` ``{message,
session_id, customData?}`` → one ``bot_uttered`` per bot message.

Sessions persist (Rasa's ``session_persistence: true``): the conversation is keyed by the
front end's ``session_id``, which it keeps across page reloads, and every socket of that
session joins its room, so staff's messages during a takeover reach all of them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any

import socketio

from bot.assistant import BotMessage
from bot.dialogue.engine import UserMessage
from bot.tracker import ConversationKey
from connectors.rasa.format import socketio_messages
from connectors.rendering import render_turn
from connectors.runtime import Runtime
from nlu.normalize import MAX_INPUT_CHARS

log = logging.getLogger(__name__)
CHANNEL = "socketio"
USER_EVENT, BOT_EVENT = "user_uttered", "bot_uttered"
_SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def socketio_server(runtime: Runtime, cors_origins: list[str] | str) -> socketio.AsyncServer:
    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=cors_origins,
                               max_http_buffer_size=64 * 1024)
    loop: list[asyncio.AbstractEventLoop] = []  # the server's, known from the first event

    def push(key: ConversationKey, messages: list[BotMessage]) -> None:
        """Staff's words during a takeover, to every socket of the session."""
        if loop:
            for message in messages:
                asyncio.run_coroutine_threadsafe(sio.emit(BOT_EVENT, {"text": message.text}, room=key.sender),
                                                 loop[0])

    if runtime.relay is not None:
        runtime.relay.pushers[CHANNEL] = push

    @sio.on("session_request")
    async def session_request(sid: str, data: Any = None) -> None:
        loop[:] = [asyncio.get_running_loop()]
        requested = data.get("session_id") if isinstance(data, dict) else None
        session_id = requested if isinstance(requested, str) and _SESSION_ID.match(requested) else uuid.uuid4().hex
        await sio.enter_room(sid, session_id)
        await sio.emit("session_confirm", session_id, room=sid)

    @sio.on(USER_EVENT)
    async def user_uttered(sid: str, data: Any = None) -> None:
        if not isinstance(data, dict):
            return
        session_id, text = data.get("session_id"), data.get("message")
        if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
            log.warning("socket.io: user_uttered without a valid session_id; ignored")
            return
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_INPUT_CHARS:
            return
        metadata = data.get("customData") if isinstance(data.get("customData"), dict) else {}
        turn = await asyncio.to_thread(runtime.handle, UserMessage(text, session_id, CHANNEL, metadata))
        for event in socketio_messages(render_turn(turn, runtime.assistant.entries)):
            await sio.emit(BOT_EVENT, event, room=session_id)

    return sio
