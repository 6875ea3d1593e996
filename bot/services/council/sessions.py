"""A district council's sessions: entered in the chat or imported from a calendar, listed,
moved (the statements' due dates and nudges move along, and those concerned hear of it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.council import notices
from bot.services.council.access import preparers
from bot.services.council.deadlines import CouncilPolicy, key_prefix, statement_due
from bot.services.council.statements import for_session, schedule
from bot.services.messaging import outbox, reminders
from bot.storage.models import CouncilSession, Inquiry, Person

MAX_LOCATION = 256


class SessionError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def create(
    session: AsyncSession,
    *,
    district: str,
    starts_at: datetime,
    location: str | None,
    now: datetime,
    created_by: Person | None = None,
    uid: str | None = None,
) -> CouncilSession:
    if starts_at <= now:
        raise SessionError("past")
    row = CouncilSession(
        district_number=district,
        starts_at=starts_at,
        location=(location or "").strip()[:MAX_LOCATION] or None,
        status="planned",
        uid=uid,
        created_by_id=created_by.id if created_by else None,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def upcoming(
    session: AsyncSession, *, district: str, now: datetime, limit: int = 6
) -> list[CouncilSession]:
    rows = await session.scalars(
        select(CouncilSession)
        .where(
            CouncilSession.district_number == district,
            CouncilSession.status == "planned",
            CouncilSession.starts_at > now,
        )
        .order_by(CouncilSession.starts_at)
        .limit(limit)
    )
    return list(rows)


async def of_district(session: AsyncSession, district: str | None) -> list[CouncilSession]:
    query = select(CouncilSession).order_by(CouncilSession.starts_at)
    if district is not None:
        query = query.where(CouncilSession.district_number == district)
    return list(await session.scalars(query))


async def on_day(
    session: AsyncSession, *, district: str, day: str, tz: ZoneInfo
) -> CouncilSession | None:
    """The district's session on a day given as ISO date (for the command line)."""
    for row in await of_district(session, district):
        if row.starts_at.astimezone(tz).date().isoformat() == day:
            return row
    return None


async def move(
    session: AsyncSession,
    *,
    council_session: CouncilSession,
    starts_at: datetime,
    location: str | None,
    now: datetime,
    tz: ZoneInfo,
    policy: CouncilPolicy,
    admin_ids: Iterable[int],
    moved_by: Person | None = None,
) -> int:
    """Move a planned session; open statements get the new due date and fresh nudges. The
    members with inquiries, the reps with parts and the preparers are told. Returns how many
    were told."""
    if council_session.status != "planned":
        raise SessionError("state")
    if starts_at <= now:
        raise SessionError("past")
    old = council_session.starts_at
    council_session.starts_at, council_session.updated_at = starts_at, now
    if location:
        council_session.location = location.strip()[:MAX_LOCATION]
    if old == starts_at:
        return 0
    due = statement_due(starts_at, tz=tz, policy=policy)
    told: set[int] = set()
    mover = {moved_by.telegram_id} if moved_by is not None and moved_by.telegram_id else set()

    def tell(person: Person | None, statement_due_at: datetime | None = None) -> None:
        if person is None or not person.telegram_id or person.telegram_id in told | mover:
            return
        told.add(person.telegram_id)
        intent = notices.SessionMoved(
            district=council_session.district_number,
            old_start=old,
            new_start=starts_at,
            location=council_session.location,
            statement_due=statement_due_at,
        )
        outbox.tell(
            session,
            chat_id=person.telegram_id,
            intent=intent,
            now=now,
            person_id=person.id,
            language=person.language,
            kind="council",
        )

    for statement in await for_session(session, council_session):
        if statement.text is not None:
            continue
        await reminders.cancel(session, key_prefix=key_prefix(statement.id), now=now)
        statement.due_at = due
        if statement.rep_id is not None:
            await schedule(session, statement, now=now, tz=tz, policy=policy)
            tell(await session.get(Person, statement.rep_id), due)
    members = await session.scalars(
        select(Person)
        .join(Inquiry, Inquiry.member_id == Person.id)
        .where(Inquiry.session_id == council_session.id)
    )
    for member in members.unique():
        tell(member)
    for chat_id in await preparers(
        session, district=council_session.district_number, now=now, admin_ids=admin_ids
    ):
        if chat_id not in told | mover:
            told.add(chat_id)
            intent = notices.SessionMoved(
                district=council_session.district_number,
                old_start=old,
                new_start=starts_at,
                location=council_session.location,
            )
            outbox.tell(session, chat_id=chat_id, intent=intent, now=now, kind="council")
    return len(told)
