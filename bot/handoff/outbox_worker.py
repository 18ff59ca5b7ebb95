"""Deliver queued 12345 work orders to the hotline's webhook, as a process of its own.

    python -m bot.handoff.outbox_worker --db postgresql+psycopg://daoban@db/daoban \\
        --webhook https://12345.example.gov.cn/api/work-orders

``--db`` defaults to ``DATABASE_URL`` and ``--webhook`` to ``DAOBAN_WORK_ORDER_WEBHOOK``. The
signing secret is read only from ``DAOBAN_WORK_ORDER_SECRET`` (never a command-line option,
which ``ps`` would show); without it, requests carry no ``X-Daoban-Signature``.

The worker creates the two outbox tables if missing, then loops until SIGTERM or Ctrl-C. Killing
it outright is safe: nothing is lost, rows it had claimed are taken over once their lock
(2 × ``--timeout``) expires, and an order it had posted but not yet marked is posted again
(receivers de-duplicate by ``Idempotency-Key``). Several workers may run against one database.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Sequence

import httpx

from bot.handoff.outbox import OutboxDeliverer, WorkOrderStore
from daoban.logs import configure_logging

log = logging.getLogger("bot.handoff.outbox_worker")

SECRET_VARIABLE = "DAOBAN_WORK_ORDER_SECRET"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.handoff.outbox_worker",
                                     description="Deliver queued 12345 work orders to a webhook.")
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL"),
                        help="database URL (default: $DATABASE_URL)")
    parser.add_argument("--webhook", default=os.environ.get("DAOBAN_WORK_ORDER_WEBHOOK"),
                        help="URL work orders are POSTed to (default: $DAOBAN_WORK_ORDER_WEBHOOK)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request (claims last twice this)")
    parser.add_argument("--base-delay", type=float, default=2.0, help="seconds before the first retry")
    parser.add_argument("--max-delay", type=float, default=300.0, help="longest wait between retries")
    parser.add_argument("--batch", type=int, default=20, help="rows claimed at a time")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="seconds between looks for due rows")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if not args.db or not args.webhook:
        parser.error("--db and --webhook are required (or DATABASE_URL and DAOBAN_WORK_ORDER_WEBHOOK)")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    configure_logging(getattr(logging, args.log_level.upper(), logging.INFO))
    store = WorkOrderStore(args.db)
    store.create_schema()
    deliverer = OutboxDeliverer(store, args.webhook, secret=os.environ.get(SECRET_VARIABLE) or None,
                                timeout=args.timeout, base_delay=args.base_delay, max_delay=args.max_delay,
                                batch=args.batch)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("work order outbox: delivering to %s (%d pending, signed: %s)",
             httpx.URL(args.webhook).host, store.pending_count(), "yes" if deliverer.secret else "no")
    try:
        deliverer.run(stop, poll_interval=args.poll_interval)
    finally:
        deliverer.close()
        store.close()
    log.info("work order outbox: stopped (%d pending)", store.pending_count())


if __name__ == "__main__":
    main()
