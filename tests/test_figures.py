"""Figures on a small hand-made dataset: every value below is counted by hand.

Working days follow workdays.working_days_between on local dates (receipt day excluded,
answer day included): Thu 2 April 2026 → Tue 7 April 2026 is 1, because Good Friday (3 April)
and Easter Monday (6 April) are holidays in Lower Saxony. Ascension (14 May), Whit Monday
(25 May) and Labour Day (1 May) matter for the longer spans.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.periods import PeriodError, parse_period
from bot.services.basics.workdays import working_days_between
from bot.services.reporting import figures
from bot.storage.db import session_scope
from bot.storage.models import Agreement, Case, CaseEvent, Conference, Project
from tests.conftest import BotEnv

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=TZ)  # Wednesday after the second quarter


def at(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=TZ).astimezone(UTC)


def _case(ref: str, district: str, created: datetime, **values: Any) -> Case:
    values.setdefault("topic", "public_space")
    return Case(reference=ref, district_number=district, created_at=created, updated_at=created,
                **values)  # fmt: skip


async def seed(session: AsyncSession) -> dict[str, Case]:
    """The dataset of the module docstring's tests (district 10 and 06, second quarter 2026)."""
    cases = {
        # district 10, in the quarter
        "C1": _case("10-2026-0001", "10", at(2026, 4, 2, 9), quarter="Linden-Süd", mode="lotse",
                    status="referred", first_response_at=at(2026, 4, 7, 11),
                    closed_at=at(2026, 4, 7, 11), referral_helped=True),
        "C2": _case("10-2026-0002", "10", at(2026, 4, 1, 0, 30), actor_kind="club",
                    topic="family", quarter="Linden-Nord", mode="kuemmerer", status="resolved",
                    first_response_at=at(2026, 4, 1, 15), closed_at=at(2026, 4, 15, 10),
                    settled=True),
        "C3": _case("10-2026-0003", "10", at(2026, 5, 4, 10), actor_kind="council",
                    quarter="Linden-Süd", mode="kuemmerer", status="in_progress",
                    first_response_at=at(2026, 5, 4, 12)),
        "C4": _case("10-2026-0004", "10", at(2026, 6, 12, 16), mode="lotse", status="referred",
                    first_response_at=at(2026, 6, 15, 9), closed_at=at(2026, 6, 15, 9),
                    referral_helped=False),
        "C5": _case("10-2026-0005", "10", at(2026, 6, 30, 23, 30), topic="education"),
        # district 10, outside: the last minutes of March and the first of July (local time)
        "C6": _case("10-2026-0006", "10", at(2026, 3, 31, 23, 30)),
        "C7": _case("10-2026-0007", "10", at(2026, 7, 1, 0, 30)),
        # another district, not asked for
        "C8": _case("01-2026-0001", "01", at(2026, 4, 10, 10), mode="lotse", status="referred"),
        # district 06
        "D1": _case("06-2026-0001", "06", at(2026, 4, 14, 8), topic="seniors",
                    quarter="Kirchrode", mode="lotse", status="referred",
                    first_response_at=at(2026, 4, 16, 9), closed_at=at(2026, 4, 16, 9)),
        "D2": _case("06-2026-0002", "06", at(2026, 5, 11, 10), actor_kind="initiative",
                    quarter="Bemerode", mode="kuemmerer", status="in_progress",
                    first_response_at=at(2026, 5, 15, 10), settled=False),  # said "no": reopened
        "D3": _case("06-2026-0003", "06", at(2026, 6, 3, 10), quarter="Kirchrode",
                    mode="kuemmerer", status="resolved", first_response_at=at(2026, 6, 3, 10, 30),
                    closed_at=at(2026, 6, 5, 12)),
        "D4": _case("06-2026-0004", "06", at(2026, 6, 4, 10), topic="seniors", status="merged",
                    first_response_at=at(2026, 6, 4, 11), closed_at=at(2026, 6, 4, 11)),
    }  # fmt: skip
    session.add_all(cases.values())
    await session.flush()
    for key, when in (("C2", at(2026, 4, 16, 9)), ("D2", at(2026, 5, 28, 9))):
        session.add(CaseEvent(case_id=cases[key].id, kind="reopened", actor_role="resident",
                              created_at=when))  # fmt: skip
    session.add(CaseEvent(case_id=cases["C1"].id, kind="submitted", created_at=at(2026, 4, 2, 9)))

    def agreement(district: str, dep: str, due: date, **values: Any) -> Agreement:
        moment = at(due.year, due.month, due.day)
        return Agreement(district_number=district, department_number=dep, measure="Maßnahme",
                         due_at=moment, created_at=moment - timedelta(days=30),
                         updated_at=moment, **values)  # fmt: skip

    session.add_all([
        agreement("10", "61", date(2026, 4, 30), status="done", done_at=at(2026, 4, 30, 15)),
        agreement("10", "61", date(2026, 5, 15), status="done_reported",
                  done_at=at(2026, 5, 18, 9)),
        agreement("10", "32", date(2026, 6, 10), status="open", escalation_level=1),
        agreement("10", "32", date(2026, 7, 1), status="open"),  # due after the quarter
        agreement("10", "61", date(2026, 6, 20), status="cancelled"),
        agreement("10", "32", date(2026, 6, 30), status="problem", escalation_level=2),
        agreement("06", "67", date(2026, 4, 15), status="done", done_at=at(2026, 4, 14, 12),
                  escalation_level=1),
        agreement("06", "67", date(2026, 5, 29), status="done", confirmed_at=at(2026, 6, 2, 8)),
        agreement("01", "61", date(2026, 5, 5), status="open"),
    ])  # fmt: skip

    def conference(district: str, starts: datetime, status: str = "held",
                   kind: str = "conference") -> Conference:  # fmt: skip
        return Conference(district_number=district, kind=kind, starts_at=starts, status=status,
                          created_at=starts - timedelta(days=20))  # fmt: skip

    session.add_all([
        conference("10", at(2026, 3, 10, 10)), conference("10", at(2026, 5, 20, 10)),
        conference("10", at(2026, 6, 1, 10), kind="meeting"),
        conference("10", at(2026, 9, 1, 10), status="cancelled"),
        conference("10", at(2025, 12, 20, 10)),
        conference("06", at(2026, 1, 1, 0, 30)),  # 31 December, 23:30 in UTC
        conference("06", at(2026, 10, 1, 10), status="planned"),
    ])  # fmt: skip
    made = at(2026, 1, 10)
    session.add_all([Project(district_number=d, year=y, title="Projekt", created_at=made,
                             updated_at=made) for d, y in (("10", 2026), ("10", 2026),
                                                           ("10", 2025))])  # fmt: skip
    return cases


