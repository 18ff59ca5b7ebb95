"""Days as citizens type them (明天, 周六, 下周一, 12月5号, 2026-12-05), read against today."""

from __future__ import annotations

import re
from datetime import date, timedelta

WEEKDAYS = "一二三四五六日"
_WEEKDAY = re.compile(r"(下)?(?:周|星期|礼拜)([一二三四五六日天])")
_MONTH_DAY = re.compile(r"(?:(\d{4})[-年/.])?(\d{1,2})[-月/.](\d{1,2})[日号]?")
_DAY_ONLY = re.compile(r"^(\d{1,2})[日号]$")
_RELATIVE = {"今天": 0, "明天": 1, "后天": 2, "大后天": 3}


def parse_day(text: str, today: date) -> date | None:
    """The day ``text`` names, or ``None``; a day-of-month or weekday means the next one to come."""
    text = text.strip()
    for word, offset in sorted(_RELATIVE.items(), key=lambda pair: -len(pair[0])):
        if word in text:
            return today + timedelta(days=offset)
    if match := _WEEKDAY.search(text):
        target = WEEKDAYS.index("日" if match.group(2) == "天" else match.group(2))
        ahead = (target - today.weekday()) % 7
        if match.group(1):  # 下周X: the weekday in next week
            return today + timedelta(days=ahead + (7 if ahead == 0 or target >= today.weekday() else 0))
        return today + timedelta(days=ahead)
    if match := _MONTH_DAY.search(text):
        year = int(match.group(1)) if match.group(1) else today.year
        try:
            day = date(year, int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
        return day if match.group(1) or day >= today else day.replace(year=year + 1)
    if match := _DAY_ONLY.match(text):
        number = int(match.group(1))
        month, year = today.month, today.year
        if number < today.day:
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
        try:
            return date(year, month, number)
        except ValueError:
            return None
    return None


def day_label(day: date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"
