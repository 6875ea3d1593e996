"""The weekly digest: Monday morning, each manager gets the new, open and overdue concerns
and agreements of their district(s); the coordinators get the overview of all districts.

Only on a Monday that is a working day. On a holiday Monday (Easter Monday, Whit Monday)
nothing is sent that week, not even on Tuesday: a digest on an unexpected day would be
missed more easily than one that skips. Nothing gets lost, because "new" counts since the
previous digest Monday: the digest after Easter covers two weeks.

Counts are GROUP BY district queries. Overdue concerns: open with a next step past due,
or still untriaged after more than two working days (the desk's nudge rule); overdue
agreements: active and past their due day. Idempotent per chat and ISO week through the
reminder key ``digest:<chat>:<year>-W<week>`` (marked sent at once), so a restart or a
second instance sends nothing twice. Each recipient gets a `WeeklyDigest` intent; its text
is written at delivery in the recipient's language (`bot/messages/digest.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access import people
from bot.services.access.roles import Role, coordinator_chat_ids
from bot.services.basics.periods import local_midnight
from bot.services.basics.workdays import add_working_days, is_working_day
from bot.services.cases.desk import UNTRIAGED_AFTER_WORKING_DAYS
from bot.services.messaging import outbox, reminders
from bot.services.messaging.intents import Intent, intent
from bot.services.reporting.figures import ACTIVE_AGREEMENTS, OPEN_CASES, count_where
from bot.storage.models import Agreement, Case, Person, Reminder, RoleAssignment

MAX_LISTED = 10
AGREEMENT_OPEN = (*ACTIVE_AGREEMENTS, "done_reported")  # done_reported awaits the manager
COUNTS = ("new_cases", "open_cases", "overdue_cases", "new_agreements", "open_agreements",
          "overdue_agreements")  # fmt: skip


@dataclass(frozen=True)
class LateAgreement:
    department: str
    due: date  # the local due day
    measure: str


@dataclass(frozen=True)
class DistrictWeek:
    """One district's week; `overdue_references` and `late_agreements` hold at most
    MAX_LISTED entries, `overdue_agreements` counts them all."""

    district: str = ""
    new_cases: int = 0
    open_cases: int = 0
    overdue_cases: int = 0
    new_agreements: int = 0
    open_agreements: int = 0
    overdue_agreements: int = 0
    overdue_references: tuple[str, ...] = ()
    more_references: int = 0
    late_agreements: tuple[LateAgreement, ...] = ()
    more_late: int = 0


@intent("reporting.weekly_digest")
@dataclass(frozen=True)
class WeeklyDigest(Intent):
    """A manager's districts (`districts`) and, for a coordinator, every district's counts
    (`overview`, lists left out)."""

    since: date
    districts: tuple[DistrictWeek, ...] = ()
    overview: tuple[DistrictWeek, ...] = ()
    coordinator: bool = False


@dataclass
class WeekTally:
    """A district's week while it is counted; `freeze` makes the intent's part of it."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    references: list[str] = field(default_factory=list)
    late: list[LateAgreement] = field(default_factory=list)

    def freeze(self, district: str, *, lists: bool = True) -> DistrictWeek:
        c = self.counts
        week = DistrictWeek(
            district=district,
            new_cases=c["new_cases"],
            open_cases=c["open_cases"],
            overdue_cases=c["overdue_cases"],
            new_agreements=c["new_agreements"],
            open_agreements=c["open_agreements"],
            overdue_agreements=c["overdue_agreements"],
        )
        if not lists:
            return week
        return replace(
            week,
            overdue_references=tuple(self.references[:MAX_LISTED]),
            more_references=max(0, len(self.references) - MAX_LISTED),
            late_agreements=tuple(self.late[:MAX_LISTED]),
            more_late=max(0, len(self.late) - MAX_LISTED),
        )


def is_digest_day(day: date) -> bool:
    return day.weekday() == 0 and is_working_day(day)


def previous_digest_day(day: date) -> date:
    """The last Monday before ``day`` on which a digest went out (holidays skipped)."""
    previous = day - timedelta(weeks=1)
    while not is_working_day(previous):
        previous -= timedelta(weeks=1)
    return previous


