"""Cross-entry checks that a single file's schema cannot see.

Schema checks (types, time limits, phones, required sections) happen while loading;
here we check the knowledge base as a whole: references between entries, aliases that
would make two guides indistinguishable, and coverage of the shared catalogue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from knowledge.catalogue import CatalogueEntry
from knowledge.loader import LoadResult, Problem
from knowledge.schema import FaqEntry, LifeEvent, ServiceItem

MIN_CATALOGUE_EXAMPLES = 6


@dataclass
class CoverageReport:
    covered: int
    total: int
    with_situations: int


def _fold(text: str) -> str:
    """Comparison key for names and aliases: case and spacing do not distinguish them."""
    return "".join(text.split()).casefold()


def check_aliases(result: LoadResult) -> list[Problem]:
    """An alias may name only one entry, and may not be another entry's name."""
    owners: dict[str, set[str]] = defaultdict(set)
    names: dict[str, set[str]] = defaultdict(set)
    for slug, entry in result.entries.items():
        names[_fold(entry.name)].add(slug)
        for alias in entry.aliases:
            owners[_fold(alias)].add(slug)
    problems = []
    for slug, entry in result.entries.items():
        file = str(result.files[slug])
        for index, alias in enumerate(entry.aliases):
            key = _fold(alias)
            others = (owners[key] | names[key]) - {slug}
            if others:
                problems.append(
                    Problem(file, f"aliases.{index}", f"别名“{alias}”同时属于 {', '.join(sorted(others))}")
                )
    return problems


def check_references(result: LoadResult) -> list[Problem]:
    """Events bundle existing items; steps and FAQ links point at known entries."""
    problems = []
    for slug, entry in result.entries.items():
        file = str(result.files[slug])
        if isinstance(entry, LifeEvent):
            for index, item_slug in enumerate(entry.items):
                target = result.entries.get(item_slug)
                if target is None:
                    problems.append(Problem(file, f"items.{index}", f"一件事包含的事项“{item_slug}”不存在"))
                elif not isinstance(target, ServiceItem):
                    problems.append(Problem(file, f"items.{index}", f"“{item_slug}”不是服务事项"))
            for index, step in enumerate(entry.steps):
                if step.item and step.item not in entry.items:
                    problems.append(
                        Problem(file, f"steps.{index}.item", f"步骤引用的“{step.item}”不在本一件事的事项中")
                    )
        if isinstance(entry, FaqEntry):
            for index, related in enumerate(entry.related):
                if related not in result.entries:
                    problems.append(Problem(file, f"related.{index}", f"关联条目“{related}”不存在"))
    return problems


def check_duplicate_names(result: LoadResult) -> list[Problem]:
    """Two entries with the same name confuse users; imported FAQs do repeat, so warn only."""
    seen: dict[str, str] = {}
    problems = []
    for slug, entry in result.entries.items():
        key = _fold(entry.name)
        if key in seen:
            problems.append(
                Problem(str(result.files[slug]), "name", f"名称与 {seen[key]} 相同", severity="warning")
            )
        else:
            seen[key] = slug
    return problems


def check_catalogue(result: LoadResult, catalogue: dict[str, CatalogueEntry]) -> list[Problem]:
    """Every catalogue slug is present with the right kind, bundles, aliases and examples."""
    problems = []
    for slug, wanted in catalogue.items():
        entry = result.entries.get(slug)
        if entry is None:
            problems.append(Problem(f"{slug}.yaml", "", "目录中的条目缺少知识文件"))
            continue
        file = str(result.files[slug])
        if entry.kind != wanted.kind:
            problems.append(Problem(file, "kind", f"目录要求 {wanted.kind}，文件为 {entry.kind}"))
        if isinstance(entry, LifeEvent) and wanted.bundles and set(entry.items) != set(wanted.bundles):
            problems.append(Problem(file, "items", f"一件事事项应为 {sorted(wanted.bundles)}"))
        if len(entry.examples) < MIN_CATALOGUE_EXAMPLES:
            problems.append(
                Problem(file, "examples", f"至少需要 {MIN_CATALOGUE_EXAMPLES} 个示例问题（现有 {len(entry.examples)}）")
            )
        if not entry.aliases:
            problems.append(Problem(file, "aliases", "至少需要一个别名"))
        if isinstance(entry, FaqEntry) and not entry.answer.strip():
            problems.append(Problem(file, "answer", "示例知识库的问答必须有答复内容"))
    return problems


def validate(result: LoadResult, catalogue: dict[str, CatalogueEntry] | None) -> CoverageReport | None:
    """Run every whole-base check, appending problems to ``result``; returns catalogue coverage."""
    result.problems.extend(check_aliases(result))
    result.problems.extend(check_references(result))
    result.problems.extend(check_duplicate_names(result))
    if catalogue is None:
        return None
    result.problems.extend(check_catalogue(result, catalogue))
    return CoverageReport(
        covered=sum(1 for slug in catalogue if slug in result.entries),
        total=len(catalogue),
        with_situations=sum(
            1 for e in result.entries.values() if isinstance(e, ServiceItem) and e.situations
        ),
    )
