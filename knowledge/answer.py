"""The one-shot answer (一次性告知): a structured answer built from one guide.

Channels render the same structure their own way (cards, buttons, plain text); the text
rendering here is what text-only channels use, split to a byte budget per message.
Every answer carries its citation: which guide and which version date it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel

from knowledge.schema import (
    CentreProfile,
    Entry,
    FaqEntry,
    FaqPair,
    Fee,
    Hours,
    LifeEvent,
    Location,
    Material,
    Online,
    Phone,
    Phones,
    ServiceItem,
    Step,
    TimeLimit,
)
from knowledge.tailoring import merge_materials, tailor

SectionKey = Literal[
    "overview", "answer", "conditions", "materials", "process", "time_limit", "fee", "location",
    "hours", "online", "visits", "phones", "services", "basis", "faq",
]
SECTION_TITLES: dict[str, str] = {
    "overview": "包含事项",
    "answer": "答复",
    "conditions": "受理条件",
    "materials": "申请材料",
    "process": "办理流程",
    "time_limit": "办理时限",
    "fee": "收费标准",
    "location": "办理地点",
    "hours": "办公时间",
    "online": "网上办理",
    "visits": "到现场次数",
    "phones": "咨询与投诉电话",
    "services": "便民服务",
    "basis": "设定依据",
    "faq": "常见问题",
}
REQUIREMENT_TEXT = {"required": "必需", "optional": "非必需", "conditional": "特定情形需要"}


class ChecklistLine(BaseModel):
    """One material as a checklist row; ``for_items`` is set in 一件事 bundles."""

    name: str
    form: str
    requirement: Literal["required", "optional", "conditional"]
    condition: str | None = None
    source: str | None = None
    notes: str | None = None
    tolerance: bool = False
    template: str | None = None
    for_items: list[str] = []

    def text(self) -> str:
        parts = [f"{self.name}：{self.form}"]
        if self.requirement != "required":
            parts.append(self.condition if self.requirement == "conditional" and self.condition
                         else REQUIREMENT_TEXT[self.requirement])
        if self.tolerance:
            parts.append("可容缺后补")
        if self.notes:
            parts.append(self.notes)
        if self.for_items:
            parts.append("用于：" + "、".join(self.for_items))
        return "｜".join(parts)


class Section(BaseModel):
    key: SectionKey
    title: str
    lines: list[str]
    checklist: list[ChecklistLine] = []


class ChosenOption(BaseModel):
    question: str
    label: str


class Answer(BaseModel):
    slug: str
    kind: str
    title: str
    department: str | None
    focus: SectionKey | None
    sections: list[Section]
    more: list[SectionKey] = []  # sections left out of a focused answer, offered as follow-ups
    situation: list[ChosenOption] = []
    citation: str
    version: date
    sample: bool


def hours_lines(hours: Hours) -> list[str]:
    weekday = "、".join(hours.weekdays)
    lines = [f"工作日（周一至周五）{weekday}" + ("，午间不间断服务" if hours.lunch_continuous else "")]
    lines.append(f"周六 {'、'.join(hours.saturday)}" if hours.saturday else "周六不对外办公")
    if hours.sunday:
        lines.append(f"周日 {'、'.join(hours.sunday)}")
    lines.append(hours.holidays)
    if hours.note:
        lines.append(hours.note)
    return lines


def time_limit_lines(legal: TimeLimit | None, promised: TimeLimit) -> list[str]:
    lines = []
    if legal is not None:
        lines.append(f"法定办结时限：{legal.text()}" + (f"（{legal.note}）" if legal.note else ""))
    lines.append(f"承诺办结时限：{promised.text()}" + (f"（{promised.note}）" if promised.note else ""))
    return lines


def visits_line(visits: int) -> str:
    if visits == 0:
        return "0次：可全程网上办理，无需到现场"
    if visits == 1:
        return "最多跑1次"
    return f"需到现场{visits}次"


def phone_lines(phones: list[Phone]) -> list[str]:
    return [f"{phone.label}：{phone.number}" for phone in phones]


def checklist(materials: list[Material]) -> list[ChecklistLine]:
    return [
        ChecklistLine(
            name=m.name, form=m.form_text(), requirement=m.requirement, condition=m.condition,
            source=m.source, notes=m.notes, tolerance=m.tolerance, template=m.template,
        )
        for m in materials
    ]


def numbered(lines: list[str]) -> list[str]:
    return [f"{index}. {line}" for index, line in enumerate(lines, 1)]


def _section(key: SectionKey, lines: list[str]) -> Section:
    return Section(key=key, title=SECTION_TITLES[key], lines=lines)


def _location_lines(location: Location, centre: CentreProfile) -> list[str]:
    lines = [f"{centre.name} {location.hall or ''} {location.window}".replace("  ", " ").strip(),
             f"地址：{location.address or centre.address}"]
    if location.note:
        lines.append(location.note)
    return lines


def step_lines(steps: list[Step]) -> list[str]:
    return numbered([f"{step.name}：{step.description}" if step.description else step.name for step in steps])


def faq_lines(pairs: list[FaqPair]) -> list[str]:
    return [f"问：{pair.q}\n答：{pair.a}" for pair in pairs]


def _materials_section(rows: list[ChecklistLine], notes: list[str]) -> Section:
    lines = numbered([row.text() for row in rows]) + [f"提示：{note}" for note in notes]
    return Section(key="materials", title=SECTION_TITLES["materials"], lines=lines, checklist=rows)


def _services_lines(item: ServiceItem, centre: CentreProfile) -> list[str]:
    p = item.practices
    offered = [
        (p.tolerance_acceptance, "容缺受理：次要材料暂缺的，可先受理、限期补交"),
        (p.commitment, "告知承诺制：按要求书面承诺后，部分证明材料可免于提交"),
        (p.cross_province, "跨省通办：外省市户籍或异地办理可在本中心受理"),
        (p.proxy_service, f"帮办代办：{centre.proxy_desk.location}"
                          + (f"，电话 {centre.proxy_desk.phone}" if centre.proxy_desk.phone else "")),
        (p.mail_delivery, "结果可免费邮寄到家，或存入自助取件柜领取"),
        (p.self_service, f"24小时自助办理：{centre.self_service.location}"),
    ]
    lines = [text for enabled, text in offered if enabled]
    if p.note:
        lines.append(p.note)
    return lines


def contact_lines(phones: Phones, centre: CentreProfile) -> list[str]:
    """Consultation phones, then complaint phones, which always include the centre's 12345 hotline."""
    complaint = phones.complaint
    if not any(phone.number == centre.hotline.number for phone in complaint):
        complaint = [*complaint, centre.hotline]
    return [*phone_lines(phones.consultation), "投诉监督：" + "；".join(phone_lines(complaint))]


