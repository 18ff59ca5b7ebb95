"""Turn the labelled text of a 实施清单 row or 办事指南 document into a service-item dict.

Spreadsheets and documents use the same Chinese labels (受理条件, 申请材料, 办理时限…),
so both importers collect ``{field: text}`` and call :func:`build_item` here.
"""

from __future__ import annotations

import re
from datetime import date

from knowledge.importers.common import ImportResult, parse_date
from knowledge.importers.tables import header_map
from knowledge.schema import PHONE_PATTERN, TIME_RANGE_PATTERN, parse_time_limit

ITEM_LABELS: dict[str, tuple[str, ...]] = {
    "slug": ("slug", "标识"),
    "code": ("事项编码", "实施编码", "基本编码", "事项代码"),
    "name": ("事项名称", "名称", "实施清单名称"),
    "item_type": ("事项类型", "权力类型", "事项类别"),
    "department": ("实施主体", "实施机构", "办理部门", "责任部门"),
    "legal_basis": ("设定依据", "法律依据", "实施依据"),
    "applicants": ("服务对象", "申请对象", "办理对象"),
    "conditions": ("受理条件", "申请条件", "办理条件"),
    "materials": ("申请材料", "材料清单", "办理材料"),
    "process": ("办理流程", "办事流程", "办理程序"),
    "time_limit": ("办理时限", "办结时限"),
    "legal_time": ("法定办结时限", "法定时限"),
    "promised_time": ("承诺办结时限", "承诺时限"),
    "fee": ("收费标准", "是否收费", "收费情况", "收费依据及标准"),
    "location": ("办理地点", "受理地点", "办理窗口"),
    "hours": ("办公时间", "办理时间", "受理时间"),
    "online": ("网上办理", "网办地址", "在线办理", "网上办理深度", "网办深度"),
    "visits": ("到现场次数", "到办事现场次数", "跑动次数"),
    "consultation": ("咨询电话", "咨询方式"),
    "complaint": ("监督投诉电话", "投诉电话", "监督投诉方式"),
    "faq": ("常见问题", "常见问题解答"),
    "aliases": ("别名", "俗称"),
    "examples": ("示例问题",),
    "version": ("版本日期", "更新日期", "更新时间"),
}
MATERIAL_LABELS: dict[str, tuple[str, ...]] = {
    "code": ("事项编码", "实施编码"),
    "index": ("序号",),
    "name": ("材料名称", "名称"),
    "form": ("材料形式", "材料类型", "介质要求", "纸质/电子"),
    "originals": ("原件份数", "原件数"),
    "copies": ("复印件份数", "复印件数"),
    "count": ("份数", "数量"),
    "requirement": ("是否必需", "必要性", "材料必要性", "是否必要"),
    "source": ("来源渠道", "材料来源", "来源"),
    "condition": ("适用情形", "情形说明"),
    "notes": ("备注", "填报须知", "要求"),
    "template": ("空白表格", "示例样表", "表格下载"),
}
ITEM_TYPES = ("行政许可", "行政给付", "行政确认", "行政征收", "行政裁决", "行政奖励", "行政检查",
              "行政备案", "其他行政权力", "公共服务")
REQUIRED_FIELDS = ("name", "department", "item_type", "legal_basis", "applicants", "conditions",
                   "process", "fee", "location", "online", "visits", "consultation")
_ENUMERATOR = re.compile(r"^\s*(?:[（(]?\d+[)）]|\d+\s*[、.．]|[一二三四五六七八九十]+、|[•·\-*])\s*")
_PHONE_CANDIDATE = re.compile(r"(?:0\d{2,3}-?)?\d{7,8}(?:[-#转]\d{1,6})?|1[3-9]\d{9}|\b\d{5}\b")
_URL = re.compile(r"https?://[^\s，。；）)]+")
_TIME_RANGE = re.compile(r"(\d{1,2})[:：](\d{2})\s*[-—–~至到]\s*(\d{1,2})[:：](\d{2})")


def normalise_label(label: str) -> str:
    """"一、受理条件：" → "受理条件": numbering, spaces and colons do not change a heading."""
    label = _ENUMERATOR.sub("", label.strip())
    return re.sub(r"[\s:：]+", "", label)


def field_for(label: str) -> str | None:
    mapping, _ = header_map([normalise_label(label)], ITEM_LABELS)
    return next(iter(mapping), None)


def split_lines(text: str) -> list[str]:
    """Lines of a list-like cell, with "1、" / "（2）" enumerators removed."""
    lines = [line for line in re.split(r"[\r\n]+", text) if line.strip()]
    if len(lines) == 1 and len(re.findall(r"(?:^|[；;。\s])\s*\d+[、.．]", lines[0])) > 1:
        lines = re.split(r"(?:(?<=^)|(?<=[；;。\s]))\s*(?=\d+[、.．])", lines[0])
    return [_ENUMERATOR.sub("", line).strip(" ；;") for line in lines if _ENUMERATOR.sub("", line).strip(" ；;")]


