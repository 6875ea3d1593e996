"""District conferences: scheduling, the reps' invitations and answers, the agenda and the
reminders before the meeting (the calendar and the six-month rule are in `planning`).

Invitations and reminders go through the outbox, as intents, in the transaction that causes
them. Callers check who may schedule or close a conference (`Roles.can_manage_district`);
answers and agenda topics are checked here, against the invitation rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Role, Roles
from bot.services.agreements.planning import managers_of, months_before
from bot.services.agreements.planning_notices import (
    ConferenceRef,
    ConferenceReminder,
    Invitation,
    InviteDeclined,
)
from bot.services.basics.env import ServiceEnv
from bot.services.basics.workdays import add_working_days, is_working_day
from bot.services.messaging import catch_up, outbox, reminders
from bot.storage.models import (
    AgendaItem,
    Conference,
    ConferenceInvite,
    Person,
    Reminder,
    RoleAssignment,
)

REMINDER_KIND = "conference_reminder"
# A conference's reminders due at one sweep (after downtime) are one message each reader; with
# the start, so that a moved meeting's old slots (which write nothing) never hide a new one.
CATCH_UP_GROUPS: dict[str, catch_up.GroupOf] = {
    REMINDER_KIND: lambda r: (
        f"conf:{(r.data or {}).get('conference')}:{(r.data or {}).get('starts_at')}"
    )
}
SLOTS = (("d7", 7), ("d1", 1))  # reminder slot and days before the start
KINDS = ("conference", "meeting")  # labels: bot/messages/conferences.py
STATUSES = ("planned", "held", "cancelled")  # Conference.status; labels there too


class ConferenceError(ValueError):
    """The conference is not in a state for this (past, held, cancelled, unknown input)."""


class NotAllowed(PermissionError):
    """The person may not answer this invitation or add to this agenda."""


@dataclass(frozen=True)
class Scheduled:
    conference: Conference
    invites: list[ConferenceInvite]
    without_rep: list[str]  # departments with nobody bound to invite


@dataclass(frozen=True)
class Overview:
    conference: Conference
    invites: list[tuple[ConferenceInvite, Person | None]]
    agenda: list[AgendaItem]


def default_departments(env: ServiceEnv) -> list[str]:
    """The departments the district-management concept invites."""
    return [d.number for d in env.reference.departments if d.invited_to_conferences]


async def reps_of(session: AsyncSession, *, district: str, department: str) -> list[Person]:
    rows = await session.scalars(
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.role == Role.REP,
            RoleAssignment.district_number == district,
            RoleAssignment.department_number == department,
            RoleAssignment.ended_at.is_(None),
        )
        .order_by(RoleAssignment.id)
    )
    return list(rows.unique())


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def schedule_conference(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    district: str,
    starts_at: datetime,
    departments: list[str],
    created_by: Person,
    now: datetime,
    kind: str = "conference",
) -> Scheduled:
    """Create the conference, invite every rep of the chosen departments, plan reminders."""
    if not env.reference.has_district(district) or starts_at <= now or kind not in KINDS:
        raise ConferenceError("input")
    chosen = list(dict.fromkeys(departments))
    if not chosen or not all(env.reference.has_department(n) for n in chosen):
        raise ConferenceError("departments")
    conference = Conference(
        district_number=district,
        kind=kind,
        starts_at=starts_at,
        status="planned",
        departments={"invited": chosen},
        created_by_id=created_by.id,
        created_at=now,
    )
    session.add(conference)
    await session.flush()
    invites: list[ConferenceInvite] = []
    without_rep: list[str] = []
    for number in chosen:
        reps = await reps_of(session, district=district, department=number)
        if not reps:
            without_rep.append(number)
        bound: list[Person | None] = [*reps] or [None]
        for rep in bound:
            invite = ConferenceInvite(
                conference_id=conference.id,
                department_number=number,
                person_id=rep.id if rep else None,
                created_at=now,
            )
            session.add(invite)
            await session.flush()
            invites.append(invite)
            if rep is not None and rep.telegram_id:
                outbox.tell(
                    session,
                    chat_id=rep.telegram_id,
                    intent=Invitation(ConferenceRef.of(conference), number, invite.id),
                    now=now,
                    person_id=rep.id,
                    language=rep.language,
                    kind="conference_invite",
                )
    await _schedule_reminders(session, env, conference, now)
    return Scheduled(conference, invites, without_rep)


async def _schedule_reminders(
    session: AsyncSession, env: ServiceEnv, conference: Conference, now: datetime
) -> None:
    starts = _utc_iso(conference.starts_at)
    for slot, days in SLOTS:
        # wall-clock arithmetic in the local zone: the same hour a week before, across DST
        due = reminder_moment(conference.starts_at.astimezone(env.tz) - timedelta(days=days), env)
        if due <= now:
            continue
        key = f"conf:{conference.id}:{starts}:{slot}"
        data = {"conference": conference.id, "starts_at": starts, "slot": slot}
        if await reminders.schedule(
            session, key=key, kind=REMINDER_KIND, due_at=due, now=now, data=data
        ):
            await session.execute(
                update(Reminder).where(Reminder.key == key).values(conference_id=conference.id)
            )


def reminder_moment(local: datetime, env: ServiceEnv) -> datetime:
    """A reminder's moment moved into working hours, never closer to the meeting: a day off
    goes back to the last working day before it, an hour outside the working hours to their
    start or to an hour before their end. Its words count the real days (see the renderer)."""
    policy, day, clock = env.policy, local.date(), local.time()
    if not is_working_day(day):
        day = add_working_days(day, -1)
    if clock < policy.work_start:
        clock = policy.work_start
    elif clock >= policy.work_end:
        clock = time(max(policy.work_end.hour - 1, policy.work_start.hour))
    wall = datetime.combine(day, clock).replace(tzinfo=env.tz)
    return wall.astimezone(UTC)  # through UTC: a wall time in the DST gap moves forward


def _require_open(conference: Conference | None, now: datetime) -> Conference:
    if conference is None or conference.status != "planned" or conference.starts_at <= now:
        raise ConferenceError("closed")
    return conference


async def rsvp(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    invite_id: int,
    person: Person,
    accept: bool,
    now: datetime,
) -> Conference:
    """The invited rep accepts or declines (and may change their mind until the start);
    returns the conference answered."""
    invite = await session.get(ConferenceInvite, invite_id)
    if invite is None or invite.person_id is None or invite.person_id != person.id:
        raise NotAllowed
    conference = _require_open(await session.get(Conference, invite.conference_id), now)
    changed = invite.response != ("accepted" if accept else "declined")
    invite.response, invite.responded_at = ("accepted" if accept else "declined"), now
    if not accept and changed:  # the manager may want to find someone else
        for chat_id in await managers_of(session, env, conference.district_number, now):
            outbox.tell(
                session,
                chat_id=chat_id,
                intent=InviteDeclined(ConferenceRef.of(conference), invite.department_number),
                now=now,
                kind="conference_answer",
            )
    return conference


async def agenda_access(
    session: AsyncSession, *, conference_id: int, person: Person, roles: Roles, now: datetime
) -> tuple[Conference, str | None]:
    """The open conference and the sender's department, if they may add agenda topics."""
    conference = await session.get(Conference, conference_id)
    if conference is None:
        raise NotAllowed
    department = await session.scalar(
        select(ConferenceInvite.department_number)
        .where(
            ConferenceInvite.conference_id == conference.id,
            ConferenceInvite.person_id == person.id,
        )
        .limit(1)
    )
    if department is None and not roles.can_manage_district(conference.district_number):
        raise NotAllowed
    return _require_open(conference, now), department


