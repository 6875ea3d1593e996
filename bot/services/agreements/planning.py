"""The planning rules every district is held to: a district conference at least every six
months (the calendar of all districts shows who is overdue) and the managers' reminders,
written once per district and period."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access import people
from bot.services.access.roles import district_recipients
from bot.services.agreements.planning_notices import ConferenceOverdue
from bot.services.basics.env import ServiceEnv
from bot.services.messaging import outbox, reminders
from bot.services.messaging.intents import Intent
from bot.storage.models import Conference, Reminder

OVERDUE_KIND = "conference_overdue"
RULE_MONTHS = 6


def months_before(moment: datetime, months: int) -> datetime:
    year, month0 = divmod(moment.month - 1 - months, 12)
    year += moment.year
    return moment.replace(
        year=year, month=month0 + 1, day=min(moment.day, monthrange(year, month0 + 1)[1])
    )


@dataclass(frozen=True)
class CalendarRow:
    district: str
    last_held: datetime | None
    next_planned: datetime | None
    overdue: bool  # the six-month rule is broken


async def calendar(
    session: AsyncSession, *, now: datetime, districts: Iterable[str] = ()
) -> list[CalendarRow]:
    """Per district the last held and the next planned district conference."""
    rows = await session.scalars(select(Conference).where(Conference.kind == "conference"))
    last: dict[str, datetime] = {}
    upcoming: dict[str, datetime] = {}
    for c in rows:
        number = c.district_number
        if c.status == "held" and (number not in last or c.starts_at > last[number]):
            last[number] = c.starts_at
        elif (
            c.status == "planned"
            and c.starts_at >= now
            and (number not in upcoming or c.starts_at < upcoming[number])
        ):
            upcoming[number] = c.starts_at
    since = months_before(now, RULE_MONTHS)
    return [
        CalendarRow(
            n,
            last.get(n),
            upcoming.get(n),
            overdue=n not in upcoming and (n not in last or last[n] < since),
        )
        for n in sorted({*districts, *last, *upcoming})
    ]


async def districts_without_conference(
    session: AsyncSession, *, now: datetime, districts: Iterable[str], months: int = RULE_MONTHS
) -> list[str]:
    """Districts with neither a conference held in the last months nor one planned ahead."""
    covered = set(
        await session.scalars(
            select(Conference.district_number).where(
                Conference.kind == "conference",
                or_(
                    and_(
                        Conference.status == "held",
                        Conference.starts_at >= months_before(now, months),
                    ),
                    and_(Conference.status == "planned", Conference.starts_at >= now),
                ),
            )
        )
    )
    return [n for n in districts if n not in covered]


async def claim_once(
    session: AsyncSession, *, key: str, kind: str, now: datetime, data: dict[str, str]
) -> bool:
    """Record a message as sent under a unique key; False if it already was."""
    if not await reminders.schedule(session, key=key, kind=kind, due_at=now, now=now, data=data):
        return False
    # sent at once, so the sweep never renders the row a second time
    await session.execute(update(Reminder).where(Reminder.key == key).values(sent_at=now))
    return True


async def managers_of(
    session: AsyncSession, env: ServiceEnv, district: str, now: datetime
) -> list[int]:
    """The manager's chat (the deputy's while away); nobody when only coordinators would get it."""
    chat_ids, routed_as = await district_recipients(
        session, district_number=district, now=now, admin_ids=env.admin_ids
    )
    return [] if routed_as == "coordinator" else chat_ids


async def remind_managers_once(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    district: str,
    key: str,
    kind: str,
    now: datetime,
    intent: Intent,
) -> int:
    """Tell a district's manager (or the deputy) once per `key`; returns the messages written.
    Nothing is claimed while the district has nobody to tell, so it is tried again later."""
    chat_ids = await managers_of(session, env, district, now)
    if not chat_ids or not await claim_once(
        session, key=key, kind=kind, now=now, data={"district": district}
    ):
        return 0
    for chat_id in chat_ids:
        reader = await people.get_person(session, telegram_id=chat_id)
        outbox.tell(
            session,
            chat_id=chat_id,
            intent=intent,
            now=now,
            person_id=reader.id if reader else None,
            language=reader.language if reader else None,
            kind=kind,
        )
    return len(chat_ids)


async def write_six_month_reminders(
    session: AsyncSession, env: ServiceEnv, *, now: datetime
) -> int:
    """Remind each overdue district's manager, once per district and calendar month."""
    month = f"{now.astimezone(env.tz):%Y-%m}"
    numbers = [d.number for d in env.reference.districts]
    written = 0
    for district in await districts_without_conference(session, now=now, districts=numbers):
        written += await remind_managers_once(
            session,
            env,
            district=district,
            key=f"conf6m:{district}:{month}",
            kind=OVERDUE_KIND,
            now=now,
            intent=ConferenceOverdue(district=district),
        )
    return written
