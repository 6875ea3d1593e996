"""Erasure (Art. 17 DSGVO) and the scrubbing that retention shares.

Erasure and retention remove what identifies a person or tells their story in their own
words: Telegram id, name, contact details, place details, descriptions, photos, message
texts, delivered payloads and conversation state; a consent to publish a description
(Open311) is withdrawn with the text. What the city needs for its statistics stays:
district, quarter, topic, dates, status, mode and outcome flags of each case, and the kinds
and times of its events. Each scrubbed case gets a `personal_data_erased` event, which
also keeps the daily retention run from scrubbing it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.cases.records import add_event
from bot.services.messaging.outcome import report_failure
from bot.services.network import privacy as network_privacy
from bot.services.privacy.stored import (
    cases_of,
    persistence_rows,
    unescape_html,
    written_by_resident,
)
from bot.storage.models import (
    Case,
    CaseEvent,
    CaseMessage,
    CasePhoto,
    Need,
    NewsSubscription,
    OutboxMessage,
    Person,
    Reminder,
    SavedReply,
    Verdict,
)

ERASED_EVENT = "personal_data_erased"
ERASED_PAYLOAD: dict[str, Any] = {"erased": True}
# Keys of event data that may hold personal content (a photo's file id, free text). The
# others are codes, references, flags and dates (department, referral key, "due", ...).
PERSONAL_DATA_KEYS = frozenset({"photo", "photos", "text", "note", "name", "location"})
MIN_NEEDLE = 6  # shorter strings ("ok", "Ja") are too common to look for in other rows


@dataclass
class ErasureReport:
    """What an erasure changed, for the log and the tests (counts, never contents)."""

    telegram_id: int | None = None
    cases: int = 0
    photos: int = 0
    events: int = 0
    outbox: int = 0
    case_messages: int = 0
    reminders: int = 0
    persistence_rows: int = 0
    directory_entries: int = 0


async def _delete(session: AsyncSession, statement: Delete) -> int:
    """Run a DELETE; how many rows it removed."""
    result = cast(CursorResult[Any], await session.execute(statement))
    return result.rowcount or 0


# --- scrubbing ---------------------------------------------------------------------------
def _scrub_data(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Event data without personal content; a photo is kept as the fact that there was one."""
    if not data:
        return data
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if key not in PERSONAL_DATA_KEYS:
            kept[key] = value
        elif key in ("photo", "photos"):
            kept[key] = bool(value)
    return kept or None


def _scrub_event(event: CaseEvent) -> bool:
    changed = event.text is not None or _scrub_data(event.data) != event.data
    event.text = None
    event.data = _scrub_data(event.data)
    return changed


async def _scrub_sent(
    session: AsyncSession, message: OutboxMessage, *, now: datetime, chat_id: int | None
) -> bool:
    """`_scrub_outbox`; a message someone sent that can now never go out is reported to
    them (once: "the resident had their data erased")."""
    pending = message.sent_at is None and message.failed_at is None
    changed = _scrub_outbox(message, now=now, chat_id=chat_id)
    if pending and message.failed_at is not None and message.sender_id is not None:
        await report_failure(session, message, now=now)
    return changed


def _scrub_outbox(message: OutboxMessage, *, now: datetime, chat_id: int | None) -> bool:
    """Blank a stored payload; an undelivered one is given up (there is nothing left to send)."""
    if message.payload == ERASED_PAYLOAD and (chat_id is None or message.chat_id != chat_id):
        return False
    message.payload = dict(ERASED_PAYLOAD)
    message.intent = message.params = None  # an intent's parameters name and quote too
    if chat_id is not None and message.chat_id == chat_id:
        message.chat_id = 0  # as for residents without a chat; the delivery log stays
    if message.sent_at is None and message.failed_at is None:
        message.failed_at, message.last_error = now, "erased"
    return True


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield unescape_html(value)  # rendered outbox texts are HTML-escaped
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _mentions(message: OutboxMessage, needles: set[str]) -> bool:
    stored = (message.payload, message.params)
    return any(needle in text for text in _strings(stored) for needle in needles)


