"""Agreements in chat: the form after a meeting or from a case, the rep's and the manager's
buttons, and the escalation report."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.jobs import run_sweep
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Agreement, AgreementEvent, Case, Person
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role, consent, file_concern

MANAGER, REP, OTHER_REP = 700_010, 700_066, 700_067
BERLIN = ZoneInfo("Europe/Berlin")


async def _agreement(env: BotEnv) -> Agreement:
    async with session_scope(env.services.session_maker) as session:
        row = await session.scalar(select(Agreement).order_by(Agreement.id.desc()))
        assert row is not None
        return row


async def _record(manager: object, *, due: str = "bis Ende März") -> None:
    await manager.send("/vereinbarung")  # type: ignore[attr-defined]
    await manager.press("Department 66")  # type: ignore[attr-defined]
    await manager.send("Two more waste bins at the Küchengarten square.")  # type: ignore[attr-defined]
    await manager.send(due)  # type: ignore[attr-defined]


async def test_form_past_and_nonsense_dates_store_nothing(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    manager = env.sim.user(MANAGER, language_code="en")
    await _record(manager, due="gestern")
    assert "in the past" in manager.last.plain_text
    await manager.send("asdf")
    assert "did not understand" in manager.last.plain_text
    await manager.send("/abbrechen")
    async with session_scope(env.services.session_maker) as session:
        assert await session.scalar(select(Agreement.id)) is None


async def test_whole_life_in_chat(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, REP, Role.REP, district="10", department="66")
    await bind_role(env, OTHER_REP, Role.REP, district="09", department="66")
    manager, rep = env.sim.user(MANAGER, language_code="en"), env.sim.user(REP, language_code="en")
    other = env.sim.user(OTHER_REP, language_code="en")
    coordinator = env.sim.user(ADMIN_ID, language_code="en")
    await coordinator.send("/start")

    await _record(manager)
    assert "Tue, 31 Mar 2026" in manager.last.plain_text  # "bis Ende März", with weekday
    await manager.press("Yes")
    await manager.press("Public space")
    await manager.press("New action plan")
    await manager.send("Calm the Küchengarten square")
    await manager.press("Save")
    agreement = await _agreement(env)
    assert agreement.status == "open" and agreement.action_plan_id is not None
    assert "waste bins" in rep.last.plain_text  # told at once, with its buttons
    assert len(rep.buttons()) == 3  # done, more time, problem

    # a rep of the same department in another district may not act on it
    await other.send("/start")
    answer = await other.press_data(f"ag:done:{agreement.id}")
    assert answer is not None and "not allowed" in (answer.text or "")

    # the rep asks for more time; the manager rejects it
    await rep.press_data(f"ag:more:{agreement.id}")
    await rep.send("bis Mitte April")
    assert "Wed, 15 Apr 2026" in rep.last.plain_text
    await rep.press("Yes")
    await rep.send("The bins must be ordered first.")
    assert (await _agreement(env)).status == "extension_requested"
    await manager.press_data(f"ag:reject:{agreement.id}")
    assert (await _agreement(env)).status == "open"

    # days pass without anything done: nudges, then the escalation to the manager and on
    levels = []
    for _ in range(45 * 4):  # six-hourly sweeps until late April (Easter holidays between)
        env.clock.advance(timedelta(hours=6))
        await run_sweep(env.app)
        levels.append((await _agreement(env)).escalation_level)
    assert levels[0] == 0 and 1 in levels and levels[-1] == 2  # manager first, then on
    assert any("ag:escalate:" in str(m.reply_markup) for m in env.api.sent[MANAGER])
    nudges = [m for m in rep.messages if "Agreement #" in m.plain_text]
    assert len(nudges) >= 5  # made, 7 days and 1 day before, due day, overdue ...
    assert any("Agreement #" in m.plain_text for m in coordinator.messages)

    # finally done, and the manager confirms
    await rep.press_data(f"ag:done:{agreement.id}")
    await rep.send("Both bins are in place since this morning.")
    assert (await _agreement(env)).status == "done_reported"
    assert "Both bins are in place" in manager.last.plain_text
    await manager.press_data(f"ag:confirm:{agreement.id}")
    agreement = await _agreement(env)
    assert agreement.status == "done" and agreement.confirmed_at is not None
    async with session_scope(env.services.session_maker) as session:
        kinds = [
            e.kind
            for e in await session.scalars(
                select(AgreementEvent)
                .where(AgreementEvent.agreement_id == agreement.id)
                .order_by(AgreementEvent.id)
            )
        ]
    assert kinds[0] == "created" and kinds[-2:] == ["done_reported", "confirmed"]
    assert "extension_requested" in kinds and "escalated" in " ".join(kinds)

    await coordinator.send("/eskalationen")
    assert "No escalated agreements" in coordinator.last.plain_text  # done ones drop out


async def test_agreement_from_a_kuemmerer_case_and_report(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    erika, manager = (
        env.sim.user(1201, language_code="en"),
        env.sim.user(MANAGER, language_code="en"),
    )
    await consent(erika)
    reference = await file_concern(erika)
    await manager.press("Kümmerer")
    await manager.press("Agreement with a department")
    await manager.press("Department 67")
    await manager.send("Clean the square twice a week.")
    await manager.send("30.6.")
    await manager.press("Yes")
    await manager.press("No action plan")
    await manager.press("Save")
    agreement = await _agreement(env)
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
    assert agreement.case_id == case.id and agreement.topic == case.topic
    assert any("No representative" in text for text in manager.texts())  # FB 67: nobody bound
    await manager.send("/vereinbarungen")
    assert "Clean the square" in manager.last.plain_text
    env.clock.advance(days=120)
    for _ in range(3):
        await run_sweep(env.app)
    await manager.send("/eskalationen")
    document = env.api.sent[MANAGER][-1].document
    assert document is not None and b"Clean the square" in document.content


async def _speaks(env: BotEnv, language: str, *telegram_ids: int) -> None:
    """The people's chosen language (bind_role stores English)."""
    async with session_scope(env.services.session_maker) as session:
        for person in await session.scalars(
            select(Person).where(Person.telegram_id.in_(telegram_ids))
        ):
            person.language = language


