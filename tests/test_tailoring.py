"""Situation tailoring and 一件事 material merging."""

from __future__ import annotations

import pytest

from knowledge.loader import LoadResult
from knowledge.schema import LifeEvent, Material, ServiceItem
from knowledge.tailoring import material_key, merge_materials, tailor


def test_under_16_adds_guardian_materials(sample_kb: LoadResult) -> None:
    item = sample_kb.entries["id-card-first"]
    assert isinstance(item, ServiceItem)
    base = tailor(item, {})
    under = tailor(item, {"age": "under-16"})
    names = [m.name for m in under.materials]
    assert "监护人居民身份证" in names and "监护人居民身份证" not in [m.name for m in base.materials]
    assert len(under.conditions) == len(base.conditions) + 1
    assert under.chosen == [("申请人是否已满16周岁？", "未满16周岁")]


def test_removal_by_key(sample_kb: LoadResult) -> None:
    items = [e for e in sample_kb.entries.values() if isinstance(e, ServiceItem)]
    removing = [(i, s, o) for i in items for s in i.situations for o in s.options if o.remove_materials]
    assert removing, "the sample base should exercise material removal"
    item, situation, option = removing[0]
    tailored = tailor(item, {situation.key: option.key})
    assert not {m.key for m in tailored.materials} & set(option.remove_materials)


def test_unknown_situation_or_option_is_an_error(sample_kb: LoadResult) -> None:
    item = sample_kb.entries["id-card-first"]
    with pytest.raises(ValueError, match=r"没有情形.*可选情形：\['age', 'hukou-place'\]"):
        tailor(item, {"colour": "red"})
    with pytest.raises(ValueError, match=r"没有选项.*over-16"):
        tailor(item, {"age": "over-99"})


def test_material_key_ignores_spacing_and_bracket_style() -> None:
    assert material_key("居民身份证 (原件)") == material_key("居民身份证（原件）")


def test_event_materials_are_merged_without_duplicates(sample_kb: LoadResult) -> None:
    items = {s: e for s, e in sample_kb.entries.items() if isinstance(e, ServiceItem)}
    for event in (e for e in sample_kb.entries.values() if isinstance(e, LifeEvent)):
        merged = merge_materials(event, items)
        keys = [material_key(m.material.name) for m in merged]
        assert len(keys) == len(set(keys)), event.slug
        every = {material_key(m.name) for slug in event.items for m in items[slug].materials}
        assert every <= set(keys), event.slug


def test_shared_document_keeps_largest_count_and_lists_every_item() -> None:
    event = LifeEvent.model_validate({
        "slug": "event-x", "name": "测试一件事", "version": "2026-01-01", "department": "中心",
        "description": "测试", "items": ["a", "b"], "window": {"window": "A区21号"},
        "steps": [{"name": "受理"}], "time_limit": "5个工作日", "fee": {"free": True},
        "online": {"level": "部分网办"}, "visits": 1,
        "phones": {"consultation": [{"label": "咨询", "number": "12345"}],
                   "complaint": [{"label": "投诉", "number": "12345"}]},
    })
    def item(slug: str, materials: list[Material]) -> ServiceItem:
        data = {**_minimal_item(slug), "materials": materials}
        return ServiceItem.model_validate(data)
    items = {
        "a": item("a", [Material(name="居民身份证", originals=1, requirement="optional")]),
        "b": item("b", [Material(name="居民身份证", originals=1, copies=2)]),
    }
    merged = merge_materials(event, items)
    assert len(merged) == 1
    assert (merged[0].material.copies, merged[0].material.requirement) == (2, "required")
    assert merged[0].for_items == ["a", "b"]


def _minimal_item(slug: str) -> dict:
    return {
        "slug": slug, "name": f"事项{slug}", "version": "2026-01-01", "code": slug, "item_type": "公共服务",
        "department": "中心", "legal_basis": ["依据"], "applicants": ["自然人"], "conditions": ["条件"],
        "process": [{"name": "受理"}], "time_limit": {"legal": "即办", "promised": "即办"},
        "fee": {"free": True}, "location": {"window": "1号"}, "online": {"level": "不支持"}, "visits": 1,
        "phones": {"consultation": [{"label": "咨询", "number": "12345"}],
                   "complaint": [{"label": "投诉", "number": "12345"}]},
    }