async def district_weeks(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo, since: datetime
) -> dict[str, WeekTally]:
    today = now.astimezone(tz).date()
    untriaged_before = local_midnight(add_working_days(today, -UNTRIAGED_AFTER_WORKING_DAYS), tz)
    overdue_case = and_(
        Case.status.in_(OPEN_CASES),
        or_(
            Case.next_step_due < now,
            and_(Case.status == "new", Case.created_at < untriaged_before),
        ),
    )
    overdue_agreement = and_(Agreement.status.in_(ACTIVE_AGREEMENTS),
                             Agreement.due_at < local_midnight(today, tz))  # fmt: skip
    weeks: dict[str, WeekTally] = defaultdict(WeekTally)
    until = local_midnight(today, tz)  # "new": from the previous digest day to this morning
    new_case = and_(Case.created_at >= since, Case.created_at < until)
    new_agreement = and_(Agreement.created_at >= since, Agreement.created_at < until)
    for d, new, open_, overdue in await session.execute(
        select(Case.district_number, count_where(new_case),
               count_where(Case.status.in_(OPEN_CASES)), count_where(overdue_case))
        .group_by(Case.district_number)
    ):  # fmt: skip
        weeks[d].counts.update(new_cases=new, open_cases=open_, overdue_cases=overdue)
    for d, new, open_, overdue in await session.execute(
        select(Agreement.district_number, count_where(new_agreement),
               count_where(Agreement.status.in_(AGREEMENT_OPEN)), count_where(overdue_agreement))
        .group_by(Agreement.district_number)
    ):  # fmt: skip
        weeks[d].counts.update(new_agreements=new, open_agreements=open_,
                               overdue_agreements=overdue)  # fmt: skip
    for d, reference in await session.execute(
        select(Case.district_number, Case.reference)
        .where(overdue_case)
        .order_by(Case.created_at, Case.id)
    ):
        weeks[d].references.append(reference)
    for d, department, due, measure in await session.execute(
        select(Agreement.district_number, Agreement.department_number, Agreement.due_at,
               Agreement.measure).where(overdue_agreement).order_by(Agreement.due_at)
    ):  # fmt: skip
        weeks[d].late.append(LateAgreement(department, due.astimezone(tz).date(), measure))
    return weeks


async def _recipients(
    session: AsyncSession, admin_ids: Iterable[int]
) -> dict[int, tuple[str | None, list[str], bool]]:
    """chat id → (language, districts managed, is coordinator)."""
    found: dict[int, tuple[str | None, list[str], bool]] = {}
    for chat, language, district in await session.execute(
        select(Person.telegram_id, Person.language, RoleAssignment.district_number)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.role == Role.MANAGER, RoleAssignment.ended_at.is_(None),
               RoleAssignment.district_number.is_not(None), Person.telegram_id.is_not(None))
        .order_by(RoleAssignment.district_number)
    ):  # fmt: skip
        found.setdefault(chat, (language, [], False))[1].append(district)
    for chat in await coordinator_chat_ids(session, admin_ids=admin_ids):
        if chat in found:
            found[chat] = (found[chat][0], found[chat][1], True)
        else:
            person = await people.get_person(session, telegram_id=chat)
            found[chat] = (person.language if person else None, [], True)
    return found


async def write_weekly_digests(
    session: AsyncSession,
    *,
    now: datetime,
    tz: ZoneInfo,
    admin_ids: Iterable[int],
    late: bool = False,
) -> int:
    """On a working Monday, one outbox intent per recipient; returns how many were written.
    `late` (after downtime over the Monday morning): this week's digest, unless written."""
    today = now.astimezone(tz).date()
    day = today - timedelta(days=today.weekday()) if late else today
    if not is_digest_day(day):
        return 0
    since = previous_digest_day(day)
    weeks = await district_weeks(session, now=now, tz=tz, since=local_midnight(since, tz))
    year, week, _ = today.isocalendar()
    written = 0
    recipients = await _recipients(session, admin_ids)
    for chat, (language, districts, coordinator) in recipients.items():
        key = f"digest:{chat}:{year}-W{week:02d}"
        if not await reminders.schedule(session, key=key, kind="weekly_digest", due_at=now,
                                        now=now, data={"districts": districts}):  # fmt: skip
            continue
        # marked sent at once, so the reminder sweep never renders this row a second time
        await session.execute(update(Reminder).where(Reminder.key == key).values(sent_at=now))
        digest = WeeklyDigest(
            since=since,
            districts=tuple(weeks.get(d, WeekTally()).freeze(d) for d in districts),
            overview=tuple(w.freeze(d, lists=False) for d, w in sorted(weeks.items()) if d)
            if coordinator
            else (),
            coordinator=coordinator,
        )
        outbox.tell(session, chat_id=chat, intent=digest, now=now, language=language,
                    kind="weekly_digest")  # fmt: skip
        written += 1
    return written