async def add_agenda_item(
    session: AsyncSession,
    *,
    conference_id: int,
    person: Person,
    roles: Roles,
    text: str,
    now: datetime,
) -> AgendaItem:
    """A topic for the agenda from an invited rep or the district's management."""
    conference, department = await agenda_access(
        session, conference_id=conference_id, person=person, roles=roles, now=now
    )
    if not text.strip():
        raise ConferenceError("empty")
    item = AgendaItem(
        conference_id=conference.id,
        person_id=person.id,
        department_number=department,
        text=text.strip(),
        created_at=now,
    )
    session.add(item)
    await session.flush()
    return item


async def conference_overview(session: AsyncSession, *, conference_id: int) -> Overview | None:
    conference = await session.get(Conference, conference_id)
    if conference is None:
        return None
    rows = await session.execute(
        select(ConferenceInvite, Person)
        .outerjoin(Person, Person.id == ConferenceInvite.person_id)
        .where(ConferenceInvite.conference_id == conference.id)
        .order_by(ConferenceInvite.id)
    )
    agenda = await session.scalars(
        select(AgendaItem).where(AgendaItem.conference_id == conference.id).order_by(AgendaItem.id)
    )
    return Overview(conference, [(i, p) for i, p in rows.tuples()], list(agenda))


async def mark_held(
    session: AsyncSession, *, conference_id: int, roles: Roles, now: datetime
) -> Conference:
    """After the meeting: held; its pending reminders are dropped. Only the district's
    management may say so."""
    conference = await session.get(Conference, conference_id)
    if conference is None or not roles.can_manage_district(conference.district_number):
        raise NotAllowed
    if conference.status != "planned" or conference.starts_at > now:
        raise ConferenceError("not_yet")
    conference.status, conference.held_at = "held", now
    await reminders.cancel(session, key_prefix=f"conf:{conference.id}:", now=now)
    return conference