async def compute(env: BotEnv, now: datetime = NOW) -> figures.Figures:
    period = parse_period("2026-Q2", now=now, tz=TZ)
    async with session_scope(env.services.session_maker) as session:
        return await figures.compute(session, districts=["10", "06"], period=period, now=now)


async def test_every_figure_equals_the_hand_count(env: BotEnv) -> None:
    async with session_scope(env.services.session_maker) as session:
        await seed(session)
    fig = await compute(env)
    assert fig.districts == ("06", "10")
    d10, d06, total = fig.per_district["10"], fig.per_district["06"], fig.total

    assert d10.received == 5  # C1–C5; C6 (31 March 23:30) and C7 (1 July 00:30) are outside
    assert d10.by_sender == Counter(resident=3, actor=1, council=1)
    assert d10.by_topic == Counter(public_space=3, family=1, education=1)
    assert d10.by_quarter == Counter({"Linden-Süd": 2, "Linden-Nord": 1, "": 2})
    assert d10.by_month_topic == Counter({
        ("2026-04", "public_space"): 1, ("2026-04", "family"): 1,
        ("2026-05", "public_space"): 1,
        ("2026-06", "public_space"): 1, ("2026-06", "education"): 1,
    })  # fmt: skip
    assert (d10.lotse, d10.kuemmerer, d10.helped_yes, d10.helped_no) == (2, 2, 1, 1)
    assert (d10.settled_yes, d10.settled_no, d10.settled_unanswered) == (1, 0, 0)
    assert d10.reopened == 1
    assert sorted(d10.first_response) == [0, 0, 1, 1]  # C1 across Easter: 1 working day
    assert sorted(d10.resolution) == [1, 1, 8]  # C2: 1 → 15 April, two holidays inside
    assert sorted(d10.backlog_ages) == [1, 40, 61]  # C5, C3 (Ascension, Whit Monday), C6

    assert d06.received == 4
    assert d06.by_sender == Counter(resident=3, actor=1)
    assert d06.by_topic == Counter(seniors=2, public_space=2)
    assert d06.by_quarter == Counter({"Kirchrode": 2, "Bemerode": 1, "": 1})
    assert (d06.lotse, d06.kuemmerer, d06.helped_yes, d06.helped_no) == (1, 2, 0, 0)
    assert (d06.settled_yes, d06.settled_no, d06.settled_unanswered) == (0, 1, 1)
    assert d06.reopened == 1
    assert sorted(d06.first_response) == [0, 0, 2, 3]  # D2: 11 → 15 May, Ascension inside
    assert sorted(d06.resolution) == [2, 2]  # the merged D4 is no resolution
    assert d06.backlog_ages == [35]

    assert total.received == 9
    assert total.by_sender == Counter(resident=6, actor=2, council=1)
    assert figures.share(total.lotse, total.lotse + total.kuemmerer) == pytest.approx(3 / 7)
    assert figures.share(total.helped_yes, total.lotse) == pytest.approx(1 / 3)
    assert figures.share(total.reopened, total.received) == pytest.approx(2 / 9)
    assert figures.median(total.first_response) == 0.5  # 0 0 0 0 | 1 1 2 3
    assert figures.p90(total.first_response) == 3  # rank ceil(0.9 × 8) = 8
    assert figures.median(total.resolution) == 2  # 1 1 2 2 8
    assert figures.p90(total.resolution) == 8  # rank ceil(0.9 × 5) = 5
    assert figures.median(total.backlog_ages) == 37.5  # 1 35 40 61
    assert max(total.backlog_ages) == 61


