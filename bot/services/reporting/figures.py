"""The district information figures for a period, aggregated in the database.

Counts are ``GROUP BY district`` queries (plus month, topic, sender, quarter or department):
the database returns at most a few thousand groups however many cases there are.
Conventions: case figures cover the concerns *received* in the period; the open backlog is
what is open *now* among the concerns received before the period's end, aged to now;
agreement figures cover the agreements *due* in the period: kept on time when done (the
rep's report counts) on or before the local due day, overdue when still active after it,
escalated when their escalation level is above 0 now (a granted extension resets it);
conferences and projects count per calendar year the period touches.

Durations are in working days of Lower Saxony, as
:func:`bot.services.basics.workdays.working_days_between` counts them on local (Europe/Berlin)
dates: the day of receipt does not count, the day of the answer does. An answer on the same
day is 0; Thursday 2 April 2026 → Tuesday 7 April 2026 is 1 (Good Friday and Easter Monday
are holidays). SQL cannot count holidays portably (SQLite has no time zones and there is no
calendar table), so the two queries that need them fetch only timestamp columns (never
whole rows), as raw text, and Python counts with W(d) = working days up to d, cached per
date and per stored UTC hour: days(a, b) = W(b) - W(a). A year of 24,000 cases takes well
under a second that way (bench/report_bench.py). Median is the usual median; the 90th
percentile the nearest-rank value (the smallest duration 90 % of the cases do not exceed).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.services.basics.periods import Period, local_midnight
from bot.services.basics.workdays import working_days_between
from bot.services.council.figures import CouncilFigures, council_figures
from bot.services.network.meetings import meetings_per_district
from bot.storage.models import Agreement, Case, CaseEvent, Conference, Project

OPEN_CASES = ("new", "in_progress", "waiting")
STATUSES = ("new", "in_progress", "waiting", "referred", "resolved", "merged")
CLOSED_CASES = ("resolved", "referred")  # merged cases are not "resolved" by anyone
DONE_AGREEMENTS = ("done", "done_reported")  # done_reported: the rep's word, not confirmed yet
ACTIVE_AGREEMENTS = ("open", "extension_requested", "problem")
CONFERENCES_PER_YEAR = 2
PROJECTS_PER_YEAR = 1
_EPOCH = date(1970, 1, 1)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[int]) -> int | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


class WorkdayCalendar:
    """Working days between local dates, cached per date (see the module docstring)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._years: dict[int, int] = {}
        self._dates: dict[date, int] = {}
        self._stamps: dict[str | datetime, int] = {}

    def index(self, day: date) -> int:
        """W(day): working days after 1 January 1970 up to and including ``day``."""
        found = self._dates.get(day)
        if found is None:
            base = self._years.get(day.year)
            if base is None:
                base = working_days_between(_EPOCH, date(day.year - 1, 12, 31))
                self._years[day.year] = base
            found = base + working_days_between(date(day.year - 1, 12, 31), day)
            self._dates[day] = found
        return found

    def local(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def stamp(self, value: str | datetime) -> int:
        """W of the local date of a stored UTC timestamp: SQLite text or a datetime.

        Berlin is a whole number of hours off UTC, so the UTC date and hour decide the local
        date: one cache entry per hour instead of parsing every value.
        """
        key: str | datetime = value[:13] if isinstance(value, str) else value.replace(
            minute=0, second=0, microsecond=0)  # fmt: skip
        found = self._stamps.get(key)
        if found is None:
            moment = datetime.fromisoformat(key + ":00") if isinstance(key, str) else key
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            found = self._stamps[key] = self.index(self.local(moment))
        return found

    def between(self, start: datetime | date, end: datetime | date) -> int:
        a = self.local(start) if isinstance(start, datetime) else start
        b = self.local(end) if isinstance(end, datetime) else end
        return max(0, self.index(b) - self.index(a))


@dataclass
class DistrictFigures:
    """All figures of one district (or of several, merged)."""

    received: int = 0
    by_sender: Counter[str] = field(default_factory=Counter)
    by_topic: Counter[str] = field(default_factory=Counter)
    by_quarter: Counter[str] = field(default_factory=Counter)
    by_month_topic: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)  # now, of the concerns received
    lotse: int = 0
    kuemmerer: int = 0
    helped_yes: int = 0
    helped_no: int = 0
    settled_yes: int = 0
    settled_no: int = 0
    settled_unanswered: int = 0
    reopened: int = 0
    first_response: list[int] = field(default_factory=list)
    resolution: list[int] = field(default_factory=list)
    backlog_ages: list[int] = field(default_factory=list)
    agreements: dict[str, Counter[str]] = field(default_factory=dict)  # department → counts
    conferences: Counter[int] = field(default_factory=Counter)  # year → held
    planned: Counter[int] = field(default_factory=Counter)  # year → conferences planned
    projects: Counter[int] = field(default_factory=Counter)  # year → projects
    meetings: int = 0  # the district's meetings the manager attended (concept 3.2)

    def merge(self, other: DistrictFigures) -> None:
        for name, value in other.__dict__.items():
            mine = getattr(self, name)
            if isinstance(value, int):
                setattr(self, name, mine + value)
            elif isinstance(value, list):
                mine.extend(value)
            elif isinstance(value, Counter):
                mine.update(value)
            else:
                for key, counts in value.items():
                    mine.setdefault(key, Counter()).update(counts)

    def agreement_totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.agreements.values():
            total.update(counts)
        return total


