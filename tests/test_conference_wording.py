"""Conference reminders in working hours, worded from the real days to the meeting:
table-driven over meetings after weekends, Lower Saxony holidays and the daylight-saving
changes, walked with the controllable clock; German and English."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.agreements import conferences
from bot.services.basics.workdays import is_working_hours
from bot.storage.db import session_scope
from tests.conftest import BotEnv
from tests.helpers import bind_role
from tests.reminder_walk import BERLIN, delivered, walk

REP, MANAGER = 700_066, 700_010


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def lead(de_when: str, en_when: str, de_date: str, en_date: str) -> tuple[str, str]:
    return (
        f"Erinnerung, {de_when}: Stadtbezirkskonferenz Linden-Limmer, {de_date}",
        f"Reminder, {en_when}: District conference Linden-Limmer, {en_date}",
    )


# (planned at, the meeting, every reminder to the rep: when, words)
CASES: dict[str, tuple[datetime, datetime, list[tuple[datetime, tuple[str, str]]]]] = {
    "monday_after_summer_time_begins_2026": (
        at(2026, 3, 2),
        at(2026, 3, 30),
        [
            (at(2026, 3, 23), lead("in einer Woche", "in one week", "Mo, 30.03.2026, 10:00",
                                   "Mon, 30 Mar 2026, 10:00")),
            # the day before is a Sunday: on Friday, saying so
            (at(2026, 3, 27), lead("in 3 Tagen", "in 3 days", "Mo, 30.03.2026, 10:00",
                                   "Mon, 30 Mar 2026, 10:00")),
        ],
    ),
    "tuesday_after_easter_2026": (
        at(2026, 3, 2),
        at(2026, 4, 7),
        [
            (at(2026, 3, 31), lead("in einer Woche", "in one week", "Di, 07.04.2026, 10:00",
                                   "Tue, 7 Apr 2026, 10:00")),
            # Easter Monday and Good Friday are holidays: Maundy Thursday
            (at(2026, 4, 2), lead("in 5 Tagen", "in 5 days", "Di, 07.04.2026, 10:00",
                                  "Tue, 7 Apr 2026, 10:00")),
        ],
    ),
    "evening_after_summer_time_ends_2026": (
        at(2026, 10, 1),
        at(2026, 10, 26, 18, 30),
        [
            # 18:30 is after working hours: 17:00
            (at(2026, 10, 19, 17), lead("in einer Woche", "in one week",
                                        "Mo, 26.10.2026, 18:30", "Mon, 26 Oct 2026, 18:30")),
            (at(2026, 10, 23, 17), lead("in 3 Tagen", "in 3 days", "Mo, 26.10.2026, 18:30",
                                        "Mon, 26 Oct 2026, 18:30")),
        ],
    ),
    "after_easter_and_summer_time_2027": (
        at(2027, 3, 1),
        at(2027, 3, 30),
        [
            (at(2027, 3, 23), lead("in einer Woche", "in one week", "Di, 30.03.2027, 10:00",
                                   "Tue, 30 Mar 2027, 10:00")),
            (at(2027, 3, 25), lead("in 5 Tagen", "in 5 days", "Di, 30.03.2027, 10:00",
                                   "Tue, 30 Mar 2027, 10:00")),
        ],
    ),
    "monday_after_christmas_2026": (
        at(2026, 12, 1),
        at(2026, 12, 28),
        [
            (at(2026, 12, 21), lead("in einer Woche", "in one week", "Mo, 28.12.2026, 10:00",
                                    "Mon, 28 Dec 2026, 10:00")),
            # Christmas Eve is a working day; 25 and 26 December are not
            (at(2026, 12, 24), lead("in 4 Tagen", "in 4 days", "Mo, 28.12.2026, 10:00",
                                    "Mon, 28 Dec 2026, 10:00")),
        ],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
async def test_conference_reminders_match_the_calendar(env: BotEnv, case: str) -> None:
    planned, starts, expected = CASES[case]
    env.clock.set(planned)
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, REP, Role.REP, district="10", department="66", first_name="Rolf")
    async with session_scope(env.services.session_maker) as session:
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        await conferences.schedule_conference(
            session,
            env.services.env,
            district="10",
            starts_at=starts,
            departments=["66"],
            created_by=manager,
            now=env.clock.now(),
        )
    await walk(env, starts)
    got = [m for m in await delivered(env, REP) if m.kind == "conference_reminder"]
    for message in got:
        assert is_working_hours(message.at, tz=BERLIN), message
    assert all(n == 1 for n in Counter(m.at for m in got).values())
    assert [(m.at, (m.text("de"), m.text("en"))) for m in got] == expected
