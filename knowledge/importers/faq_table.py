"""FAQ tables (``.csv`` / ``.xlsx``): one row per question, slug ``{prefix}{id}``.

Required columns ``id, question, answer``; optional ``dept, keywords, phone, updated``
(``posted`` and common Chinese headers are accepted as synonyms). Other columns are
reported and kept verbatim in ``extra``.
"""

from __future__ import annotations

import re
from datetime import date

from knowledge.importers.common import ImportResult, make_slug, parse_date
from knowledge.importers.tables import Table, header_map
from knowledge.schema import PHONE_PATTERN

COLUMNS = {
    "id": ("id", "编号", "序号"),
    "question": ("question", "问题", "问"),
    "answer": ("answer", "答复", "回答", "答案", "答"),
    "dept": ("dept", "department", "部门", "单位"),
    "keywords": ("keywords", "关键词", "關鍵詞"),
    "phone": ("phone", "电话", "電話", "联系电话"),
    "updated": ("updated", "posted", "date", "更新日期", "发布日期", "日期"),
}
REQUIRED = ("id", "question", "answer")
_KEYWORD_SPLIT = re.compile(r"[,，、;；\s]+")


def looks_like_faq(headers: list[str]) -> bool:
    mapping, _ = header_map(headers, COLUMNS)
    return all(name in mapping for name in REQUIRED)


def import_faq_table(table: Table, file: str, prefix: str, source: str, today: date) -> ImportResult:
    result = ImportResult()
    mapping, unknown = header_map(table.headers, COLUMNS)
    missing = [name for name in REQUIRED if name not in mapping]
    if missing:
        result.error(file, table.name, f"缺少必需的列：{', '.join(missing)}（需要 id, question, answer）")
        return result
    for header in unknown:
        result.warn(file, f"{table.name}: 列“{header}”", "未知列，内容原样保存在 extra 中")
    seen: dict[str, int] = {}
    for number, row in table.rows:
        where = f"{table.name}: 第{number}行"
        value = {name: row.get(header, "") for name, header in mapping.items()}
        slug = make_slug(prefix, value["id"])
        if not value["id"] or slug is None:
            result.error(file, where, f"id “{value['id']}” 不能构成合法的 slug（字母、数字、_ . -）")
            continue
        if slug in seen:
            result.error(file, where, f"id “{value['id']}” 与第{seen[slug]}行重复")
            continue
        seen[slug] = number
        if not value["question"]:
            result.error(file, where, "问题为空")
            continue
        if not value["answer"]:
            result.warn(file, where, "答复为空：已导入，回答时会说明来源没有答复内容")
        updated = parse_date(value.get("updated", ""))
        if value.get("updated") and updated is None:
            result.warn(file, where, f"无法识别的日期“{value['updated']}”，版本日期用导入日期")
        phone = value.get("phone", "").strip()
        well_formed = bool(PHONE_PATTERN.match(phone))
        result.add_entry(file, where, {
            "kind": "faq",
            "slug": slug,
            "name": value["question"],
            "answer": value["answer"],
            "department": value.get("dept") or None,
            "keywords": [k for k in _KEYWORD_SPLIT.split(value.get("keywords", "")) if k],
            "phones": [{"label": "咨询电话", "number": phone}] if well_formed else [],
            "contact": phone if phone and not well_formed else None,
            "version": updated or today,
            "sample": False,
            "source": source,
            "extra": {header: row.get(header, "") for header in unknown if row.get(header)},
        })
    return result
