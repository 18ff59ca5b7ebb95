"""Conversation state in Redis, which forgets idle conversations itself (``SET … PX``)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

import redis

from bot.tracker.base import ConversationKey, dump_state, load_state


class RedisTrackerStore:
    """One Redis string per conversation; each save resets its time to live."""

    def __init__(self, url: str, expiry_seconds: float = 0, prefix: str = "daoban:tracker:") -> None:
        self.expiry_seconds = expiry_seconds
        self.prefix = prefix
        self.client = redis.Redis.from_url(url)

    def key_for(self, key: ConversationKey) -> str:
        """Both parts percent-encoded, so ("a:b", "c") and ("a", "b:c") never share a Redis key."""
        return f"{self.prefix}{quote(key.channel, safe='')}:{quote(key.sender, safe='')}"

    def load(self, key: ConversationKey) -> dict[str, Any] | None:
        text = self.client.get(self.key_for(key))
        return None if text is None else load_state(text)

    def save(self, key: ConversationKey, state: dict[str, Any]) -> None:
        text = dump_state(key, state)
        if self.expiry_seconds > 0:
            self.client.set(self.key_for(key), text.encode("utf-8"), px=max(1, math.ceil(self.expiry_seconds * 1000)))
        else:
            # A plain SET also clears any time to live left from an earlier save.
            self.client.set(self.key_for(key), text.encode("utf-8"))

    def delete(self, key: ConversationKey) -> None:
        self.client.delete(self.key_for(key))

    def close(self) -> None:
        self.client.close()
