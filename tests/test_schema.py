"""Schema rules that keep a guide well-formed: time limits, phones, materials, fees, situations."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from knowledge.schema import Fee, Material, Phone, ServiceItem, TimeLimit, TimeLimits, parse_time_limit

EXAMPLE = Path(__file__).resolve().parent.parent / "knowledge/data/items/id-card-first.yaml"


@pytest.fixture
def item_data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("text", "expected"), [
    ("20个工作日", {"value": 20, "unit": "工作日"}),
    ("即办", {"value": 0, "unit": "即办"}),
    ("3天", {"value": 3, "unit": "自然日"}),
    ("60日（法定）", {"value": 60, "unit": "自然日"}),
    (" 24 小时", {"value": 24, "unit": "小时"}),
])
def test_time_limit_text_is_parsed(text: str, expected: dict) -> None:
    assert parse_time_limit(text) == expected


@pytest.mark.parametrize("text", ["尽快", "二十个工作日", "20个月", ""])
def test_unreadable_time_limit_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="无法识别的办理时限"):
        parse_time_limit(text)


def test_time_limit_value_must_match_unit() -> None:
    with pytest.raises(ValidationError, match="即办"):
        TimeLimit(value=3, unit="即办")
    with pytest.raises(ValidationError, match="即办"):
        TimeLimit(value=0, unit="工作日")
    assert TimeLimit.model_validate("5个工作日").text() == "5个工作日"


def test_promised_limit_may_not_exceed_legal() -> None:
    with pytest.raises(ValidationError, match="承诺时限不能长于法定时限"):
        TimeLimits(legal="5个工作日", promised="10个工作日")


@pytest.mark.parametrize("number", ["12345", "0571-86001234", "057186001234", "13800138000",
                                    "0571-86001234-8021", "400-123-4567"])
def test_well_formed_phones(number: str) -> None:
    assert Phone(label="咨询", number=number).number == number


@pytest.mark.parametrize("number", ["abc", "12", "0571-123", "138001380001", "1999(外縣市)"])
def test_malformed_phones_are_rejected(number: str) -> None:
    with pytest.raises(ValidationError, match="电话号码格式不正确"):
        Phone(label="咨询", number=number)


def test_material_needs_a_form_and_conditional_needs_a_condition() -> None:
    with pytest.raises(ValidationError, match="未说明原件"):
        Material(name="居民身份证")
    with pytest.raises(ValidationError, match="condition"):
        Material(name="居住证", originals=1, requirement="conditional")
    material = Material(name="居民身份证", originals=1, copies=2, electronic=True)
    assert material.form_text() == "原件1份、复印件2份（可用电子材料）"


def test_fee_must_be_consistent() -> None:
    with pytest.raises(ValidationError):
        Fee(free=False)
    with pytest.raises(ValidationError):
        Fee(free=True, items=[{"name": "工本费", "amount": 20}])


def test_example_guide_validates(item_data: dict) -> None:
    item = ServiceItem.model_validate(item_data)
    assert item.slug == "id-card-first" and item.situations


def test_unknown_keys_are_errors_not_dropped(item_data: dict) -> None:
    item_data["materails"] = []
    with pytest.raises(ValidationError, match="materails"):
        ServiceItem.model_validate(item_data)


def test_situation_may_only_remove_existing_materials(item_data: dict) -> None:
    broken = copy.deepcopy(item_data)
    broken["situations"][0]["options"][0]["remove_materials"] = ["no-such-key"]
    with pytest.raises(ValidationError, match="no-such-key"):
        ServiceItem.model_validate(broken)


def test_situation_needs_two_options(item_data: dict) -> None:
    broken = copy.deepcopy(item_data)
    broken["situations"][0]["options"] = broken["situations"][0]["options"][:1]
    with pytest.raises(ValidationError):
        ServiceItem.model_validate(broken)
