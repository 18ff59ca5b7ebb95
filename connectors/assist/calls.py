"""The calls agent assist is following: each call's transcript so far, what the agent picked,
and the WebSockets (the agent's assist page) to push new suggestions to.

The telephony / ASR system and the agent's page both add to a call by its id; suggestions go
to every page watching it. Calls live in this process and are forgotten when idle
(``assist.call_idle_minutes``): a call's transcript is personal data and is not stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.call_assist import Segment
from connectors.console.relay import Hub

CALL_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


@dataclass
class Call:
    segments: list[Segment] = field(default_factory=list)
    interim: Segment | None = None  # the ASR's not-yet-final text of the segment being spoken
    item: str | None = None
    choices: dict[str, str] = field(default_factory=dict)
    hub: Hub = field(default_factory=Hub)
    touched: float = 0.0

    def hear(self, segment: Segment, final: bool, keep: int) -> None:
        """A final segment joins the transcript (the oldest drop past ``keep``); an interim one
        replaces the previous interim text."""
        if final:
            self.segments = [*self.segments, segment][-keep:]
            self.interim = None
        else:
            self.interim = segment

    def transcript(self) -> list[Segment]:
        return [*self.segments, self.interim] if self.interim else list(self.segments)

    def pick(self, item: str | None) -> None:
        """The agent picked a guide (``None``: let the assistant pick again); its situation
        choices belong to the previous guide and are dropped."""
        if item != self.item:
            self.item, self.choices = item, {}


class CallBook:
    def __init__(self, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds, self.clock = idle_seconds, clock
        self._calls: dict[str, Call] = {}
        self._lock = threading.Lock()

    def call(self, call_id: str) -> Call:
        """The call with this id, started on first use."""
        with self._lock:
            self._forget_idle()
            call = self._calls.setdefault(call_id, Call())
            call.touched = self.clock()
            return call

    def active(self) -> list[str]:
        with self._lock:
            self._forget_idle()
            return sorted(self._calls, key=lambda call_id: -self._calls[call_id].touched)

    def _forget_idle(self) -> None:
        cutoff = self.clock() - self.idle_seconds
        for call_id in [cid for cid, call in self._calls.items() if call.touched < cutoff and not call.hub.sockets]:
            del self._calls[call_id]