@dataclass
class Figures:
    period: Period
    districts: tuple[str, ...]
    now: datetime
    per_district: dict[str, DistrictFigures]
    total: DistrictFigures
    council: CouncilFigures = field(default_factory=CouncilFigures)  # inquiries, statements

    def months(self) -> list[str]:
        return [f"{m:%Y-%m}" for m in self.period.months()]


def _buckets(column: Any, bounds: Iterable[tuple[datetime, Any]]) -> ColumnElement[Any]:
    """CASE mapping a timestamp to the label of the first bound it lies before."""
    return case(*[(column < bound, label) for bound, label in bounds], else_=None)


def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def compute(
    session: AsyncSession, *, districts: Iterable[str], period: Period, now: datetime
) -> Figures:
    """All figures of ``districts`` for ``period``; ``now`` dates the backlog and overdue."""
    scope = tuple(sorted(districts))
    per = {d: DistrictFigures() for d in scope}
    cal = WorkdayCalendar(period.tz)
    received = and_(Case.district_number.in_(scope), Case.created_at >= period.start_utc,
                    Case.created_at < period.end_utc)  # fmt: skip
    month = _buckets(
        Case.created_at,
        [(local_midnight(_next_month(m), period.tz), f"{m:%Y-%m}") for m in period.months()],
    ).label("month")
    sender = case((Case.actor_kind.is_(None), "resident"), (Case.actor_kind == "council",
                  "council"), else_="actor").label("sender")  # fmt: skip
    lotse = Case.mode == "lotse"
    # One scan for everything countable by month, topic and sender (a few thousand groups).
    for d, label, topic, who, n, lo, ku, hy, hn, sy, sn, su, ro in await session.execute(
        select(Case.district_number, month, Case.topic, sender, func.count(), count_where(lotse),
               count_where(Case.mode == "kuemmerer"),
               count_where(and_(lotse, Case.referral_helped.is_(True))),
               count_where(and_(lotse, Case.referral_helped.is_(False))),
               count_where(Case.settled.is_(True)), count_where(Case.settled.is_(False)),
               count_where(and_(Case.status == "resolved", Case.settled.is_(None))),
               # IN (subquery) is evaluated once; a correlated EXISTS per case was 4× slower
               count_where(Case.id.in_(select(CaseEvent.case_id)
                                       .where(CaseEvent.kind == "reopened"))))
        .where(received).group_by(Case.district_number, month, Case.topic, sender)
    ):  # fmt: skip
        f = per[d]
        f.by_month_topic[(label, topic)] += n
        f.by_topic[topic] += n
        f.by_sender[who] += n
        f.received, f.lotse, f.kuemmerer = f.received + n, f.lotse + lo, f.kuemmerer + ku
        f.helped_yes, f.helped_no = f.helped_yes + hy, f.helped_no + hn
        f.settled_yes, f.settled_no = f.settled_yes + sy, f.settled_no + sn
        f.settled_unanswered, f.reopened = f.settled_unanswered + su, f.reopened + ro
    quarter = func.coalesce(Case.quarter, "").label("quarter")
    for d, key, status, n in await session.execute(
        select(Case.district_number, quarter, Case.status, func.count())
        .where(received)
        .group_by(Case.district_number, quarter, Case.status)
    ):
        per[d].by_quarter[key] += n
        per[d].by_status[status] += n
    await _durations(session, scope, period, now, cal, per, received)
    await _agreements(session, scope, period, now, cal, per)
    await _conferences_and_projects(session, scope, period, per)
    for d, n in (await meetings_per_district(session, period.first, period.last, scope)).items():
        per[d].meetings += n
    total = DistrictFigures()
    for f in per.values():
        total.merge(f)
    council = await council_figures(
        session, start=period.start_utc, end=period.end_utc, districts=list(scope)
    )
    return Figures(period, scope, now.astimezone(UTC), per, total, council)


