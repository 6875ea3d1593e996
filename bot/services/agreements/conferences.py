"""District conferences: scheduling, the reps' invitations and answers, the agenda, the
calendar of all districts and the six-month rule.

Invitations and reminders go through the outbox in the transaction that causes them.
Callers check who may schedule or close a conference (`Roles.can_manage_district`); answers
and agenda topics are checked here, against the invitation rows.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.services.access import people
from bot.services.access.roles import Role, Roles, district_recipients
from bot.services.basics.dates import format_date
from bot.services.basics.env import ServiceEnv
from bot.services.messaging import outbox, reminders
from bot.storage.models import (
    AgendaItem,
    Conference,
    ConferenceInvite,
    Person,
    Reminder,
    RoleAssignment,
)

REMINDER_KIND = "conference_reminder"
OVERDUE_KIND = "conference_overdue"
SLOTS = (("d7", 7), ("d1", 1))  # reminder slot and days before the start
KIND_LABELS = {"conference": N_("District conference"), "meeting": N_("Working meeting")}


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


def months_before(moment: datetime, months: int) -> datetime:
    year, month0 = divmod(moment.month - 1 - months, 12)
    year += moment.year
    return moment.replace(
        year=year, month=month0 + 1, day=min(moment.day, monthrange(year, month0 + 1)[1])
    )


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


def title(t: Translator, env: ServiceEnv, conference: Conference) -> str:
    """'District conference Linden-Limmer, Wed, 15 Apr 2026, 10:00' in the reader's words."""
    starts = format_date(conference.starts_at.astimezone(env.tz), lang=t.language, with_time=True)
    kind = t(KIND_LABELS.get(conference.kind, KIND_LABELS["conference"]))
    return f"{kind} {env.reference.district(conference.district_number).name}, {starts}"


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _tell(
    session: AsyncSession,
    env: ServiceEnv,
    person: Person,
    now: datetime,
    kind: str,
    text: str,
    buttons: list[list[dict[str, str]]] | None = None,
) -> None:
    outbox.enqueue(
        session,
        chat_id=person.telegram_id or 0,
        now=now,
        kind=kind,
        person_id=person.id,
        data=outbox.payload(text, buttons=buttons),
    )


def _rep_buttons(
    t: Translator,
    conference: Conference,
    invite: ConferenceInvite | None,
) -> list[list[dict[str, str]]]:
    rows = [[{"text": t("Add agenda topic"), "data": f"cf:agenda:{conference.id}"}]]
    if invite is not None:
        rows.insert(
            0,
            [
                {"text": t("Accept"), "data": f"cf:yes:{invite.id}"},
                {"text": t("Decline"), "data": f"cf:no:{invite.id}"},
            ],
        )
    return rows


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
    if not env.reference.has_district(district) or starts_at <= now or kind not in KIND_LABELS:
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
        for rep in reps or [None]:
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
                t = env.translator(rep.language)
                text = "<b>" + escape(t("Invitation: {title}", title=title(t, env, conference)))
                text += "</b>\n" + escape(
                    t(
                        "Please let us know whether {department} attends, and send topics for the "
                        "agenda.",
                        department=env.reference.department(number).label(t.language),
                    )
                )
                _tell(
                    session,
                    env,
                    rep,
                    now,
                    "conference_invite",
                    text,
                    _rep_buttons(t, conference, invite),
                )
    await _schedule_reminders(session, env, conference, now)
    return Scheduled(conference, invites, without_rep)


async def _schedule_reminders(
    session: AsyncSession, env: ServiceEnv, conference: Conference, now: datetime
) -> None:
    starts = _utc_iso(conference.starts_at)
    for slot, days in SLOTS:
        # wall-clock arithmetic in the local zone: the same hour a week before, across DST
        due = (conference.starts_at.astimezone(env.tz) - timedelta(days=days)).astimezone(UTC)
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
) -> ConferenceInvite:
    """The invited rep accepts or declines (and may change their mind until the start)."""
    invite = await session.get(ConferenceInvite, invite_id)
    if invite is None or invite.person_id is None or invite.person_id != person.id:
        raise NotAllowed
    conference = _require_open(await session.get(Conference, invite.conference_id), now)
    changed = invite.response != ("accepted" if accept else "declined")
    invite.response, invite.responded_at = ("accepted" if accept else "declined"), now
    if not accept and changed:  # the manager may want to find someone else
        for chat_id in await managers_of(session, env, conference.district_number, now):
            reader = await people.get_person(session, telegram_id=chat_id)
            t = env.translator(reader.language if reader else None)
            label = env.reference.department(invite.department_number).label(t.language)
            text = escape(
                t(
                    "{department} declined: {title}",
                    department=label,
                    title=title(t, env, conference),
                )
            )
            outbox.enqueue(
                session,
                chat_id=chat_id,
                now=now,
                kind="conference_answer",
                data=outbox.payload(text),
            )
    return invite


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


