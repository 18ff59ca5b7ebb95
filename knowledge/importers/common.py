"""What every importer shares: results with problems, hostile-file checks, atomic output.

Import is all-or-nothing by default: if any source has an error, nothing is written,
so a bad spreadsheet never leaves a half-imported directory behind.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.loader import ENTRY_ADAPTER, Problem, validation_problems
from knowledge.schema import SLUG_PATTERN, Entry

MAX_SOURCE_BYTES = 50_000_000
MAX_UNZIPPED_BYTES = 200_000_000
MAX_ZIP_RATIO = 200  # a ratio above this is treated as a zip bomb
_ENTITY_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class SourceError(Exception):
    """A source that cannot be read at all; the message says why, in Chinese, for staff."""


@dataclass
class ImportResult:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def error(self, file: str, where: str, message: str) -> None:
        self.problems.append(Problem(file, where, message))

    def warn(self, file: str, where: str, message: str) -> None:
        self.problems.append(Problem(file, where, message, severity="warning"))

    def extend(self, other: ImportResult) -> None:
        self.entries.extend(other.entries)
        self.problems.extend(other.problems)

    def add_entry(self, file: str, where: str, data: dict) -> None:
        """Validate a candidate entry; schema failures become problems located at ``where``."""
        try:
            self.entries.append(ENTRY_ADAPTER.validate_python(data))
        except ValidationError as exc:
            for problem in validation_problems(file, exc):
                self.error(file, f"{where}: {problem.field}", problem.message)


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise SourceError(f"文件过大（{size} 字节，上限 {MAX_SOURCE_BYTES}）")
    if size == 0:
        raise SourceError("文件为空")


def read_text_source(path: Path) -> str:
    """Text files as Chinese offices export them: UTF-8 (with or without BOM) or GB18030."""
    check_size(path)
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceError("无法识别的文件编码（应为 UTF-8 或 GB18030）")


def check_office_zip(path: Path) -> None:
    """Refuse Office files that are not zips, are zip bombs, or declare XML entities (XXE)."""
    check_size(path)
    if not zipfile.is_zipfile(path):
        raise SourceError("不是有效的 Office 文件（应为 zip 格式的 .xlsx / .docx）")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            packed = max(1, sum(member.compress_size for member in members))
            if total > MAX_UNZIPPED_BYTES or total / packed > MAX_ZIP_RATIO:
                raise SourceError("文件解压后过大，疑似压缩炸弹，已拒绝")
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        if _ENTITY_DECLARATION.search(part.read(MAX_UNZIPPED_BYTES)):
                            raise SourceError(f"{member.filename} 含有 DOCTYPE/ENTITY 声明（可能是 XXE 攻击），已拒绝")
    except zipfile.BadZipFile as exc:
        raise SourceError(f"Office 文件已损坏：{exc}") from exc


def make_slug(prefix: str, raw: str) -> str | None:
    """``{prefix}{raw}`` when that is a valid slug, else ``None`` (the caller reports it)."""
    slug = f"{prefix}{raw.strip()}"
    return slug if re.match(SLUG_PATTERN, slug) else None


def parse_date(text: str) -> date | None:
    match = re.search(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", text or "")
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


IMPORT_HEADER = "# Imported by `daoban kb import` from {source}. Edit the source and re-import, or edit here.\n"


def write_entries(entries: list[Entry], out_dir: Path) -> list[Path]:
    """Write one YAML per entry under ``out_dir/<kind>s/``; each file is replaced atomically."""
    written = []
    for entry in entries:
        folder = out_dir / f"{entry.kind}s"
        folder.mkdir(parents=True, exist_ok=True)
        data = ENTRY_ADAPTER.dump_python(entry, mode="json", exclude_defaults=True)
        data = {"kind": entry.kind, **data}
        text = IMPORT_HEADER.format(source=entry.source or "unknown") + yaml.safe_dump(
            data, allow_unicode=True, sort_keys=False, width=100
        )
        target = folder / f"{entry.slug}.yaml"
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".import-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
        written.append(target)
    return written
