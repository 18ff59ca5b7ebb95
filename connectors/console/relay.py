"""The relay a running server uses during a takeover (``bot.handoff.takeover.Relay``).

Staff hear through the console's WebSockets (:class:`Hub`): a conversation queued for a
person, what its citizen says while staff hold it, a request submitted. Citizens hear staff
through their own channel: pushed at once where the channel can push (Socket.IO, WeChat's
customer-service messages; see ``pushers``), otherwise kept in a mailbox their client
collects (the widget polls ``/api/messages/{sender}/updates``; Rasa REST gets them before its
next reply). Everything lives in this process: one server process per deployment for now.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import WebSocket

from bot.assistant import BotMessage
from bot.tracker import ConversationKey

log = logging.getLogger(__name__)
Pusher = Callable[[ConversationKey, list[BotMessage]], None]


class Hub:
    """Console WebSockets; :meth:`publish` may be called from any thread."""

    def __init__(self) -> None:
        self.sockets: set[WebSocket] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def join(self, socket: WebSocket) -> None:
        self.loop = asyncio.get_running_loop()
        self.sockets.add(socket)

    def leave(self, socket: WebSocket) -> None:
        self.sockets.discard(socket)

    def publish(self, event: dict[str, Any]) -> None:
        if self.loop is not None and self.sockets:
            asyncio.run_coroutine_threadsafe(self._send(event), self.loop)

    async def _send(self, event: dict[str, Any]) -> None:
        for socket in list(self.sockets):
            try:
                await socket.send_json(event)
            except Exception:  # a closed console tab: forget it
                self.leave(socket)


@dataclass(frozen=True)
class Waiting:
    key: ConversationKey
    summary: str
    since: datetime


def conversation_id(key: ConversationKey) -> dict[str, str]:
    return {"channel": key.channel, "sender": key.sender}


class ServerRelay:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.pushers: dict[str, Pusher] = {}  # channel → how to push to it
        self.waiting: dict[ConversationKey, Waiting] = {}
        self.held: dict[ConversationKey, str] = {}  # conversation → staff username holding it
        self._mailbox: defaultdict[ConversationKey, list[BotMessage]] = defaultdict(list)
        self._lock = threading.Lock()

    def queued(self, key: ConversationKey, summary: str) -> None:
        with self._lock:
            self.waiting[key] = Waiting(key, summary, datetime.now(UTC))
        self.hub.publish({"type": "queued", **conversation_id(key), "summary": summary})

    def to_staff(self, key: ConversationKey, text: str) -> None:
        self.hub.publish({"type": "user_message", **conversation_id(key), "text": text})

    def to_user(self, key: ConversationKey, messages: list[BotMessage]) -> None:
        with self._lock:
            self.waiting.pop(key, None)
        pusher = self.pushers.get(key.channel)
        if pusher is None:
            with self._lock:
                self._mailbox[key].extend(messages)
        else:
            pusher(key, messages)
        self.hub.publish({"type": "staff_message", **conversation_id(key), "texts": [m.text for m in messages]})

    def submitted(self, kind: str, reference: str) -> None:
        self.hub.publish({"type": "request", "kind": kind, "reference": reference})

    def collect(self, key: ConversationKey) -> list[BotMessage]:
        """Messages waiting for a client that cannot be pushed to; each is handed out once."""
        with self._lock:
            return self._mailbox.pop(key, [])
