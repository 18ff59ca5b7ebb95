"""In-process conversation state: the default, for one process and for tests."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.tracker.base import ConversationKey, dump_state, is_expired, load_state

log = logging.getLogger(__name__)


class InMemoryTrackerStore:
    """A dict of JSON text behind a lock; state is lost when the process exits.

    Stored as text so callers can neither mutate stored state by reference nor save
    something the persistent back ends would refuse.
    """

    def __init__(self, expiry_seconds: float = 0, clock: Callable[[], float] = time.time) -> None:
        self.expiry_seconds = expiry_seconds
        self.clock = clock
        self._states: dict[ConversationKey, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def load(self, key: ConversationKey) -> dict[str, Any] | None:
        with self._lock:
            stored = self._states.get(key)
            if stored is None:
                return None
            text, updated_at = stored
            if is_expired(updated_at, self.clock(), self.expiry_seconds):
                del self._states[key]
                log.debug("conversation %s expired", key.masked())
                return None
        return load_state(text)

    def save(self, key: ConversationKey, state: dict[str, Any]) -> None:
        text = dump_state(key, state)
        with self._lock:
            now = self.clock()
            self._states[key] = (text, now)
            # Conversations nobody comes back to are never loaded; sweep them at most once per expiry period.
            if self.expiry_seconds > 0 and now - self._last_sweep >= self.expiry_seconds:
                self._purge(now)

    def delete(self, key: ConversationKey) -> None:
        with self._lock:
            self._states.pop(key, None)

    def purge_expired(self) -> int:
        """Forget every idle conversation; returns how many."""
        with self._lock:
            return self._purge(self.clock())

    def _purge(self, now: float) -> int:
        self._last_sweep = now
        stale = [key for key, (_, updated_at) in self._states.items()
                 if is_expired(updated_at, now, self.expiry_seconds)]
        for key in stale:
            del self._states[key]
        return len(stale)

    def close(self) -> None:
        with self._lock:
            self._states.clear()
