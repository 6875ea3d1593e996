"""Privacy (DSGVO): a person's data export (Art. 15), erasure (Art. 17) and retention.

Erasure and retention remove what identifies a person or tells their story in their own
words: Telegram id, name, contact details, place details, descriptions, photos, message
texts, delivered payloads and conversation state; a consent to publish a description
(Open311) is withdrawn with the text. What the city needs for its statistics stays:
district, quarter, topic, dates, status, mode and outcome flags of each case, and the kinds
and times of its events. Each scrubbed case gets a `personal_data_erased` event, which
also keeps the daily retention run from scrubbing it twice.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from html import unescape
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.cases.records import OPEN_STATUSES, add_event
from bot.storage.models import (
    Case,
    CaseEvent,
    CaseMessage,
    CasePhoto,
    OutboxMessage,
    PersistenceEntry,
    Person,
    Reminder,
    RoleAssignment,
    SavedReply,
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


@dataclass
class RetentionReport:
    cases: int = 0
    persons: int = 0
    telegram_ids: list[int] = field(default_factory=list)  # to drop in-memory user data


# --- export (Art. 15) --------------------------------------------------------------------
def _iso(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment is not None else None


async def _cases_of(session: AsyncSession, person: Person) -> list[Case]:
    rows = await session.scalars(
        select(Case).where(Case.resident_id == person.id).order_by(Case.id)
    )
    return list(rows)


async def _persistence_rows(session: AsyncSession, telegram_id: int) -> list[PersistenceEntry]:
    """The person's user data and conversation states (keys are `[chat_id, user_id]`)."""
    rows = await session.scalars(
        select(PersistenceEntry).where(
            or_(
                (PersistenceEntry.kind == "user") & (PersistenceEntry.key == str(telegram_id)),
                PersistenceEntry.kind.startswith("conv:"),
            )
        )
    )
    return [row for row in rows if row.kind == "user" or telegram_id in _conv_key(row.key)]


def _written_by_resident(person: Person) -> Any:
    """Events the person caused as a resident. Acts in an official role (a former manager's
    messages and notes) belong to the administration's records of other people's cases."""
    return (CaseEvent.actor_id == person.id) & (CaseEvent.actor_role == "resident")


def _conv_key(key: str) -> list[int]:
    try:
        value = json.loads(key)
    except ValueError:
        return []
    return [part for part in value if isinstance(part, int)] if isinstance(value, list) else []


