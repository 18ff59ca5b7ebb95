"""One-shot answers: complete sections, focus, citation, tailoring and the 2,000-byte split."""

from __future__ import annotations

import pytest

from daoban.settings import Settings
from knowledge.answer import build_answer, render_text, split_text
from knowledge.loader import LoadResult
from knowledge.schema import FaqEntry, LifeEvent, ServiceItem

FULL_ITEM_SECTIONS = {"conditions", "materials", "process", "time_limit", "fee", "location", "hours",
                      "online", "visits", "phones", "basis"}


def _items(kb: LoadResult) -> dict[str, ServiceItem]:
    return {s: e for s, e in kb.entries.items() if isinstance(e, ServiceItem)}


def test_item_answer_has_every_section_and_cites_version(sample_kb: LoadResult, settings: Settings) -> None:
    for item in _items(sample_kb).values():
        answer = build_answer(item, settings.centre)
        assert {s.key for s in answer.sections} >= FULL_ITEM_SECTIONS, item.slug
        assert item.version.isoformat() in answer.citation and item.name in answer.citation
        assert "示例数据" in answer.citation


def test_materials_are_a_checklist_with_form_and_count(sample_kb: LoadResult, settings: Settings) -> None:
    answer = build_answer(sample_kb.entries["id-card-first"], settings.centre, focus="materials")
    assert answer.focus == "materials" and [s.key for s in answer.sections] == ["materials"]
    rows = answer.sections[0].checklist
    assert rows[0].name == "居民户口簿" and rows[0].form == "原件1份"
    assert "fee" in answer.more and "materials" not in answer.more


def test_focus_on_fee_states_amount_and_basis(sample_kb: LoadResult, settings: Settings) -> None:
    answer = build_answer(sample_kb.entries["id-card-first"], settings.centre, focus="fee")
    text = "\n".join(answer.sections[0].lines)
    assert "20元" in text and "发改价格" in text


def test_hours_come_from_the_centre_with_lunch_and_saturday(sample_kb: LoadResult, settings: Settings) -> None:
    answer = build_answer(sample_kb.entries["id-card-first"], settings.centre, focus="hours")
    text = "\n".join(answer.sections[0].lines)
    assert "午间不间断服务" in text and "周六 09:00-12:00" in text


def test_situation_tailors_and_says_which_situation(sample_kb: LoadResult, settings: Settings) -> None:
    answer = build_answer(sample_kb.entries["id-card-first"], settings.centre, choices={"age": "under-16"})
    assert [c.label for c in answer.situation] == ["未满16周岁"]
    materials = next(s for s in answer.sections if s.key == "materials")
    assert any(row.name == "监护人居民身份证" for row in materials.checklist)
    assert "按您的情况" in render_text(answer)[0]


def test_complaint_phones_always_include_the_hotline(sample_kb: LoadResult, settings: Settings) -> None:
    for item in _items(sample_kb).values():
        phones = next(s for s in build_answer(item, settings.centre).sections if s.key == "phones")
        assert settings.centre.hotline.number in "\n".join(phones.lines), item.slug


def test_event_answer_merges_materials_with_their_items(sample_kb: LoadResult, settings: Settings) -> None:
    event = sample_kb.entries["event-open-restaurant"]
    assert isinstance(event, LifeEvent)
    answer = build_answer(event, settings.centre, items=_items(sample_kb))
    overview = next(s for s in answer.sections if s.key == "overview")
    assert all(sample_kb.entries[slug].name in "\n".join(overview.lines) for slug in event.items)
    materials = next(s for s in answer.sections if s.key == "materials")
    assert all(row.for_items for row in materials.checklist)


def test_faq_without_answer_says_so_instead_of_inventing(settings: Settings) -> None:
    faq = FaqEntry(slug="x-1", name="问题", version="2020-01-01", sample=False, contact="1999转1504")
    answer = build_answer(faq, settings.centre)
    text = "\n".join(render_text(answer))
    assert "没有答复内容" in text and "1999转1504" in text


def test_every_entry_renders_within_the_byte_budget(sample_kb: LoadResult, settings: Settings) -> None:
    items = _items(sample_kb)
    for entry in sample_kb.entries.values():
        messages = render_text(build_answer(entry, settings.centre, items=items), 2000)
        assert all(len(m.encode("utf-8")) <= 2000 for m in messages), entry.slug
        assert messages[-1].endswith(entry.version.isoformat()), entry.slug


@pytest.mark.parametrize("limit", [60, 200, 2000])
def test_split_never_loses_or_cuts_text(limit: int) -> None:
    blocks = ["【标题】", "■ 材料\n" + "\n".join(f"{i}. 居民身份证原件一份，复印件两份😀" for i in range(40)),
              "长" * 500]
    messages = split_text(blocks, limit)
    assert all(len(m.encode("utf-8")) <= limit for m in messages)
    joined = "".join(m.replace("\n", "") for m in messages)
    assert joined == "".join(b.replace("\n", "") for b in blocks)


@pytest.mark.parametrize("limit", [300, 2000])
def test_no_message_ends_with_a_bare_section_heading(sample_kb: LoadResult, settings: Settings, limit: int) -> None:
    items = _items(sample_kb)
    for entry in sample_kb.entries.values():
        for message in render_text(build_answer(entry, settings.centre, items=items), limit):
            assert not message.split("\n")[-1].startswith("■ "), (entry.slug, message[-80:])
