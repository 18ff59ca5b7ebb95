"""Short forms of an answer for a phone call: the lines a 12345 agent reads out, and the SMS
the caller gets afterwards.

Both are cut from the same :class:`~knowledge.answer.Answer` the chat channels show, so an
agent never says anything the guide does not; the SMS ends with the guide's version date.
"""

from __future__ import annotations

from knowledge.answer import Answer, ChecklistLine
from knowledge.schema import CentreProfile

SPOKEN_ANSWER_CHARS = 120  # an FAQ answer read out: its beginning, the rest goes by SMS


def section_lines(answer: Answer, key: str) -> list[str]:
    return next((section.lines for section in answer.sections if section.key == key), [])


def required_materials(answer: Answer) -> list[ChecklistLine]:
    """The materials everyone in the caller's situation brings (optional and conditional ones
    are in the full checklist the agent sees)."""
    rows = next((section.checklist for section in answer.sections if section.key == "materials"), [])
    return [row for row in rows if row.requirement == "required"]


def _listed(names: list[str], limit: int) -> str:
    shown = "、".join(names[:limit])
    return shown + (f"等{len(names)}项" if len(names) > limit else "")


def spoken_script(answer: Answer, max_materials: int = 5) -> list[str]:
    """What to read out, one sentence per line: the item, key materials, time limit, window, fee."""
    if answer.kind == "faq":
        text = " ".join(section_lines(answer, "answer"))
        return [f"关于“{answer.title}”：" + (text[:SPOKEN_ANSWER_CHARS] + "……" if len(text) > SPOKEN_ANSWER_CHARS
                                              else text)]
    lines = [f"您要办的是“{answer.title}”" + (f"，由{answer.department}办理。" if answer.department else "。")]
    materials = [f"{row.name}（{row.form}）" if row.form else row.name for row in required_materials(answer)]
    if materials:
        lines.append(f"需要带：{_listed(materials, max_materials)}。")
    lines.extend(f"{line}。" for line in section_lines(answer, "time_limit"))
    location = section_lines(answer, "location")
    if location:
        lines.append(f"办理地点：{location[0]}。")
    fee = [line.split("（依据")[0] for line in section_lines(answer, "fee")]  # the legal basis is not read out
    if fee:
        lines.append("收费：" + "；".join(fee) + "。")
    return lines


def sms_text(answer: Answer, centre: CentreProfile, max_chars: int = 300) -> str:
    """One SMS (long messages are joined by the phone): materials, where, when, online entry,
    consultation number and the guide's version; materials are cut first when it is too long."""
    names = [row.name for row in required_materials(answer)]
    location, hours = section_lines(answer, "location"), section_lines(answer, "hours")
    online = [line for line in section_lines(answer, "online") if line.startswith(("网办入口", "掌上办"))]

    def compose(limit: int) -> str:
        parts = [f"【{centre.name}】您咨询的“{answer.title}”"]
        if answer.kind == "faq":
            parts.append(" ".join(section_lines(answer, "answer"))[:SPOKEN_ANSWER_CHARS])
        if names:
            parts.append("需带材料：" + _listed(names, limit))
        if location:
            parts.append(f"地点：{location[0]}")
        if hours:
            parts.append(f"时间：{hours[0]}")
        parts.extend(online[:1])
        parts.append(f"咨询{centre.consultation.number}，依据{answer.version.isoformat()}版办事指南")
        return "；".join(parts) + "。"

    limit = len(names)
    text = compose(limit)
    while len(text) > max_chars and limit > 1:
        limit -= 1
        text = compose(limit)
    return text if len(text) <= max_chars else text[:max_chars - 1] + "…"
