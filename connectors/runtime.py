"""What a running server shares between its channels: one assistant, one conversation engine
with its stores, the relay staff talk through, and the work-order outbox thread.

Built once at start-up (``daoban serve``) or from parts in tests; every channel calls
:meth:`Runtime.handle`, which serialises the turns of one conversation so two requests from
the same sender never read and write its state at the same time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from bot.assistant import Assistant, Turn, build_assistant
from bot.dialogue.engine import Dialogue, UserMessage, build_dialogue
from bot.handoff.outbox import OutboxDeliverer
from bot.tracker import ConversationKey
from connectors.console.relay import Hub, ServerRelay
from connectors.console.users import StaffStore
from daoban.settings import Settings

log = logging.getLogger(__name__)
LOCK_STRIPES = 64


@dataclass
class Runtime:
    settings: Settings
    assistant: Assistant
    dialogue: Dialogue
    relay: ServerRelay | None = None  # the same relay the dialogue uses; None: no staff console
    staff: StaffStore | None = None
    # Striped: a conversation always maps to the same lock, and memory stays bounded.
    _locks: list[threading.Lock] = field(default_factory=lambda: [threading.Lock() for _ in range(LOCK_STRIPES)])
    _stop: threading.Event = field(default_factory=threading.Event)
    _deliverer: OutboxDeliverer | None = None

    def handle(self, message: UserMessage) -> Turn:
        with self.lock(ConversationKey(message.channel, message.sender)):
            return self.dialogue.handle(message)

    def lock(self, key: ConversationKey) -> threading.Lock:
        """Held while a conversation's state is read and written (a turn, a staff action)."""
        return self._locks[hash(key) % LOCK_STRIPES]

    def start_outbox(self) -> None:
        """Deliver 12345 work orders from inside the server when ``handoff.webhook_url`` is set
        (a separate ``python -m bot.handoff.outbox_worker`` may run as well: claims never clash)."""
        handoff, orders = self.settings.handoff, self.dialogue.work_orders
        if not handoff.webhook_url or orders is None or self._deliverer is not None:
            return
        self._deliverer = OutboxDeliverer(orders, handoff.webhook_url, secret=handoff.webhook_secret,
                                          timeout=handoff.timeout, base_delay=handoff.base_delay,
                                          max_delay=handoff.max_delay)
        self._deliverer.start_background(self._stop, handoff.poll_interval)
        log.info("work order outbox: delivering from the server (%d pending)", orders.pending_count())

    def close(self) -> None:
        self._stop.set()
        if self._deliverer is not None:
            self._deliverer.close()


def build_runtime(settings: Settings) -> Runtime:
    assistant = build_assistant(settings)
    relay = ServerRelay(Hub())
    staff = StaffStore(settings.store.database_url)
    staff.create_schema()
    return Runtime(settings, assistant, build_dialogue(assistant, relay), relay, staff)
