"""Knowledge use cases shared by the CLI and the HTTP app: build the store, answer for a slug."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from knowledge.answer import Answer, build_answer
from knowledge.catalogue import load_catalogue
from knowledge.loader import LoadResult, load_directory
from knowledge.schema import CentreProfile, Entry, LifeEvent, ServiceItem
from knowledge.store import BuildResult, KnowledgeStore
from knowledge.validate import validate


class KnowledgeInvalid(Exception):
    """The knowledge directory has errors; the store was left untouched."""

    def __init__(self, result: LoadResult) -> None:
        super().__init__(f"{len(result.errors)} errors in the knowledge base")
        self.result = result


@dataclass
class BuildOutcome:
    build: BuildResult
    load: LoadResult


def build_store(store: KnowledgeStore, directory: Path, catalogue: Path | None, force: bool = False) -> BuildOutcome:
    """Validate a knowledge directory and, only if it has no errors, load it as the new version."""
    result = load_directory(directory)
    validate(result, load_catalogue(catalogue) if catalogue else None)
    if result.errors:
        raise KnowledgeInvalid(result)
    return BuildOutcome(build=store.build(result.entries, source=str(directory), force=force), load=result)


def answer_for(lookup: Callable[[str], Entry | None], centre: CentreProfile, slug: str, *,
               focus: str | None = None, choices: dict[str, str] | None = None) -> Answer | None:
    """The one-shot answer for ``slug``; ``lookup`` is ``store.get`` (the active version) or a dict's ``get``."""
    entry = lookup(slug)
    if entry is None:
        return None
    items: dict[str, ServiceItem] = {}
    if isinstance(entry, LifeEvent):
        for item_slug in entry.items:
            item = lookup(item_slug)
            if isinstance(item, ServiceItem):
                items[item_slug] = item
    return build_answer(entry, centre, focus=focus, choices=choices, items=items)
