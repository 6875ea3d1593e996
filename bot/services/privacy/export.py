"""A person's data export (Art. 15): everything stored about them, JSON-ready."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.cases.records import OPEN_STATUSES
from bot.services.needs import privacy as needs_privacy
from bot.services.network import privacy as network_privacy
from bot.services.privacy.stored import (
    cases_of,
    iso,
    persistence_rows,
    unescape_html,
    written_by_resident,
)
from bot.storage.models import (
    Case,
    CaseEvent,
    CasePhoto,
    OutboxMessage,
    Person,
    Reminder,
    RoleAssignment,
    SavedReply,
)


@dataclass
class _Cases:
    """The person's cases with their photos and events, and the references they touch."""

    person: Person
    tz: tzinfo
    cases: list[Case]
    photos: dict[int, list[dict[str, Any]]]
    events: list[CaseEvent]
    references: dict[int, str]

    def event_dict(self, event: CaseEvent) -> dict[str, Any]:
        by = "you" if event.actor_id == self.person.id else (event.actor_role or "system")
        return {
            "at": iso(event.created_at, self.tz),
            "kind": event.kind,
            "by": by,
            "text": event.text,
            "data": event.data,
        }

    def case_dict(self, case: Case) -> dict[str, Any]:
        tz, references = self.tz, self.references
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
            "next_step_due": iso(case.next_step_due, tz),
            "created_at": iso(case.created_at, tz),
            "updated_at": iso(case.updated_at, tz),
            "first_response_at": iso(case.first_response_at, tz),
            "closed_at": iso(case.closed_at, tz),
            "referral_helped": case.referral_helped,
            "settled": case.settled,
            "photos": self.photos.get(case.id, []),
            "history": [self.event_dict(e) for e in self.events if e.case_id == case.id],
        }

    def elsewhere(self) -> list[dict[str, Any]]:
        own = {case.id for case in self.cases}
        return [
            {"case": self.references.get(e.case_id), **self.event_dict(e)}
            for e in self.events
            if e.case_id not in own
        ]


async def _load_cases(session: AsyncSession, person: Person, tz: tzinfo) -> _Cases:
    cases = await cases_of(session, person)
    case_ids = [case.id for case in cases]
    photos: dict[int, list[dict[str, Any]]] = {}
    for photo in await session.scalars(
        select(CasePhoto).where(CasePhoto.case_id.in_(case_ids)).order_by(CasePhoto.id)
    ):
        photos.setdefault(photo.case_id, []).append(
            {"file_id": photo.file_id, "received_at": iso(photo.created_at, tz)}
        )
    events = list(
        await session.scalars(
            select(CaseEvent)
            .where(or_(CaseEvent.case_id.in_(case_ids), written_by_resident(person)))
            .order_by(CaseEvent.id)
        )
    )
    other_ids = {e.case_id for e in events} | {c.merged_into_id for c in cases if c.merged_into_id}
    references = {case.id: case.reference for case in cases}
    missing = other_ids - set(references)
    if missing:
        rows = await session.execute(select(Case.id, Case.reference).where(Case.id.in_(missing)))
        references.update({row.id: row.reference for row in rows})
    return _Cases(person, tz, cases, photos, events, references)


async def _deliveries(
    session: AsyncSession, person: Person, found: _Cases
) -> dict[str, list[dict[str, Any]]]:
    """Messages queued for the person and reminders about them or their cases."""
    tz, references = found.tz, found.references
    conditions = [OutboxMessage.person_id == person.id]
    if person.telegram_id is not None:
        conditions.append(OutboxMessage.chat_id == person.telegram_id)
    messages = await session.scalars(
        select(OutboxMessage).where(or_(*conditions)).order_by(OutboxMessage.id)
    )
    reminders = await session.scalars(
        select(Reminder)
        .where(
            or_(
                Reminder.case_id.in_([case.id for case in found.cases]),
                Reminder.person_id == person.id,
            )
        )
        .order_by(Reminder.id)
    )
    return {
        "messages_to_you": [
            {
                "case": references.get(m.case_id) if m.case_id else None,
                "kind": m.kind,
                "created_at": iso(m.created_at, tz),
                "sent_at": iso(m.sent_at, tz),
                **_message_content(m),
            }
            for m in messages
        ],
        "reminders": [
            {
                "case": references.get(r.case_id) if r.case_id else None,
                "kind": r.kind,
                "due_at": iso(r.due_at, tz),
                "sent_at": iso(r.sent_at, tz),
                "cancelled_at": iso(r.cancelled_at, tz),
            }
            for r in reminders
        ],
    }


async def _conversation(
    session: AsyncSession, person: Person, user_data: dict[str, Any] | None
) -> dict[str, Any]:
    stored = (
        await persistence_rows(session, person.telegram_id)
        if person.telegram_id is not None
        else []
    )
    stored_user = next((row.data for row in stored if row.kind == "user"), None)
    return {
        "user_data": user_data if user_data is not None else stored_user,
        "states": {row.kind: row.data for row in stored if row.kind.startswith("conv:")},
    }


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
    found = await _load_cases(session, person, tz)
    roles = await session.scalars(
        select(RoleAssignment).where(RoleAssignment.person_id == person.id)
    )
    replies = await session.scalars(select(SavedReply).where(SavedReply.person_id == person.id))
    deliveries = await _deliveries(session, person, found)
    return {
        "exported_at": iso(now, tz),
        "person": {
            "telegram_id": person.telegram_id,
            "first_name": person.first_name,
            "language": person.language,
            "first_contact_at": iso(person.created_at, tz),
            "unreachable_since": iso(person.unreachable_since, tz),
        },
        "consent": {"version": person.consent_version, "given_at": iso(person.consent_at, tz)},
        "roles": [
            {
                "role": role.role,
                "district_number": role.district_number,
                "department_number": role.department_number,
                "since": iso(role.created_at, tz),
                "until": iso(role.ended_at, tz),
            }
            for role in roles
        ],
        "saved_replies": [{"name": r.name, "text": r.text} for r in replies],
        "cases": [found.case_dict(case) for case in found.cases],
        "your_messages_on_other_cases": found.elsewhere(),
        "messages_to_you": deliveries["messages_to_you"],
        "reminders": deliveries["reminders"],
        "conversation": await _conversation(session, person, user_data),
        "directory_entries": await network_privacy.export_entries(session, person, tz),
        **await needs_privacy.export_needs_and_news(session, person, tz),
    }


def _message_content(message: OutboxMessage) -> dict[str, Any]:
    """A message as stored: what to say (an intent and its parameters, rendered at delivery)
    or, for older rows, the rendered text."""
    if message.intent is not None:
        params = message.params or {}
        words = params.get("text")  # e.g. a manager's message: the words addressed to them
        return {
            "intent": message.intent,
            "params": params,
            "text": words if isinstance(words, str) else None,
            "photos": params.get("photos") or [],
        }
    payload = message.payload or {}
    return {
        "text": unescape_html(str(payload.get("text") or "")) or None,
        "photos": payload.get("photos") or [],
    }


async def open_case_count(session: AsyncSession, *, person: Person) -> int:
    count = await session.scalar(
        select(func.count(Case.id)).where(
            Case.resident_id == person.id, Case.status.in_(OPEN_STATUSES)
        )
    )
    return int(count or 0)
