"""The words of every reminder come from the real due date and the moment it is read, never
from the slot's name: table-driven over due dates on Saturdays, Sundays, public holidays of
Lower Saxony, the days before and after them and the daylight-saving changes (29 March and
25 October 2026, 28 March 2027), each walked with the controllable clock through the real
sweep. No nudge outside working hours, none twice, none missing; German and English."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.agreements import workflow as agreements
from bot.services.basics.workdays import is_working_hours
from bot.storage.db import session_scope
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role
from tests.reminder_walk import delivered, walk

BERLIN = ZoneInfo("Europe/Berlin")
REP, MANAGER = 700_066, 700_010

NEW = ("Eine neue Vereinbarung für Ihren Fachbereich:", "A new agreement for your department:")


def due_in(days: int) -> tuple[str, str]:
    return (
        f"Erinnerung: Diese Vereinbarung ist in {days} Tagen fällig.",
        f"Reminder: this agreement is due in {days} days.",
    )


TODAY = (
    "Erinnerung: Diese Vereinbarung ist heute fällig.",
    "Reminder: this agreement is due today.",
)
TOMORROW = (
    "Erinnerung: Diese Vereinbarung ist morgen fällig.",
    "Reminder: this agreement is due tomorrow.",
)


def was_due(de: str, en: str) -> tuple[str, str]:
    return (
        f"Erinnerung: Diese Vereinbarung war am {de}, fällig.",
        f"Reminder: this agreement was due on {en}.",
    )


def overdue(days: int) -> tuple[str, str]:
    return (
        f"Diese Vereinbarung ist seit {days} Arbeitstagen überfällig. Bitte melden Sie den Stand.",
        f"This agreement is overdue by {days} working days. Please report its state.",
    )


def at(year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


Row = tuple[datetime, tuple[str, str]]
# (created, due date, every message to the rep up to the first overdue notice: when, words)
CASES: dict[str, tuple[datetime, date, list[Row]]] = {
    # the case: "bis Ende Januar", a Sunday; the due-day nudge comes on Monday
    "sunday_31_january_2027": (
        at(2027, 1, 18, 10),
        date(2027, 1, 31),
        [
            (at(2027, 1, 18, 10), NEW),
            (at(2027, 1, 22), due_in(9)),  # a week before is a Sunday: the Friday before
            (at(2027, 1, 29), due_in(2)),  # the day before is a Saturday
            (at(2027, 2, 1), was_due("Sonntag, 31.01.", "Sunday, 31 January")),
            (at(2027, 2, 3), overdue(3)),
        ],
    ),
    "saturday_14_november_2026": (
        at(2026, 11, 2, 10),
        date(2026, 11, 14),
        [
            (at(2026, 11, 2, 10), NEW),
            (at(2026, 11, 6), due_in(8)),
            (at(2026, 11, 13), TOMORROW),
            (at(2026, 11, 16), was_due("Samstag, 14.11.", "Saturday, 14 November")),
            (at(2026, 11, 18), overdue(3)),
        ],
    ),
    "good_friday_2026": (
        at(2026, 3, 23, 10),
        date(2026, 4, 3),
        [
            (at(2026, 3, 23, 10), NEW),
            (at(2026, 3, 27), due_in(7)),
            (at(2026, 4, 2), TOMORROW),
            # Easter Monday is a holiday too: Tuesday
            (at(2026, 4, 7), was_due("Freitag, 03.04.", "Friday, 3 April")),
            (at(2026, 4, 9), overdue(3)),
        ],
    ),
    "the_day_before_good_friday_2026": (
        at(2026, 3, 23, 10),
        date(2026, 4, 2),
        [
            (at(2026, 3, 23, 10), NEW),
            (at(2026, 3, 26), due_in(7)),
            (at(2026, 4, 1), TOMORROW),
            (at(2026, 4, 2), TODAY),
            (at(2026, 4, 9), overdue(3)),  # Good Friday and Easter Monday do not count
        ],
    ),
    "the_day_after_easter_monday_2026": (
        at(2026, 3, 23, 10),
        date(2026, 4, 7),
        [
            (at(2026, 3, 23, 10), NEW),
            (at(2026, 3, 31), due_in(7)),
            (at(2026, 4, 2), due_in(5)),  # the day before is Easter Monday: Maundy Thursday
            (at(2026, 4, 7), TODAY),
            (at(2026, 4, 10), overdue(3)),
        ],
    ),
    "christmas_day_2026_created_on_a_saturday_evening": (
        at(2026, 12, 12, 20),
        date(2026, 12, 25),
        [
            (at(2026, 12, 14), NEW),  # held until Monday morning
            (at(2026, 12, 18), due_in(7)),
            (at(2026, 12, 24), TOMORROW),  # Christmas Eve is a working day
            (at(2026, 12, 28), was_due("Freitag, 25.12.", "Friday, 25 December")),
            (at(2026, 12, 30), overdue(3)),
        ],
    ),
    "christmas_eve_2026": (
        at(2026, 12, 14, 10),
        date(2026, 12, 24),
        [
            (at(2026, 12, 14, 10), NEW),
            (at(2026, 12, 17), due_in(7)),
            (at(2026, 12, 23), TOMORROW),
            (at(2026, 12, 24), TODAY),
            (at(2026, 12, 30), overdue(3)),
        ],
    ),
    "summer_time_begins_sunday_29_march_2026": (
        at(2026, 3, 16, 10),
        date(2026, 3, 29),
        [
            (at(2026, 3, 16, 10), NEW),
            (at(2026, 3, 20), due_in(9)),
            (at(2026, 3, 27), due_in(2)),
            (at(2026, 3, 30), was_due("Sonntag, 29.03.", "Sunday, 29 March")),  # 08:00 CEST
            (at(2026, 4, 1), overdue(3)),
        ],
    ),
    "the_monday_after_summer_time_begins_2026": (
        at(2026, 3, 16, 10),
        date(2026, 3, 30),
        [
            (at(2026, 3, 16, 10), NEW),
            (at(2026, 3, 23), due_in(7)),
            (at(2026, 3, 27), due_in(3)),  # 08:00 CET, the day before is the Sunday
            (at(2026, 3, 30), TODAY),  # 08:00 CEST
            (at(2026, 4, 2), overdue(3)),
        ],
    ),
    "summer_time_ends_sunday_25_october_2026": (
        at(2026, 10, 12, 10),
        date(2026, 10, 25),
        [
            (at(2026, 10, 12, 10), NEW),
            (at(2026, 10, 16), due_in(9)),
            (at(2026, 10, 23), due_in(2)),
            (at(2026, 10, 26), was_due("Sonntag, 25.10.", "Sunday, 25 October")),  # 08:00 CET
            (at(2026, 10, 28), overdue(3)),
        ],
    ),
    "summer_time_begins_sunday_28_march_2027_at_easter": (
        at(2027, 3, 15, 10),
        date(2027, 3, 28),
        [
            (at(2027, 3, 15, 10), NEW),
            (at(2027, 3, 19), due_in(9)),
            (at(2027, 3, 25), due_in(3)),  # Saturday's nudge, before Good Friday
            (at(2027, 3, 30), was_due("Sonntag, 28.03.", "Sunday, 28 March")),  # after Easter
            (at(2027, 4, 1), overdue(3)),
        ],
    ),
    "ascension_day_2026": (
        at(2026, 5, 4, 10),
        date(2026, 5, 14),
        [
            (at(2026, 5, 4, 10), NEW),
            (at(2026, 5, 7), due_in(7)),
            (at(2026, 5, 13), TOMORROW),
            (at(2026, 5, 15), was_due("Donnerstag, 14.05.", "Thursday, 14 May")),
            (at(2026, 5, 19), overdue(3)),
        ],
    ),
}


async def _create(env: BotEnv, due: date) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, REP, Role.REP, district="10", department="66", first_name="Ralf")
    async with session_scope(env.services.session_maker) as session:
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        await agreements.create_agreement(
            session,
            env.services.env,
            district="10",
            department="66",
            measure="Zwei Abfallbehälter am Küchengartenplatz",
            due=datetime.combine(due, time(), tzinfo=BERLIN),
            now=env.clock.now(),
            created_by=manager,
            topic="public_space",
        )


@pytest.mark.parametrize("case", sorted(CASES))
async def test_the_words_of_each_nudge_match_the_calendar(env: BotEnv, case: str) -> None:
    created, due, expected = CASES[case]
    env.clock.set(created)
    await _create(env, due)
    await walk(env, expected[-1][0].replace(hour=17, minute=59))
    got = await delivered(env, REP)
    for message in got:  # none outside working hours
        assert is_working_hours(message.at, tz=BERLIN), message
    keys = Counter(m.params.get("reminder_key") for m in got)
    assert all(count == 1 for count in keys.values())  # none twice
    assert [(m.at, (m.text("de"), m.text("en"))) for m in got] == expected  # none missing


# The escalations of the 2027 case (due on the Sunday of Easter and summer time): after more
# than 5 and more than 10 working days, Easter Monday not counted; one each, in the morning.
ESCALATIONS = [
    (
        MANAGER,
        at(2027, 4, 6),
        "⚠️ Eskalation: Diese Vereinbarung ist seit 6 Arbeitstagen überfällig.",
        "⚠️ Escalation: this agreement is overdue by 6 working days.",
    ),
    (
        ADMIN_ID,
        at(2027, 4, 13),
        "🚨 Eskalation an die Koordination 18.6: Diese Vereinbarung ist seit 11 Arbeitstagen "
        "überfällig.",
        "🚨 Escalation to coordination: this agreement is overdue by 11 working days.",
    ),
]


async def test_the_escalations_count_the_working_days_across_easter_and_summer_time(
    env: BotEnv,
) -> None:
    created, due, _ = CASES["summer_time_begins_sunday_28_march_2027_at_easter"]
    env.clock.set(created)
    await _create(env, due)
    await walk(env, at(2027, 4, 16, 17))
    for chat_id, moment, german, english in ESCALATIONS:
        got = [m for m in await delivered(env, chat_id) if m.kind == "escalation"]
        assert [(m.at, m.text("de"), m.text("en")) for m in got] == [(moment, german, english)]
