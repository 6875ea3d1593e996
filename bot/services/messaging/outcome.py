"""What became of a message someone sent through the bot, so the sender is told the truth.

A manager's message to a resident (or to a department's representative) is confirmed by its
real outcome: sent, queued with the moment of the next attempt, or not possible with the
reason (data erased, bot blocked, no chat, no longer in the role). Rows queued for a sender
carry `sender_id`; when such a row fails later, in the background, the sender hears it once
(`report_failure`, an intent back to them). No Telegram and no text here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.agreements.schedule import first_time
from bot.services.messaging import outbox
from bot.services.messaging.intents import Intent, intent
from bot.services.messaging.unreachable import agreement_of
from bot.storage.models import Case, OutboxMessage, Person

# Why a message cannot reach someone.
ERASED = "erased"  # the person had their data erased (or it was pseudonymised)
BLOCKED = "blocked"  # Telegram refuses: they blocked the bot or deleted the chat
NO_CHAT = "no_chat"  # the person never had a chat with the bot
NO_ROLE = "no_role"  # the representative no longer holds the role
NO_REP = "no_rep"  # no representative is bound for the department
REFUSED = "refused"  # Telegram refused this message for another reason
REASONS = (ERASED, BLOCKED, NO_CHAT, NO_ROLE, NO_REP, REFUSED)

State = Literal["sent", "queued", "failed"]


@dataclass(frozen=True)
class Outcome:
    """One queued row's state: sent, queued until `at`, or failed for `reason`."""

    state: State
    at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Relayed:
    """The rows queued for someone on a sender's behalf, or why nothing could be queued."""

    queued: list[OutboxMessage] = field(default_factory=list)
    unreachable: str | None = None  # one of REASONS


@intent("outbox.delivery_failed")
@dataclass(frozen=True)
class DeliveryFailed(Intent):
    """To the sender: a message they sent, queued for later, could not be delivered."""

    recipient: str  # "resident" or "rep"
    reason: str
    reference: str | None = None  # the case it was about
    agreement_id: int | None = None


def why_unreachable(person: Person | None) -> str | None:
    """Why a message to `person` cannot go out at all; None when it can be tried. Someone
    who blocked the bot is tried again when a person sends them something (they may have
    unblocked it): the send itself then tells whether it arrived."""
    if person is None or person.erased_at is not None:
        return ERASED
    if not person.telegram_id:
        return NO_CHAT
    return None


def reason_of(error: str | None) -> str:
    """The reason behind a failed row's stored error."""
    error = error or ""
    if error == "erased":
        return ERASED
    if error.startswith("Forbidden"):
        return BLOCKED
    return REFUSED


def outcome_of(message: OutboxMessage) -> Outcome:
    if message.sent_at is not None:
        return Outcome("sent", at=message.sent_at)
    if message.failed_at is not None:
        return Outcome("failed", reason=reason_of(message.last_error))
    return Outcome("queued", at=message.next_attempt_at)


def recipient_of(message: OutboxMessage) -> str:
    return "resident" if message.kind == "to_resident" else "rep"


async def report_failure(session: AsyncSession, message: OutboxMessage, *, now: datetime) -> bool:
    """Tell the row's sender, once, that it could not be delivered; True if queued."""
    if message.sender_id is None or not await first_time(
        session, f"failed:outbox:{message.id}", now
    ):
        return False
    sender = await session.get(Person, message.sender_id)
    if sender is None or not sender.telegram_id or sender.telegram_id == message.chat_id:
        return False
    case = await session.get(Case, message.case_id) if message.case_id is not None else None
    told = DeliveryFailed(
        recipient=recipient_of(message),
        reason=reason_of(message.last_error),
        reference=case.reference if case is not None else None,
        agreement_id=agreement_of(message),
    )
    outbox.tell(
        session,
        chat_id=sender.telegram_id,
        intent=told,
        now=now,
        person_id=sender.id,
        kind="delivery_failed",
        case_id=message.case_id,
    )
    return True
