"""One turn as JSON: the bot's messages (text with buttons, a checklist card, links) and the
structured decision, in the shape ``POST /api/messages`` returns and the widget draws.

Channels with their own formats (Rasa REST and Socket.IO, WeChat) start from the same
:func:`render_turn` output, so a checklist or a button looks the same everywhere it can.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel

from bot.assistant import Turn
from bot.decision import Decision
from knowledge.answer import Answer
from knowledge.schema import Entry


class ButtonOut(BaseModel):
    title: str
    payload: str  # send it back as the message text: /choose_option{"item": "…"}


class TextOut(BaseModel):
    type: Literal["text"] = "text"
    text: str
    buttons: list[ButtonOut] = []


class ChecklistItemOut(BaseModel):
    name: str
    detail: str  # 原件1份｜特定情形需要｜可容缺后补 …


class CardOut(BaseModel):
    """A guide's materials as a checklist the citizen can tick off, with its citation."""

    type: Literal["card"] = "card"
    title: str
    slug: str
    checklist: list[ChecklistItemOut]
    situation: list[str] = []  # 按您的情况：the options the list was tailored to
    citation: str


class LinkOut(BaseModel):
    type: Literal["link"] = "link"
    title: str
    url: str


MessageOut = TextOut | CardOut | LinkOut


class DecisionOut(BaseModel):
    """What ``daoban eval`` checks (``../shared/eval-format.md``), plus the intent."""

    outcome: str
    item: str | None
    section: str | None
    candidates: list[str]
    target: str | None
    confidence: float
    intent: str | None


def decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(outcome=decision.outcome, item=decision.item, section=decision.section,
                       candidates=decision.candidates, target=decision.target,
                       confidence=round(decision.confidence, 4), intent=decision.intent)


def render_turn(turn: Turn, entries: Mapping[str, Entry]) -> list[MessageOut]:
    """The turn's text messages, then a checklist card and the online entry for an answer."""
    messages: list[MessageOut] = [
        TextOut(text=m.text, buttons=[ButtonOut(title=b.title, payload=b.payload) for b in m.buttons])
        for m in turn.messages]
    if turn.answer is not None:
        card = checklist_card(turn.answer)
        if card is not None:
            messages.append(card)
        url = getattr(getattr(entries.get(turn.answer.slug), "online", None), "url", None)
        if url:
            messages.append(LinkOut(title=f"网上办理：{turn.answer.title}", url=url))
    return messages


def checklist_card(answer: Answer) -> CardOut | None:
    section = next((s for s in answer.sections if s.key == "materials" and s.checklist), None)
    if section is None:
        return None
    items = [ChecklistItemOut(name=line.name, detail=line.text().removeprefix(f"{line.name}："))
             for line in section.checklist]
    return CardOut(title=f"{answer.title}：材料清单", slug=answer.slug, checklist=items,
                   situation=[f"{chosen.question}{chosen.label}" for chosen in answer.situation],
                   citation=answer.citation)