def overview_text(t: Translator, env: ServiceEnv, overview: Overview) -> str:
    """Who accepted, declined, has not answered or is missing, and the agenda (HTML)."""
    status = {"planned": t("planned"), "held": t("held"), "cancelled": t("cancelled")}
    lines = [
        "<b>" + escape(title(t, env, overview.conference)) + "</b>",
        escape(t("Status: {status}", status=status.get(overview.conference.status, ""))),
    ]
    groups: dict[str, list[str]] = {"accepted": [], "declined": [], "pending": [], "none": []}
    for invite, person in overview.invites:
        label = env.reference.department(invite.department_number).label(t.language)
        if person is None:
            groups["none"].append(label)
        else:
            name = f"{label} ({person.first_name})" if person.first_name else label
            groups[invite.response or "pending"].append(name)
    headings = {
        "accepted": t("Accepted"),
        "declined": t("Declined"),
        "pending": t("No answer yet"),
        "none": t("Nobody to invite"),
    }
    for key, heading in headings.items():
        if groups[key]:
            lines.append(escape(f"{heading}: " + ", ".join(groups[key])))
    lines.append("<b>" + escape(t("Agenda")) + "</b>")
    for number, item in enumerate(overview.agenda, start=1):
        who = (
            f" ({env.reference.department(item.department_number).label(t.language)})"
            if item.department_number
            else ""
        )
        lines.append(escape(f"{number}. {item.text}{who}"))
    if not overview.agenda:
        lines.append(escape(t("No topics yet.")))
    return "\n".join(lines)


async def mark_held(session: AsyncSession, *, conference: Conference, now: datetime) -> None:
    """After the meeting: held; its pending reminders are dropped."""
    if conference.status != "planned" or conference.starts_at > now:
        raise ConferenceError("not_yet")
    conference.status, conference.held_at = "held", now
    await reminders.cancel(session, key_prefix=f"conf:{conference.id}:", now=now)


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


@dataclass(frozen=True)
class CalendarRow:
    district: str
    last_held: datetime | None
    next_planned: datetime | None


async def calendar(
    session: AsyncSession, *, now: datetime, districts: Iterable[str] = ()
) -> list[CalendarRow]:
    """Per district the last held and the next planned district conference."""
    rows = await session.scalars(select(Conference).where(Conference.kind == "conference"))
    last: dict[str, datetime] = {}
    upcoming: dict[str, datetime] = {}
    for c in rows:
        if c.status == "held" and (
            c.district_number not in last or c.starts_at > last[c.district_number]
        ):
            last[c.district_number] = c.starts_at
        elif (
            c.status == "planned"
            and c.starts_at >= now
            and (c.district_number not in upcoming or c.starts_at < upcoming[c.district_number])
        ):
            upcoming[c.district_number] = c.starts_at
    numbers = sorted({*districts, *last, *upcoming})
    return [CalendarRow(n, last.get(n), upcoming.get(n)) for n in numbers]


def calendar_text(t: Translator, env: ServiceEnv, rows: list[CalendarRow], now: datetime) -> str:
    """One line per district; ⚠️ where the six-month rule is broken."""

    def day(moment: datetime | None) -> str:
        return format_date(moment.astimezone(env.tz), lang=t.language) if moment else "–"

    since = months_before(now, 6)
    lines = ["<b>" + escape(t("Conference calendar of all districts")) + "</b>"]
    for row in rows:
        overdue = not row.next_planned and (not row.last_held or row.last_held < since)
        line = t(
            "{number} {district}: last held {last}, next {next}",
            number=row.district,
            district=env.reference.district(row.district).name,
            last=day(row.last_held),
            next=day(row.next_planned),
        )
        lines.append(escape(line) + (" ⚠️" if overdue else ""))
    return "\n".join(lines)


async def districts_without_conference(
    session: AsyncSession, *, now: datetime, districts: Iterable[str], months: int = 6
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
    render: Callable[[Translator], str],
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
        t = env.translator(reader.language if reader else None)
        outbox.enqueue(
            session,
            chat_id=chat_id,
            now=now,
            kind=kind,
            person_id=reader.id if reader else None,
            data=outbox.payload(render(t)),
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
        name = env.reference.district(district).name
        written += await remind_managers_once(
            session,
            env,
            district=district,
            key=f"conf6m:{district}:{month}",
            kind=OVERDUE_KIND,
            now=now,
            render=lambda t, name=name: escape(
                t(
                    "{district} has had no district conference for six months. Please plan one "
                    "with /konferenz.",
                    district=name,
                )
            ),
        )
    return written


async def render_conference_reminder(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    """7 days and 1 day before: remind the reps who did not decline, and the manager."""
    data = reminder.data or {}
    conference = await session.get(Conference, int(data.get("conference", 0)))
    if (
        conference is None
        or conference.status != "planned"
        or _utc_iso(conference.starts_at) != data.get("starts_at")
    ):
        return
    rows = await session.execute(
        select(ConferenceInvite, Person)
        .join(Person, Person.id == ConferenceInvite.person_id)
        .where(
            ConferenceInvite.conference_id == conference.id,
            or_(ConferenceInvite.response.is_(None), ConferenceInvite.response != "declined"),
        )
    )
    lead = {"d7": N_("Reminder, in one week: {title}"), "d1": N_("Reminder, tomorrow: {title}")}
    message = lead.get(str(data.get("slot")), lead["d1"])
    reached: set[int] = set()
    for invite, person in rows.tuples():
        if person.telegram_id and person.telegram_id not in reached:
            reached.add(person.telegram_id)
            t = env.translator(person.language)
            text = escape(t(message, title=title(t, env, conference)))
            _tell(
                session,
                env,
                person,
                now,
                REMINDER_KIND,
                text,
                _rep_buttons(t, conference, None if invite.response else invite),
            )
    for chat_id in await managers_of(session, env, conference.district_number, now):
        if chat_id not in reached:
            reader = await people.get_person(session, telegram_id=chat_id)
            t = env.translator(reader.language if reader else None)
            text = escape(t(message, title=title(t, env, conference)))
            outbox.enqueue(
                session,
                chat_id=chat_id,
                now=now,
                kind=REMINDER_KIND,
                data=outbox.payload(text + "\n" + t("/konferenzen shows who comes.")),
            )
