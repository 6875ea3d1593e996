"""What the verdict survey tells people: intents, rendered by `bot.messages.verdicts` at
delivery in the reader's language. Kinds must stay stable (queued rows refer to them)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.messaging.intents import Intent, intent


@intent("verdict.question")
@dataclass(frozen=True)
class VerdictQuestion(Intent):
    """To the resident, some working days after closing: how satisfied are you (1–5)?"""

    case_id: int
    reference: str
    reminder: bool = False  # the one reminder, when the first question went unanswered