def parse_time_limits(values: dict[str, str], result: ImportResult, file: str, where: str) -> dict | None:
    legal, promised = values.get("legal_time", ""), values.get("promised_time", "")
    combined = values.get("time_limit", "")
    if combined:
        legal = legal or _after(combined, "法定")
        promised = promised or _after(combined, "承诺")
        if not legal and not promised:
            legal = promised = combined
    if not legal and not promised:
        result.error(file, f"{where}: 办理时限", "缺少法定/承诺办结时限")
        return None
    if not (legal and promised):
        result.warn(file, f"{where}: 办理时限", "只给出了一个时限，法定与承诺时限按同一值导入")
        legal = promised = legal or promised
    try:
        return {"legal": parse_time_limit(legal), "promised": parse_time_limit(promised)}
    except ValueError as exc:
        result.error(file, f"{where}: 办理时限", str(exc))
        return None


def _after(text: str, marker: str) -> str:
    match = re.search(marker + r"[^：:]*[：:]\s*([^；;，,\n]+)", text)
    return match.group(1).strip() if match else ""


def parse_fee(text: str, result: ImportResult, file: str, where: str) -> dict | None:
    cleaned = text.strip()
    if re.match(r"^(不收费|免费|否|无|0元?)([，,。；;（(].*)?$", cleaned):
        return {"free": True}
    items = [
        {"name": (name.strip(" ：:，,；;") or "费用"), "amount": float(amount)}
        for name, amount in re.findall(r"([^0-9；;，,\n]*?)\s*(\d+(?:\.\d+)?)\s*元", cleaned)
    ]
    if not items:
        result.error(file, f"{where}: 收费标准", f"无法识别的收费标准“{cleaned}”（应为“不收费”或“名称 N元”）")
        return None
    basis = re.search(r"依据[：:]?\s*(.+)$", cleaned)
    if basis:
        for item in items:
            item["basis"] = basis.group(1).strip()
    return {"free": False, "items": items}


def parse_hours(text: str, result: ImportResult, file: str, where: str) -> dict | None:
    """Hours like "周一至周五 9:00-12:00、13:30-17:00；周六 9:00-12:00"; unparsed text is reported."""
    weekday_text, _, saturday_text = text.partition("周六")
    weekdays, saturday = _ranges(weekday_text), _ranges(saturday_text)
    if not weekdays:
        result.warn(file, f"{where}: 办公时间", "无法识别办公时间，按中心办公时间处理；原文保存在 extra 中")
        return None
    return {"weekdays": weekdays, "saturday": saturday,
            "lunch_continuous": bool(re.search(r"午间不间断|中午不休|午间不休", text)), "note": text.strip()}


def _ranges(text: str) -> list[str]:
    ranges = [f"{int(a):02d}:{b}-{int(c):02d}:{d}" for a, b, c, d in _TIME_RANGE.findall(text)]
    return [r for r in ranges if TIME_RANGE_PATTERN.match(r)]


def parse_online(text: str) -> dict:
    url = _URL.search(text)
    if re.search(r"全程网办|全程网上|全流程网办|零跑", text):
        level = "全程网办"
    elif re.search(r"不支持|不可|否|^无$", text.strip()):
        level = "不支持"
    elif re.search(r"预约", text) and not re.search(r"申请|申报", text):
        level = "网上预约"
    else:
        level = "部分网办"
    return {"level": level, "url": url.group(0) if url else None, "note": text.strip() or None}


def parse_visits(text: str) -> int | None:
    if re.search(r"零次|0\s*次|零跑|不需要到现场|无需到现场", text):
        return 0
    digits = re.search(r"\d+", text)
    if digits:
        return int(digits.group(0))
    chinese = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
    for character, number in chinese.items():
        if character in text:
            return number
    return None


def parse_phones(text: str, label: str) -> list[dict]:
    numbers = [n for n in _PHONE_CANDIDATE.findall(text) if PHONE_PATTERN.match(n)]
    return [{"label": label, "number": number} for number in dict.fromkeys(numbers)]


def parse_applicants(text: str) -> list[str]:
    found = []
    if re.search(r"自然人|个人|公民|居民|群众", text):
        found.append("自然人")
    if re.search(r"法人|企业|公司|单位", text):
        found.append("法人")
    if re.search(r"非法人|其他组织|个体工商户", text):
        found.append("非法人组织")
    return found


def parse_faq(text: str) -> list[dict]:
    pairs = re.findall(r"问[：:]\s*(.+?)\s*答[：:]\s*(.+?)(?=\s*问[：:]|\Z)", text, flags=re.S)
    return [{"q": q.strip(), "a": a.strip()} for q, a in pairs]


