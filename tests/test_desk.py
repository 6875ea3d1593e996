"""The manager's desk: case list, history, saved replies, absence and the untriaged nudge."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.handlers.desk import run_untriaged_nudge
from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.roles import Role, load_roles
from bot.services.cases import desk
from bot.services.cases import records as cases
from bot.services.cases.case_list import CaseFilter, find_cases
from bot.services.cases.records import Draft
from bot.storage.db import session_scope
from bot.storage.models import Absence, Case, Person
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role, consent, file_concern

TZ = ZoneInfo("Europe/Berlin")
MANAGER = 700_010  # district 10, Linden-Limmer
DEPUTY = 700_011
MANAGER_06 = 700_006
RESIDENT_ID = 5_000


def berlin(year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


async def make_case(
    env: BotEnv,
    *,
    at: datetime,
    district: str = "10",
    quarter: str | None = "Linden-Süd",
    actor_kind: str | None = None,
    status: str = "new",
) -> Case:
    async with session_scope(env.services.session_maker) as session:
        resident = await people.get_or_create_person(
            session, telegram_id=RESIDENT_ID, first_name="Erika", language="en", now=at
        )
        draft = Draft(
            district_number=district,
            quarter=quarter,
            topic="public_space",
            description="Rubbish on the square.",
            actor_kind=actor_kind,
        )
        case = await cases.submit_case(
            session, draft=draft, resident=resident, language="en", now=at, tz=TZ
        )
        case.status = status
    return case


async def staff(env: BotEnv, telegram_id: int, role: Role, district: str | None = None) -> SimUser:
    """A staff account with an English chat (also for outbox messages)."""
    await bind_role(env, telegram_id, role, district=district, first_name="Anna")
    async with session_scope(env.services.session_maker) as session:
        await session.execute(
            update(Person).where(Person.telegram_id == telegram_id).values(language="en")
        )
    assert env.sim is not None
    return env.sim.user(telegram_id, first_name="Anna", language_code="en")


async def resident(env: BotEnv, telegram_id: int = 1001) -> SimUser:
    assert env.sim is not None
    user = env.sim.user(telegram_id, first_name="Erika", language_code="en")
    await consent(user)
    return user


# ------------------------------------------------------------------------------ the list


async def test_open_cases_council_first_then_oldest_and_paged(env: BotEnv) -> None:
    old = await make_case(env, at=berlin(2026, 3, 2))
    club = await make_case(env, at=berlin(2026, 3, 5), actor_kind="club")
    council = await make_case(env, at=berlin(2026, 3, 9), actor_kind="council")
    newer = await make_case(env, at=berlin(2026, 3, 4))
    await make_case(env, at=berlin(2026, 3, 1), status="resolved")
    other = await make_case(env, at=berlin(2026, 3, 1), district="06", quarter="Kirchrode")
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    now, everyone = env.clock.now(), CaseFilter()
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_person(session, telegram_id=MANAGER)
        roles = await load_roles(session, person=person, admin_ids=[])
        first = await find_cases(session, roles=roles, flt=everyone, now=now, page=0, per_page=3)
        second = await find_cases(session, roles=roles, flt=everyone, now=now, page=1, per_page=3)
        beyond = await find_cases(session, roles=roles, flt=everyone, now=now, page=9, per_page=3)
        nobody = await load_roles(session, person=None, admin_ids=[])
        everything = await find_cases(session, roles=nobody, flt=everyone, now=now)
        admin = await load_roles(session, person=person, admin_ids=[MANAGER])
        city_wide = await find_cases(session, roles=admin, flt=everyone, now=now)
    total = first.total
    assert total == 4
    assert [c.reference for c in first.cases + second.cases] == [
        council.reference,
        club.reference,
        old.reference,
        newer.reference,
    ]
    assert (first.pages, second.page) == (2, 1)
    assert (beyond.page, [c.reference for c in beyond.cases]) == (1, [newer.reference])
    assert (everything.cases, everything.total) == ([], 0)  # no district: nothing to see
    assert city_wide.total == 5 and other.reference in [c.reference for c in city_wide.cases]


async def test_faelle_pages_with_buttons_and_opens_a_history(env: BotEnv) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    for day in range(1, 11):
        await make_case(env, at=berlin(2026, 3, day, 10))
    await anna.send("/faelle")
    first = anna.last
    assert "page 1 of 2 (10 in total)" in first.plain_text
    assert "10-2026-0001 · Linden-Süd · Public space · received · 10 days" in first.plain_text
    assert "10-2026-0009" not in first.plain_text
    assert "Next ▶" in anna.buttons() and "10-2026-0008" in anna.buttons()
    await anna.press("Next ▶")
    assert "page 2 of 2" in anna.last.plain_text  # edited in place
    assert "10-2026-0010 · Linden-Süd" in anna.last.plain_text
    assert anna.last.message_id == first.message_id
    await anna.press("10-2026-0010")
    card = anna.last
    assert card.plain_text.startswith("Concern 10-2026-0010\nWhere: Linden-Süd")
    assert card.message_id != first.message_id  # the list stays for the next case
    assert anna.buttons(card)[:2] == ["🧭 Lotse (refer)", "🤝 Kümmerer (take on)"]
    await anna.press("History", message=card)
    history = anna.last.plain_text
    assert history.startswith("History of 10-2026-0010")
    assert "Tue, 10 Mar 2026, 10:00 · resident · submitted" in history


async def test_history_shows_every_step_with_actor_and_time(env: BotEnv) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    erika = await resident(env)
    reference = await file_concern(erika)
    async with session_scope(env.services.session_maker) as session:
        case = await cases.get_case(session, reference=reference)
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert case is not None
        env.clock.advance(hours=2)
        await cases.add_event(
            session,
            case,
            "note",
            now=env.clock.now(),
            actor=manager,
            actor_role="manager",
            text="Called FB 67 <about> it.",
        )
    await anna.send(f"/fall {reference}")
    await anna.press("History")
    history = anna.last.plain_text
    assert "Wed, 11 Mar 2026, 10:00 · resident · submitted" in history
    assert "Wed, 11 Mar 2026, 10:00 · system · forwarded → manager" in history
    assert "Wed, 11 Mar 2026, 12:00 · manager Anna · note\n  Called FB 67 <about> it." in history
    assert "Erika" not in history and "1001" not in history  # the resident stays anonymous
    await anna.send("/fall 10-2026-9999")
    assert "no concern with the number 10-2026-9999" in anna.last.plain_text


async def test_other_district_and_residents_are_refused(env: BotEnv) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    foreign = await make_case(env, at=berlin(2026, 3, 10), district="06", quarter="Kirchrode")
    await anna.send("/faelle")
    assert "no open concerns" in anna.last.plain_text
    sent_before = len(anna.messages)
    answer = await anna.press_data(f"desk:case:{foreign.id}")
    assert answer is not None and answer.show_alert and "not allowed" in (answer.text or "")
    await anna.send(f"/fall {foreign.reference}")
    assert "not allowed" in anna.last.plain_text
    assert len(anna.messages) == sent_before + 1
    assert not any(foreign.reference in m.plain_text for m in anna.messages)

    erika = await resident(env)
    erika_before = len(erika.messages)
    for command in ("/faelle", f"/fall {foreign.reference}", "/vorlagen", "/abwesend bis Freitag"):
        await erika.send(command)
        assert "not allowed" in erika.last.plain_text
    answer = await erika.press_data(f"desk:case:{foreign.id}")
    assert answer is not None and "not allowed" in (answer.text or "")
    answer = await erika.press_data("desk:away:yes")
    assert answer is not None and "not allowed" in (answer.text or "")
    assert len(erika.messages) == erika_before + 4


# ------------------------------------------------------------------------- saved replies


async def test_templates_are_saved_and_expanded(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Anna")
    async with session_scope(env.services.session_maker) as session:
        anna = await people.get_person(session, telegram_id=MANAGER)
        assert anna is not None
        await desk.save_reply(
            session,
            person=anna,
            name="Danke",
            text="Thanks for {reference} in {quarter}. {name} {unknown} {",
        )
        await desk.save_reply(
            session,
            person=anna,
            name="danke",
            text="Thank you for {reference} in {quarter} ({district}). {name}, {unknown} {",
        )
        with pytest.raises(desk.InvalidTemplate):
            await desk.save_reply(session, person=anna, name="no spaces", text="x")
        with pytest.raises(desk.InvalidTemplate):
            await desk.save_reply(session, person=anna, name="x" * 33, text="x")
        values = {
            "reference": "10-2026-0001",
            "quarter": "Limmer",
            "district": "Linden-Limmer",
            "name": "Erika",  # the resident's name, never the manager's (Anna)
        }
        expanded = await desk.expand_reply(
            session, person=anna, text="#danke We will call.", placeholders=values
        )
        plain = await desk.expand_reply(
            session, person=anna, text="No template {here}", placeholders=values
        )
        escaped = await desk.expand_reply(
            session, person=anna, text="##3 on the list", placeholders=values
        )
        with pytest.raises(desk.UnknownTemplate):
            await desk.expand_reply(session, person=anna, text="#nope", placeholders=values)
        shipped = await desk.expand_reply(
            session,
            person=anna,
            text="#frage Since when?",
            placeholders=values,
            defaults={"frage": "Hello {name}, about {reference}:", "danke": "not used"},
        )
        assert [r.name for r in await desk.list_replies(session, person=anna)] == ["danke"]
    assert expanded == (
        "Thank you for 10-2026-0001 in Limmer (Linden-Limmer). Erika, {unknown} { We will call."
    )
    assert shipped == "Hello Erika, about 10-2026-0001: Since when?"
    assert plain == "No template {here}" and escaped == "#3 on the list"


async def test_template_commands(env: BotEnv) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    await anna.send("/vorlagen")
    assert "no saved replies yet" in anna.last.plain_text
    assert "#danke – Hello {name}, thank you for your concern {reference}." in (
        anna.last.plain_text
    )  # the shipped defaults
    assert "{reference}, {district}, {quarter}, {name}" in anna.last.plain_text
    await anna.send("/vorlage gruss Hello,\nwe received {reference}.")
    assert "#gruss" in anna.last.plain_text
    await anna.send("/vorlage Bad!Name text")
    assert "1 to 32 characters" in anna.last.plain_text
    await anna.send("/vorlagen")
    assert "#gruss – Hello,\nwe received {reference}." in anna.last.plain_text
    await anna.send("/vorlage_loeschen gruss")
    assert "Deleted #gruss" in anna.last.plain_text
    await anna.send("/vorlage_loeschen gruss")
    assert "no saved reply with that name" in anna.last.plain_text


# -------------------------------------------------------------------------------- absence


async def absences(env: BotEnv) -> int:
    async with session_scope(env.services.session_maker) as session:
        return int(await session.scalar(select(func.count(Absence.id))) or 0)


async def test_absence_routes_to_the_deputy_until_the_end_of_friday(env: BotEnv) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    deputy = await staff(env, DEPUTY, Role.DEPUTY, "10")
    await anna.send("/abwesend bis Freitag")  # the clock says Wednesday, 11 March 2026
    assert anna.last.plain_text == "Away until Fri, 13 Mar 2026 – is that right?"
    assert await absences(env) == 0  # nothing before the confirmation
    await anna.press("Yes")
    assert "away until Fri, 13 Mar 2026" in anna.last.plain_text
    assert "New concerns of Linden-Limmer go to the deputy." in anna.last.plain_text

    erika = await resident(env)
    before = len(anna.messages)
    first = await file_concern(erika)
    assert f"New concern {first}" in deputy.last.plain_text
    assert len(anna.messages) == before

    env.clock.set(berlin(2026, 3, 13, 23, 58))
    second = await file_concern(erika)
    assert f"New concern {second}" in deputy.last.plain_text

    env.clock.set(berlin(2026, 3, 14, 0, 1))  # back automatically, nobody did anything
    third = await file_concern(erika)
    assert f"New concern {third}" in anna.last.plain_text
    assert third not in deputy.last.plain_text


async def test_absence_without_deputy_goes_to_coordinators_and_zurueck_ends_it(
    env: BotEnv,
) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    await anna.send("/abwesend bis 20.3.")
    assert "Fri, 20 Mar 2026" in anna.last.plain_text
    await anna.press("Yes")
    assert "go to the coordination 18.6" in anna.last.plain_text
    erika = await resident(env)
    admin = env.sim.user(ADMIN_ID, language_code="en")  # type: ignore[union-attr]
    reference = await file_concern(erika)
    assert reference in admin.last.plain_text

    await anna.send("/zurueck")
    assert "Welcome back" in anna.last.plain_text
    again = await file_concern(erika)
    assert f"New concern {again}" in anna.last.plain_text
    await anna.send("/zurueck")
    assert "not marked as away" in anna.last.plain_text


async def test_past_and_nonsense_dates_are_answered_and_nothing_stored(env: BotEnv) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    await anna.send("/abwesend bis gestern")
    assert "Tue, 10 Mar 2026 has already passed" in anna.last.plain_text
    await anna.send("/abwesend bis blubb")
    assert "did not understand" in anna.last.plain_text and "KW 12" in anna.last.plain_text
    await anna.send("/abwesend")
    assert "Until when" in anna.last.plain_text
    assert anna.buttons() == []
    answer = await anna.press_data("desk:away:yes")  # a forged confirmation without a date
    assert answer is not None
    assert "Nothing changed" in anna.last.plain_text
    await anna.send("/abwesend bis Freitag")
    await anna.press("No")
    assert "Nothing changed" in anna.last.plain_text
    assert await absences(env) == 0


# ------------------------------------------------------------------------ untriaged nudge


async def nudge_at(env: BotEnv, moment: datetime) -> int:
    env.clock.set(moment)
    assert env.app is not None
    return await run_untriaged_nudge(env.app)


def nudges(user: SimUser) -> list[str]:
    return [m.plain_text for m in user.messages if "waiting for triage" in m.plain_text]


async def test_untriaged_nudge_after_two_working_days_once_a_day(env: BotEnv) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    case = await make_case(env, at=berlin(2026, 3, 11, 10))  # Wednesday
    for day in (11, 12, 13, 14, 15):  # Wed..Sun: at most 2 working days, then the weekend
        assert await nudge_at(env, berlin(2026, 3, day)) == 0
    assert await nudge_at(env, berlin(2026, 3, 16)) == 1  # Monday: the third working day
    assert case.reference in nudges(anna)[-1] and "3 working days" in nudges(anna)[-1]
    assert await nudge_at(env, berlin(2026, 3, 16, 8, 5)) == 0  # a restart runs it again
    assert len(nudges(anna)) == 1
    assert await nudge_at(env, berlin(2026, 3, 17)) == 1  # every working morning
    assert await nudge_at(env, berlin(2026, 3, 21)) == 0  # Saturday
    assert await nudge_at(env, berlin(2026, 3, 22)) == 0  # Sunday
    async with session_scope(env.services.session_maker) as session:
        await session.execute(update(Case).where(Case.id == case.id).values(status="in_progress"))
    assert await nudge_at(env, berlin(2026, 3, 23)) == 0  # triaged: never again
    assert len(nudges(anna)) == 2


async def test_untriaged_nudge_skips_lower_saxony_holidays(env: BotEnv) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    older = await make_case(env, at=berlin(2026, 3, 25, 10))
    newer = await make_case(env, at=berlin(2026, 3, 31, 10))
    assert await nudge_at(env, berlin(2026, 4, 2)) == 1  # Thursday
    assert older.reference in nudges(anna)[-1] and newer.reference not in nudges(anna)[-1]
    for day in (3, 4, 5, 6):  # Good Friday, weekend, Easter Monday
        assert await nudge_at(env, berlin(2026, 4, day)) == 0
    assert await nudge_at(env, berlin(2026, 4, 7)) == 1  # Wed, Thu, Tue: 3 working days
    assert older.reference in nudges(anna)[-1] and newer.reference in nudges(anna)[-1]


async def test_untriaged_nudge_follows_the_absence(env: BotEnv) -> None:
    anna = await staff(env, MANAGER, Role.MANAGER, "10")
    deputy = await staff(env, DEPUTY, Role.DEPUTY, "10")
    admin = env.sim.user(ADMIN_ID, language_code="en")  # type: ignore[union-attr]
    await admin.send("/start")  # known to the bot, in English, like a real coordinator
    await make_case(env, at=berlin(2026, 3, 2, 10))
    await make_case(env, at=berlin(2026, 3, 2, 11), district="06", quarter="Kirchrode")
    await anna.send("/abwesend bis Freitag")
    await anna.press("Yes")
    assert await nudge_at(env, berlin(2026, 3, 12) + timedelta(hours=1)) == 2
    assert len(nudges(deputy)) == 1 and nudges(anna) == []
    assert "06-2026-0001" in nudges(admin)[-1]  # district 06 has nobody: coordinators
