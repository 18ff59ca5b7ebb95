"""办事指南 documents (``.docx`` / ``.html``) with the usual section headings.

Both formats are flattened into blocks (heading, paragraph, table) in document order;
headings start sections (受理条件, 申请材料…), "标签：内容" lines and label/value tables
fill single fields, and a table under 申请材料 becomes the material list. Headings we do
not know are reported and kept verbatim in ``extra``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.importers.common import ImportResult, SourceError, check_office_zip, make_slug, read_text_source
from knowledge.importers.item_fields import (
    MATERIAL_LABELS,
    append_notes,
    build_item,
    field_for,
    material_from_row,
    normalise_label,
    parse_material_line,
)
from knowledge.importers.tables import header_map


@dataclass
class Block:
    kind: str  # heading / paragraph / table
    text: str = ""
    rows: list[list[str]] | None = None


def docx_blocks(path: Path) -> list[Block]:
    check_office_zip(path)
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for damaged packages
        raise SourceError(f"无法读取 Word 文件：{exc}") from exc
    blocks = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            text = paragraph.text.strip()
            if not text:
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            is_heading = style.startswith(("Heading", "Title", "标题")) or _bold_label(paragraph, text)
            blocks.append(Block("heading" if is_heading else "paragraph", text))
        elif tag == "tbl":
            table = DocxTable(child, document)
            blocks.append(Block("table", rows=[[cell.text.strip() for cell in row.cells] for row in table.rows]))
    return blocks


def _bold_label(paragraph, text: str) -> bool:
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.bold for run in runs) and len(text) <= 20 and field_for(text) is not None


def html_blocks(path: Path) -> list[Block]:
    from bs4 import BeautifulSoup

    text = read_text_source(path)
    soup = BeautifulSoup(text, "html.parser")  # never fetches or expands external entities
    for tag in soup(["script", "style", "template", "noscript", "iframe", "object"]):
        tag.decompose()
    blocks = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "dt", "dd"]):
        if element.name != "table" and element.find_parent("table"):
            continue
        if element.name == "table":
            if element.find_parent("table"):
                continue
            rows = [[cell.get_text(" ", strip=True) for cell in tr.find_all(["td", "th"])]
                    for tr in element.find_all("tr")]
            blocks.append(Block("table", rows=[r for r in rows if any(r)]))
            continue
        content = element.get_text(" ", strip=True)
        if content:
            heading = element.name.startswith("h") or element.name == "dt"
            blocks.append(Block("heading" if heading else "paragraph", content))
    return blocks


def import_guide(path: Path, prefix: str, source: str, today: date) -> ImportResult:
    """One document → one service item (or the problems that prevented it)."""
    result = ImportResult()
    file = str(path)
    blocks = docx_blocks(path) if path.suffix.lower() == ".docx" else html_blocks(path)
    if not blocks:
        result.error(file, "", "文档中没有内容")
        return result
    values: dict[str, list[str]] = {}
    extra: dict[str, list[str]] = {}
    materials: list[dict] = []
    current: tuple[str, str] | None = None  # (field or "extra", label)
    title = None
    for block in blocks:
        if block.kind == "heading":
            name = field_for(block.text)
            if name:
                current = (name, block.text)
            elif title is None:
                title, current = block.text, None
            else:
                current = ("extra", normalise_label(block.text))
                result.warn(file, f"标题“{block.text}”", "未知的章节标题，内容原样保存在 extra 中")
            continue
        if block.kind == "table":
            _read_table(block.rows or [], current, values, materials, extra, result, file)
            continue
        inline = _labelled_values(block.text)
        if inline:
            for name, value in inline:
                values.setdefault(name, []).append(value)
        elif current and current[0] == "materials":
            materials.append(parse_material_line(block.text))
        elif current and current[0] == "extra":
            extra.setdefault(current[1], []).append(block.text)
        elif current:
            values.setdefault(current[0], []).append(block.text)
        else:
            extra.setdefault("前言", []).append(block.text)
    texts = {name: "\n".join(lines) for name, lines in values.items()}
    texts.setdefault("name", title or "")
    slug = make_slug(prefix, path.stem) or make_slug(prefix, texts.get("slug") or texts.get("code", ""))
    if slug is None:
        result.error(file, "slug", "文件名和事项编码都不能构成合法的 slug；请用英文文件名或提供事项编码")
        return result
    build_item(texts, [m for m in materials if m["name"]], slug=slug, source=source, today=today,
               result=result, file=file, where="文档", extra={k: "\n".join(v) for k, v in extra.items()})
    return result


def _labelled_values(text: str) -> list[tuple[str, str]]:
    """"法定办结时限：即办；承诺办结时限：即办" → both fields; [] unless every part is labelled."""
    pairs = []
    for part in re.split(r"[；;]", text):
        match = re.match(r"^\s*([^：:]{1,12})[：:]\s*(.+)$", part)
        name = field_for(match.group(1)) if match else None
        if name is None:
            return []
        pairs.append((name, match.group(2).strip()))
    return pairs


def _read_table(rows: list[list[str]], current: tuple[str, str] | None, values: dict[str, list[str]],
                materials: list[dict], extra: dict[str, list[str]], result: ImportResult, file: str) -> None:
    if not rows:
        return
    mapping, unknown = header_map([normalise_label(h) for h in rows[0]], MATERIAL_LABELS)
    if "name" in mapping and (current is None or current[0] == "materials"):
        columns = {normalise_label(h): i for i, h in enumerate(rows[0])}
        for header in unknown:
            result.warn(file, f"材料表列“{header}”", "未知列，内容写入材料备注")
        for row in rows[1:]:
            cells = {name: row[columns[header]] if columns[header] < len(row) else ""
                     for name, header in mapping.items()}
            if not cells.get("name"):
                continue
            material = material_from_row(cells)
            append_notes(material, "；".join(f"{h}：{row[columns[h]]}" for h in unknown
                                             if columns[h] < len(row) and row[columns[h]]))
            materials.append(material)
        return
    for row in rows:  # label / value pairs: | 事项编码 | xxx | 实施主体 | yyy |
        for label, value in zip(row[::2], row[1::2], strict=False):
            name = field_for(label)
            if name and value:
                values.setdefault(name, []).append(value)
            elif label and value:
                extra.setdefault(normalise_label(label), []).append(value)
                result.warn(file, f"表格标签“{label}”", "未知的字段，内容原样保存在 extra 中")


def is_guide_document(path: Path) -> bool:
    return path.suffix.lower() in {".docx", ".html", ".htm"}

