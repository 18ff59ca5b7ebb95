"""The bot's messages as WeChat text: buttons become numbered choices the citizen replies with
(WeChat text has no buttons), links become addresses, and the whole is cut into pieces that
fit WeChat's text limit, on line breaks where possible."""

from __future__ import annotations

from connectors.rendering import CardOut, LinkOut, MessageOut, TextOut

CHOOSE_BY_NUMBER = "请回复数字选择："


def wechat_text(messages: list[MessageOut]) -> tuple[str, list[str]]:
    """The reply text and the payloads its numbered choices stand for (1 → payloads[0])."""
    parts: list[str] = []
    payloads: list[str] = []
    for message in messages:
        if isinstance(message, TextOut):
            parts.append(message.text)
            if message.buttons:
                lines = [f"{len(payloads) + n}. {b.title}" for n, b in enumerate(message.buttons, start=1)]
                payloads += [b.payload for b in message.buttons]
                parts.append(CHOOSE_BY_NUMBER + "\n" + "\n".join(lines))
        elif isinstance(message, LinkOut):
            parts.append(f"{message.title}：{message.url}")
        elif isinstance(message, CardOut):
            continue  # the text messages already list the materials
    return "\n\n".join(part for part in parts if part), payloads


def split_bytes(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` UTF-8 bytes, cut after a line break when one is near."""
    pieces: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        cut = _fits(rest, limit)
        newline = rest.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline + 1
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces


def _fits(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` bytes."""
    size = 0
    for index, char in enumerate(text):
        size += len(char.encode("utf-8"))
        if size > limit:
            return index
    return len(text)