async def _record_by_buttons(manager: object) -> None:
    """The form through its buttons' data, so it reads the same in every language."""
    await manager.send("/vereinbarung")  # type: ignore[attr-defined]
    await manager.press_data("agf:dep:66")  # type: ignore[attr-defined]
    await manager.send("Two more waste bins at the Küchengarten square.")  # type: ignore[attr-defined]
    await manager.send("bis Ende März")  # type: ignore[attr-defined]
    for data in ("agf:due:yes", "agf:topic:-", "agf:plan:-", "agf:save"):
        await manager.press_data(data)  # type: ignore[attr-defined]


async def test_status_headings_read_german_in_german_and_english_in_english(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, REP, Role.REP, district="10", department="66")
    manager, rep = env.sim.user(MANAGER, language_code="de"), env.sim.user(REP, language_code="de")
    coordinator = env.sim.user(ADMIN_ID, language_code="en")
    await rep.send("/start")
    await coordinator.send("/start")
    await _speaks(env, "de", MANAGER, REP)
    await _record_by_buttons(manager)
    agreement = await _agreement(env)
    assert "Eine neue Vereinbarung für Ihren Fachbereich:" in rep.last.plain_text
    assert "31.03.2026" in rep.last.plain_text

    await manager.send("/vereinbarungen")
    assert "offen (1)" in manager.last.plain_text and "open (1)" not in manager.last.plain_text
    assert f"#{agreement.id} FB 66 – Two more waste bins" in manager.last.plain_text
    assert "Di, 31.03.2026" in manager.last.plain_text
    await coordinator.send("/vereinbarungen")
    assert "open (1)" in coordinator.last.plain_text
    assert f"#{agreement.id} Dept. 66 – Two more" in coordinator.last.plain_text
    assert "Tue, 31 Mar 2026" in coordinator.last.plain_text

    await rep.press_data(f"ag:problem:{agreement.id}")
    await rep.send("Der Platz ist eine Baustelle.")
    await manager.send("/vereinbarungen")
    assert "Problem gemeldet (1)" in manager.last.plain_text
    await coordinator.send("/vereinbarungen")
    assert "problem reported (1)" in coordinator.last.plain_text
    assert "bittet" not in coordinator.last.plain_text


