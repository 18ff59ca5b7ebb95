"""The HTTP app: where every channel's message enters. This module only wires routes:

- ``/api/messages`` (``connectors/messages_api.py``): our JSON channel, used by the widget;
- ``/webhooks/rest/webhook`` and ``/socket.io`` (``connectors/rasa/``): Rasa's channels;
- ``/api/guides``, ``/guides/…``: the knowledge endpoints and a plain guide browser, every
  piece of guide text HTML-escaped;
- ``/health``, ``/ready`` and the OpenAPI docs at ``/docs``.

``create_app`` without a runtime serves the knowledge endpoints only (tests, a read-only
mirror); ``create_server`` builds the runtime and wraps the app with Socket.IO for
``daoban serve``.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

import socketio
from fastapi import FastAPI, HTTPException, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp

from connectors.limits import BodySizeLimit, install_error_handlers
from connectors.messages_api import messages_router
from connectors.rasa.rest import rest_router
from connectors.rasa.socketio_channel import socketio_server
from connectors.runtime import Runtime, build_runtime
from daoban.settings import Settings, get_settings
from knowledge.answer import SECTION_TITLES, Answer
from knowledge.service import answer_for
from knowledge.store import KnowledgeStore
from knowledge.tailoring import parse_choices

SectionQuery = Annotated[str | None, Query(pattern="^[a-z_]{1,20}$", description="只看某一部分，如 fee")]


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
                       allow_headers=["Content-Type"])
    app.add_middleware(BodySizeLimit, max_bytes=settings.server.max_body_bytes)
    install_error_handlers(app)
    if runtime is not None:
        app.include_router(messages_router(runtime))
        app.include_router(rest_router(runtime))

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

    @app.get("/", response_class=HTMLResponse)
    def home(q: Annotated[str | None, Query(max_length=100)] = None) -> str:
        rows = store.search(q, 100) if q else store.list(limit=500)
        items = "".join(
            f'<li><a href="/guides/{escape(r.slug)}">{escape(r.name)}</a>'
            f' <small>{escape(r.department or "")}</small></li>' for r in rows
        )
        found = f"<p>共 {len(rows)} 条</p>" if q else ""
        return _page(settings.centre.name, f"""
<form method="get" action="/" role="search"><label for="q">查找办事指南</label>
<input id="q" name="q" value="{escape(q or '')}" maxlength="100" placeholder="例如：身份证、公积金、结婚">
<button type="submit">搜索</button></form>{found}<ul class="guides">{items}</ul>""")

    @app.get("/guides/{slug}", response_class=HTMLResponse)
    def guide_page(slug: str, section: SectionQuery = None) -> str:
        answer = answer_or_404(slug, section, None)
        sections = "".join(
            f"<section><h2>{escape(s.title)}</h2><ul>"
            + "".join(f"<li>{escape(line)}</li>" for line in s.lines) + "</ul></section>"
            for s in answer.sections
        )
        more = "".join(f'<a href="?section={key}">{SECTION_TITLES[key]}</a> ' for key in answer.more)
        return _page(answer.title, f"""<p><a href="/">← 全部指南</a></p>
<p>{escape(answer.department or "")}</p>{sections}<p>{more}</p><p class="cite">{escape(answer.citation)}</p>""")

    return app


def _page(title: str, body: str) -> str:
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;max-width:760px;margin:auto;padding:1rem;line-height:1.6}}
h1{{color:#b71c1c}} input{{padding:.4rem;width:60%}} button{{padding:.4rem 1rem}} small,.cite{{color:#666}}
section{{border-top:1px solid #ddd}}</style></head>
<body><header><h1>{escape(title)}</h1></header><main>{body}</main>
<footer><small>示例数据，仅供演示：内容为典型区级政务服务中心的示例办事指南，不是正式指南。</small></footer></body></html>"""
