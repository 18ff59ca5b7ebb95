"""Situation guidance (情形引导): for a guide whose materials depend on the citizen's case,
ask its questions one at a time with buttons (skippable), then give the tailored list.

Asked only when the answer depends on them: for the whole guide or its materials, and for its
conditions when an option adds some (医保在那边能用吗: 长期居住 or 临时外出), not for a question
about the fee or the hours; asked once per guide and conversation — ignoring a question (asking
something else) counts as skipping it.
"""

from __future__ import annotations

import re

from bot.assistant import BotMessage, Button
from bot.dialogue.choices import chosen_by_number, distinctive
from bot.dialogue.payloads import Payload, payload
from bot.dialogue.state import ConversationState
from knowledge.schema import Entry, ServiceItem, Situation
from nlu.normalize import normalize

SKIP = "跳过，看完整清单"
UNCLEAR = "抱歉，没能确定您属于哪种情况，请点选下面的选项（不确定可以点“跳过”看完整清单）："
NO_BOUND = 10**6  # an age or count no range reaches
_SKIP_WORDS = ("跳过", "不知道", "不清楚", "不确定", "都不是")
_DIGITS = dict(zip("零一二两三四五六七八九", (0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_UNITS = {"十": 10, "百": 100}
_NUMBER = re.compile(r"\d+|[零一二两三四五六七八九十百]+")
_BOUND = re.compile(r"(?:(?P<below>未满|不满|不到)|满)(?P<n>\d+)|(?P<n2>\d+)(?:周?岁)?(?P<under>以下)")


def changes(situation: Situation, section: str | None) -> bool:
    """Whether the answer to ``situation`` changes what a question about ``section`` gets: the
    whole guide or its materials (any situation), its conditions (one with an option adding some)."""
    if section in (None, "materials"):
        return True
    return section == "conditions" and any(option.add_conditions for option in situation.options)


def relevant(entry: ServiceItem, section: str | None) -> list[Situation]:
    return [situation for situation in entry.situations if changes(situation, section)]


def next_question(entry: Entry | None, state: ConversationState, section: str | None = None) -> Situation | None:
    """The first situation of ``entry`` that changes the answer about ``section`` (``None``: the
    whole guide) and is not yet answered in this conversation, if guidance is on."""
    if not isinstance(entry, ServiceItem) or entry.slug in state.guided:
        return None
    answered = state.choices.get(entry.slug, {})
    return next((situation for situation in relevant(entry, section) if situation.key not in answered), None)


def question_message(entry: ServiceItem, situation: Situation, section: str | None = None,
                     reasked: bool = False) -> BotMessage:
    """The question with a button per option and one to skip; ``reasked`` after a reply the
    bot could not match to an option."""
    asked = relevant(entry, section)
    number = [s.key for s in asked].index(situation.key) + 1
    what = "办理条件" if section == "conditions" else "所需材料"
    intro = (UNCLEAR if reasked else
             f"办理“{entry.name}”{what}因情况而异，先确认一下（第{number}/{len(asked)}题，可跳过）：")
    buttons = [Button(option.label, payload("choose_situation", option=option.key)) for option in situation.options]
    return BotMessage(f"{intro}\n{situation.question}", [*buttons, Button(SKIP, payload("skip"))])


def skipped(text: str, button: Payload | None) -> bool:
    return (button is not None and button.intent == "skip") or (button is None and any(w in text for w in _SKIP_WORDS))


def number_in(text: str) -> int | None:
    """The first number in ``text``, in digits or Chinese numerals up to 九百九十九 (七十二 → 72)."""
    match = _NUMBER.search(text)
    if match is None:
        return None
    word = match.group(0)
    if word.isdigit():
        return int(word)
    total, digit = 0, 0
    for char in word:
        if char in _UNITS:
            total += (digit or 1) * _UNITS[char]
            digit = 0
        else:
            digit = _DIGITS[char]
    return total + digit


def bounds(label: str) -> tuple[int, int] | None:
    """The range a label states (未满60周岁, 年满60周岁、不满70周岁, 年满70周岁及以上), as [low, high)."""
    low, high = 0, NO_BOUND
    for match in _BOUND.finditer(label):
        value = int(match.group("n") or match.group("n2"))
        if match.group("below") or match.group("under"):
            high = min(high, value)
        else:
            low = max(low, value)
    return (low, high) if (low, high) != (0, NO_BOUND) else None


def chosen_by_range(text: str, situation: Situation) -> str | None:
    """我七十二了 picks 年满70周岁及以上: when every option states a range, the one the number falls
    in; a reply that states an upper bound itself (不到16岁, 16岁以下) picks the range holding it."""
    ranges = {option.key: bounds(option.label) for option in situation.options}
    value = number_in(text)
    if value is None or any(r is None for r in ranges.values()):
        return None
    stated = bounds(text)
    low, high = stated if stated is not None and stated[1] < NO_BOUND else (value, value + 1)
    hits = [key for key, r in ranges.items() if r is not None and r[0] <= low and high <= r[1]]
    return hits[0] if len(hits) == 1 else None


def chosen_by_alias(text: str, situation: Situation) -> str | None:
    """The option one of whose aliases the reply contains whole, the longest such alias winning:
    不是本地户口 (外省市) over 本地户口 (本市) in 老家河南的，不是本地户口, which character bigrams
    alone cannot tell apart."""
    text = normalize(text).text
    found = sorted(((len(alias), option.key) for option in situation.options for alias in option.aliases
                    if normalize(alias).text in text), reverse=True)
    if not found or (len(found) > 1 and found[1][0] == found[0][0] and found[1][1] != found[0][1]):
        return None
    return found[0][1]


def chosen_option(text: str, button: Payload | None, situation: Situation) -> str | None:
    """The option key a reply picks: its button, its number, the range a number falls in, an
    alias it contains, or the distinctive words of its label and aliases (外省的 → 外省市户籍)."""
    keys = [option.key for option in situation.options]
    if button is not None:
        option = button.entities.get("option")
        return option if button.intent == "choose_situation" and option in keys else None
    return (chosen_by_number(text, keys) or chosen_by_range(text, situation) or chosen_by_alias(text, situation)
            or distinctive(text, {o.key: [o.label, *o.aliases] for o in situation.options}))
