"""The shared catalogue (``../shared/catalogue.yaml``): the slugs every guide must cover."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class CatalogueEntry:
    slug: str
    kind: str  # item / event / faq
    name: str
    department: str | None = None
    bundles: tuple[str, ...] = ()


def load_catalogue(path: Path) -> dict[str, CatalogueEntry]:
    """Read the catalogue into ``slug -> entry``; sections map to entry kinds."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    catalogue: dict[str, CatalogueEntry] = {}
    for section, kind in (("items", "item"), ("events", "event"), ("faqs", "faq")):
        for row in data.get(section) or []:
            catalogue[row["slug"]] = CatalogueEntry(
                slug=row["slug"],
                kind=kind,
                name=row["name"],
                department=row.get("dept"),
                bundles=tuple(row.get("bundles") or ()),
            )
    return catalogue