def fee_lines(fee: Fee) -> list[str]:
    lines = ["不收费"] if fee.free else [
        f"{item.name}：{item.amount:g}{item.unit}" + (f"（依据：{item.basis}）" if item.basis else "")
        for item in fee.items
    ]
    return [*lines, fee.note] if fee.note else lines


def online_lines(online: Online) -> list[str]:
    entries = (online.url and f"网办入口：{online.url}", online.mobile and f"掌上办：{online.mobile}", online.note)
    return [f"办理方式：{online.level}", *(line for line in entries if line)]


def item_sections(item: ServiceItem, centre: CentreProfile, choices: Mapping[str, str]) -> tuple[
        list[Section], list[ChosenOption]]:
    tailored = tailor(item, choices)
    sections = [
        _section("conditions", numbered(tailored.conditions)),
        _materials_section(checklist(tailored.materials), tailored.notes),
        _section("process", step_lines(item.process)),
        _section("time_limit", time_limit_lines(item.time_limit.legal, item.time_limit.promised)),
        _section("fee", fee_lines(item.fee)),
        _section("location", _location_lines(item.location, centre)),
        _section("hours", hours_lines(item.hours or centre.hours)),
        _section("online", online_lines(item.online)),
        _section("visits", [visits_line(item.visits)]),
        _section("phones", contact_lines(item.phones, centre)),
        _section("services", _services_lines(item, centre)),
        _section("basis", item.legal_basis),
        _section("faq", faq_lines(item.faq)),
    ]
    chosen = [ChosenOption(question=q, label=label) for q, label in tailored.chosen]
    return [s for s in sections if s.lines], chosen


def event_sections(event: LifeEvent, centre: CentreProfile, items: Mapping[str, ServiceItem]) -> list[Section]:
    merged = merge_materials(event, items)
    names = {slug: items[slug].name if slug in items else slug for slug in event.items}
    names[event.slug] = "一件事联办"
    rows = []
    for entry in merged:
        row = checklist([entry.material])[0]
        row.for_items = [names.get(slug, slug) for slug in entry.for_items]
        rows.append(row)
    sections = [
        _section("overview", [event.description, *numbered([names[slug] for slug in event.items])]),
        _materials_section(rows, []),
        _section("process", step_lines(event.steps)),
        _section("time_limit", time_limit_lines(None, event.time_limit)),
        _section("fee", fee_lines(event.fee)),
        _section("location", _location_lines(event.window, centre)),
        _section("hours", hours_lines(centre.hours)),
        _section("online", online_lines(event.online)),
        _section("visits", [visits_line(event.visits)]),
        _section("phones", contact_lines(event.phones, centre)),
        _section("faq", faq_lines(event.faq)),
    ]
    return [s for s in sections if s.lines]


