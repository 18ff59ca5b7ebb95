"""The public pages: a demo home page with the widget embedded (``/``) and a plain guide
browser (``/guides``, ``/guides/{slug}``). Every piece of guide text is HTML-escaped."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from daoban.settings import Settings
from knowledge.answer import SECTION_TITLES, Answer, hours_lines
from knowledge.store import EntrySummary, KnowledgeStore

SectionQuery = Annotated[str | None, Query(pattern="^[a-z_]{1,20}$", description="只看某一部分，如 fee")]
SAMPLE_NOTICE = "示例数据，仅供演示：内容为典型区级政务服务中心的示例办事指南，不是正式指南。"


def common_errands(store: KnowledgeStore) -> list[EntrySummary]:
    """The 高频事项 board: the 一件事 bundles and items the guides mark ``frequency: high``."""
    return [row for kind in ("event", "item") for row in store.list(kind=kind, limit=1000) if row.frequency == "high"]


def pages_router(settings: Settings, store: KnowledgeStore,
                 answer_or_404: Callable[[str, str | None, list[str] | None], Answer]) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    centre = settings.centre

    @router.get("/", response_class=HTMLResponse)
    def home() -> str:
        popular = "".join(f'<li><a href="/guides/{escape(row.slug)}">{escape(row.name)}</a></li>'
                          for row in common_errands(store))
        hours = "".join(f"<li>{escape(line)}</li>" for line in hours_lines(centre.hours))
        return page(centre.name, f"""
<section class="hero"><h2>问一次、一口清、一键达</h2>
<p>点击右下角“办事咨询”，告诉导办助手您要办的事，它会一次告诉您要带的材料、办理条件、窗口和时限；
需要时可以转人工或转12345热线。</p>
{search_form("")}
</section>
<section><h2>高频事项</h2><ul class="tiles">{popular}</ul><p><a href="/guides">全部办事指南 →</a></p></section>
<section><h2>办公时间与地址</h2><ul>{hours}</ul><p>{escape(centre.address)}</p>
<p>咨询电话：{escape(centre.consultation.number)}　{escape(centre.hotline.label)}：{escape(centre.hotline.number)}</p>
</section>
<script src="/widget/widget.js" data-server="" defer></script>""")

    @router.get("/guides", response_class=HTMLResponse)
    def guides(q: Annotated[str | None, Query(max_length=100)] = None) -> str:
        rows = store.search(q, 100) if q else store.list(limit=500)
        items = "".join(
            f'<li><a href="/guides/{escape(r.slug)}">{escape(r.name)}</a>'
            f' <small>{escape(r.department or "")}</small></li>' for r in rows
        )
        found = f"<p>共 {len(rows)} 条</p>" if q else ""
        return page("办事指南", f"""{search_form(q or "")}{found}<ul class="guides">{items}</ul>""")

    @router.get("/guides/{slug}", response_class=HTMLResponse)
    def guide_page(slug: str, section: SectionQuery = None) -> str:
        answer = answer_or_404(slug, section, None)
        sections = "".join(
            f"<section><h2>{escape(s.title)}</h2><ul>"
            + "".join(f"<li>{escape(line)}</li>" for line in s.lines) + "</ul></section>"
            for s in answer.sections
        )
        more = "".join(f'<a href="?section={key}">{SECTION_TITLES[key]}</a> ' for key in answer.more)
        return page(answer.title, f"""<p><a href="/guides">← 全部指南</a></p>
<p>{escape(answer.department or "")}</p>{sections}<p>{more}</p><p class="cite">{escape(answer.citation)}</p>""")

    return router


def search_form(query: str) -> str:
    return f"""<form method="get" action="/guides" role="search"><label for="q">查找办事指南</label>
<input id="q" name="q" value="{escape(query)}" maxlength="100" placeholder="例如：身份证、公积金、结婚">
<button type="submit">搜索</button></form>"""


def page(title: str, body: str) -> str:
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;max-width:880px;margin:auto;padding:0 1rem 5rem;
line-height:1.7;color:#1f2933}} header{{border-bottom:4px solid #c62828;margin-bottom:1rem}}
h1{{color:#0b57a4;margin:.6rem 0}} h2{{color:#0b57a4;font-size:1.2rem}} input{{padding:.5rem;width:60%;
font-size:1rem}} button{{padding:.5rem 1rem;font-size:1rem;background:#0b57a4;color:#fff;border:0;border-radius:4px}}
label{{display:block;font-weight:600}} small,.cite{{color:#666}} section{{border-top:1px solid #ddd}}
.hero{{background:#eef4fb;padding:1rem;border:0;border-radius:8px}} .tiles{{display:grid;
grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:.5rem;list-style:none;padding:0}}
.tiles a{{display:block;padding:.8rem;background:#fff;border:1px solid #d5dde8;border-radius:6px;text-decoration:none;
color:#0b57a4}}</style></head>
<body><header><h1>{escape(title)}</h1></header><main>{body}</main>
<footer><small>{SAMPLE_NOTICE}</small></footer></body></html>"""
