"""Reading the answer to "which of these do you mean?": a tapped button, an option number
(2, 第二个, ②) or what sets the option apart typed out (租房的, 补办那个)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.dialogue.payloads import Payload
from knowledge.schema import Entry
from nlu.normalize import normalize

_NUMERALS = {**{str(n): n for n in range(1, 10)}, **dict(zip("一二三四五六七八九", range(1, 10), strict=True)),
             **dict(zip("①②③④⑤⑥⑦⑧⑨", range(1, 10), strict=True)), "两": 2}
_NUMBER = re.compile(r"^(?:选|要|是)?第?(?P<n>[1-9一二两三四五六七八九①-⑨])(?:个|项|种|条|号)?(?:吧|吗|啊)?$")
_DECLINE = ("都不是", "都不对", "不是这些", "没有我要的")


def chosen_by_number(text: str, options: list[str]) -> str | None:
    match = _NUMBER.match(normalize(text).text.replace(" ", "").rstrip("。.!！"))
    if not match:
        return None
    number = _NUMERALS[match.group("n")]
    return options[number - 1] if number <= len(options) else None


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def distinctive(text: str, names: Mapping[str, list[str]]) -> str | None:
    """The one key whose names share the most with ``text`` of what sets them apart from the
    other keys' names: 租房的 picks 住房公积金提取（租房） over （购房）, as their shared 住房公积金
    tells nothing. Compared as character bigrams, so 租房提取 and 提取（租房） both match."""
    reply = _bigrams(normalize(text).text)
    grams = {key: set().union(*(_bigrams(normalize(name).text) for name in texts)) for key, texts in names.items()}
    scores = {}
    for key, own in grams.items():
        others = set().union(*(g for other, g in grams.items() if other != key))
        scores[key] = len(reply & (own - others))
    best = max(scores.values(), default=0)
    winners = [key for key, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def chosen_by_name(text: str, options: list[str], entries: Mapping[str, Entry]) -> str | None:
    return distinctive(text, {slug: [entry.name, *entry.aliases] for slug in options
                              if (entry := entries.get(slug)) is not None})


def declined(text: str, payload: Payload | None) -> bool:
    return (payload is not None and payload.intent == "deny") or any(word in text for word in _DECLINE)


def chosen(text: str, payload: Payload | None, intent: str, options: list[str],
           entries: Mapping[str, Entry]) -> str | None:
    """The option the reply picks, or ``None`` when it picks none (it may be a new question).
    ``intent`` is the payload's or, for typed text, the understood one: 是的 to a single
    option ("您是要办理 X 吗？") picks it."""
    if intent == "affirm" and len(options) == 1:
        return options[0]
    if payload is not None:
        item = payload.entities.get("item")
        return item if payload.intent == "choose_option" and item in options else None
    return chosen_by_number(text, options) or chosen_by_name(text, options, entries)
