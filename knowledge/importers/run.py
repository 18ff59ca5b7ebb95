"""``daoban kb import``: pick the importer for each file and gather one result for all of them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from knowledge.importers.catalogue_sheet import import_catalogue, looks_like_catalogue
from knowledge.importers.common import ImportResult, SourceError, write_entries
from knowledge.importers.faq_table import import_faq_table, looks_like_faq
from knowledge.importers.guide_document import import_guide, is_guide_document
from knowledge.importers.tables import read_csv, read_xlsx

SUPPORTED = ".csv .xlsx .docx .html .htm"


def import_file(path: Path, prefix: str, today: date) -> ImportResult:
    """Import one file; an unreadable file becomes one clear error, never an exception."""
    file, source = str(path), path.name
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            table = read_csv(path)
            if not looks_like_faq(table.headers):
                return _unrecognised(file, table.headers)
            return import_faq_table(table, file, prefix, source, today)
        if suffix == ".xlsx":
            tables = read_xlsx(path)
            first = tables[0]
            if looks_like_faq(first.headers):
                result = ImportResult()
                for table in tables:
                    if looks_like_faq(table.headers):
                        result.extend(import_faq_table(table, file, prefix, source, today))
                    else:
                        result.warn(file, table.name, "工作表不是问答表（缺少 id/question/answer 列），已跳过")
                return result
            if looks_like_catalogue(first.headers):
                return import_catalogue(tables, file, prefix, source, today)
            return _unrecognised(file, first.headers)
        if is_guide_document(path):
            return import_guide(path, prefix, source, today)
    except SourceError as exc:
        result = ImportResult()
        result.error(file, "", str(exc))
        return result
    except OSError as exc:
        result = ImportResult()
        result.error(file, "", f"无法读取文件：{exc.strerror or exc}")
        return result
    result = ImportResult()
    result.error(file, "", f"不支持的文件类型“{suffix}”（支持 {SUPPORTED}）")
    return result


def _unrecognised(file: str, headers: list[str]) -> ImportResult:
    result = ImportResult()
    result.error(file, "表头", "无法识别的表格：问答表需要 id, question, answer 列；"
                 f"实施清单需要“事项编码”“事项名称”列。实际表头：{', '.join(headers[:12])}")
    return result


def import_files(paths: list[Path], prefix: str = "", today: date | None = None) -> ImportResult:
    """Import several files; slugs must be unique across all of them."""
    today = today or date.today()
    combined = ImportResult()
    for path in paths:
        combined.extend(import_file(path, prefix, today))
    seen: set[str] = set()
    for entry in combined.entries:
        if entry.slug in seen:
            combined.error(entry.source or "", "slug", f"多个文件产生了相同的 slug “{entry.slug}”")
        seen.add(entry.slug)
    return combined


def run_import(paths: list[Path], out_dir: Path, prefix: str = "", keep_going: bool = False) -> tuple[
        ImportResult, list[Path]]:
    """Import and write. With errors nothing is written unless ``keep_going`` (then valid entries are)."""
    result = import_files(paths, prefix)
    if result.errors and not keep_going:
        return result, []
    return result, write_entries(result.entries, out_dir)
