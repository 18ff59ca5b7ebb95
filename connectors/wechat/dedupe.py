"""WeChat resends a message it got no reply to within 5 seconds, up to three times. Each
message is answered once: a retry that arrives while the first is still being answered waits
for that answer, and one that arrives later gets the same reply again (or ``success``, when
the answer was pushed as a customer-service message instead)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

MAX_REMEMBERED = 10_000


@dataclass
class Answer:
    """One message's answer: its text pieces (the first is the passive reply) once ready, and
    whether it was pushed instead because it missed the deadline."""

    pieces: Future[list[str]] = field(default_factory=Future)
    pushed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class ReplyOnce:
    def __init__(self, keep_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.keep_seconds, self.clock = keep_seconds, clock
        self._answers: OrderedDict[str, tuple[float, Answer]] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: str) -> tuple[Answer, bool]:
        """``key``'s answer, and whether this caller must produce it (the first to ask)."""
        now = self.clock()
        with self._lock:
            while self._answers and (len(self._answers) > MAX_REMEMBERED
                                     or next(iter(self._answers.values()))[0] < now - self.keep_seconds):
                self._answers.popitem(last=False)
            if key in self._answers:
                return self._answers[key][1], False
            answer = Answer()
            self._answers[key] = (now, answer)
            return answer, True
