"""District conferences end to end: scheduling with German times, invitations, answers,
agenda, reminders, the six-month rule and the calendar (projects: test_projects.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update

from bot.handlers.conferences import run_planning_reminders
from bot.jobs import run_sweep
from bot.offline.simulator import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import (
    AgendaItem,
    Conference,
    ConferenceInvite,
    Person,
    Reminder,
)
from tests.conftest import BotEnv
from tests.helpers import bind_role

MANAGER, REP66, REP32, RESIDENT = 700_100, 700_166, 700_132, 1_201
OTHER_REP, OTHER_MANAGER, COORDINATOR = 700_199, 700_109, 700_150
STARTS = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)  # Wed 15 Apr 2026, 10:00 in Hannover


async def _english(env: BotEnv) -> None:
    """Staff read the bot in English (bind_role leaves the stored language unset)."""
    async with session_scope(env.services.session_maker) as session:
        await session.execute(update(Person).values(language="en"))


async def _staff(env: BotEnv) -> tuple[SimUser, SimUser, SimUser]:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, REP66, Role.REP, district="10", department="66", first_name="Rolf")
    await bind_role(env, REP32, Role.REP, district="10", department="32", first_name="Petra")
    await _english(env)
    sim = env.sim
    assert sim is not None
    return (
        sim.user(MANAGER, language_code="en"),
        sim.user(REP66, language_code="en"),
        sim.user(REP32, language_code="en"),
    )


async def _schedule(manager: SimUser, when: str = "15.4. um 10 Uhr") -> None:
    await manager.send("/konferenz")
    await manager.send(when)
    await manager.press("Yes")
    await manager.press("Send invitations")


async def _conferences(env: BotEnv) -> list[Conference]:
    async with session_scope(env.services.session_maker) as session:
        return list(await session.scalars(select(Conference).order_by(Conference.id)))


async def _invites(env: BotEnv) -> dict[str, ConferenceInvite]:
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(
            select(ConferenceInvite).where(ConferenceInvite.person_id.is_not(None))
        )
        return {i.department_number: i for i in rows}


async def _count(env: BotEnv, model: type) -> int:
    async with session_scope(env.services.session_maker) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_schedule_with_german_time_invites_the_reps(env: BotEnv) -> None:
    manager, rep66, rep32 = await _staff(env)
    await manager.send("/konferenz")
    assert "Linden-Limmer" in manager.last.plain_text
    await manager.send("irgendwann")
    assert "did not understand" in manager.last.plain_text
    await manager.send("gestern 10 Uhr")
    assert "already passed" in manager.last.plain_text
    await manager.send("15.4.")
    assert "add the time" in manager.last.plain_text
    assert await _count(env, Conference) == 0

    await manager.send("15.4. um 10 Uhr")
    assert "Wed, 15 Apr 2026, 10:00" in manager.last.plain_text
    await manager.press("Yes")
    labels = manager.buttons()
    defaults = [d for d in env.services.reference.departments if d.invited_to_conferences]
    assert sum(label.startswith("✅") for label in labels) == len(defaults)
    await manager.press("Department 15")  # leave one out
    assert "▫️ Department 15 – Büro Oberbürgermeister" in manager.buttons()
    await manager.press("Send invitations")

    texts = manager.texts()
    assert "Invitations sent to representatives: 2." in texts
    missing = next(text for text in texts if text.startswith("Nobody to invite from"))
    assert "Department 19" in missing and "Department 15" not in missing
    assert (
        "No answer yet: Department 32 (Öffentliche Ordnung?) (Petra), "
        "Department 66 (Tiefbau?) (Rolf)"
    ) in manager.last.plain_text

    [conference] = await _conferences(env)
    assert conference.district_number == "10" and conference.starts_at == STARTS
    assert conference.departments == {"invited": [d.number for d in defaults[1:]]}
    async with session_scope(env.services.session_maker) as session:
        invites = list(await session.scalars(select(ConferenceInvite)))
        keys = set(await session.scalars(select(Reminder.key)))
    assert len(invites) == len(defaults) - 1
    assert sorted(i.department_number for i in invites if i.person_id) == ["32", "66"]
    assert keys == {
        f"conf:{conference.id}:{STARTS.isoformat()}:d7",
        f"conf:{conference.id}:{STARTS.isoformat()}:d1",
    }

    invite = (await _invites(env))["66"]
    invitation = rep66.last
    assert "Invitation: District conference Linden-Limmer" in invitation.plain_text
    assert [b["callback_data"] for b in invitation.inline_buttons] == [
        f"cf:yes:{invite.id}",
        f"cf:no:{invite.id}",
        f"cf:agenda:{conference.id}",
    ]
    assert "Department 32" in rep32.last.plain_text


async def test_answers_and_agenda_reach_the_managers_overview(env: BotEnv) -> None:
    manager, rep66, rep32 = await _staff(env)
    await _schedule(manager)
    await rep66.press("Accept")
    assert "you accepted" in rep66.last.plain_text
    await rep32.press("Decline")
    assert "Department 32 (Öffentliche Ordnung?) declined" in manager.last.plain_text
    await rep66.press("Add agenda topic")
    assert "Type your topic" in rep66.last.plain_text
    await rep66.send("Parking at Lindener Marktplatz")
    assert "Added to the agenda" in rep66.last.plain_text

    invites = await _invites(env)
    assert invites["66"].response == "accepted" and invites["32"].response == "declined"
    await manager.send("/konferenzen")
    overview = manager.last.plain_text
    assert "Accepted: Department 66 (Tiefbau?) (Rolf)" in overview
    assert "Declined: Department 32 (Öffentliche Ordnung?) (Petra)" in overview
    assert "1. Parking at Lindener Marktplatz (Department 66 (Tiefbau?))" in overview
    [conference] = await _conferences(env)  # nothing to record before the meeting
    assert [b["callback_data"] for b in manager.last.inline_buttons] == [
        f"cf:agenda:{conference.id}"
    ]
    await manager.press("Add agenda topic")
    await manager.send("Report on the youth centre")
    await manager.send("/konferenzen")
    assert "2. Report on the youth centre\n" in manager.last.plain_text + "\n"


async def test_strangers_cannot_answer_or_add_topics(env: BotEnv) -> None:
    manager, _, _ = await _staff(env)
    await bind_role(env, OTHER_REP, Role.REP, district="09", department="66")
    await bind_role(env, OTHER_MANAGER, Role.MANAGER, district="09")
    await _schedule(manager)
    [conference] = await _conferences(env)
    invite = (await _invites(env))["66"]
    sim = env.sim
    assert sim is not None
    resident = sim.user(RESIDENT, language_code="en")
    other = sim.user(OTHER_REP, language_code="en")
    other_manager = sim.user(OTHER_MANAGER, language_code="en")

    for user in (resident, other):
        await user.send("/konferenz")
        assert "not allowed" in user.last.plain_text
        answer = await user.press_data(f"cf:yes:{invite.id}")
        assert answer is not None and "not allowed" in (answer.text or "")
        answer = await user.press_data(f"cf:agenda:{conference.id}")
        assert answer is not None and "not allowed" in (answer.text or "")
    await other.send("Sneaky topic")
    await other_manager.send("/konferenzen")
    answer = await other_manager.press_data(f"cf:held:{conference.id}")
    assert answer is not None and "not allowed" in (answer.text or "")
    await manager.send("/konferenz 09")
    assert "not allowed" in manager.last.plain_text

    assert (await _invites(env))["66"].response is None
    assert await _count(env, AgendaItem) == 0
    assert [c.status for c in await _conferences(env)] == ["planned"]


async def test_reminders_seven_days_and_one_day_before(env: BotEnv) -> None:
    manager, rep66, rep32 = await _staff(env)
    await _schedule(manager)
    await rep66.press("Accept")
    await rep32.press("Decline")
    declined = len(rep32.messages)

    env.clock.set(datetime(2026, 4, 8, 7, 59, tzinfo=UTC))
    assert await run_sweep(env.app) == 0
    env.clock.advance(minutes=2)
    assert await run_sweep(env.app) == 1
    assert "Reminder, in one week: District conference Linden-Limmer" in rep66.last.plain_text
    assert "Reminder, in one week" in manager.last.plain_text
    env.clock.set(datetime(2026, 4, 14, 8, 0, tzinfo=UTC))
    assert await run_sweep(env.app) == 1
    assert "Reminder, tomorrow" in rep66.last.plain_text
    assert "Reminder, tomorrow" in manager.last.plain_text
    assert len(rep32.messages) == declined  # who declined is not reminded
    assert await run_sweep(env.app) == 0


async def test_six_month_rule_reminds_the_manager_once_a_month(env: BotEnv) -> None:
    manager, _, _ = await _staff(env)
    assert await run_planning_reminders(env.app) == 1  # only district 10 has a manager
    assert "no district conference for six months" in manager.last.plain_text
    assert await run_planning_reminders(env.app) == 0
    env.clock.advance(days=10)
    assert await run_planning_reminders(env.app) == 0  # same month
    env.clock.set(datetime(2026, 4, 1, 8, 0, tzinfo=UTC))
    assert await run_planning_reminders(env.app) == 1


async def test_held_conference_counts_for_six_months(env: BotEnv) -> None:
    manager, _, _ = await _staff(env)
    await _schedule(manager)
    assert await run_planning_reminders(env.app) == 0  # one is planned
    env.clock.set(datetime(2026, 4, 15, 12, 0, tzinfo=UTC))
    await manager.send("/konferenzen")
    [conference] = await _conferences(env)
    data = [b["callback_data"] for b in manager.last.inline_buttons]
    assert data == [f"agf:start:{conference.id}", f"cf:held:{conference.id}"]
    await manager.press("Mark as held")
    assert "Marked as held" in manager.last.plain_text
    [conference] = await _conferences(env)
    assert conference.status == "held" and conference.held_at is not None

    env.clock.set(datetime(2026, 9, 30, 8, 0, tzinfo=UTC))
    assert await run_planning_reminders(env.app) == 0
    env.clock.set(datetime(2026, 10, 16, 8, 0, tzinfo=UTC))  # six months after the meeting
    before = len(manager.messages)
    await run_planning_reminders(env.app)
    assert any("six months" in m.plain_text for m in manager.messages[before:])


async def test_coordinator_sees_the_calendar_and_picks_a_district(env: BotEnv) -> None:
    manager, _, _ = await _staff(env)
    await bind_role(env, COORDINATOR, Role.COORDINATOR)
    await _english(env)
    await _schedule(manager)
    sim = env.sim
    assert sim is not None
    coordinator = sim.user(COORDINATOR, language_code="en")
    await coordinator.send("/konferenzen")
    calendar = coordinator.last.plain_text
    assert "10 Linden-Limmer: last held –, next Wed, 15 Apr 2026, 10:00" in calendar
    assert "01 Mitte: last held –, next – ⚠️" in calendar
    await coordinator.send("/konferenz")
    assert "add the district number" in coordinator.last.plain_text
    await coordinator.send("/konferenz 9")
    assert "Ricklingen" in coordinator.last.plain_text


async def test_a_half_planned_conference_survives_a_restart(env: BotEnv) -> None:
    manager, _, _ = await _staff(env)
    await manager.send("/konferenz")
    await manager.send("nächsten Dienstag 14 Uhr")
    assert "Tue, 17 Mar 2026, 14:00" in manager.last.plain_text
    await manager.press("Yes")
    await manager.press("Department 32")
    sim = await env.restart()
    manager = sim.user(MANAGER, language_code="en")
    await manager.press("Send invitations")
    [conference] = await _conferences(env)
    assert "32" not in (conference.departments or {})["invited"]
    assert "Invitations sent to representatives: 1." in manager.texts()
    await manager.send("/konferenz")
    await manager.send("/abbrechen")
    assert manager.last.plain_text == "Cancelled."
    await manager.send("16.4. um 10 Uhr")
    assert len(await _conferences(env)) == 1


async def test_an_agenda_topic_half_typed_survives_a_restart(env: BotEnv) -> None:
    manager, rep66, _ = await _staff(env)
    await _schedule(manager)
    await rep66.press("Add agenda topic")
    assert "Type your topic" in rep66.last.plain_text
    sim = await env.restart()
    rep66 = sim.user(REP66, language_code="en")
    await rep66.send("Lighting in the Von-Alten-Garten")
    assert "Added to the agenda: Lighting in the Von-Alten-Garten" in rep66.last.plain_text
    async with session_scope(env.services.session_maker) as session:
        [item] = list(await session.scalars(select(AgendaItem)))
    assert (item.department_number, item.text) == ("66", "Lighting in the Von-Alten-Garten")


async def test_the_einladen_suggested_after_konferenz_works_for_the_manager(env: BotEnv) -> None:
    """German: /konferenz names departments without a rep and /einladen; Maria may use it."""
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    async with session_scope(env.services.session_maker) as session:
        await session.execute(update(Person).values(language="de"))
    assert env.sim is not None
    manager = env.sim.user(MANAGER, language_code="de")
    await manager.send("/konferenz")
    await manager.send("15.4. um 10 Uhr")
    await manager.press("Ja")
    await manager.press("Einladungen senden")
    missing = next(t for t in manager.texts() if "/einladen" in t)
    assert missing.startswith("Keine Fachbereichsvertreter/innen eingetragen bei:")
    assert "z. B. /einladen fb " in missing and missing.endswith(" 10"), missing
    command = missing.rsplit("z. B. ", 1)[1]
    await manager.send(command)  # exactly what was suggested
    answer = manager.last.plain_text
    assert "t.me/" in answer and "Linden-Limmer" in answer, answer
    await manager.send("/einladen fb 66")
    answer = manager.last.plain_text
    assert "t.me/" in answer and "Linden-Limmer" in answer, answer
