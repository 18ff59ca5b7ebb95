"""Excel 实施清单: one row per item on the first sheet, materials on a second sheet keyed by 事项编码."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from knowledge.importers.common import ImportResult, make_slug
from knowledge.importers.item_fields import (
    ITEM_LABELS,
    MATERIAL_LABELS,
    append_notes,
    build_item,
    material_from_row,
)
from knowledge.importers.tables import Table, header_map


def looks_like_catalogue(headers: list[str]) -> bool:
    mapping, _ = header_map(headers, ITEM_LABELS)
    return "name" in mapping and "code" in mapping


def import_catalogue(tables: list[Table], file: str, prefix: str, source: str, today: date) -> ImportResult:
    result = ImportResult()
    items_table, *rest = tables
    mapping, unknown = header_map(items_table.headers, ITEM_LABELS)
    for header in unknown:
        result.warn(file, f"{items_table.name}: 列“{header}”", "未知列，内容原样保存在 extra 中")
    materials = _materials_by_code(rest, file, result)
    seen: set[str] = set()
    for number, row in items_table.rows:
        where = f"{items_table.name}: 第{number}行"
        values = {name: row.get(header, "") for name, header in mapping.items()}
        code = values.get("code", "")
        slug = make_slug(prefix, values.get("slug") or code)
        if not code or slug is None:
            result.error(file, where, f"事项编码“{code}”为空或不能构成合法的 slug；可增加 slug 列")
            continue
        if slug in seen:
            result.error(file, where, f"slug “{slug}” 重复")
            continue
        seen.add(slug)
        if "materials" in values and values["materials"] and code not in materials:
            result.warn(file, where, "申请材料列为文字，未在材料表中找到该编码的材料明细")
        build_item(values, materials.pop(code, []), slug=slug, source=source, today=today, result=result,
                   file=file, where=where, extra={h: row[h] for h in unknown if row.get(h)})
    for code in materials:
        result.error(file, "材料表", f"材料属于不存在的事项编码“{code}”")
    return result


def _materials_by_code(tables: list[Table], file: str, result: ImportResult) -> dict[str, list[dict]]:
    by_code: dict[str, list[dict]] = defaultdict(list)
    for table in tables:
        mapping, unknown = header_map(table.headers, MATERIAL_LABELS)
        if "code" not in mapping or "name" not in mapping:
            result.warn(file, table.name, "不是材料表（缺少“事项编码”和“材料名称”列），已跳过整张工作表")
            continue
        for header in unknown:
            result.warn(file, f"{table.name}: 列“{header}”", "材料表中的未知列，已写入材料备注")
        for number, row in table.rows:
            values = {name: row.get(header, "") for name, header in mapping.items()}
            if not values["name"]:
                result.error(file, f"{table.name}: 第{number}行", "材料名称为空")
                continue
            material = material_from_row(values)
            append_notes(material, "；".join(f"{h}：{row[h]}" for h in unknown if row.get(h)))
            by_code[values["code"]].append(material)
    return by_code
