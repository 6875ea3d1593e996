"""Cases: submission with a reference number, the resident's list, and the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Case, CaseEvent, CaseMessage, CasePhoto, Person
from bot.storage.upserts import CASE_MESSAGE, NEXT_REFERENCE


class CaseStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # a question to the resident is open
    REFERRED = "referred"
    RESOLVED = "resolved"
    MERGED = "merged"


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)
ACTOR_PRIORITY = {"council": 2, "club": 1, "initiative": 1, "other": 1}


@dataclass
class Draft:
    """What the resident has told us so far; kept in conversation data between steps."""

    district_number: str | None = None
    quarter: str | None = None
    address_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    topic: str | None = None
    description: str | None = None
    photos: list[str] = field(default_factory=list)
    contact: str | None = None
    actor_kind: str | None = None
    actor_name: str | None = None
    key: str | None = None  # set when the intake starts; makes confirming idempotent
    # the description may appear in the city's open data (Open311); off unless chosen at the
    # review, and absent from drafts saved before the choice existed
    publication_consent: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Draft:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def missing(self) -> list[str]:
        required = ("district_number", "topic", "description")
        return [name for name in required if not getattr(self, name)]


class IncompleteDraft(ValueError):
    pass


async def next_reference(session: AsyncSession, *, district_number: str, year: int) -> str:
    """Atomically take the next number of a district and year: `10-2026-0042`."""
    values = {"district_number": district_number, "year": year}
    value = (await session.execute(NEXT_REFERENCE, values)).scalar_one()
    return f"{district_number}-{year}-{value:04d}"


async def add_event(
    session: AsyncSession,
    case: Case,
    kind: str,
    *,
    now: datetime,
    actor: Person | None = None,
    actor_role: str | None = None,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append to the history; every change of a case goes through here."""
    event = CaseEvent(
        case_id=case.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        actor_role=actor_role,
        text=text,
        data=data,
        created_at=now,
    )
    session.add(event)
    case.updated_at = now
    return event


def new_case(*, draft: Draft, resident: Person, language: str, now: datetime) -> Case:
    """The case a confirmed draft becomes, not yet numbered nor added to the session."""
    if draft.missing():
        raise IncompleteDraft(", ".join(draft.missing()))
    assert draft.district_number is not None and draft.topic is not None
    case = Case(
        intake_key=draft.key,
        district_number=draft.district_number,
        quarter=draft.quarter,
        address_text=draft.address_text,
        latitude=draft.latitude,
        longitude=draft.longitude,
        topic=draft.topic,
        description=draft.description,
        contact=draft.contact,
        actor_kind=draft.actor_kind,
        actor_name=draft.actor_name,
        publication_consent=draft.publication_consent is True,
        language=language,
        resident_id=resident.id,
        status=CaseStatus.NEW,
        priority=ACTOR_PRIORITY.get(draft.actor_kind or "", 0),
        created_at=now,
        updated_at=now,
    )
    case.photos = [CasePhoto(file_id=file_id, created_at=now) for file_id in draft.photos]
    return case


async def file_case(
    session: AsyncSession,
    case: Case,
    *,
    resident: Person,
    tz: ZoneInfo,
    routed: dict[str, Any] | None = None,
) -> Case:
    """Number the case, store it and record its first event (and, with `routed`, the
    "routed" event with that data, in the same INSERT).

    Taking the number locks the district's counter row until the commit, so every other
    intake of that district waits: do every read before this, and little after it.
    """
    case.reference = await next_reference(
        session, district_number=case.district_number, year=case.created_at.astimezone(tz).year
    )
    session.add(case)
    await session.flush()
    events = [_event_row(case, "submitted", actor_id=resident.id, actor_role="resident")]
    if routed is not None:
        events.append(_event_row(case, "routed", data=routed))
    await session.execute(_INSERT_EVENTS, events)  # Core: one statement for both rows
    return case


_EVENTS: Any = CaseEvent.__table__
_INSERT_EVENTS = insert(_EVENTS)  # built once: compiled once


def _event_row(
    case: Case,
    kind: str,
    *,
    actor_id: int | None = None,
    actor_role: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {"case_id": case.id, "kind": kind, "actor_id": actor_id, "actor_role": actor_role,
            "text": None, "data": data, "created_at": case.created_at}  # fmt: skip


async def submit_case(
    session: AsyncSession,
    *,
    draft: Draft,
    resident: Person,
    language: str,
    now: datetime,
    tz: ZoneInfo,
) -> Case:
    """Turn a confirmed draft into a case with a reference number and its first event."""
    case = new_case(draft=draft, resident=resident, language=language, now=now)
    return await file_case(session, case, resident=resident, tz=tz)


async def case_for_intake(session: AsyncSession, *, key: str | None) -> Case | None:
    """The case an intake already filed, if its confirmation is processed a second time."""
    if not key:
        return None
    found: Case | None = await session.scalar(select(Case).where(Case.intake_key == key))
    return found


async def cases_of_resident(
    session: AsyncSession, *, resident: Person, limit: int = 20
) -> list[Case]:
    rows = await session.scalars(
        select(Case)
        .where(Case.resident_id == resident.id)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return list(rows)


# What a resident may see of their case's history (internal notes and feedback stay out).
RESIDENT_STEPS = frozenset(
    {
        "submitted",
        "routed",
        "taken_on",
        "referred",
        "question",
        "message_to_resident",
        "message_from_resident",
        "next_step",
        "department_involved",
        "handed_over",
        "merged",
        "resolved",
        "reopened",
        "status",
    }
)


@dataclass(frozen=True)
class CaseProgress:
    """A resident's case with its latest step they may see (None before any)."""

    case: Case
    latest: CaseEvent | None


async def progress_of_resident(
    session: AsyncSession, *, resident: Person, limit: int = 20
) -> list[CaseProgress]:
    """The resident's newest cases, each with its latest visible step (for /meine)."""
    found = await cases_of_resident(session, resident=resident, limit=limit)
    latest: dict[int, CaseEvent] = {}
    if found:
        events = await session.scalars(
            select(CaseEvent)
            .where(
                CaseEvent.case_id.in_([c.id for c in found]),
                CaseEvent.kind.in_(RESIDENT_STEPS),
            )
            .order_by(CaseEvent.created_at, CaseEvent.id)
        )
        latest = {event.case_id: event for event in events}
    return [CaseProgress(case, latest.get(case.id)) for case in found]


async def get_case(session: AsyncSession, *, reference: str) -> Case | None:
    found: Case | None = await session.scalar(
        select(Case).where(Case.reference == reference.strip())
    )
    return found


async def history(session: AsyncSession, *, case: Case) -> list[CaseEvent]:
    rows = await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    return list(rows)


async def link_message(
    session: AsyncSession, *, case_id: int, chat_id: int, message_id: int
) -> None:
    """Remember that a message in a chat belongs to a case (for replies).

    A conflict (the same chat and message id seen before) must not fail the transaction that
    records a delivery, or the message would be sent again.
    """
    values = {"case_id": case_id, "chat_id": chat_id, "message_id": message_id}
    await session.execute(CASE_MESSAGE, values)


async def case_for_message(session: AsyncSession, *, chat_id: int, message_id: int) -> Case | None:
    found: Case | None = await session.scalar(
        select(Case)
        .join(CaseMessage, CaseMessage.case_id == Case.id)
        .where(CaseMessage.chat_id == chat_id, CaseMessage.message_id == message_id)
    )
    return found
