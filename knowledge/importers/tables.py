"""Read tabular sources (CSV, XLSX sheets) into rows keyed by their header cells."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from knowledge.importers.common import SourceError, check_office_zip, read_text_source

MAX_ROWS = 100_000


@dataclass
class Table:
    """A sheet: its name, header labels and rows (row number as the person sees it)."""

    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(name: str, raw_rows: list[list[object]]) -> Table:
    rows_iter = iter(raw_rows)
    header_row = next(rows_iter, None)
    if not header_row or not any(_cell(v) for v in header_row):
        raise SourceError(f"工作表“{name}”没有表头行")
    headers = [_cell(v) for v in header_row]
    if len(raw_rows) > MAX_ROWS:
        raise SourceError(f"工作表“{name}”行数过多（上限 {MAX_ROWS}）")
    rows = []
    for number, values in enumerate(rows_iter, start=2):
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        if len(cells) > len(headers) and any(cells[len(headers):]):
            raise SourceError(f"工作表“{name}”第 {number} 行的单元格多于表头列数")
        rows.append((number, {h: cells[i] if i < len(cells) else "" for i, h in enumerate(headers) if h}))
    return Table(name=name, headers=[h for h in headers if h], rows=rows)


def read_csv(path: Path) -> Table:
    """CSV in UTF-8 (with or without BOM) or GB18030, the encodings Chinese offices export."""
    text = read_text_source(path)
    if "\x00" in text:
        raise SourceError("文件含有二进制内容，不是 CSV")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SourceError(f"CSV 格式错误：{exc}") from exc
    return _table(path.name, rows)


def read_xlsx(path: Path) -> list[Table]:
    """Every sheet of a workbook, values only (formulas as their cached results)."""
    check_office_zip(path)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise SourceError(f"无法读取 Excel 文件：{exc}") from exc
    try:
        return [_table(sheet.title, [list(r) for r in sheet.iter_rows(values_only=True)])
                for sheet in workbook.worksheets]
    finally:
        workbook.close()


def header_map(headers: list[str], vocabulary: dict[str, tuple[str, ...]]) -> tuple[dict[str, str], list[str]]:
    """Map source headers to our field names; returns the mapping and the unknown headers."""
    lookup = {label.casefold(): name for name, labels in vocabulary.items() for label in labels}
    mapping, unknown = {}, []
    for header in headers:
        name = lookup.get(re.sub(r"\s+", "", header).casefold())
        if name and name not in mapping:
            mapping[name] = header
        else:
            unknown.append(header)
    return mapping, unknown
