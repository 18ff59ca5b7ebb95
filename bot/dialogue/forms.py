"""Forms in a conversation: 预约 (a visit to the centre), 帮办代办 (staff do it for you) and
留言 (a message for staff when none are on duty).

One question at a time, each answer checked and, when it does not fit, asked again with
what is wrong; 取消 at any point. The slots and their checks are here; the prompts are plain
Chinese in ``PROMPTS``; opening hours and the booking horizon come from ``config.yml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.dialogue.dates import day_label, parse_day
from knowledge.schema import CentreProfile, range_minutes
from nlu.normalize import normalize

CANCEL_WORDS = ("取消", "不办了", "不约了", "算了", "不用了")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_NAME = re.compile(r"^(?:我叫|我是|姓名)?[:：]?\s*([\u4e00-\u9fff·]{2,10}|[A-Za-z][A-Za-z .'-]{1,39})$")
_HOUR = re.compile(r"(\d{1,2})(?:[:：点](\d{2})?)")
FREE_TEXT_CHARS = 200


@dataclass(frozen=True)
class Context:
    now: datetime
    centre: CentreProfile  # its opening hours, public holidays and 调休上班日
    horizon_days: int  # how far ahead a visit can be booked


@dataclass(frozen=True)
class Slot:
    name: str
    prompt: str
    parse: Callable[[str, Context, dict[str, str]], str | None]  # the value, or None: ask again
    error: str
    options: Callable[[Context, dict[str, str]], list[str]] | None = None  # buttons


def open_days(context: Context) -> list[date]:
    """Days the centre opens within the horizon, from tomorrow (today's visits go by 取号)."""
    today = context.now.date()
    days = [today + timedelta(days=n) for n in range(1, context.horizon_days + 1)]
    return [day for day in days if context.centre.opening_hours(day)]


def time_slots(day: date, centre: CentreProfile) -> list[str]:
    """Hour-long slots of the day's opening hours (09:00-10:00, …)."""
    slots = []
    for opening in centre.opening_hours(day):
        start, end = range_minutes(opening)
        for minute in range(start, end - 59, 60):
            slots.append(f"{minute // 60:02d}:{minute % 60:02d}-{(minute + 60) // 60:02d}:{minute % 60:02d}")
    return slots


def _day(text: str, context: Context, _: dict[str, str]) -> str | None:
    label_days = {day_label(day): day for day in open_days(context)}
    day = label_days.get(text) or parse_day(normalize(text).text, context.now.date())
    return day.isoformat() if day in label_days.values() else None


def _time(text: str, context: Context, values: dict[str, str]) -> str | None:
    slots = time_slots(date.fromisoformat(values["day"]), context.centre)
    if text in slots:
        return text
    reply = normalize(text).text
    match = _HOUR.search(reply)
    if match:
        hour = int(match.group(1)) + (12 if "下午" in reply and int(match.group(1)) < 12 else 0)
        return next((slot for slot in slots if int(slot[:2]) == hour), None)
    wanted = [slot for slot in slots if ("上午" in reply and int(slot[:2]) < 12) or ("下午" in reply
                                                                                   and int(slot[:2]) >= 12)]
    return wanted[0] if wanted else None


def _name(text: str, *_: object) -> str | None:
    match = _NAME.match(normalize(text).text.strip())
    return match.group(1).strip() if match else None


def mobile_number(text: str, *_: object) -> str | None:
    """The mainland mobile number in a reply (spaces and dashes allowed), or ``None``."""
    match = _MOBILE.search(normalize(text).text.replace(" ", "").replace("-", ""))
    return match.group(0) if match else None


def _address(text: str, *_: object) -> str | None:
    reply = normalize(text).text.strip()
    return "到中心办理" if "中心" in reply and len(reply) <= 8 else reply if 4 <= len(reply) <= 100 else None


def _free_text(text: str, *_: object) -> str | None:
    reply = text.strip()
    return reply[:FREE_TEXT_CHARS] if reply else None


NAME_ERROR = "姓名应为2到10个汉字（或英文姓名），请重新输入。"
MOBILE_ERROR = "手机号码应为11位数字，以1开头，请重新输入。"
FORMS: dict[str, list[Slot]] = {
    "booking": [
        Slot("day", "请选择预约日期（也可以直接输入，如“明天”“周六”“12月8日”）：", _day,
             "这一天不能预约：请选择下面列出的办公日（周日和法定节假日不对外办公）。",
             lambda context, _: [day_label(day) for day in open_days(context)]),
        Slot("time", "请选择时段：", _time, "请选择当天办公时间内的时段。",
             lambda context, values: time_slots(date.fromisoformat(values["day"]), context.centre)),
        Slot("name", "请输入办事人姓名：", _name, NAME_ERROR),
        Slot("mobile", "请输入手机号码（用于接收预约短信）：", mobile_number, MOBILE_ERROR),
    ],
    "proxy": [
        Slot("name", "请输入申请人姓名：", _name, NAME_ERROR),
        Slot("mobile", "请输入手机号码（工作人员会与您联系）：", mobile_number, MOBILE_ERROR),
        Slot("address", "需要上门的请输入地址；到中心办理请回复“到中心”：", _address,
             "地址请写到门牌号（4到100个字），或回复“到中心”。", lambda *_: ["到中心"]),
        Slot("when", "希望什么时间办理？（如“下周二上午”）", _free_text, "请告诉我们您方便的时间。"),
        Slot("notes", "还有需要说明的情况吗？（如行动不便、需要手语，没有请回复“无”）", _free_text,
             "请输入说明，没有请回复“无”。", lambda *_: ["无"]),
    ],
    "message": [
        Slot("message", f"请写下您的问题或需求（{FREE_TEXT_CHARS}字以内），工作人员上班后处理：", _free_text,
             "请输入留言内容。"),
        Slot("mobile", "请输入手机号码（工作人员回复您用）：", mobile_number, MOBILE_ERROR),
    ],
}
ITEMLESS = frozenset({"message"})  # forms that need no guide under discussion
TITLES = {"booking": "预约办理", "proxy": "帮办代办申请", "message": "留言"}
LABELS = {"item": "事项", "day": "日期", "time": "时段", "name": "姓名", "mobile": "手机", "address": "地址",
          "when": "希望时间", "notes": "说明", "message": "留言"}


def shown(key: str, value: str) -> str:
    """A stored value as the citizen reads it back (days stored as ISO dates)."""
    return day_label(date.fromisoformat(value)) if key == "day" else value


def cancelled(text: str) -> bool:
    return text.strip() == "/cancel" or any(word in text for word in CANCEL_WORDS)


def next_slot(form: str, values: dict[str, str]) -> Slot | None:
    return next((slot for slot in FORMS[form] if slot.name not in values), None)
