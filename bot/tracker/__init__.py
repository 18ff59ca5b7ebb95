"""Where conversation state lives between messages: in process, in SQL, or in Redis.

The SQL and Redis back ends are imported only when a URL asks for them, so the default
in-memory store needs neither a database driver nor the ``redis`` package.
"""

from __future__ import annotations

from bot.tracker.base import ConversationKey, TrackerStore
from bot.tracker.memory import InMemoryTrackerStore

__all__ = ["ConversationKey", "InMemoryTrackerStore", "TrackerStore", "tracker_store_from_url"]

ACCEPTED_FORMS = (
    "none, '' or 'memory' (in-process), 'sqlite:///PATH', 'postgresql://…' / 'postgresql+psycopg://…', "
    "'redis://…' / 'rediss://…'"
)


def tracker_store_from_url(url: str | None, expiry_seconds: float) -> TrackerStore:
    """The store a configured URL names; ``expiry_seconds`` is the idle time before a conversation is forgotten."""
    spec = (url or "").strip()
    if spec in ("", "memory"):
        return InMemoryTrackerStore(expiry_seconds)
    scheme = spec.partition(":")[0].partition("+")[0].lower() if ":" in spec else ""
    if scheme in ("sqlite", "postgresql"):
        from bot.tracker.sql import SqlTrackerStore

        return SqlTrackerStore(spec, expiry_seconds)
    if scheme in ("redis", "rediss"):
        try:
            from bot.tracker.redis_store import RedisTrackerStore
        except ImportError as exc:
            raise ImportError(f"a redis:// tracker store needs the 'redis' package ({exc})") from exc
        return RedisTrackerStore(spec, expiry_seconds)
    raise ValueError(f"unsupported tracker store URL {_redact(spec)!r}; accepted forms: {ACCEPTED_FORMS}")


def _redact(url: str) -> str:
    """The URL without a password, for the error message."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest.partition("/")[0]:
        rest = "***@" + rest.partition("@")[2]
    return scheme + sep + rest
