"""Human takeover: while staff hold a conversation the bot stays silent and relays messages
both ways. A ``Relay`` carries them: the staff console's WebSocket, a channel's push API, or
the in-process ``QueueRelay`` (tests, ``daoban chat``).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Protocol

from bot.assistant import BotMessage
from bot.tracker import ConversationKey


class Relay(Protocol):
    def queued(self, key: ConversationKey, summary: str) -> None:
        """A conversation now waits for staff; ``summary`` says what it is about."""

    def to_staff(self, key: ConversationKey, text: str) -> None:
        """What the citizen said while staff hold the conversation."""

    def to_user(self, key: ConversationKey, messages: list[BotMessage]) -> None:
        """Messages for the citizen that are not a reply to a message of theirs (staff's words)."""

    def submitted(self, kind: str, reference: str) -> None:
        """A 预约, 帮办代办 request or 留言 was stored: staff have something new to handle."""


class QueueRelay:
    """Keeps everything in memory, in order, per conversation."""

    def __init__(self) -> None:
        self.waiting: dict[ConversationKey, str] = {}
        self.for_staff: dict[ConversationKey, list[str]] = defaultdict(list)
        self.for_user: dict[ConversationKey, list[BotMessage]] = defaultdict(list)
        self.requests: list[tuple[str, str]] = []  # (kind, reference) submitted
        self._lock = threading.Lock()

    def queued(self, key: ConversationKey, summary: str) -> None:
        with self._lock:
            self.waiting[key] = summary

    def to_staff(self, key: ConversationKey, text: str) -> None:
        with self._lock:
            self.for_staff[key].append(text)

    def to_user(self, key: ConversationKey, messages: list[BotMessage]) -> None:
        with self._lock:
            self.for_user[key].extend(messages)
            self.waiting.pop(key, None)

    def submitted(self, kind: str, reference: str) -> None:
        with self._lock:
            self.requests.append((kind, reference))
