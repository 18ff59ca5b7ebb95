"""Tailor a guide to a citizen's situation, and merge the materials of a 一件事 bundle.

Both produce the material list a person actually has to bring, which is the heart of
"一次性告知": nothing missing, nothing twice, each line saying who needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from knowledge.schema import LifeEvent, Material, ServiceItem


@dataclass
class Tailored:
    """Materials and conditions after applying the chosen situation options."""

    materials: list[Material]
    conditions: list[str]
    notes: list[str] = field(default_factory=list)
    chosen: list[tuple[str, str]] = field(default_factory=list)  # (question, option label)


def parse_choices(pairs: list[str] | None) -> dict[str, str]:
    """``["age=under-16"]`` (CLI option or query parameter) → ``{"age": "under-16"}``; pairs without "=" are skipped."""
    return dict(pair.split("=", 1) for pair in pairs or [] if "=" in pair)


def tailor(item: ServiceItem, choices: Mapping[str, str]) -> Tailored:
    """Apply ``{situation key: option key}``; unanswered situations keep the base list.

    Unknown keys raise ``ValueError`` so a stale button payload is never silently ignored.
    """
    situations = {situation.key: situation for situation in item.situations}
    unknown = set(choices) - set(situations)
    if unknown:
        raise ValueError(f"事项 {item.slug} 没有情形：{sorted(unknown)}；可选情形：{sorted(situations) or '无'}")
    materials = list(item.materials)
    conditions = list(item.conditions)
    result = Tailored(materials=materials, conditions=conditions)
    for situation in item.situations:  # guide order, so the output is stable
        option_key = choices.get(situation.key)
        if option_key is None:
            continue
        options = {option.key: option for option in situation.options}
        if option_key not in options:
            raise ValueError(f"情形 {situation.key} 没有选项 {option_key}；可选：{sorted(options)}")
        option = options[option_key]
        removed = set(option.remove_materials)
        result.materials = [m for m in result.materials if m.key not in removed] + list(option.add_materials)
        result.conditions.extend(option.add_conditions)
        result.notes.extend(option.notes)
        result.chosen.append((situation.question, option.label))
    return result


def material_key(name: str) -> str:
    """De-duplication key: documents differ only by spacing or bracket style are one document."""
    return "".join(name.split()).replace("(", "（").replace(")", "）").casefold()


@dataclass
class MergedMaterial:
    """One line of a bundle's checklist and the bundled items that need it."""

    material: Material
    for_items: list[str]


def merge_materials(event: LifeEvent, items: Mapping[str, ServiceItem]) -> list[MergedMaterial]:
    """One de-duplicated list for the bundle: event forms first, then each item's materials.

    A document several items need is brought once, with the largest original/copy count
    any of them asks for; it is required if any item requires it.
    """
    merged: dict[str, MergedMaterial] = {}
    sources: list[tuple[str, Material]] = [(event.slug, m) for m in event.extra_materials]
    for slug in event.items:
        item = items.get(slug)
        if item is not None:
            sources.extend((slug, material) for material in item.materials)
    for owner, material in sources:
        key = material_key(material.name)
        existing = merged.get(key)
        if existing is None:
            merged[key] = MergedMaterial(material=material, for_items=[owner])
            continue
        kept = existing.material
        existing.material = kept.model_copy(
            update={
                "originals": max(kept.originals, material.originals),
                "copies": max(kept.copies, material.copies),
                "electronic": kept.electronic and material.electronic,
                "requirement": _stronger(kept.requirement, material.requirement),
                "condition": kept.condition or material.condition,
            }
        )
        if owner not in existing.for_items:
            existing.for_items.append(owner)
    return list(merged.values())


_STRENGTH = {"optional": 0, "conditional": 1, "required": 2}


def _stronger(first: str, second: str) -> str:
    return first if _STRENGTH[first] >= _STRENGTH[second] else second
