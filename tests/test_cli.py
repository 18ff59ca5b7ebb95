"""``daoban kb build``, ``daoban kb show`` and ``daoban chat`` against a temporary SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from daoban import settings as settings_module
from daoban.cli import app
from tests.paths import DATA_DIR

runner = CliRunner()


@pytest.fixture(autouse=True)
def temporary_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedding_cache_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DAOBAN_EMBEDDING_CACHE", embedding_cache_url)
    settings_module.get_settings.cache_clear()
    yield
    settings_module.get_settings.cache_clear()


def test_build_records_a_version_once() -> None:
    first = runner.invoke(app, ["kb", "build"])
    assert first.exit_code == 0, first.output
    assert "knowledge version 1 built" in first.output
    second = runner.invoke(app, ["kb", "build"])
    assert "knowledge version 1 unchanged" in second.output
    assert "embeddings: 0 guide texts newly embedded" in second.output  # all cached by the first build


def test_build_refuses_an_invalid_base_and_keeps_the_store(tmp_path: Path) -> None:
    assert runner.invoke(app, ["kb", "build"]).exit_code == 0
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text("kind: item\nslug: x\n", encoding="utf-8")
    outcome = runner.invoke(app, ["kb", "build", str(broken), "--no-catalogue-check"])
    assert outcome.exit_code == 1 and "the store was not changed" in outcome.output
    assert "【居民身份证首次申领】" in runner.invoke(app, ["kb", "show", "id-card-first"]).output


def test_show_prints_a_focused_section_and_the_citation() -> None:
    runner.invoke(app, ["kb", "build"])
    outcome = runner.invoke(app, ["kb", "show", "id-card-first", "--section", "materials"])
    assert outcome.exit_code == 0
    assert "■ 申请材料" in outcome.output and "■ 收费标准" not in outcome.output
    assert "版本日期 2026-10-15" in outcome.output
    tailored = runner.invoke(app, ["kb", "show", "id-card-first", "--situation", "age=under-16", "--json"])
    assert '"label": "未满16周岁"' in tailored.output


def test_show_unknown_slug_exits_non_zero() -> None:
    runner.invoke(app, ["kb", "build"])
    outcome = runner.invoke(app, ["kb", "show", "no-such-item"])
    assert outcome.exit_code == 1 and "没有找到条目" in outcome.output


def test_data_dir_is_the_default(tmp_path: Path) -> None:
    assert settings_module.get_settings().knowledge.data_dir == DATA_DIR


def test_chat_keeps_the_conversation_and_taps_buttons_by_number() -> None:
    """``daoban chat``: a follow-up resolves against the earlier question; a number taps a button."""
    result = runner.invoke(app, ["chat"], input="公积金怎么取\n1\n要带啥\n\n")
    assert result.exit_code == 0, result.output
    replies = result.output.split("导办：")[1:]  # the prompt 您： is echoed without a newline here
    assert "哪一项" in replies[0] and "[1]" in replies[0]  # which of the housing-fund guides?
    chosen = replies[1]  # "1" tapped the first button: that guide's answer or its situation question
    assert "住房公积金提取" in chosen
    assert any("材料" in reply for reply in replies[2:])  # 要带啥 asked of the same guide
