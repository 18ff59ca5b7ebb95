"""Test helpers for real servers on local ports: a free port, an ASGI app served by uvicorn in
a thread, and the hotline's webhook receiver (checks the HMAC signature, de-duplicates by
``Idempotency-Key``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import uvicorn
from starlette.types import ASGIApp

SECRET = "test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` on a free local port with uvicorn; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass(frozen=True)
class Post:
    key: str | None
    body: bytes
    content_type: str | None
    signature: str | None
    valid: bool
    status: int


class Receiver:
    """The hotline side: records every POST, checks the HMAC, accepts each id once."""

    def __init__(self, port: int, secret: str = SECRET, delay: float = 0.0) -> None:
        self.port, self.secret, self.delay = port, secret, delay
        self.posts: list[Post] = []  # every request, duplicates included
        self.accepted: dict[str, dict] = {}  # receiver-side de-duplication by Idempotency-Key
        self.statuses: list[int] = []  # answer these first (then 200)
        self.echo = False  # put the request body in error responses (as some systems do)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/work-orders"

    def expected_signature(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

    def handle(self, body: bytes, headers: Message) -> tuple[int, bytes]:
        time.sleep(self.delay)
        given = headers.get("X-Daoban-Signature")
        valid = given is not None and hmac.compare_digest(given, self.expected_signature(body))
        key = headers.get("Idempotency-Key")
        with self.lock:
            status = 401 if not valid else (self.statuses.pop(0) if self.statuses else 200)
            self.posts.append(Post(key, body, headers.get("Content-Type"), given, valid, status))
            if status == 200 and key:
                self.accepted.setdefault(key, json.loads(body))
        return status, body if status != 200 and self.echo else b'{"ok":true}'

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = receiver.handle(body, self.headers)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def keys_posted(self) -> list[str | None]:
        with self.lock:
            return [post.key for post in self.posts]
