"""Our rendered messages in the shapes Rasa's channels send: the REST webhook's list of
``{"recipient_id", "text", "buttons"}`` and Socket.IO's ``bot_uttered`` events with
``quick_replies``. A checklist card goes as ``custom`` (front ends that know it draw it; the
text messages before it already list the materials); a link goes as text with the address."""

from __future__ import annotations

from typing import Any

from connectors.rendering import CardOut, LinkOut, MessageOut, TextOut


def rest_messages(recipient: str, messages: list[MessageOut]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        item: dict[str, Any] = {"recipient_id": recipient}
        if isinstance(message, TextOut):
            item["text"] = message.text
            if message.buttons:
                item["buttons"] = [button.model_dump() for button in message.buttons]
        elif isinstance(message, LinkOut):
            item["text"] = f"{message.title}：{message.url}"
        elif isinstance(message, CardOut):
            item["custom"] = message.model_dump()
        out.append(item)
    return out


def socketio_messages(messages: list[MessageOut]) -> list[dict[str, Any]]:
    """``bot_uttered`` payloads: ``{text}``, ``{text, quick_replies}`` or a custom object."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, TextOut):
            event: dict[str, Any] = {"text": message.text}
            if message.buttons:
                event["quick_replies"] = [{"content_type": "text", "title": b.title, "payload": b.payload}
                                          for b in message.buttons]
            out.append(event)
        elif isinstance(message, LinkOut):
            out.append({"text": f"{message.title}：{message.url}"})
        else:
            out.append(message.model_dump())
    return out
