"""Button payloads in Rasa's form, ``/intent`` or ``/intent{"key": "value"}``: what a tapped
button sends back, so every channel (and a Rasa front end) can use the same buttons."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# The intents our buttons send: a Rasa front end's domain must know them (daoban export rasa).
BUTTON_INTENTS = ("choose_option", "choose_situation", "contact", "deny", "feedback", "fill", "handoff", "rate",
                  "skip", "start_form")
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]{1,40})(?P<entities>\{.*\})?$", re.DOTALL)


@dataclass(frozen=True)
class Payload:
    intent: str
    entities: dict[str, str] = field(default_factory=dict)


def parse_payload(text: str) -> Payload | None:
    """The payload a button sent, or ``None`` for typed text (and for malformed payloads,
    which are then understood as text like anything else the user typed)."""
    match = _PAYLOAD.match(text.strip())
    if not match:
        return None
    entities: dict[str, str] = {}
    if match.group("entities"):
        try:
            raw = json.loads(match.group("entities"))
        except json.JSONDecodeError:
            return None
        if not isinstance(raw, dict):
            return None
        entities = {str(key): str(value) for key, value in raw.items() if isinstance(value, str | int)}
    return Payload(match.group("intent"), entities)


def payload(intent: str, **entities: str) -> str:
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