async def export_person(
    session: AsyncSession,
    *,
    person: Person,
    tz: tzinfo = UTC,
    now: datetime | None = None,
    user_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything stored about a person, JSON-ready, with times in `tz` (ISO with offset).

    Every event of the person's cases is included, internal notes of the district
    management too: they are information about the person's concern, and Art. 15 covers
    all of it. Other people appear only by their role, never by name or id. On other cases
    only what the person wrote as a resident is included (answers on the case theirs was
    merged into). `user_data` (the live conversation data) replaces the stored row, which
    may lag a few seconds behind.
    """
    cases = await _cases_of(session, person)
    case_ids = [case.id for case in cases]
    photos = await session.scalars(
        select(CasePhoto).where(CasePhoto.case_id.in_(case_ids)).order_by(CasePhoto.id)
    )
    photos_by_case: dict[int, list[dict[str, Any]]] = {}
    for photo in photos:
        photos_by_case.setdefault(photo.case_id, []).append(
            {"file_id": photo.file_id, "received_at": _iso(photo.created_at, tz)}
        )
    events = list(
        await session.scalars(
            select(CaseEvent)
            .where(or_(CaseEvent.case_id.in_(case_ids), _written_by_resident(person)))
            .order_by(CaseEvent.id)
        )
    )
    other_ids = {e.case_id for e in events} | {c.merged_into_id for c in cases if c.merged_into_id}
    references = {case.id: case.reference for case in cases}
    missing = other_ids - set(references)
    if missing:
        rows = await session.execute(select(Case.id, Case.reference).where(Case.id.in_(missing)))
        references.update({row.id: row.reference for row in rows})

    def event_dict(event: CaseEvent) -> dict[str, Any]:
        by = "you" if event.actor_id == person.id else (event.actor_role or "system")
        return {
            "at": _iso(event.created_at, tz),
            "kind": event.kind,
            "by": by,
            "text": event.text,
            "data": event.data,
        }

    def case_dict(case: Case) -> dict[str, Any]:
        return {
            "reference": case.reference,
            "district_number": case.district_number,
            "quarter": case.quarter,
            "address": case.address_text,
            "latitude": case.latitude,
            "longitude": case.longitude,
            "topic": case.topic,
            "description": case.description,
            "description_may_be_published": case.publication_consent,
            "contact": case.contact,
            "on_behalf_of": case.actor_kind,
            "organisation_name": case.actor_name,
            "language": case.language,
            "status": case.status,
            "mode": case.mode,
            "priority": case.priority,
            "merged_into": references.get(case.merged_into_id) if case.merged_into_id else None,
            "referral_contact": case.referral_key,
            "next_step": case.next_step,
            "next_step_due": _iso(case.next_step_due, tz),
            "created_at": _iso(case.created_at, tz),
            "updated_at": _iso(case.updated_at, tz),
            "first_response_at": _iso(case.first_response_at, tz),
            "closed_at": _iso(case.closed_at, tz),
            "referral_helped": case.referral_helped,
            "settled": case.settled,
            "photos": photos_by_case.get(case.id, []),
            "history": [event_dict(e) for e in events if e.case_id == case.id],
        }

    own = set(case_ids)
    elsewhere = [
        {"case": references.get(e.case_id), **event_dict(e)}
        for e in events
        if e.case_id not in own
    ]
    roles = await session.scalars(
        select(RoleAssignment).where(RoleAssignment.person_id == person.id)
    )
    replies = await session.scalars(select(SavedReply).where(SavedReply.person_id == person.id))
    conditions = [OutboxMessage.person_id == person.id]
    if person.telegram_id is not None:
        conditions.append(OutboxMessage.chat_id == person.telegram_id)
    messages = await session.scalars(
        select(OutboxMessage).where(or_(*conditions)).order_by(OutboxMessage.id)
    )
    reminders = await session.scalars(
        select(Reminder)
        .where(or_(Reminder.case_id.in_(case_ids), Reminder.person_id == person.id))
        .order_by(Reminder.id)
    )
    stored = (
        await _persistence_rows(session, person.telegram_id)
        if person.telegram_id is not None
        else []
    )
    conversation: dict[str, Any] = {
        row.kind: row.data for row in stored if row.kind.startswith("conv:")
    }
    stored_user = next((row.data for row in stored if row.kind == "user"), None)
    return {
        "exported_at": _iso(now, tz),
        "person": {
            "telegram_id": person.telegram_id,
            "first_name": person.first_name,
            "language": person.language,
            "first_contact_at": _iso(person.created_at, tz),
            "unreachable_since": _iso(person.unreachable_since, tz),
        },
        "consent": {"version": person.consent_version, "given_at": _iso(person.consent_at, tz)},
        "roles": [
            {
                "role": role.role,
                "district_number": role.district_number,
                "department_number": role.department_number,
                "since": _iso(role.created_at, tz),
                "until": _iso(role.ended_at, tz),
            }
            for role in roles
        ],
        "saved_replies": [{"name": r.name, "text": r.text} for r in replies],
        "cases": [case_dict(case) for case in cases],
        "your_messages_on_other_cases": elsewhere,
        "messages_to_you": [
            {
                "case": references.get(m.case_id) if m.case_id else None,
                "kind": m.kind,
                "created_at": _iso(m.created_at, tz),
                "sent_at": _iso(m.sent_at, tz),
                # a queued intent has no stored text: its kind and parameters say what it told
                "text": unescape(str((m.payload or {}).get("text") or "")) or None,
                "photos": (m.payload or {}).get("photos") or [],
                "intent": m.intent,
                "details": m.params,
            }
            for m in messages
        ],
        "reminders": [
            {
                "case": references.get(r.case_id) if r.case_id else None,
                "kind": r.kind,
                "due_at": _iso(r.due_at, tz),
                "sent_at": _iso(r.sent_at, tz),
                "cancelled_at": _iso(r.cancelled_at, tz),
            }
            for r in reminders
        ],
        "conversation": {
            "user_data": user_data if user_data is not None else stored_user,
            "states": conversation,
        },
    }


async def open_case_count(session: AsyncSession, *, person: Person) -> int:
    count = await session.scalar(
        select(func.count(Case.id)).where(
            Case.resident_id == person.id, Case.status.in_(OPEN_STATUSES)
        )
    )
    return int(count or 0)


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


def _scrub_outbox(message: OutboxMessage, *, now: datetime, chat_id: int | None) -> bool:
    """Blank a stored payload; an undelivered one is given up (there is nothing left to send)."""
    erased = message.payload == ERASED_PAYLOAD and message.intent is None
    if erased and (chat_id is None or message.chat_id != chat_id):
        return False
    message.payload = dict(ERASED_PAYLOAD)
    message.intent = message.params = None  # an intent's parameters hold the same content
    if chat_id is not None and message.chat_id == chat_id:
        message.chat_id = 0  # as for residents without a chat; the delivery log stays
    if message.sent_at is None and message.failed_at is None:
        message.failed_at, message.last_error = now, "erased"
    return True


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield unescape(value)  # outbox texts are HTML-escaped
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _mentions(payload: Any, needles: set[str]) -> bool:
    return any(needle in text for text in _strings(payload) for needle in needles)


async def _scrub_case(
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
    photos = await session.execute(delete(CasePhoto).where(CasePhoto.case_id == case.id))
    report.photos += photos.rowcount or 0
    # Every event text goes, staff notes included: they describe the person's concern and
    # often name them; kind, time and role are what the statistics need.
    for event in await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
        report.events += _scrub_event(event)
    for message in await session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id)
    ):
        report.outbox += _scrub_outbox(message, now=now, chat_id=resident_chat)
    for reminder in await session.scalars(select(Reminder).where(Reminder.case_id == case.id)):
        reminder.data = None
        if reminder.sent_at is None and reminder.cancelled_at is None:
            reminder.cancelled_at = now  # nobody left to remind
        report.reminders += 1
    if resident_chat is not None:
        linked = await session.execute(
            delete(CaseMessage).where(
                CaseMessage.case_id == case.id, CaseMessage.chat_id == resident_chat
            )
        )
        report.case_messages += linked.rowcount or 0
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
    for event in await session.scalars(select(CaseEvent).where(_written_by_resident(person))):
        found.add(event.text)
        found |= set(_strings({k: v for k, v in (event.data or {}).items() if k == "photo"}))
    return {text for text in found if text and len(text) >= MIN_NEEDLE}


async def _forget_person(
    session: AsyncSession, person: Person, *, now: datetime, report: ErasureReport
) -> None:
    """Remove the person's identity, chat links, deliveries and conversation state."""
    chat = person.telegram_id
    conditions = [OutboxMessage.person_id == person.id]
    if chat is not None:
        conditions.append(OutboxMessage.chat_id == chat)
        linked = await session.execute(delete(CaseMessage).where(CaseMessage.chat_id == chat))
        report.case_messages += linked.rowcount or 0
        for row in await _persistence_rows(session, chat):
            await session.delete(row)
            report.persistence_rows += 1
    for message in await session.scalars(select(OutboxMessage).where(or_(*conditions))):
        report.outbox += _scrub_outbox(message, now=now, chat_id=chat)
    for reminder in await session.scalars(select(Reminder).where(Reminder.person_id == person.id)):
        reminder.data = None
        if reminder.sent_at is None and reminder.cancelled_at is None:
            reminder.cancelled_at = now
        report.reminders += 1
    await session.execute(delete(SavedReply).where(SavedReply.person_id == person.id))
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
    cases = await _cases_of(session, person)
    needles = await _personal_strings(session, person, cases)
    for case in cases:
        await _scrub_case(
            session,
            case,
            now=now,
            reason="request",
            resident_chat=person.telegram_id,
            report=report,
        )
    # What they wrote on other cases (answers on the case theirs was merged into) ...
    elsewhere = list(await session.scalars(select(CaseEvent).where(_written_by_resident(person))))
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
            if _mentions([message.payload, message.params], needles):
                report.outbox += _scrub_outbox(message, now=now, chat_id=person.telegram_id)
    await _forget_person(session, person, now=now, report=report)
    return report


# --- retention ---------------------------------------------------------------------------
def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's end)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


async def apply_retention(session: AsyncSession, *, now: datetime, months: int) -> RetentionReport:
    """Pseudonymise cases closed more than `months` ago, and their residents once nothing
    of theirs is left that still holds personal data (and they hold no role)."""
    cutoff = months_before(now, months)
    report = RetentionReport()
    scrubbed = select(CaseEvent.case_id).where(CaseEvent.kind == ERASED_EVENT)
    candidates = await session.scalars(
        select(Case)
        .where(Case.closed_at.is_not(None), Case.closed_at < cutoff, Case.id.not_in(scrubbed))
        .order_by(Case.id)
    )
    residents: dict[int, Person] = {}
    counts = ErasureReport()
    for case in list(candidates):
        if case.merged_into_id is not None:
            # A merged report lives on in the case it joined; it ages with that one.
            target = await session.get(Case, case.merged_into_id)
            if target is not None and (target.closed_at is None or target.closed_at >= cutoff):
                continue
        resident = await session.get(Person, case.resident_id) if case.resident_id else None
        await _scrub_case(
            session,
            case,
            now=now,
            reason="retention",
            resident_chat=resident.telegram_id if resident else None,
            report=counts,
        )
        if resident is not None and resident.erased_at is None:
            residents[resident.id] = resident
    report.cases = counts.cases
    if residents:
        await session.flush()
    for resident in residents.values():
        if await session.scalar(
            select(RoleAssignment.id).where(RoleAssignment.person_id == resident.id).limit(1)
        ):
            continue
        remaining = await session.scalar(
            select(Case.id)
            .where(Case.resident_id == resident.id, Case.id.not_in(scrubbed))
            .limit(1)
        )
        if remaining is not None:
            continue
        if resident.telegram_id is not None:
            report.telegram_ids.append(resident.telegram_id)
        await _forget_person(session, resident, now=now, report=counts)
        report.persons += 1
    return report


async def pseudonymise_closed_cases(session: AsyncSession, *, now: datetime, months: int) -> int:
    """The daily retention run; returns how many cases were pseudonymised."""
    return (await apply_retention(session, now=now, months=months)).cases
