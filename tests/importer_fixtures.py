"""Build realistic importer inputs (实施清单 workbook, 办事指南 docx/html, FAQ tables) in a temp dir."""

from __future__ import annotations

import zipfile
from pathlib import Path

ITEM_HEADERS = ["事项编码", "事项名称", "事项类型", "实施主体", "设定依据", "服务对象", "受理条件",
                "法定办结时限", "承诺办结时限", "收费标准", "办理地点", "网上办理深度", "到现场次数",
                "咨询电话", "监督投诉电话", "办理流程", "版本日期"]
ITEM_ROW = ["GA-0001", "居民身份证换领", "行政确认", "区公安分局", "《居民身份证法》第十一条",
            "自然人", "1、身份证有效期满或即将期满\n2、本人到场", "60日", "15个工作日",
            "居民身份证工本费20元", "二楼B区公安窗口", "网上预约，到现场办理", "1次",
            "0571-86001301", "12345", "1.取号\n2.受理\n3.制证\n4.领证", "2026-05-01"]
MATERIAL_HEADERS = ["事项编码", "材料名称", "材料形式", "份数", "是否必需", "来源渠道", "备注"]
MATERIAL_ROWS = [
    ["GA-0001", "居民户口簿", "原件", 1, "必要", "申请人自备", "核验后退还"],
    ["GA-0001", "原居民身份证", "原件", 1, "必要", "申请人自备", "交回"],
    ["GA-0001", "近期免冠证件照片", "原件", 1, "非必要", "窗口现场拍摄", ""],
]


def catalogue_workbook(path: Path, *, extra_column: bool = False, bad_time: bool = False) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "实施清单"
    headers, row = list(ITEM_HEADERS), list(ITEM_ROW)
    if extra_column:
        headers.append("行使层级")
        row.append("区级")
    if bad_time:
        row[headers.index("承诺办结时限")] = "尽快办理"
    sheet.append(headers)
    sheet.append(row)
    materials = workbook.create_sheet("申请材料")
    materials.append(MATERIAL_HEADERS)
    for material in MATERIAL_ROWS:
        materials.append(material)
    workbook.save(path)
    return path


GUIDE_SECTIONS = [
    ("基本信息", None),
    ("受理条件", ["1. 在本市登记结婚的", "2. 结婚证遗失或损毁的"]),
    ("办理流程", ["1. 取号", "2. 窗口审核", "3. 当场补发"]),
    ("办理时限", ["法定办结时限：即办；承诺办结时限：即办"]),
    ("收费标准", ["不收费"]),
    ("办理地点", ["四楼F区 婚姻登记处"]),
    ("办公时间", ["周一至周五 9:00-12:00、13:30-17:00；周六 9:00-12:00"]),
    ("网上办理", ["网上预约：https://zwfw.example.gov.cn/item/marriage-cert-reissue"]),
    ("到现场次数", ["1次"]),
    ("咨询电话", ["0571-86001901"]),
    ("监督投诉电话", ["12345"]),
    ("温馨提示", ["请双方本人到场"]),
]
BASIC_INFO = [["事项编码", "MZ-0003", "实施主体", "区民政局"], ["事项类型", "行政确认", "服务对象", "自然人"],
              ["设定依据", "《婚姻登记条例》第十七条", "别名", "补办结婚证"]]
MATERIAL_TABLE = [["序号", "材料名称", "材料形式", "份数", "是否必需", "备注"],
                  ["1", "居民身份证", "原件", "1", "必要", "双方"],
                  ["2", "居民户口簿", "原件", "1", "必要", ""],
                  ["3", "近期免冠证件照片", "原件", "2", "必要", "2寸双人合影"]]


def guide_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("补领结婚证", level=0)
    for heading, lines in GUIDE_SECTIONS:
        document.add_heading(heading, level=1)
        if heading == "基本信息":
            _docx_table(document, BASIC_INFO)
            document.add_heading("申请材料", level=1)
            _docx_table(document, MATERIAL_TABLE)
            continue
        for line in lines or []:
            document.add_paragraph(line)
    document.save(path)
    return path


def _docx_table(document, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value


def guide_html(path: Path, *, hostile: bool = False) -> Path:
    def table(rows: list[list[str]]) -> str:
        return "<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table>"

    body = [f"<h1>补领结婚证{'<script>alert(1)</script>' if hostile else ''}</h1>"]
    for heading, lines in GUIDE_SECTIONS:
        body.append(f"<h2>{heading}</h2>")
        if heading == "基本信息":
            body.append(table(BASIC_INFO) + "<h2>申请材料</h2>" + table(MATERIAL_TABLE))
            continue
        body.extend(f"<p>{line}</p>" for line in lines or [])
    head = '<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' if hostile else "<!doctype html>"
    extra = "<p>&xxe;</p><img src=x onerror=alert(1)>" if hostile else ""
    path.write_text(f"{head}<html><body>{''.join(body)}{extra}</body></html>", encoding="utf-8")
    return path


def with_entity_declaration(source: Path, target: Path) -> Path:
    """Copy an Office file, injecting an external entity into its main XML part (an XXE attempt)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for member in original.infolist():
            data = original.read(member)
            if member.filename in ("word/document.xml", "xl/workbook.xml"):
                declaration = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                data = data.replace(b"?>", b"?>" + declaration, 1) if b"?>" in data else declaration + data
            copy.writestr(member, data)
    return target


def faq_csv(path: Path, rows: list[list[str]], headers: list[str] | None = None) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers or ["id", "question", "answer", "dept", "keywords", "phone", "updated"])
        writer.writerows(rows)
    return path
