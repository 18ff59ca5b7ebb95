"""What the assistant remembers of one conversation, as plain JSON for any tracker store.

Only what the next turn needs: the guide being discussed, the question the bot is waiting
on, consecutive failures, and a short masked transcript for a handoff's work order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TRANSCRIPT_LINE_CHARS = 500  # a transcript line is cut to this: enough for a work order, bounded for storage
WAITING = "waiting"  # ``staff`` while the conversation waits for a person


@dataclass
class Pending:
    """A question the bot asked and is waiting for the answer to: which of ``options`` the
    citizen means — guide slugs, or, when ``situation`` is set, that situation's option keys
    for ``item`` — and the section they asked about."""

    options: list[str]
    section: str | None = None
    item: str | None = None
    situation: str | None = None
    reasked: bool = False  # the situation question was already asked again once


@dataclass
class ConversationState:
    item: str | None = None  # the guide the conversation is about: follow-ups resolve against it
    pending: Pending | None = None
    failures: int = 0  # consecutive turns the bot could not help with
    choices: dict[str, dict[str, str]] = field(default_factory=dict)  # item → {situation: option}
    guided: list[str] = field(default_factory=list)  # items whose situation questions are over (answered or skipped)
    staff: str | None = None  # "waiting" for a person, or the name of the staff member holding it
    form: dict[str, Any] | None = None  # a form being filled: {"name", "item", "values"}
    contact_order: str | None = None  # a 12345 work order held for the citizen's consent to be contacted
    transcript: list[dict[str, str]] = field(default_factory=list)  # {"role", "text"}, personal data masked

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> ConversationState:
        if not raw:
            return cls()
        pending = raw.get("pending")
        return cls(item=raw.get("item"), pending=Pending(**pending) if pending else None,
                   failures=int(raw.get("failures", 0)), choices=dict(raw.get("choices", {})),
                   guided=list(raw.get("guided", [])), staff=raw.get("staff"), form=raw.get("form"),
                   contact_order=raw.get("contact_order"),
                   transcript=list(raw.get("transcript", [])))

    @property
    def held(self) -> bool:
        """Staff hold the conversation: the bot only relays."""
        return self.staff not in (None, WAITING)

    def record(self, role: str, text: str, keep: int) -> None:
        """Append to the transcript (already masked), keeping the last ``keep`` lines, each cut
        to ``TRANSCRIPT_LINE_CHARS``."""
        self.transcript = [*self.transcript, {"role": role, "text": text[:TRANSCRIPT_LINE_CHARS]}][-keep:]
