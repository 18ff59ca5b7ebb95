"""Read knowledge YAML files into validated entries, collecting every problem on the way.

Loading never stops at the first bad file: a centre fixing its guides wants the full list
of problems (file, field, message) in one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import TypeAdapter, ValidationError

from knowledge.schema import CentreProfile, Entry

ENTRY_ADAPTER: TypeAdapter[Entry] = TypeAdapter(Entry)
MAX_FILE_BYTES = 2_000_000
ENTRY_KINDS = ("item", "event", "faq")


@dataclass(frozen=True)
class Problem:
    """One problem found in a knowledge source, addressed as precisely as we can."""

    file: str
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{self.severity}: {where}: {self.message}"


@dataclass
class LoadResult:
    entries: dict[str, Entry] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # slug -> file it came from
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def validation_problems(file: str, error: ValidationError) -> list[Problem]:
    """Flatten a pydantic error into per-field problems with dotted locations."""
    problems = []
    for detail in error.errors():
        parts = list(detail["loc"])
        if parts and parts[0] in ENTRY_KINDS:  # the discriminated union's tag, not a field
            parts = parts[1:]
        location = ".".join(str(part) for part in parts)
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(Problem(file, location, message))
    return problems


def read_yaml(path: Path) -> object:
    """Parse one YAML file safely (no Python tags), refusing oversize files."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"文件过大（{size} 字节，上限 {MAX_FILE_BYTES}）")
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_entry(path: Path) -> tuple[Entry | None, list[Problem]]:
    """Load and validate one entry file; returns the entry or the problems."""
    name = str(path)
    try:
        data = read_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:
        return None, [Problem(name, "", f"无法读取 YAML：{exc}")]
    if not isinstance(data, dict):
        return None, [Problem(name, "", "文件内容应为一个映射（key: value）")]
    if "kind" not in data:
        return None, [Problem(name, "kind", "缺少 kind（item / event / faq）")]
    try:
        entry = ENTRY_ADAPTER.validate_python(data)
    except ValidationError as exc:
        return None, validation_problems(name, exc)
    problems = []
    if path.stem != entry.slug:
        problems.append(Problem(name, "slug", f"文件名应与 slug 一致（{entry.slug}.yaml）"))
    return entry, problems


def entry_files(directory: Path) -> list[Path]:
    """All knowledge files below a directory, in a stable order."""
    return sorted(p for p in directory.rglob("*.yaml") if p.is_file() and not p.name.startswith("_"))


def load_directory(directory: Path) -> LoadResult:
    """Load every entry below ``directory``; duplicates and bad files become problems."""
    result = LoadResult()
    if not directory.is_dir():
        result.problems.append(Problem(str(directory), "", "目录不存在"))
        return result
    for path in entry_files(directory):
        entry, problems = load_entry(path)
        result.problems.extend(problems)
        if entry is None:
            continue
        if entry.slug in result.entries:
            first = result.files[entry.slug]
            result.problems.append(Problem(str(path), "slug", f"slug “{entry.slug}” 与 {first} 重复"))
            continue
        result.entries[entry.slug] = entry
        result.files[entry.slug] = path
    return result


def load_centre(data: object, source: str = "config.yml") -> CentreProfile:
    """Validate the centre profile block of the configuration."""
    try:
        return CentreProfile.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(str(p) for p in validation_problems(f"{source}: centre", exc))
        raise ValueError(details) from exc