async def test_a_restart_in_the_middle_of_asking_for_more_time_loses_nothing(
    env: BotEnv,
) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, REP, Role.REP, district="10", department="66")
    manager, rep = env.sim.user(MANAGER, language_code="de"), env.sim.user(REP, language_code="de")
    await rep.send("/start")
    await _speaks(env, "de", MANAGER, REP)
    await _record_by_buttons(manager)
    agreement = await _agreement(env)

    await rep.press_data(f"ag:more:{agreement.id}")
    assert "Bis wann brauchen Sie Zeit?" in rep.last.plain_text
    sim = await env.restart()
    rep = sim.user(REP, language_code="de")
    await rep.send("bis Mitte April")
    assert "15.04.2026" in rep.last.plain_text
    sim = await env.restart()
    rep, manager = sim.user(REP, language_code="de"), sim.user(MANAGER, language_code="de")
    await rep.press("Ja")
    assert rep.last.plain_text == "Und der Grund, in einem Satz?"
    sim = await env.restart()
    rep, manager = sim.user(REP, language_code="de"), sim.user(MANAGER, language_code="de")
    await rep.send("Die Behälter müssen erst bestellt werden.")
    assert "Ihre Bitte um mehr Zeit wurde" in rep.last.plain_text
    assert (await _agreement(env)).status == "extension_requested"
    assert "bittet um mehr Zeit" in manager.last.plain_text
    assert "Die Behälter müssen erst bestellt werden." in manager.last.plain_text


async def test_abbrechen_ends_the_input_and_the_next_text_is_no_problem_report(
    env: BotEnv,
) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, REP, Role.REP, district="10", department="66")
    manager, rep = env.sim.user(MANAGER, language_code="de"), env.sim.user(REP, language_code="en")
    await rep.send("/start")
    await _record_by_buttons(manager)
    agreement = await _agreement(env)
    await rep.press_data(f"ag:problem:{agreement.id}")
    assert "Please describe the problem in a few words:" in rep.last.plain_text
    await rep.send("/abbrechen")
    assert rep.last.plain_text == "Cancelled."
    await rep.send("Hello?")
    assert (await _agreement(env)).status == "open"
    # a stale "new date" confirmation, pressed outside the dialogue, changes nothing
    await rep.press_data(f"ag:dateok:{agreement.id}")
    assert (await _agreement(env)).status == "open"


# ------------------------------------------------- truthful "informed", checked due dates


async def _save_by_buttons(manager: object, due: str = "bis Ende März") -> None:
    await manager.send("/vereinbarung")  # type: ignore[attr-defined]
    await manager.press_data("agf:dep:66")  # type: ignore[attr-defined]
    await manager.send("Zwei weitere Mülleimer am Küchengartenplatz.")  # type: ignore[attr-defined]
    await manager.send(due)  # type: ignore[attr-defined]
    for data in ("agf:due:yes", "agf:topic:-", "agf:plan:-", "agf:save"):
        await manager.press_data(data)  # type: ignore[attr-defined]


async def test_an_agreement_on_friday_night_says_when_the_department_is_informed(
    env: BotEnv,
) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, REP, Role.REP, district="10", department="66")
    await _speaks(env, "de", MANAGER, REP)
    manager = env.sim.user(MANAGER, language_code="de")
    rep = env.sim.user(REP, language_code="de")
    await rep.send("/start")
    before = len(rep.texts())
    env.clock.set(datetime(2026, 3, 13, 22, 6, tzinfo=BERLIN))  # a Friday night
    await _save_by_buttons(manager)
    said = manager.last.plain_text
    assert "Vereinbarung gespeichert" in said
    assert "wird am Mo, 16.03.2026 um 08:00 informiert" in said, said
    assert "ist informiert" not in said
    assert len(rep.texts()) == before  # nothing at night, as the manager was told

    env.clock.set(datetime(2026, 3, 16, 8, 1, tzinfo=BERLIN))
    await run_sweep(env.app)
    assert "Mülleimer" in rep.last.plain_text  # Monday 08:00, as promised


