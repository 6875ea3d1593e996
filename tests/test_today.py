"""/heute: a manager's day (new cases, due next steps, cases waiting for the resident, due
agreements, this week's conferences), scoped to their districts, each item opening with a
button; a representative's day; an empty day; and nobody else's."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.agreements import workflow as agreements
from bot.services.cases import records as cases
from bot.services.cases.records import Draft
from bot.storage.db import session_scope
from bot.storage.models import Agreement, Case
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role

TZ = ZoneInfo("Europe/Berlin")
MARIA, RALF, OTTO, ERIKA_ID = 700_010, 700_066, 700_032, 5_000
# The tests' clock: Wednesday, 11 March 2026, 10:00 in Hannover.


def berlin(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ)


async def make_case(
    env: BotEnv,
    *,
    day: int,
    district: str = "10",
    quarter: str | None = "Linden-Süd",
    status: str = "new",
    step: str | None = None,
    step_due: datetime | None = None,
    actor_kind: str | None = None,
) -> Case:
    at = berlin(day)
    async with session_scope(env.services.session_maker) as session:
        resident = await people.get_or_create_person(
            session, telegram_id=ERIKA_ID, first_name="Erika", language="de", now=at
        )
        draft = Draft(
            district_number=district,
            quarter=quarter,
            topic="public_space",
            description="Müll auf dem Platz.",
            actor_kind=actor_kind,
        )
        case = await cases.submit_case(
            session, draft=draft, resident=resident, language="de", now=at, tz=TZ
        )
        case.status, case.next_step, case.next_step_due = status, step, step_due
    return case


async def make_agreement(
    env: BotEnv, *, due: datetime, district: str = "10", measure: str = "Zwei Mülleimer mehr"
) -> int:
    """An agreement made earlier, then due at `due` (the form refuses past dates)."""
    async with session_scope(env.services.session_maker) as session:
        manager = await people.get_or_create_person(
            session, telegram_id=MARIA, first_name="Maria", language="de", now=env.clock.now()
        )
        agreement = await agreements.create_agreement(
            session,
            env.services.env,
            district=district,
            department="66",
            measure=measure,
            due=env.clock.now() + timedelta(days=30),
            now=env.clock.now(),
            created_by=manager,
            topic="public_space",
        )
        await session.execute(
            update(Agreement).where(Agreement.id == agreement.id).values(due_at=due)
        )
        return agreement.id


async def plan_conference(env: BotEnv, when: str) -> None:
    """Maria plans a conference of Linden-Limmer in the chat and invites the departments."""
    assert env.sim is not None
    maria = env.sim.user(MARIA, first_name="Maria", language_code="de")
    await maria.send("/konferenz")
    await maria.send(when)
    await maria.press("Ja")
    await maria.press("Einladungen senden")


async def german_manager(env: BotEnv) -> SimUser:
    await bind_role(env, MARIA, Role.MANAGER, district="10", first_name="Maria", language="de")
    assert env.sim is not None
    maria = env.sim.user(MARIA, first_name="Maria", language_code="de")
    await maria.send("/sprache")
    await maria.press("Deutsch")
    return maria


async def test_a_managers_day_in_german_with_every_section(env: BotEnv) -> None:
    maria = await german_manager(env)
    await bind_role(env, RALF, Role.REP, district="10", department="66", first_name="Ralf")
    new = await make_case(env, day=9)
    council = await make_case(env, day=10, actor_kind="council")
    overdue = await make_case(
        env, day=2, status="in_progress", step="Ortstermin mit FB 66", step_due=berlin(10)
    )
    due_today = await make_case(
        env, day=3, status="in_progress", step="Rückruf", step_due=berlin(11, 15)
    )
    await make_case(env, day=4, status="in_progress", step="Später", step_due=berlin(12))
    waiting = await make_case(env, day=5, status="waiting")
    await make_case(env, day=6, district="06", quarter="Kirchrode")  # another district
    await make_case(env, day=1, status="resolved")
    late = await make_agreement(env, due=berlin(9, 0))
    await make_agreement(env, due=berlin(25, 0), measure="Bank reparieren")  # not yet due
    await make_agreement(env, due=berlin(9, 0), district="06", measure="Anderer Bezirk")
    await plan_conference(env, "13.3. um 10 Uhr")  # Friday of this week
    await plan_conference(env, "17.3. um 10 Uhr")  # next week

    await maria.send("/heute")
    text = maria.last.plain_text
    assert text == (
        "Heute, Mi, 11.03.2026\n"
        "\n"
        "🆕 Neu, noch nicht eingeordnet (2)\n"
        f"• 🏛 {council.reference} · Linden-Süd · Öffentlicher Raum · 1 Tag\n"
        f"• {new.reference} · Linden-Süd · Öffentlicher Raum · 2 Tage\n"
        "\n"
        "⏰ Nächste Schritte heute fällig oder überfällig (2)\n"
        f"• {overdue.reference} · Ortstermin mit FB 66 · überfällig seit Di, 10.03.2026\n"
        f"• {due_today.reference} · Rückruf · heute fällig\n"
        "\n"
        "💬 Warten auf Antwort der Einwohnerin/des Einwohners (1)\n"
        f"• {waiting.reference} · Linden-Süd · Öffentlicher Raum · 6 Tage\n"
        "\n"
        "🤝 Vereinbarungen heute fällig oder überfällig (1)\n"
        f"• #{late} Fachbereich 66 (Tiefbau?) · Zwei Mülleimer mehr · überfällig seit "
        "Mo, 09.03.2026\n"
        "\n"
        "📅 Konferenzen diese Woche (1)\n"
        "• Stadtbezirkskonferenz Linden-Limmer, Fr, 13.03.2026, 10:00"
    )
    assert maria.buttons() == [
        f"🆕 {council.reference}",
        f"🆕 {new.reference}",
        f"⏰ {overdue.reference}",
        f"⏰ {due_today.reference}",
        f"💬 {waiting.reference}",
        f"🤝 #{late}",
        "📅 Fr, 13.03.2026",
    ]

    # each button opens its item
    await maria.press(f"⏰ {overdue.reference}")
    assert overdue.reference in maria.last.plain_text
    await maria.press(f"🤝 #{late}")
    card = maria.last
    assert f"Vereinbarung Nr. {late}" in card.plain_text
    assert "Status: offen" in card.plain_text
    assert maria.buttons(card) == [
        "Erneut erinnern",
        "Datum ändern",
        "An Koordination 18.6 eskalieren",
    ]
    await maria.press("Erneut erinnern")
    assert maria.last.plain_text == (
        "Die Fachbereichsvertreterin/der Fachbereichsvertreter wurde erinnert."
    )
    await maria.send("/heute")
    await maria.press("📅 Fr, 13.03.2026")
    overview = maria.last
    assert overview.plain_text.startswith("Stadtbezirkskonferenz Linden-Limmer, Fr, 13.03.2026")
    assert maria.buttons(overview) == ["Thema für Tagesordnung vorschlagen"]


async def test_an_empty_day_says_so_kindly(env: BotEnv) -> None:
    await bind_role(env, MARIA, Role.MANAGER, district="10")
    await make_case(env, day=3, district="06", quarter="Kirchrode")  # not Maria's district
    assert env.sim is not None
    maria = env.sim.user(MARIA, language_code="en")
    await maria.send("/today")
    assert maria.last.plain_text == (
        "Today, Wed, 11 Mar 2026\n\n🌤 Nothing is waiting for you today: no new concerns, no "
        "step or agreement due, no conference this week. New concerns come to this chat as "
        "they arrive."
    )
    assert maria.buttons(maria.last) == []


async def test_long_sections_are_cut_at_eight_with_a_hint(env: BotEnv) -> None:
    await bind_role(env, MARIA, Role.MANAGER, district="10")
    made = [await make_case(env, day=day) for day in range(1, 11)]
    assert env.sim is not None
    maria = env.sim.user(MARIA, language_code="en")
    await maria.send("/heute")
    text = maria.last.plain_text
    assert "🆕 New, not yet triaged (10)" in text
    assert "… and 2 more: /faelle new" in text
    assert made[7].reference in text and made[8].reference not in text
    assert len(maria.buttons()) == 8


async def test_coordination_sees_every_district(env: BotEnv) -> None:
    linden = await make_case(env, day=9)
    kirchrode = await make_case(env, day=10, district="06", quarter="Kirchrode")
    assert env.sim is not None
    carla = env.sim.user(ADMIN_ID, language_code="en")
    await carla.send("/heute")
    assert "🆕 New, not yet triaged (2)" in carla.last.plain_text
    assert carla.buttons() == [f"🆕 {linden.reference}", f"🆕 {kirchrode.reference}"]


async def test_a_representatives_day_in_german(env: BotEnv) -> None:
    await german_manager(env)
    await bind_role(env, RALF, Role.REP, district="10", department="66", first_name="Ralf")
    await bind_role(env, OTTO, Role.REP, district="10", department="32", first_name="Otto")
    assert env.sim is not None
    ralf = env.sim.user(RALF, first_name="Ralf", language_code="de")
    await ralf.send("/sprache")
    await ralf.press("Deutsch")
    late = await make_agreement(env, due=berlin(10, 0))
    later = await make_agreement(env, due=berlin(30, 0), measure="Bank reparieren")
    await make_agreement(env, due=berlin(10, 0), district="06", measure="Anderer Bezirk")
    await make_case(env, day=9)  # a case is not the rep's business
    await plan_conference(env, "13.3. um 10 Uhr")

    await ralf.send("/heute")
    assert ralf.last.plain_text == (
        "Heute, Mi, 11.03.2026\n"
        "\n"
        "🤝 Vereinbarungen heute fällig oder überfällig (1)\n"
        f"• #{late} Fachbereich 66 (Tiefbau?) · Zwei Mülleimer mehr · überfällig seit "
        "Di, 10.03.2026\n"
        "\n"
        "📋 Weitere offene Vereinbarungen (1)\n"
        f"• #{later} Fachbereich 66 (Tiefbau?) · Bank reparieren · fällig am Mo, 30.03.2026\n"
        "\n"
        "📅 Konferenzen diese Woche (1)\n"
        "• Stadtbezirkskonferenz Linden-Limmer, Fr, 13.03.2026, 10:00"
    )
    await ralf.press(f"🤝 #{late}")
    assert ralf.buttons(ralf.last) == [
        "✅ Erledigt",
        "⏳ Um mehr Zeit bitten",
        "⚠️ Problem melden",
    ]
    await ralf.send("/heute")
    await ralf.press("📅 Fr, 13.03.2026")
    assert ralf.buttons(ralf.last) == ["Zusagen", "Absagen", "Thema für Tagesordnung vorschlagen"]
    await ralf.press("Zusagen")
    assert ralf.last.plain_text == (
        "Danke, Sie haben zugesagt: Stadtbezirkskonferenz Linden-Limmer, Fr, 13.03.2026, 10:00"
    )

    # another department's rep sees neither the agreements nor the conference's card
    otto = env.sim.user(OTTO, language_code="de")
    await otto.send("/heute")
    assert "Zwei Mülleimer" not in otto.last.plain_text
    answer = await otto.press_data(f"ag:open:{late}")
    assert answer is not None and answer.show_alert
    assert "Zwei Mülleimer" not in otto.last.plain_text


async def test_a_resident_is_refused(env: BotEnv) -> None:
    await make_case(env, day=9)
    assert env.sim is not None
    erika = env.sim.user(1_001, language_code="de")
    await erika.send("/heute")
    assert erika.last.plain_text == "Das dürfen Sie leider nicht."
    answer = await erika.press_data("cf:open:1")
    assert answer is not None and answer.text == "Das dürfen Sie leider nicht."
