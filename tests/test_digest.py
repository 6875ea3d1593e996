"""The Monday digest with a controllable clock: once per week, working Mondays only.

Decision under test: a holiday Monday (Easter Monday 6 April 2026) sends nothing, and the
Tuesday after it nothing either; the next Monday's digest counts "new" since the last
digest that went out (30 March), so the skipped week is covered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.delivery import flush_outbox
from bot.handlers.reports import run_weekly_digest
from bot.messages.formatting import format_date
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.reporting import digest
from bot.services.reporting.digest import is_digest_day, previous_digest_day
from bot.storage.db import session_scope
from bot.storage.models import Agreement, Case, Reminder
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role

TZ = ZoneInfo("Europe/Berlin")
MANAGER = 700_010
MANAGER_06 = 700_006
COORDINATOR = 700_100


def berlin(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


async def add_case(env: BotEnv, ref: str, created: datetime, *, district: str = "10",
                   status: str = "new", **values: Any) -> None:  # fmt: skip
    async with session_scope(env.services.session_maker) as session:
        session.add(
            Case(
                reference=ref,
                district_number=district,
                topic="public_space",
                status=status,
                created_at=created,
                updated_at=created,
                **values,
            )
        )


async def add_agreement(env: BotEnv, created: datetime, due: datetime, status: str,
                        measure: str = "Bänke reparieren") -> None:  # fmt: skip
    async with session_scope(env.services.session_maker) as session:
        session.add(
            Agreement(
                district_number="10",
                department_number="61",
                measure=measure,
                due_at=due,
                status=status,
                created_at=created,
                updated_at=created,
            )
        )


async def setup(env: BotEnv) -> None:
    for telegram_id, role, district in ((MANAGER, Role.MANAGER, "10"),
                                        (MANAGER_06, Role.MANAGER, "06"),
                                        (COORDINATOR, Role.COORDINATOR, None)):  # fmt: skip
        await bind_role(env, telegram_id, role, district=district)
    await add_case(env, "10-2026-0001", berlin(3, 10))  # new, untriaged since Tuesday: overdue
    await add_case(env, "10-2026-0002", berlin(3, 12))  # new, not yet overdue
    await add_case(
        env,
        "10-2026-0003",
        berlin(2, 1),
        status="in_progress",
        mode="kuemmerer",
        next_step_due=berlin(3, 13),
    )  # next step missed: overdue
    await add_case(env, "10-2026-0004", berlin(3, 16, 6))  # this morning: next week's "new"
    await add_case(env, "10-2026-0005", berlin(3, 11), status="resolved")  # new, not open
    await add_case(env, "06-2026-0001", berlin(3, 11), district="06")
    await add_agreement(env, berlin(3, 10), berlin(3, 13, 0), "open")  # new and overdue
    await add_agreement(env, berlin(1, 10), berlin(4, 1, 0), "open")
    await add_agreement(env, berlin(1, 10), berlin(3, 2, 0), "done_reported")  # to confirm
    await add_agreement(env, berlin(1, 10), berlin(3, 2, 0), "done")


def texts(env: BotEnv, chat: int) -> list[str]:
    return [m.plain_text for m in env.api.messages(chat)]


async def digest_rows(env: BotEnv) -> int:
    async with session_scope(env.services.session_maker) as session:
        return int(await session.scalar(
            select(func.count()).select_from(Reminder).where(Reminder.kind == "weekly_digest")
        ) or 0)  # fmt: skip


async def run_at(env: BotEnv, moment: datetime) -> int:
    env.clock.set(moment)
    assert env.app is not None
    return await run_weekly_digest(env.app)


async def test_monday_digest_once_per_week(env: BotEnv) -> None:
    await setup(env)
    assert await run_at(env, berlin(3, 16, 7, 30)) == 4  # two managers, coordinator, admin
    [text] = texts(env, MANAGER)
    assert "Weekly overview Linden-Limmer" in text
    assert "Concerns: 3 new since Mon, 9 Mar 2026, 4 open, 2 overdue" in text
    assert "Agreements: 1 new, 3 open, 1 overdue" in text
    assert "Overdue concerns: 10-2026-0003, 10-2026-0001" in text
    assert "Department 61, due Fri, 13 Mar 2026: Bänke reparieren" in text
    assert "06-2026" not in text and "Weekly overview of all districts" not in text
    [other] = texts(env, MANAGER_06)
    assert "Concerns: 1 new since Mon, 9 Mar 2026, 1 open, 1 overdue" in other  # Wed → Mon
    [overview] = texts(env, COORDINATOR)
    assert "Weekly overview of all districts" in overview
    assert "10 Linden-Limmer: 3 / 4 / 2 · 1 / 3 / 1" in overview
    assert "06 Kirchrode-Bemerode-Wülferode: 1 / 1 / 1 · 0 / 0 / 0" in overview
    assert "Total: 4 / 5 / 3 · 1 / 3 / 1" in overview
    assert "13 Nord: 0 / 0 / 0 · 0 / 0 / 0" in overview
    assert len(texts(env, ADMIN_ID)) == 1  # configured admins count as coordinators

    assert await run_at(env, berlin(3, 16, 9)) == 0  # a restart later that morning
    assert await run_at(env, berlin(3, 17, 7, 30)) == 0  # Tuesday
    assert len(texts(env, MANAGER)) == 1 and len(texts(env, COORDINATOR)) == 1
    assert await digest_rows(env) == 4

    assert await run_at(env, berlin(3, 23, 7, 30)) == 4  # the next Monday
    assert "Concerns: 1 new since Mon, 16 Mar 2026" in texts(env, MANAGER)[-1]


async def test_easter_monday_is_skipped_and_the_next_digest_covers_two_weeks(
    env: BotEnv,
) -> None:
    await setup(env)
    await add_case(env, "10-2026-0010", berlin(4, 1))  # in the week before Easter
    assert await run_at(env, berlin(3, 30, 7, 30)) == 4
    before = len(texts(env, MANAGER))
    assert await run_at(env, berlin(4, 6, 7, 30)) == 0  # Easter Monday: a holiday
    assert await run_at(env, berlin(4, 7, 7, 30)) == 0  # and no catching up on Tuesday
    assert len(texts(env, MANAGER)) == before
    assert await run_at(env, berlin(4, 13, 7, 30)) == 4
    assert "1 new since Mon, 30 Mar 2026" in texts(env, MANAGER)[-1]


def test_digest_days() -> None:
    assert is_digest_day(berlin(3, 16).date())
    assert not is_digest_day(berlin(3, 17).date())
    assert not is_digest_day(berlin(4, 6).date())  # Easter Monday
    assert not is_digest_day(berlin(5, 25).date())  # Whit Monday
    assert previous_digest_day(berlin(4, 13).date()) == berlin(3, 30).date()
    assert previous_digest_day(berlin(6, 1).date()) == berlin(5, 18).date()


async def test_the_job_runs_on_mondays_at_half_past_seven_in_hannover(env: BotEnv) -> None:
    assert env.app is not None and env.app.job_queue is not None
    [job] = env.app.job_queue.get_jobs_by_name("weekly_digest")
    trigger = str(job.job.trigger)
    assert "day_of_week='mon'" in trigger and "hour='7'" in trigger and "minute='30'" in trigger
    assert str(job.job.trigger.timezone) == "Europe/Berlin"


async def test_the_digest_reads_german_in_german(env: BotEnv) -> None:
    await setup(env)
    async with session_scope(env.services.session_maker) as session:
        for chat in (MANAGER, COORDINATOR):
            person = await people.get_person(session, telegram_id=chat)
            assert person is not None
            person.language = "de"
    assert await run_at(env, berlin(3, 16, 7, 30)) == 4
    [text] = texts(env, MANAGER)
    since = format_date(berlin(3, 9).date(), lang="de")
    assert "Wochenübersicht Linden-Limmer" in text
    assert f"Anliegen: 3 neu seit {since}, 4 offen, 2 überfällig" in text
    due = format_date(berlin(3, 13).date(), lang="de")
    assert f"• Fachbereich 61, fällig am {due}: Bänke reparieren" in text
    [overview] = texts(env, COORDINATOR)
    assert "Wochenübersicht aller Stadtbezirke" in overview
    assert "Gesamt: 4 / 5 / 3 · 1 / 3 / 1" in overview


async def test_a_queued_digest_speaks_the_language_chosen_after_it_was_written(
    env: BotEnv,
) -> None:
    await setup(env)
    env.clock.set(berlin(3, 16, 7, 30))
    settings = env.services.settings
    async with session_scope(env.services.session_maker) as session:
        written = await digest.write_weekly_digests(
            session, now=env.clock.now(), tz=settings.tz, admin_ids=settings.admin_telegram_ids
        )
        assert written == 4
        person = await people.get_person(session, telegram_id=MANAGER)
        assert person is not None
        person.language = "de"  # chosen after the digest was queued, before delivery
    assert env.app is not None
    await flush_outbox(env.app)
    [text] = texts(env, MANAGER)
    assert "Wochenübersicht Linden-Limmer" in text
    assert "Weekly overview of all districts" in texts(env, COORDINATOR)[0]  # still English
