"""Handing a conversation over: whether staff are on duty for a live handoff, and the 12345
work order drafted from the conversation so nobody has to repeat themselves.

The rules (which intents become which kind of work order, the time zone of the hours) live
in ``config.yml`` ``handoff``; the hours are the centre's own (``centre.hours``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.dialogue.state import ConversationState
from bot.handoff.work_orders import KIND_LABELS, Turn, WorkOrder, WorkOrderKind
from knowledge.schema import CentreProfile, Entry, range_minutes

SUMMARY_CHARS = 200  # the citizen's own words quoted in the summary, at most


def staffed(now: datetime, centre: CentreProfile) -> bool:
    """Whether ``now`` (in the centre's time zone) falls in the centre's opening hours, public
    holidays (``centre.closed_days``) and 调休上班日 (``makeup_workdays``) included."""
    minute = now.hour * 60 + now.minute
    return any(start <= minute < end for start, end in map(range_minutes, centre.opening_hours(now.date())))


def next_staffed(now: datetime, centre: CentreProfile, days: int = 14) -> datetime | None:
    """When staff are next on duty after ``now`` (``None`` if not within ``days``): what the
    bot tells a citizen who asks for a person out of hours."""
    for ahead in range(days + 1):
        day = now.date() + timedelta(days=ahead)
        for start, _ in map(range_minutes, centre.opening_hours(day)):
            opens = datetime.combine(day, datetime.min.time(), now.tzinfo) + timedelta(minutes=start)
            if opens > now:
                return opens
    return None


def compose_summary(opening: str, said: list[str], entry: Entry | None) -> str:
    """One line for the 12345 agent: who brought what kind of matter, about which guide, in
    the citizen's own (last) words; ``opening`` is e.g. 市民经导办助手提交投诉."""
    words = "；".join(said[-3:])[-SUMMARY_CHARS:] or "（未留言）"
    about = f"，涉及事项“{entry.name}”" if entry else ""
    return f"{opening}{about}。市民原话：{words}"


def summary(kind_label: str, state: ConversationState, entries: Mapping[str, Entry]) -> str:
    said = [line["text"] for line in state.transcript if line["role"] == "user" and not line["text"].startswith("/")]
    return compose_summary(f"市民经导办助手提交{kind_label}", said, entries.get(state.item) if state.item else None)


def draft_work_order(kind: WorkOrderKind, state: ConversationState, entries: Mapping[str, Entry], channel: str,
                     sender: str) -> WorkOrder:
    """A work order from the conversation so far; the handling department is the one the
    guide under discussion names, when there is one. No contact details: those need the
    citizen's consent, asked for separately."""
    entry = entries.get(state.item) if state.item else None
    transcript = [Turn(role=line["role"] if line["role"] in ("user", "agent") else "bot", text=line["text"])
                  for line in state.transcript]
    return WorkOrder(kind=kind, summary=summary(KIND_LABELS[kind], state, entries),
                     department=getattr(entry, "department", None), transcript=transcript, channel=channel,
                     sender=sender, item=state.item)