NO_ANSWER_TEXT = "来源资料中这条问答没有答复内容，请通过下面的联系方式咨询。"


def faq_sections(faq: FaqEntry) -> list[Section]:
    sections = [_section("answer", [faq.answer or NO_ANSWER_TEXT])]
    contacts = phone_lines(faq.phones) + ([f"联系方式：{faq.contact}"] if faq.contact else [])
    if contacts:
        sections.append(_section("phones", contacts))
    return sections


def citation(entry: Entry) -> str:
    kind = {"item": "办事指南", "event": "一件事指南", "faq": "常见问答"}[entry.kind]
    origin = f"，{entry.source}" if entry.source else ""
    sample = "（示例数据）" if entry.sample else ""
    return f"来源：《{entry.name}》{kind}{sample}{origin}，版本日期 {entry.version.isoformat()}"


def build_answer(
    entry: Entry,
    centre: CentreProfile,
    *,
    focus: str | None = None,
    choices: Mapping[str, str] | None = None,
    items: Mapping[str, ServiceItem] | None = None,
) -> Answer:
    """Build the answer for one entry; ``focus`` keeps one section, offering the rest as ``more``.

    ``items`` resolves an event's bundled items; ``choices`` tailors an item's situations.
    A focus the entry has no section for (e.g. 受理条件 of an FAQ) gives the whole answer.
    """
    chosen: list[ChosenOption] = []
    if isinstance(entry, ServiceItem):
        sections, chosen = item_sections(entry, centre, choices or {})
        department: str | None = entry.department
    elif isinstance(entry, LifeEvent):
        sections, department = event_sections(entry, centre, items or {}), entry.department
    else:
        sections, department = faq_sections(entry), entry.department
    focused = [s for s in sections if s.key == focus]
    more = [s.key for s in sections if s.key != focus] if focused else []
    return Answer(
        slug=entry.slug, kind=entry.kind, title=entry.name, department=department,
        focus=focused[0].key if focused else None, sections=focused or sections, more=more,
        situation=chosen, citation=citation(entry), version=entry.version, sample=entry.sample,
    )


def render_blocks(answer: Answer) -> list[str]:
    """The answer as text blocks: a header, one block per section, the citation last."""
    header = f"【{answer.title}】" + (f"\n办理部门：{answer.department}" if answer.department else "")
    if answer.situation:
        header += "\n按您的情况：" + "；".join(f"{c.question}{c.label}" for c in answer.situation)
    blocks = [header]
    blocks += [f"■ {section.title}\n" + "\n".join(section.lines) for section in answer.sections]
    if answer.more:
        blocks.append("还可以问我：" + "、".join(SECTION_TITLES[key] for key in answer.more[:6]))
    blocks.append(answer.citation)
    return blocks


def split_text(blocks: list[str], max_bytes: int) -> list[str]:
    """Pack blocks into messages of at most ``max_bytes`` UTF-8 bytes, never cutting a character.

    Blocks are kept whole where they fit, else split at line breaks, else at characters.
    """
    pieces: list[str] = []
    for block in blocks:
        pieces.extend(_fit(block, max_bytes))
    messages: list[str] = []
    for piece in pieces:
        if messages and _size(messages[-1]) + 1 + _size(piece) <= max_bytes:
            messages[-1] += "\n" + piece
        else:
            messages.append(piece)
    return messages


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _fit(block: str, max_bytes: int) -> list[str]:
    if _size(block) <= max_bytes:
        return [block]
    if "\n" not in block:
        return _split_characters(block, max_bytes)
    heading, first, *rest = block.split("\n")
    parts = _split_characters(f"{heading}\n{first}", max_bytes)  # a heading stays with its first line
    for line in rest:
        parts.extend(_fit(line, max_bytes))
    return parts


def _split_characters(text: str, max_bytes: int) -> list[str]:
    chunks, current = [], ""
    for char in text:
        if _size(current + char) > max_bytes:
            chunks.append(current)
            current = ""
        current += char
    return [*chunks, current]


def render_text(answer: Answer, max_bytes: int = 2000) -> list[str]:
    """Plain-text rendering for text channels, split into messages of at most ``max_bytes``."""
    return split_text(render_blocks(answer), max_bytes)
