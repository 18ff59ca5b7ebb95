"""``POST /api/messages``: our own JSON channel, used by the web widget and by integrators.

One request is one message from a sender (typed text, or a button's payload sent back as
text); the response holds every message the bot sends in reply and the decision behind them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from bot.dialogue.engine import UserMessage
from bot.dialogue.state import ConversationState
from bot.tracker import ConversationKey
from connectors.rendering import DecisionOut, MessageOut, TextOut, decision_out, render_turn
from connectors.runtime import Runtime
from nlu.normalize import MAX_INPUT_CHARS

SENDER_PATTERN = r"^[A-Za-z0-9_.:@-]{1,128}$"
Sender = Annotated[str, Field(pattern=SENDER_PATTERN, description="发送者标识（渠道内唯一，如浏览器生成的随机串）")]


class MessageIn(BaseModel):
    sender: Sender
    text: str = Field(min_length=1, max_length=MAX_INPUT_CHARS,
                      description="用户输入的文字，或按钮的 payload（如 /choose_option{\"item\": \"passport\"}）")
    channel: Literal["api", "web"] = "api"  # web: the widget; each channel keeps its own conversations


class MessagesOut(BaseModel):
    sender: str
    messages: list[MessageOut]
    decision: DecisionOut


class UpdatesOut(BaseModel):
    messages: list[TextOut]
    staff: bool  # a person is with the conversation, or it waits for one: keep polling


def messages_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["对话"])

    @router.post("/api/messages", response_model=MessagesOut, summary="发送一条消息，返回助手的回复和决策")
    def post_message(message: MessageIn) -> MessagesOut:
        turn = runtime.handle(UserMessage(message.text, message.sender, message.channel))
        return MessagesOut(sender=message.sender, messages=render_turn(turn, runtime.assistant.entries),
                           decision=decision_out(turn.decision))

    @router.get("/api/messages/{sender}/updates", response_model=UpdatesOut,
                summary="取回工作人员接管期间发给用户的消息（网页挂件轮询）")
    def updates(sender: Annotated[str, Path(pattern=SENDER_PATTERN)],
                channel: Literal["api", "web"] = "web") -> UpdatesOut:
        key = ConversationKey(channel, sender)
        messages = runtime.relay.collect(key) if runtime.relay is not None else []
        staff = ConversationState.from_dict(runtime.dialogue.store.load(key)).staff
        return UpdatesOut(messages=[TextOut(text=m.text) for m in messages], staff=staff is not None)

    return router
