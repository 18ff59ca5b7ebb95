"""Rasa's REST channel: ``POST /webhooks/rest/webhook`` with ``{"sender", "message",
"metadata"?}`` answers with every bot message as a list, as Rasa's ``RestInput`` does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from bot.dialogue.engine import UserMessage
from bot.tracker import ConversationKey
from connectors.messages_api import Sender
from connectors.rasa.format import rest_messages
from connectors.rendering import TextOut, render_turn
from connectors.runtime import Runtime
from nlu.normalize import MAX_INPUT_CHARS

CHANNEL = "rest"


class RestMessage(BaseModel):
    sender: Sender
    message: str = Field(min_length=1, max_length=MAX_INPUT_CHARS)
    metadata: dict[str, Any] | None = None


def rest_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["Rasa 兼容渠道"])

    @router.get("/webhooks/rest/")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/webhooks/rest/webhook", summary="Rasa REST 渠道：返回机器人消息列表")
    def webhook(body: RestMessage) -> list[dict[str, Any]]:
        turn = runtime.handle(UserMessage(body.message, body.sender, CHANNEL, body.metadata or {}))
        held = runtime.relay.collect(ConversationKey(CHANNEL, body.sender)) if runtime.relay is not None else []
        staff = [TextOut(text=message.text) for message in held]  # REST cannot push: staff's words come first
        return rest_messages(body.sender, [*staff, *render_turn(turn, runtime.assistant.entries)])

    return router