async def _durations(
    session: AsyncSession,
    scope: tuple[str, ...],
    period: Period,
    now: datetime,
    cal: WorkdayCalendar,
    per: dict[str, DistrictFigures],
    received: ColumnElement[bool],
) -> None:
    """Working days to the first response and to the resolution; the age of the backlog."""
    closed = case((Case.status.in_(CLOSED_CASES), Case.closed_at), else_=None)
    for d, created, answered, done in await session.execute(
        select(Case.district_number, raw(Case.created_at), raw(Case.first_response_at),
               raw(closed))
        .where(received, (Case.first_response_at.is_not(None)) | (Case.closed_at.is_not(None)))
    ):  # fmt: skip
        start = cal.stamp(created)
        if answered is not None:
            per[d].first_response.append(max(0, cal.stamp(answered) - start))
        if done is not None:
            per[d].resolution.append(max(0, cal.stamp(done) - start))
    today = cal.index(cal.local(now))
    for d, created in await session.execute(
        select(Case.district_number, raw(Case.created_at)).where(
            Case.district_number.in_(scope),
            Case.status.in_(OPEN_CASES),
            Case.created_at < period.end_utc,
        )
    ):
        per[d].backlog_ages.append(max(0, today - cal.stamp(created)))


def raw(column: Any) -> ColumnElement[Any]:
    """A timestamp column without the datetime conversion (SQLite then hands back its text)."""
    return type_coerce(column, String)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


async def _agreements(
    session: AsyncSession,
    scope: tuple[str, ...],
    period: Period,
    now: datetime,
    cal: WorkdayCalendar,
    per: dict[str, DistrictFigures],
) -> None:
    """Due in the period: kept on time, late, open (overdue), escalated, cancelled."""
    due = and_(Agreement.district_number.in_(scope), Agreement.due_at >= period.start_utc,
               Agreement.due_at < period.end_utc)  # fmt: skip
    status, today = Agreement.status, local_midnight(cal.local(now), cal.tz)
    active = status.in_(ACTIVE_AGREEMENTS)
    for d, dep, n, act, overdue, esc, cancelled in await session.execute(
        select(Agreement.district_number, Agreement.department_number, func.count(),
               count_where(active), count_where(and_(active, Agreement.due_at < today)),
               count_where(and_(Agreement.escalation_level > 0, status != "cancelled")),
               count_where(status == "cancelled"))
        .where(due).group_by(Agreement.district_number, Agreement.department_number)
    ):  # fmt: skip
        per[d].agreements[dep] = Counter(
            due=n - cancelled,
            open=act,
            overdue=overdue,
            escalated=esc,
            cancelled=cancelled,
            on_time=0,
            late=0,
        )
    finished = func.coalesce(Agreement.done_at, Agreement.confirmed_at, Agreement.due_at)
    for d, dep, due_at, done_at in await session.execute(
        select(
            Agreement.district_number, Agreement.department_number, Agreement.due_at, finished
        ).where(due, status.in_(DONE_AGREEMENTS))
    ):
        on_time = cal.local(done_at) <= cal.local(due_at)
        per[d].agreements[dep]["on_time" if on_time else "late"] += 1


async def _conferences_and_projects(
    session: AsyncSession,
    scope: tuple[str, ...],
    period: Period,
    per: dict[str, DistrictFigures],
) -> None:
    years = period.years()
    tz = period.tz
    year = _buckets(
        Conference.starts_at, [(local_midnight(date(y + 1, 1, 1), tz), y) for y in years]
    ).label("year")
    for d, y, status, n in await session.execute(
        select(Conference.district_number, year, Conference.status, func.count())
        .where(Conference.district_number.in_(scope), Conference.kind == "conference",
               Conference.status.in_(("held", "planned")),
               Conference.starts_at >= local_midnight(date(years[0], 1, 1), tz),
               Conference.starts_at < local_midnight(date(years[-1] + 1, 1, 1), tz))
        .group_by(Conference.district_number, year, Conference.status)
    ):  # fmt: skip
        (per[d].conferences if status == "held" else per[d].planned)[int(y)] = n
    for d, y, n in await session.execute(
        select(Project.district_number, Project.year, func.count())
        .where(Project.district_number.in_(scope), Project.year.in_(years))
        .group_by(Project.district_number, Project.year)
    ):
        per[d].projects[int(y)] = n


def conference_rule(held: int, year: int, now: datetime, tz: ZoneInfo) -> str:
    """met (at least twice), open (the year still runs) or missed."""
    if held >= CONFERENCES_PER_YEAR:
        return "met"
    return "open" if now.astimezone(tz).year <= year else "missed"