async def scrub_case(
    session: AsyncSession,
    case: Case,
    *,
    now: datetime,
    reason: str,
    resident_chat: int | None,
    report: ErasureReport,
) -> None:
    """Remove a case's personal content; district, topic, dates and outcome stay."""
    case.description = case.contact = case.address_text = case.actor_name = None
    case.latitude = case.longitude = None
    case.next_step = None  # the manager's words about this person's concern
    case.publication_consent = False  # nothing of theirs stays public (Open311)
    report.photos += await _delete(session, delete(CasePhoto).where(CasePhoto.case_id == case.id))
    # the verdict's score stays for the statistics; the resident's sentence goes
    await session.execute(
        update(Verdict).where(Verdict.case_id == case.id).values(reason=None, quotable=False)
    )
    # Every event text goes, staff notes included: they describe the person's concern and
    # often name them; kind, time and role are what the statistics need.
    for event in await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
        report.events += _scrub_event(event)
    for message in await session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id)
    ):
        report.outbox += await _scrub_sent(session, message, now=now, chat_id=resident_chat)
    for reminder in await session.scalars(select(Reminder).where(Reminder.case_id == case.id)):
        reminder.data = None
        if reminder.sent_at is None and reminder.cancelled_at is None:
            reminder.cancelled_at = now  # nobody left to remind
        report.reminders += 1
    if resident_chat is not None:
        report.case_messages += await _delete(
            session,
            delete(CaseMessage).where(
                CaseMessage.case_id == case.id, CaseMessage.chat_id == resident_chat
            ),
        )
    await add_event(session, case, ERASED_EVENT, now=now, data={"reason": reason})
    report.cases += 1


async def _personal_strings(session: AsyncSession, person: Person, cases: list[Case]) -> set[str]:
    """What the person told us, to find it where it was copied (e.g. a relayed answer)."""
    found: set[str | None] = set()
    for case in cases:
        found |= {case.description, case.contact, case.address_text, case.actor_name}
    case_ids = [case.id for case in cases]
    found |= set(
        await session.scalars(select(CasePhoto.file_id).where(CasePhoto.case_id.in_(case_ids)))
    )
    for event in await session.scalars(select(CaseEvent).where(written_by_resident(person))):
        found.add(event.text)
        found |= set(_strings({k: v for k, v in (event.data or {}).items() if k == "photo"}))
    return {text for text in found if text and len(text) >= MIN_NEEDLE}


async def forget_person(
    session: AsyncSession, person: Person, *, now: datetime, report: ErasureReport
) -> None:
    """Remove the person's identity, chat links, deliveries and conversation state."""
    chat = person.telegram_id
    conditions = [OutboxMessage.person_id == person.id]
    if chat is not None:
        conditions.append(OutboxMessage.chat_id == chat)
        report.case_messages += await _delete(
            session, delete(CaseMessage).where(CaseMessage.chat_id == chat)
        )
        for row in await persistence_rows(session, chat):
            await session.delete(row)
            report.persistence_rows += 1
    for message in await session.scalars(select(OutboxMessage).where(or_(*conditions))):
        report.outbox += await _scrub_sent(session, message, now=now, chat_id=chat)
    for reminder in await session.scalars(select(Reminder).where(Reminder.person_id == person.id)):
        reminder.data = None
        if reminder.sent_at is None and reminder.cancelled_at is None:
            reminder.cancelled_at = now
        report.reminders += 1
    await session.execute(delete(SavedReply).where(SavedReply.person_id == person.id))
    # news they read, and the photo or file of a need they proposed (the need itself, its
    # supports and ranks stay with the pseudonym: the district's priorities must still add up)
    await session.execute(delete(NewsSubscription).where(NewsSubscription.person_id == person.id))
    await session.execute(
        update(Need).where(Need.proposer_id == person.id).values(file_id=None, file_kind=None)
    )
    person.telegram_id = person.first_name = person.language = None
    person.consent_version = person.consent_at = person.unreachable_since = None
    person.erased_at = now


async def erase_person(session: AsyncSession, *, person: Person, now: datetime) -> ErasureReport:
    """Art. 17: erase a resident's personal data; the anonymous facts of their cases stay.

    The person row stays as a pseudonym (no name, no Telegram id, `erased_at` set), so the
    statistics can still count cases per reporter. Callers refuse people with active roles:
    staff identities are needed to account for official acts.
    """
    report = ErasureReport(telegram_id=person.telegram_id)
    cases = await cases_of(session, person)
    needles = await _personal_strings(session, person, cases)
    for case in cases:
        await scrub_case(
            session,
            case,
            now=now,
            reason="request",
            resident_chat=person.telegram_id,
            report=report,
        )
    # What they wrote on other cases (answers on the case theirs was merged into) ...
    elsewhere = list(await session.scalars(select(CaseEvent).where(written_by_resident(person))))
    for event in elsewhere:
        report.events += _scrub_event(event)
    # ... and where those words were delivered to the district management.
    related = {event.case_id for event in elsewhere} | {
        case.merged_into_id for case in cases if case.merged_into_id
    }
    if needles and related:
        for message in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.case_id.in_(related))
        ):
            if _mentions(message, needles):
                report.outbox += await _scrub_sent(
                    session, message, now=now, chat_id=person.telegram_id
                )
    await forget_person(session, person, now=now, report=report)
    report.directory_entries = await network_privacy.erase_entries(session, person)
    return report