async def test_agreements_conferences_and_projects(env: BotEnv) -> None:
    async with session_scope(env.services.session_maker) as session:
        await seed(session)
    fig = await compute(env)
    d10, d06 = fig.per_district["10"], fig.per_district["06"]
    assert d10.agreements["61"] == Counter(due=2, on_time=1, late=1, cancelled=1)
    assert d10.agreements["32"] == Counter(due=2, open=2, overdue=2, escalated=2)
    assert d06.agreements["67"] == Counter(due=2, on_time=1, late=1, escalated=1)
    totals = fig.total.agreement_totals()
    assert (totals["due"], totals["on_time"], totals["late"], totals["overdue"]) == (6, 2, 2, 2)
    assert d10.conferences == Counter({2026: 2})  # the meeting, the cancelled and 2025 not
    assert d06.conferences == Counter({2026: 1})  # 1 January 00:30 local counts for 2026
    assert figures.conference_rule(2, 2026, fig.now, TZ) == "met"
    assert figures.conference_rule(1, 2026, fig.now, TZ) == "open"
    assert figures.conference_rule(1, 2025, fig.now, TZ) == "missed"
    assert d10.projects == Counter({2026: 2})
    assert d06.projects == Counter()

    # On the due day itself an agreement is open, not yet overdue.
    earlier = await compute(env, now=datetime(2026, 6, 30, 10, tzinfo=TZ))
    assert earlier.per_district["10"].agreements["32"]["overdue"] == 1


async def test_case_queries_group_in_the_database(env: BotEnv) -> None:
    async with session_scope(env.services.session_maker) as session:
        await seed(session)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(env.engine.sync_engine, "before_cursor_execute", record)
    try:
        await compute(env)
    finally:
        event.remove(env.engine.sync_engine, "before_cursor_execute", record)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 11  # fixed, whatever the number of cases (meetings, 2 council)
    assert not any("description" in s or "contact" in s or "cases.*" in s for s in selects)
    grouped = [s for s in selects if "GROUP BY" in s]
    assert len(grouped) == 8  # the rest fetch only timestamp columns for working days


def test_calendar_counts_like_working_days_between() -> None:
    calendar = figures.WorkdayCalendar(TZ)
    rng = random.Random(3)
    start = date(2025, 11, 1)
    for _ in range(2000):
        a = start + timedelta(days=rng.randint(0, 500))
        b = a + timedelta(days=rng.randint(-5, 60))
        assert calendar.between(a, b) == working_days_between(a, b), (a, b)
    # local dates: 23:30 on Thursday in Berlin is still Thursday, though Friday never starts
    assert calendar.between(at(2026, 4, 2, 23, 30), at(2026, 4, 7, 0, 30)) == 1
    # the same from SQLite's stored UTC text, cached by the hour
    thursday, tuesday = "2026-04-02 21:30:00.000000", "2026-04-06 22:30:00.000000"
    assert calendar.stamp(tuesday) - calendar.stamp(thursday) == 1
    assert calendar.stamp(at(2026, 4, 6, 23, 59)) == calendar.stamp(tuesday) - 1
    assert calendar.stamp("2026-10-24 22:30:00") == calendar.index(date(2026, 10, 25))  # +2 h


