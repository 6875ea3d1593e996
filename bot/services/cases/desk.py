"""The manager's desk: a case's history, saved replies, absence, untriaged nudges.

No Telegram here; the clock and the time zone are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access import people
from bot.services.access.roles import district_recipients
from bot.services.basics.workdays import is_working_day, working_days_between
from bot.services.cases.records import CaseStatus
from bot.services.cases.triage_notices import Untriaged, UntriagedNudge
from bot.services.messaging import outbox, reminders
from bot.storage.models import Absence, Case, CaseEvent, Person, Reminder, SavedReply

UNTRIAGED_AFTER_WORKING_DAYS = 2  # "older than 2 working days": nudged from the 3rd on
# "danke", or "danke.tr" for the Turkish version of it (used for residents who read Turkish)
TEMPLATE_NAME = re.compile(r"^[a-z0-9_-]{1,32}(\.[a-z]{2})?$")
MAX_TEMPLATE_LENGTH = 3000
_TEMPLATE_USE = re.compile(r"^#([A-Za-z0-9_-]{1,32})(?=\s|$)")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class InvalidTemplate(ValueError):
    """A template name outside [a-z0-9_-]{1,32}, or an empty or too long text."""

    def __init__(self, reason: str) -> None:
        self.reason = reason  # "name" | "text"
        super().__init__(reason)


class UnknownTemplate(LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


async def case_history(
    session: AsyncSession, *, case: Case
) -> list[tuple[CaseEvent, Person | None]]:
    """Every event of the case, oldest first, with the person who acted (if any)."""
    rows = await session.execute(
        select(CaseEvent, Person)
        .outerjoin(Person, Person.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.id)
    )
    return [(event, actor) for event, actor in rows.tuples()]


# --------------------------------------------------------------------------- saved replies


def _checked_name(name: str) -> str:
    name = name.strip().lower()
    if not TEMPLATE_NAME.match(name):
        raise InvalidTemplate("name")
    return name


async def save_reply(session: AsyncSession, *, person: Person, name: str, text: str) -> SavedReply:
    """Create the template or replace its text."""
    name, text = _checked_name(name), text.strip()
    if not text or len(text) > MAX_TEMPLATE_LENGTH:
        raise InvalidTemplate("text")
    row = await _reply(session, person=person, name=name)
    if row is None:
        row = SavedReply(person_id=person.id, name=name, text=text)
        session.add(row)
    else:
        row.text = text
    await session.flush()
    return row


async def _reply(session: AsyncSession, *, person: Person, name: str) -> SavedReply | None:
    row: SavedReply | None = await session.scalar(
        select(SavedReply).where(SavedReply.person_id == person.id, SavedReply.name == name)
    )
    return row


async def delete_reply(session: AsyncSession, *, person: Person, name: str) -> bool:
    row = await _reply(session, person=person, name=name.strip().lower())
    if row is None:
        return False
    await session.delete(row)
    return True


async def list_replies(session: AsyncSession, *, person: Person) -> list[SavedReply]:
    rows = await session.scalars(
        select(SavedReply).where(SavedReply.person_id == person.id).order_by(SavedReply.name)
    )
    return list(rows)


def fill_placeholders(template: str, values: dict[str, str]) -> str:
    """Fill known `{name}` placeholders; anything else (unknown names, lone braces) stays."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


async def expand_reply(
    session: AsyncSession,
    *,
    person: Person,
    text: str,
    placeholders: dict[str, str],
    defaults: Mapping[str, str] | None = None,
    language: str | None = None,
) -> str:
    """Replace a leading `#name` by the person's template in the resident's `language`
    (`name.<language>`), else their template of that name, else the default of that name,
    with its placeholders filled; `{name}` is whatever the caller passes (the resident's).

    Text without a leading `#name` is returned unchanged; `##...` sends a literal `#...`.
    """
    if text.startswith("##"):
        return text[1:]
    match = _TEMPLATE_USE.match(text)
    if match is None:
        return text
    name = match.group(1).lower()
    row = None
    if language:
        row = await _reply(session, person=person, name=f"{name}.{language}")
    row = row or await _reply(session, person=person, name=name)
    template = row.text if row is not None else (defaults or {}).get(name)
    if template is None:
        raise UnknownTemplate(match.group(1))
    return fill_placeholders(template, placeholders) + text[match.end() :]


