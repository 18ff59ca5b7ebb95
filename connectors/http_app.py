"""The HTTP app: where every channel's message enters. This module only wires routes:

- ``/api/messages`` (``connectors/messages_api.py``): our JSON channel, used by the widget;
- ``/webhooks/rest/webhook`` and ``/socket.io`` (``connectors/rasa/``): Rasa's channels;
- ``/wechat`` (``connectors/wechat/``): the WeChat official account;
- ``/console`` and ``/api/console/…`` (``connectors/console/``): the staff console;
- ``/console/assist`` and ``/api/assist…`` (``connectors/assist/``): hotline agent assist;
- ``/api/guides``, ``/guides/…``: the knowledge endpoints and a plain guide browser, every
  piece of guide text HTML-escaped;
- ``/health``, ``/ready`` and the OpenAPI docs at ``/docs``.

``create_app`` without a runtime serves the knowledge endpoints only (tests, a read-only
mirror); ``create_server`` builds the runtime and wraps the app with Socket.IO for
``daoban serve``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import socketio
from fastapi import FastAPI, HTTPException, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from bot.call_assist import CallAssistant
from connectors.assist.routes import assist_router
from connectors.console.routes import console_router
from connectors.limits import BodySizeLimit, install_error_handlers
from connectors.messages_api import messages_router
from connectors.pages import SectionQuery, pages_router
from connectors.rasa.rest import rest_router
from connectors.rasa.socketio_channel import socketio_server
from connectors.runtime import Runtime, build_runtime
from connectors.wechat.customer_service import customer_service
from connectors.wechat.route import wechat_router
from daoban.settings import Settings, get_settings
from knowledge.answer import Answer
from knowledge.service import answer_for
from knowledge.store import KnowledgeStore
from knowledge.tailoring import parse_choices

WIDGET_DIR = Path(__file__).parent / "widget" / "static"
CONSOLE_DIR = Path(__file__).parent / "console" / "static"
ASSIST_DIR = Path(__file__).parent / "assist" / "static"


def create_server(settings: Settings | None = None) -> ASGIApp:
    """What ``daoban serve`` runs: the app with every channel, Socket.IO in front of it."""
    settings = settings or get_settings()
    runtime = build_runtime(settings)
    runtime.start_outbox()
    app = create_app(settings, runtime=runtime)
    app.router.add_event_handler("shutdown", runtime.close)
    return with_socketio(app, runtime, settings)


def with_socketio(app: FastAPI, runtime: Runtime, settings: Settings) -> ASGIApp:
    sio = socketio_server(runtime, settings.server.cors_origins)
    return socketio.ASGIApp(sio, other_asgi_app=app, socketio_path="socket.io")


def create_app(settings: Settings | None = None, store: KnowledgeStore | None = None,
               runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()
    store = store or KnowledgeStore(settings.store.database_url, settings.store.keep_versions)
    store.create_schema()
    app = FastAPI(title="导办 daoban", description="政务服务导办助手 API", version="0.1.0")
    app.add_middleware(CORSMiddleware, allow_origins=settings.server.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type", "Authorization"])
    app.add_middleware(BodySizeLimit, max_bytes=settings.server.max_body_bytes)
    install_error_handlers(app)
    if runtime is not None:
        app.include_router(messages_router(runtime))
        app.include_router(rest_router(runtime))
        push = customer_service(settings.wechat)
        app.include_router(wechat_router(runtime, settings.wechat, push))
        if push is not None and runtime.relay is not None:
            runtime.relay.pushers["wechat"] = lambda key, messages: push.push_texts(key.sender,
                                                                                    [m.text for m in messages])
        if runtime.relay is not None and runtime.staff is not None:
            app.include_router(console_router(runtime, runtime.relay, runtime.staff))
        if runtime.staff is not None:
            call_assistant = CallAssistant(runtime.assistant, settings.assist)
            app.include_router(assist_router(call_assistant, settings.assist, runtime.staff))

    def answer_or_404(slug: str, section: str | None, situation: list[str] | None) -> Answer:
        try:
            answer = answer_for(store.get, settings.centre, slug, focus=section, choices=parse_choices(situation))
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        if answer is None:
            raise HTTPException(status_code=404, detail=f"没有找到条目“{slug}”")
        return answer

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> JSONResponse:
        version = store.active_version()
        if version is None:
            return JSONResponse({"status": "no knowledge version; run daoban kb build"}, status_code=503)
        return JSONResponse({"status": "ready", "knowledge_version": version.id, "entries": version.entry_count})

    @app.get("/api/guides")
    def list_guides(
        q: Annotated[str | None, Query(max_length=100)] = None,
        kind: Annotated[str | None, Query(pattern="^(item|event|faq)$")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict]:
        rows = store.search(q, limit) if q else store.list(kind, limit, offset)
        return [row.__dict__ for row in rows if not kind or row.kind == kind]

    @app.get("/api/guides/{slug}", response_model=Answer)
    def show_guide(slug: str, section: SectionQuery = None,
                   situation: Annotated[list[str] | None, Query(max_length=10)] = None) -> Answer:
        return answer_or_404(slug, section, situation)

    app.include_router(pages_router(settings, store, answer_or_404))
    app.mount("/widget", StaticFiles(directory=WIDGET_DIR), name="widget")
    app.mount("/console/static", StaticFiles(directory=CONSOLE_DIR), name="console")
    app.mount("/console/assist/static", StaticFiles(directory=ASSIST_DIR), name="assist")
    return app

