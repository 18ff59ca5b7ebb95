"""Importers: 实施清单 workbooks, 办事指南 documents, FAQ tables; malformed and hostile input."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daoban.cli import app
from knowledge.importers.run import import_files, run_import
from knowledge.loader import load_directory
from knowledge.schema import FaqEntry, ServiceItem
from knowledge.validate import validate
from tests import importer_fixtures as fx
from tests.paths import TPE_FAQ

TODAY = date(2026, 11, 22)


def _only_item(paths: list[Path], prefix: str = "") -> ServiceItem:
    result = import_files(paths, prefix, TODAY)
    assert [str(p) for p in result.errors] == []
    (entry,) = result.entries
    assert isinstance(entry, ServiceItem)
    return entry


def test_catalogue_workbook_with_materials_sheet(tmp_path: Path) -> None:
    item = _only_item([fx.catalogue_workbook(tmp_path / "清单.xlsx")], prefix="gov-")
    assert item.slug == "gov-GA-0001" and item.name == "居民身份证换领"
    assert item.conditions == ["身份证有效期满或即将期满", "本人到场"]
    assert [m.name for m in item.materials] == ["居民户口簿", "原居民身份证", "近期免冠证件照片"]
    assert item.materials[2].requirement == "optional"
    assert (item.time_limit.legal.value, item.time_limit.legal.unit) == (60, "自然日")
    assert item.time_limit.promised.unit == "工作日"
    assert item.fee.items[0].amount == 20 and item.visits == 1
    assert item.online.level == "网上预约" and item.version == date(2026, 5, 1)
    assert not item.sample and item.source == "清单.xlsx"


def test_unknown_column_is_reported_and_kept(tmp_path: Path) -> None:
    result = import_files([fx.catalogue_workbook(tmp_path / "a.xlsx", extra_column=True)], "", TODAY)
    assert any("行使层级" in str(p) and p.severity == "warning" for p in result.problems)
    assert result.entries[0].extra == {"行使层级": "区级"}


def test_bad_cell_is_an_error_with_its_row_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result, written = run_import([fx.catalogue_workbook(tmp_path / "a.xlsx", bad_time=True)], out)
    assert written == [] and not out.exists()
    assert any("第2行" in str(p) and "办理时限" in str(p) for p in result.errors)


@pytest.mark.parametrize("maker", [fx.guide_docx, fx.guide_html])
def test_guide_document_sections_become_fields(tmp_path: Path, maker) -> None:
    suffix = ".docx" if maker is fx.guide_docx else ".html"
    path = maker(tmp_path / f"marriage-cert{suffix}")
    result = import_files([path], "doc-", TODAY)
    assert [str(p) for p in result.errors] == []
    item = result.entries[0]
    assert isinstance(item, ServiceItem)
    assert item.slug == "doc-marriage-cert" and item.name == "补领结婚证"
    assert item.department == "区民政局" and item.item_type == "行政确认"
    assert [m.name for m in item.materials] == ["居民身份证", "居民户口簿", "近期免冠证件照片"]
    assert item.materials[2].originals == 2
    assert item.time_limit.promised.unit == "即办" and item.fee.free
    assert item.hours is not None and item.hours.saturday == ["09:00-12:00"]
    assert item.aliases == ["补办结婚证"]
    assert item.online.url == "https://zwfw.example.gov.cn/item/marriage-cert-reissue"
    assert item.extra["温馨提示"] == "请双方本人到场"
    assert any("温馨提示" in str(p) and p.severity == "warning" for p in result.problems)


def test_hostile_html_is_inert(tmp_path: Path) -> None:
    result = import_files([fx.guide_html(tmp_path / "evil.html", hostile=True)], "", TODAY)
    text = repr([e.model_dump() for e in result.entries]) + repr(result.problems)
    assert "root:" not in text  # /etc/passwd was never read
    assert "<script>" not in text and "onerror" not in text


def test_docx_with_external_entity_is_refused(tmp_path: Path) -> None:
    good = fx.guide_docx(tmp_path / "good.docx")
    evil = fx.with_entity_declaration(good, tmp_path / "evil.docx")
    result = import_files([evil], "", TODAY)
    assert result.entries == []
    assert any("XXE" in str(p) for p in result.errors)


def test_workbook_with_external_entity_is_refused(tmp_path: Path) -> None:
    good = fx.catalogue_workbook(tmp_path / "good.xlsx")
    result = import_files([fx.with_entity_declaration(good, tmp_path / "evil.xlsx")], "", TODAY)
    assert result.entries == [] and any("XXE" in str(p) for p in result.errors)


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 30_000_000)
    result = import_files([bomb], "", TODAY)
    assert any("压缩炸弹" in str(p) for p in result.errors)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("fake.xlsx", b"this is not a workbook", "不是有效的 Office 文件"),
    ("fake.docx", b"PK\x03\x04broken", "Office 文件"),
    ("empty.csv", b"", "文件为空"),
    ("binary.csv", b"id,question,answer\n\x00\x01\x02", "二进制"),
    ("notes.pdf", b"%PDF-1.4", "不支持的文件类型"),
])
def test_unreadable_files_give_one_clear_error(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = import_files([path], "", TODAY)
    assert result.entries == []
    assert any(message in str(p) for p in result.errors), result.problems


def test_faq_table_rows_become_entries(tmp_path: Path) -> None:
    path = fx.faq_csv(tmp_path / "faq.csv", [
        ["1", "营业时间是几点？", "工作日9点到17点。", "中心", "时间,营业", "0571-86001234", "2026/03/05"],
        ["2", "可以停车吗？", "地下停车场前2小时免费。", "", "", "1999转1504", ""],
    ])
    result = import_files([path], "c-", TODAY)
    assert result.errors == []
    first, second = result.entries
    assert isinstance(first, FaqEntry) and first.slug == "c-1" and first.keywords == ["时间", "营业"]
    assert first.phones[0].number == "0571-86001234" and first.version == date(2026, 3, 5)
    assert second.contact == "1999转1504" and second.phones == [] and second.version == TODAY


def test_faq_table_problems_are_reported_per_row(tmp_path: Path) -> None:
    path = fx.faq_csv(tmp_path / "faq.csv", [
        ["1", "问题一", "答复一"], ["1", "问题重复", "答复"], ["bad id!", "问题", "答复"], ["3", "", "答复"],
    ], headers=["id", "question", "answer"])
    errors = [str(p) for p in import_files([path], "", TODAY).errors]
    assert any("第3行" in e and "重复" in e for e in errors)
    assert any("第4行" in e and "slug" in e for e in errors)
    assert any("第5行" in e and "问题为空" in e for e in errors)


def test_faq_table_without_required_columns_is_refused(tmp_path: Path) -> None:
    path = fx.faq_csv(tmp_path / "faq.csv", [["1", "问题"]], headers=["id", "question"])
    result = import_files([path], "", TODAY)
    assert result.entries == [] and any("无法识别的表格" in str(p) for p in result.errors)


def test_faq_workbook_and_gb18030_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["编号", "问题", "答复", "部门"])
    workbook.active.append(["7", "周六上班吗？", "周六上午值班。", "中心"])
    workbook.save(tmp_path / "faq.xlsx")
    gb = tmp_path / "gb.csv"
    gb.write_bytes("id,question,answer\n8,午间有人吗？,午间不间断服务。\n".encode("gb18030"))
    result = import_files([tmp_path / "faq.xlsx", gb], "x-", TODAY)
    assert result.errors == [] and [e.slug for e in result.entries] == ["x-7", "x-8"]


def test_tpe_faq_imports_all_1877_entries_and_validates(tmp_path: Path) -> None:
    runner = CliRunner()
    outcome = runner.invoke(app, ["kb", "import", str(TPE_FAQ), "--out", str(tmp_path), "--slug-prefix", "tpe-"])
    assert outcome.exit_code == 0, outcome.output[-2000:]
    assert "1877 entries imported, 1877 files written" in outcome.output
    loaded = load_directory(tmp_path)
    validate(loaded, None)
    assert len(loaded.entries) == 1877 and loaded.errors == []
    entry = loaded.entries["tpe-GIP_94145712"]
    assert isinstance(entry, FaqEntry) and entry.department == "臺北市政府警察局交通警察大隊"
    assert entry.keywords == ["交通違規", "簡訊服務"] and not entry.sample


def test_imported_guides_round_trip_through_yaml(tmp_path: Path) -> None:
    out = tmp_path / "kb"
    result, written = run_import([fx.catalogue_workbook(tmp_path / "a.xlsx"), fx.guide_docx(tmp_path / "b.docx")],
                                 out, "imp-")
    assert result.errors == [] and len(written) == 2
    loaded = load_directory(out)
    assert loaded.problems == []
    assert {e.slug: e for e in result.entries} == loaded.entries