# -------------------------------------------------------------------------------- absence


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first moment after `day` in local time (absences end exclusively)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


async def current_absence(
    session: AsyncSession, *, person: Person, now: datetime
) -> Absence | None:
    absence: Absence | None = await session.scalar(
        select(Absence)
        .where(Absence.person_id == person.id, Absence.starts_at <= now, Absence.ends_at > now)
        .order_by(Absence.ends_at.desc())
    )
    return absence


async def set_absence(
    session: AsyncSession, *, person: Person, until: datetime, now: datetime
) -> Absence:
    """Mark the person away from now until `until`; a running absence is moved instead."""
    if until <= now:
        raise ValueError("an absence must end in the future")
    absence = await current_absence(session, person=person, now=now)
    if absence is None:
        absence = Absence(person_id=person.id, starts_at=now, ends_at=until, created_at=now)
        session.add(absence)
    else:
        absence.ends_at = until
    await session.flush()
    return absence


async def end_absence(session: AsyncSession, *, person: Person, now: datetime) -> bool:
    """End the running absence now; returns whether there was one."""
    absence = await current_absence(session, person=person, now=now)
    if absence is None:
        return False
    absence.ends_at = now
    return True


async def absence_cover(
    session: AsyncSession, *, districts: Iterable[str], now: datetime, admin_ids: Iterable[int]
) -> dict[str, str]:
    """Who receives each district's new cases now: manager, deputy or coordinator."""
    admins = list(admin_ids)
    cover = {}
    for district in sorted(districts):
        _, routed_as = await district_recipients(
            session, district_number=district, now=now, admin_ids=admins
        )
        cover[district] = routed_as
    return cover


# ------------------------------------------------------------------------ untriaged nudge


async def untriaged_cases(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo
) -> dict[str, list[Case]]:
    """Cases still "new" after more than two working days, by district (local dates)."""
    today = now.astimezone(tz).date()
    rows = await session.scalars(
        select(Case)
        .where(Case.status == CaseStatus.NEW, Case.created_at < now - timedelta(days=2))
        .order_by(Case.district_number, Case.priority.desc(), Case.created_at, Case.id)
    )
    found: dict[str, list[Case]] = {}
    for case in rows:
        age = working_days_between(case.created_at.astimezone(tz).date(), today)
        if age > UNTRIAGED_AFTER_WORKING_DAYS:
            found.setdefault(case.district_number, []).append(case)
    return found


async def write_untriaged_nudges(
    session: AsyncSession,
    *,
    now: datetime,
    tz: ZoneInfo,
    admin_ids: Iterable[int],
) -> int:
    """On working days, one outbox message per recipient and district; once per day.

    The reminder key `untriaged:<district>:<date>` makes a second run on the same day (a
    restart, a second instance) write nothing. Returns how many messages were written.
    """
    today = now.astimezone(tz).date()
    if not is_working_day(today):
        return 0
    admins = list(admin_ids)
    written = 0
    for district, found in (await untriaged_cases(session, now=now, tz=tz)).items():
        key = f"untriaged:{district}:{today.isoformat()}"
        data = {"references": [c.reference for c in found]}
        if not await reminders.schedule(
            session, key=key, kind="untriaged", due_at=now, now=now, data=data
        ):
            continue
        await _mark_sent(session, key=key, now=now)
        chat_ids, _ = await district_recipients(
            session, district_number=district, now=now, admin_ids=admins
        )
        intent = UntriagedNudge(
            district_number=district,
            cases=tuple(
                Untriaged(
                    reference=case.reference,
                    quarter=case.quarter,
                    topic=case.topic,
                    working_days=working_days_between(
                        case.created_at.astimezone(tz).date(), today
                    ),
                )
                for case in found
            ),
        )
        for chat_id in chat_ids:
            reader = await people.get_person(session, telegram_id=chat_id)
            outbox.tell(
                session,
                chat_id=chat_id,
                intent=intent,
                now=now,
                kind="untriaged",
                person_id=reader.id if reader else None,
            )
            written += 1
    return written


async def _mark_sent(session: AsyncSession, *, key: str, now: datetime) -> None:
    # Marked sent at once, so the reminder sweep never renders this row a second time.
    await session.execute(update(Reminder).where(Reminder.key == key).values(sent_at=now))