async def conferences_of(
    session: AsyncSession,
    *,
    districts: Iterable[str],
    now: datetime,
    months: int = 6,
    limit: int = 10,
) -> list[Conference]:
    """Recent and upcoming conferences of the districts (the latest `limit`), oldest first."""
    rows = await session.scalars(
        select(Conference)
        .where(
            Conference.district_number.in_(list(districts)),
            Conference.status != "cancelled",
            Conference.starts_at >= months_before(now, months),
        )
        .order_by(Conference.starts_at.desc())
        .limit(limit)
    )
    return list(rows)[::-1]


async def overviews_of(session: AsyncSession, *, district: str, now: datetime) -> list[Overview]:
    """The district's recent and upcoming conferences with their answers and agenda."""
    found = await conferences_of(session, districts=[district], now=now)
    overviews = [await conference_overview(session, conference_id=c.id) for c in found]
    return [o for o in overviews if o is not None]


async def render_conference_reminder(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    """7 days and 1 day before: remind the reps who did not decline, and the manager. The
    words count the days from now to the real start; one that comes after the start (the bot
    was down) is recorded as skipped."""
    data = reminder.data or {}
    conference = await session.get(Conference, int(data.get("conference", 0)))
    if (
        conference is None
        or conference.status != "planned"
        or _utc_iso(conference.starts_at) != data.get("starts_at")
    ):
        return
    if conference.starts_at <= now:
        catch_up.skip(reminder, now=now, reason=catch_up.TOO_LATE)
        return
    days = (conference.starts_at.astimezone(env.tz).date() - now.astimezone(env.tz).date()).days
    rows = await session.execute(
        select(ConferenceInvite, Person)
        .join(Person, Person.id == ConferenceInvite.person_id)
        .where(
            ConferenceInvite.conference_id == conference.id,
            or_(ConferenceInvite.response.is_(None), ConferenceInvite.response != "declined"),
        )
    )
    ref, slot = ConferenceRef.of(conference), str(data.get("slot"))
    slot = slot if slot in dict(SLOTS) else "d1"
    reached: set[int] = set()
    for invite, person in rows.tuples():
        if person.telegram_id and person.telegram_id not in reached:
            reached.add(person.telegram_id)
            outbox.tell(
                session,
                chat_id=person.telegram_id,
                intent=ConferenceReminder(
                    ref, slot, None if invite.response else invite.id, days_before=days
                ),
                now=now,
                person_id=person.id,
                language=person.language,
                kind=REMINDER_KIND,
            )
    for chat_id in await managers_of(session, env, conference.district_number, now):
        if chat_id not in reached:
            outbox.tell(
                session,
                chat_id=chat_id,
                intent=ConferenceReminder(ref, slot, for_manager=True, days_before=days),
                now=now,
                kind=REMINDER_KIND,
            )
