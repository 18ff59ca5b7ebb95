"""The HTTP app. For now: knowledge endpoints, health checks and a plain guide browser.

Later issues add the message API and channels; this module only wires routes to the
knowledge service and renders pages with every piece of guide text HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from daoban.settings import Settings, get_settings
from knowledge.answer import SECTION_TITLES, Answer
from knowledge.service import answer_for
from knowledge.store import KnowledgeStore
from knowledge.tailoring import parse_choices

SectionQuery = Annotated[str | None, Query(pattern="^[a-z_]{1,20}$", description="只看某一部分，如 fee")]


def create_app(settings: Settings | None = None, store: KnowledgeStore | None = None) -> FastAPI:
    settings = settings or get_settings()
    store = store or KnowledgeStore(settings.store.database_url, settings.store.keep_versions)
    store.create_schema()
    app = FastAPI(title="导办 daoban", description="政务服务导办助手 API", version="0.1.0")

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

    @app.exception_handler(HTTPException)
    async def json_errors(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    return app


def _page(title: str, body: str) -> str:
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;max-width:760px;margin:auto;padding:1rem;line-height:1.6}}
h1{{color:#b71c1c}} input{{padding:.4rem;width:60%}} button{{padding:.4rem 1rem}} small,.cite{{color:#666}}
section{{border-top:1px solid #ddd}}</style></head>
<body><header><h1>{escape(title)}</h1></header><main>{body}</main>
<footer><small>示例数据，仅供演示：内容为典型区级政务服务中心的示例办事指南，不是正式指南。</small></footer></body></html>"""
