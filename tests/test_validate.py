"""Whole-base validation: the sample base is complete, and each kind of problem is reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from daoban.cli import app
from knowledge.catalogue import load_catalogue
from knowledge.loader import LoadResult, load_directory
from knowledge.schema import LifeEvent, ServiceItem
from knowledge.validate import validate
from tests.paths import CATALOGUE, DATA_DIR

runner = CliRunner()


def test_sample_base_covers_the_whole_catalogue(sample_kb: LoadResult) -> None:
    result = LoadResult(entries=dict(sample_kb.entries), files=dict(sample_kb.files),
                        problems=list(sample_kb.problems))
    coverage = validate(result, load_catalogue(CATALOGUE))
    assert [str(p) for p in result.errors] == []
    assert coverage is not None and (coverage.covered, coverage.total) == (100, 100)
    assert coverage.with_situations >= 12


def test_every_sample_entry_is_marked_sample_and_cites_a_version(sample_kb: LoadResult) -> None:
    for slug, entry in sample_kb.entries.items():
        assert entry.sample, slug
        text = sample_kb.files[slug].read_text(encoding="utf-8")
        assert "示例数据" in text.splitlines()[0], slug


def test_events_bundle_items_with_their_catalogue_bundles(sample_kb: LoadResult) -> None:
    catalogue = load_catalogue(CATALOGUE)
    events = [e for e in sample_kb.entries.values() if isinstance(e, LifeEvent)]
    assert len(events) == 8
    for event in events:
        assert set(event.items) == set(catalogue[event.slug].bundles)
        assert all(isinstance(sample_kb.entries[slug], ServiceItem) for slug in event.items)


def test_cli_reports_full_coverage_and_exits_zero() -> None:
    outcome = runner.invoke(app, ["kb", "validate", str(DATA_DIR), "--catalogue", str(CATALOGUE)])
    assert outcome.exit_code == 0, outcome.output
    assert "catalogue coverage: 100/100 slugs" in outcome.output


@pytest.fixture
def small_base(tmp_path: Path) -> Path:
    """A copy of a few sample entries to break in different ways."""
    for slug in ("id-card-first", "id-card-reissue", "id-card-renew"):
        shutil.copy(DATA_DIR / "items" / f"{slug}.yaml", tmp_path / f"{slug}.yaml")
    return tmp_path


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _problems(directory: Path) -> list[str]:
    result = load_directory(directory)
    validate(result, None)
    return [str(p) for p in result.errors]


def test_small_base_is_clean(small_base: Path) -> None:
    assert _problems(small_base) == []


def test_shared_alias_is_reported_with_file_and_field(small_base: Path) -> None:
    alias = yaml.safe_load((small_base / "id-card-first.yaml").read_text(encoding="utf-8"))["aliases"][0]
    _edit(small_base / "id-card-reissue.yaml", lambda d: d["aliases"].append(alias))
    problems = _problems(small_base)
    assert any("id-card-reissue.yaml: aliases." in p and alias in p for p in problems), problems


def test_duplicate_slug_is_reported(small_base: Path) -> None:
    shutil.copy(small_base / "id-card-first.yaml", small_base / "copy.yaml")
    problems = _problems(small_base)
    assert any(": slug" in p and "重复" in p and "copy.yaml" in p for p in problems), problems


def test_bad_time_limit_and_phone_are_reported_per_field(small_base: Path) -> None:
    def breaks(d: dict) -> None:
        d["time_limit"]["promised"] = "很快"
        d["phones"]["consultation"][0]["number"] = "12-34"
    _edit(small_base / "id-card-renew.yaml", breaks)
    problems = _problems(small_base)
    assert any("time_limit.promised" in p and "无法识别的办理时限" in p for p in problems), problems
    assert any("phones.consultation.0.number" in p and "电话号码格式不正确" in p for p in problems), problems


def test_event_with_missing_item_is_reported(small_base: Path) -> None:
    event = DATA_DIR / "events" / "event-newborn.yaml"
    shutil.copy(event, small_base / event.name)
    problems = _problems(small_base)
    assert any("event-newborn.yaml: items." in p and "不存在" in p for p in problems), problems


def test_file_name_must_match_slug_and_yaml_errors_are_clear(small_base: Path) -> None:
    (small_base / "id-card-renew.yaml").rename(small_base / "renew.yaml")
    (small_base / "broken.yaml").write_text("kind: item\nslug: [unclosed\n", encoding="utf-8")
    problems = _problems(small_base)
    assert any("renew.yaml: slug" in p for p in problems), problems
    assert any("broken.yaml" in p and "无法读取 YAML" in p for p in problems), problems


def test_cli_exits_non_zero_on_errors(small_base: Path) -> None:
    _edit(small_base / "id-card-renew.yaml", lambda d: d.pop("materials"))
    outcome = runner.invoke(app, ["kb", "validate", str(small_base), "--no-catalogue-check"])
    assert outcome.exit_code == 1
    assert "id-card-renew.yaml: materials" in outcome.output


def test_cli_reports_missing_catalogue_slugs(small_base: Path) -> None:
    outcome = runner.invoke(app, ["kb", "validate", str(small_base), "--catalogue", str(CATALOGUE)])
    assert outcome.exit_code == 1
    assert "catalogue coverage: 3/100 slugs" in outcome.output
    assert "hukou-newborn.yaml" in outcome.output