def parse_material_line(line: str) -> dict:
    """"居民身份证（原件1份，复印件1份）" → a material dict; counts default to one original."""
    originals = re.search(r"原件\s*(\d+)\s*份", line)
    copies = re.search(r"复印件\s*(\d+)\s*份", line)
    name = re.split(r"[（(]", line, maxsplit=1)[0].strip(" ：:")
    material = {"name": name or line.strip(),
                "originals": int(originals.group(1)) if originals else 0,
                "copies": int(copies.group(1)) if copies else 0}
    if "电子" in line:
        material["electronic"] = True
    if not (material["originals"] or material["copies"] or material.get("electronic")):
        material["originals"] = 1 if "复印件" not in line else 0
        material["copies"] = 1 if "复印件" in line else 0
    if "容缺" in line:
        material["tolerance"] = True
    if re.search(r"非必要|非必需|可选|如有", line):
        material["requirement"] = "optional"
    notes = re.search(r"[（(](.+)[)）]\s*$", line)
    if notes:
        material["notes"] = notes.group(1)
    return material


def append_notes(material: dict, extra: str) -> None:
    """Keep source columns we do not model in the material's notes rather than dropping them."""
    if extra:
        material["notes"] = "；".join(filter(None, [material.get("notes"), extra]))


def material_from_row(row: dict[str, str]) -> dict:
    """A row of a materials table (document or sheet) → material dict."""
    form = row.get("form", "")
    count = int(row["count"]) if row.get("count", "").isdigit() else 1
    originals = int(row["originals"]) if row.get("originals", "").isdigit() else 0
    copies = int(row["copies"]) if row.get("copies", "").isdigit() else 0
    if not (originals or copies):
        originals = count if "原件" in form or not form else 0
        copies = count if "复印件" in form else 0
    requirement_text = row.get("requirement", "")
    material: dict = {
        "name": row.get("name", ""),
        "originals": originals,
        "copies": copies,
        "electronic": "电子" in form,
        "requirement": "required",
    }
    if re.search(r"非必要|非必需|^否$|可选", requirement_text):
        material["requirement"] = "optional"
    elif re.search(r"情形|特定|视情况", requirement_text) or row.get("condition"):
        material["requirement"] = "conditional"
        material["condition"] = row.get("condition") or requirement_text
    if "容缺" in requirement_text:
        material["tolerance"] = True
    for key in ("source", "notes", "template"):
        if row.get(key):
            material[key] = row[key]
    return material


def build_item(values: dict[str, str], materials: list[dict], *, slug: str, source: str, today: date,
               result: ImportResult, file: str, where: str, extra: dict[str, str]) -> None:
    """Convert labelled texts to a service item and validate it; problems go to ``result``."""
    missing = [ITEM_LABELS[name][0] for name in REQUIRED_FIELDS if not values.get(name)]
    if not materials:
        missing.append("申请材料")
    if missing:
        result.error(file, where, f"缺少必需内容：{'、'.join(missing)}")
        return
    item_type = next((t for t in ITEM_TYPES if t in values["item_type"]), None)
    if item_type is None:
        result.error(file, f"{where}: 事项类型", f"无法识别的事项类型“{values['item_type']}”")
        return
    visits = parse_visits(values["visits"])
    if visits is None:
        result.error(file, f"{where}: 到现场次数", f"无法识别“{values['visits']}”")
        return
    time_limit = parse_time_limits(values, result, file, where)
    fee = parse_fee(values["fee"], result, file, where)
    if time_limit is None or fee is None:
        return
    consultation = parse_phones(values["consultation"], "咨询电话")
    complaint = parse_phones(values.get("complaint", ""), "监督投诉电话")
    if not complaint:
        result.warn(file, f"{where}: 监督投诉电话", "未提供投诉电话，答复中使用 12345 热线")
        complaint = [{"label": "12345政务服务便民热线", "number": "12345"}]
    hours = parse_hours(values["hours"], result, file, where) if values.get("hours") else None
    if values.get("hours") and hours is None:
        extra = {**extra, "办公时间": values["hours"]}
    version = parse_date(values.get("version", ""))
    if version is None:
        result.warn(file, f"{where}: 版本日期", "未提供版本日期，使用导入日期")
    data = {
        "kind": "item", "slug": slug, "name": values["name"], "code": values.get("code") or slug,
        "item_type": item_type, "department": values["department"],
        "legal_basis": split_lines(values["legal_basis"]),
        "applicants": parse_applicants(values["applicants"]),
        "conditions": split_lines(values["conditions"]),
        "materials": materials,
        "process": [{"name": line} for line in split_lines(values["process"])],
        "time_limit": time_limit, "fee": fee,
        "location": {"window": values["location"]},
        "hours": hours,
        "online": parse_online(values["online"]),
        "visits": visits,
        "phones": {"consultation": consultation, "complaint": complaint},
        "faq": parse_faq(values.get("faq", "")),
        "aliases": [a for a in re.split(r"[,，、;；\n]+", values.get("aliases", "")) if a.strip()],
        "examples": split_lines(values.get("examples", "")),
        "version": version or today, "sample": False, "source": source, "extra": extra,
    }
    result.add_entry(file, where, data)