async def test_an_agreement_in_working_hours_is_told_at_once(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, REP, Role.REP, district="10", department="66")
    manager = env.sim.user(MANAGER, language_code="en")
    rep = env.sim.user(REP, language_code="en")
    await _save_by_buttons(manager)  # Wednesday 10:00
    assert "The department is informed and will be reminded." in manager.last.plain_text
    assert "Mülleimer" in rep.last.plain_text


async def test_an_agreement_nobody_of_the_department_reads_says_so(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await _speaks(env, "de", MANAGER)
    manager = env.sim.user(MANAGER, language_code="de")
    await _save_by_buttons(manager)
    assert any("Noch niemand aus dem Fachbereich" in text for text in manager.texts())
    assert not any("Fachbereich ist informiert" in text for text in manager.texts())


async def test_a_due_date_on_a_sunday_or_holiday_is_asked_about(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await _speaks(env, "de", MANAGER)
    manager = env.sim.user(MANAGER, language_code="de")
    await manager.send("/vereinbarung")
    await manager.press_data("agf:dep:66")
    await manager.send("Spielplatz reinigen.")
    await manager.send("29.3.")  # a Sunday
    assert "Das ist ein Sonntag – trotzdem?" in manager.last.plain_text
    await manager.press("Nein")
    assert "erneut" in manager.last.plain_text or "noch einmal" in manager.last.plain_text
    await manager.send("6.4.")  # Easter Monday, a public holiday in Lower Saxony
    assert "Das ist ein Feiertag – trotzdem?" in manager.last.plain_text
    await manager.send("/abbrechen")
    await manager.send("/vereinbarung")
    await manager.press_data("agf:dep:66")
    await manager.send("Spielplatz reinigen.")
    await manager.send("28.3.")  # a Saturday: kept anyway
    assert "Das ist ein Samstag – trotzdem?" in manager.last.plain_text
    for data in ("agf:due:yes", "agf:topic:-", "agf:plan:-", "agf:save"):
        await manager.press_data(data)
    agreement = await _agreement(env)
    assert agreement.due_at.astimezone(BERLIN).date() == date(2026, 3, 28)


async def test_a_working_day_is_only_read_back(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    manager = env.sim.user(MANAGER, language_code="en")
    await _record(manager, due="30.3.")
    assert "Due on Mon, 30 Mar 2026 – is that right?" in manager.last.plain_text
    await manager.send("/abbrechen")
    await _record(manager, due="5.4.")
    assert "That is a Sunday – keep it anyway?" in manager.last.plain_text


async def test_a_next_step_due_on_a_holiday_is_asked_about(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await _speaks(env, "de", MANAGER)
    erika = env.sim.user(1201, language_code="en")  # the helpers file in English
    manager = env.sim.user(MANAGER, language_code="de")
    await consent(erika)
    reference = await file_concern(erika)
    await manager.press("Kümmerer")
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
    assert case is not None
    await manager.press_data(f"tr:step:{case.id}")
    await manager.send("Ortstermin mit FB 67")
    await manager.send("3.4.")  # Good Friday
    assert "Das ist ein Feiertag – trotzdem?" in manager.last.plain_text
    await manager.press("Nein")
    await manager.send("Ortstermin mit FB 67")
    await manager.send("5.4.")
    assert "Das ist ein Sonntag – trotzdem?" in manager.last.plain_text
    await manager.press("Ja")
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
    assert case is not None and case.next_step_due is not None
    assert case.next_step_due.astimezone(BERLIN).date() == date(2026, 4, 5)


async def test_more_time_until_a_sunday_is_asked_about(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, REP, Role.REP, district="10", department="66")
    await _speaks(env, "de", MANAGER, REP)
    manager = env.sim.user(MANAGER, language_code="de")
    rep = env.sim.user(REP, language_code="de")
    await _save_by_buttons(manager)
    agreement = await _agreement(env)
    await rep.press_data(f"ag:more:{agreement.id}")
    await rep.send("12.4.")  # a Sunday
    assert "Neues Datum: So, 12.04.2026. Das ist ein Sonntag – trotzdem?" in rep.last.plain_text
    await rep.press("Nein")
    await rep.send("13.4.")
    assert "Neues Datum: Mo, 13.04.2026 – stimmt das?" in rep.last.plain_text
