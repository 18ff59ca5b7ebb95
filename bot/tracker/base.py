"""What every tracker store shares: the conversation key, the store protocol and the JSON encoding.

States are kept as JSON text on every back end, the in-memory one included, so a state that
would not survive Redis or PostgreSQL fails the same way in development as in production.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ConversationKey:
    """One conversation: a channel (``"wechat"``, ``"web"``) and the sender's id on it."""

    channel: str
    sender: str

    def __post_init__(self) -> None:
        for name in ("channel", "sender"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"ConversationKey.{name} must be a non-empty string, got {value!r}")
            if "\x00" in value:
                # PostgreSQL text cannot hold NUL; refuse it everywhere so back ends agree.
                raise ValueError(f"ConversationKey.{name} must not contain NUL characters")

    def masked(self) -> str:
        """The key for logs and errors: the channel and a short hash, never the sender id itself."""
        digest = hashlib.sha256(self.sender.encode("utf-8")).hexdigest()[:10]
        return f"{self.channel}:#{digest}"


@runtime_checkable
class TrackerStore(Protocol):
    """Where the dialogue engine keeps per-conversation state between messages.

    ``expiry_seconds`` is the idle time after which a conversation is forgotten (0 or
    negative: never). ``save`` refreshes the idle timer; ``load`` of an expired or
    unknown conversation returns None.
    """

    expiry_seconds: float

    def load(self, key: ConversationKey) -> dict[str, Any] | None: ...

    def save(self, key: ConversationKey, state: dict[str, Any]) -> None: ...

    def delete(self, key: ConversationKey) -> None: ...

    def close(self) -> None: ...


def dump_state(key: ConversationKey, state: dict[str, Any]) -> str:
    """Encode a state as JSON text, or raise naming the (masked) key before anything is stored.

    Like any JSON, tuples come back as lists and non-string dict keys as strings.
    NaN and infinities are refused: they are not JSON and PostgreSQL's json types reject them.
    """
    if not isinstance(state, dict):
        raise TypeError(f"state for conversation {key.masked()} must be a dict, got {type(state).__name__}")
    try:
        return json.dumps(state, ensure_ascii=False, allow_nan=False)
    except TypeError as exc:
        raise TypeError(f"state for conversation {key.masked()} is not JSON-serialisable: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"state for conversation {key.masked()} is not valid JSON: {exc}") from exc


def load_state(text: str | bytes) -> dict[str, Any]:
    return json.loads(text)


def is_expired(updated_at: float, now: float, expiry_seconds: float) -> bool:
    """Idle for longer than ``expiry_seconds``; never, when that is 0 or negative."""
    return expiry_seconds > 0 and now - updated_at > expiry_seconds