def test_percentiles() -> None:
    assert figures.median([]) is None and figures.p90([]) is None
    assert figures.p90(list(range(1, 11))) == 9
    assert figures.p90([5]) == 5


@pytest.mark.parametrize(("text", "first", "end", "key"), [
    ("2026-H1", date(2026, 1, 1), date(2026, 7, 1), "2026-H1"),
    ("2026-h2", date(2026, 7, 1), date(2027, 1, 1), "2026-H2"),
    ("2026-Q3", date(2026, 7, 1), date(2026, 10, 1), "2026-Q3"),
    ("2026-03", date(2026, 3, 1), date(2026, 4, 1), "2026-03"),
    ("2026", date(2026, 1, 1), date(2027, 1, 1), "2026"),
    ("letztes Quartal", date(2025, 10, 1), date(2026, 1, 1), "2025-Q4"),
    ("dieses Quartal", date(2026, 1, 1), date(2026, 4, 1), "2026-Q1"),
    ("dieses Jahr", date(2026, 1, 1), date(2027, 1, 1), "2026"),
    ("letztes Jahr", date(2025, 1, 1), date(2026, 1, 1), "2025"),
    ("letzter Monat", date(2026, 2, 1), date(2026, 3, 1), "2026-02"),
    ("vorheriges Halbjahr", date(2025, 7, 1), date(2026, 1, 1), "2025-H2"),
    ("März 2026", date(2026, 3, 1), date(2026, 4, 1), "2026-03"),
    ("Maerz", date(2026, 3, 1), date(2026, 4, 1), "2026-03"),
    ("Q1 2026", date(2026, 1, 1), date(2026, 4, 1), "2026-Q1"),
    ("2. Halbjahr 2025", date(2025, 7, 1), date(2026, 1, 1), "2025-H2"),
    ("1.1.2026 - 31.3.2026", date(2026, 1, 1), date(2026, 4, 1), "20260101-20260331"),
    ("vom 15.02.2026 bis 14.03.2026", date(2026, 2, 15), date(2026, 3, 15),
     "20260215-20260314"),
    ("20260215-20260314", date(2026, 2, 15), date(2026, 3, 15), "20260215-20260314"),
])  # fmt: skip
def test_periods(text: str, first: date, end: date, key: str) -> None:
    now = datetime(2026, 3, 11, 9, tzinfo=UTC)
    period = parse_period(text, now=now, tz=TZ)
    assert (period.first, period.end, period.key) == (first, end, key)
    assert parse_period(period.key, now=now, tz=TZ) == period


def test_period_bounds_are_local_midnights_in_utc() -> None:
    now = datetime(2026, 3, 11, 9, tzinfo=UTC)
    q2 = parse_period("2026-Q2", now=now, tz=TZ)
    assert q2.start_utc == datetime(2026, 3, 31, 22, tzinfo=UTC)  # summer time
    assert q2.end_utc == datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert parse_period("2026", now=now, tz=TZ).start_utc == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert q2.label("de") == "2. Quartal 2026" and q2.label("en") == "Q2 2026"
    assert parse_period("2026-03", now=now, tz=TZ).label("de") == "März 2026"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-13",
        "2026-Q5",
        "nächstes Quartal",
        "31.2.2026 - 1.3.2026",
        "1.4.2026 - 1.3.2026",
        "Kürbis",
    ],
)
def test_unknown_periods(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, now=datetime(2026, 3, 11, 9, tzinfo=UTC), tz=TZ)


async def test_concerns_by_status_and_planned_conferences(env: BotEnv) -> None:
    async with session_scope(env.services.session_maker) as session:
        await seed(session)
    fig = await compute(env)
    d10, d06 = fig.per_district["10"], fig.per_district["06"]
    assert d10.by_status == Counter(new=1, in_progress=1, referred=2, resolved=1)
    assert d06.by_status == Counter(in_progress=1, referred=1, resolved=1, merged=1)
    assert sum(fig.total.by_status[s] for s in figures.STATUSES) == fig.total.received == 9
    assert d06.planned == Counter({2026: 1}) and d06.conferences == Counter({2026: 1})
    assert d10.planned == Counter()  # the cancelled one is neither held nor planned
    # "the contact helped" counts among the answers: C1 yes, C4 no, D1 not asked yet
    assert (fig.total.helped_yes, fig.total.helped_no, fig.total.lotse) == (1, 1, 3)
