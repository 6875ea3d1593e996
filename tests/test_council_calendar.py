"""Council sessions as iCalendar: a file made here is imported in the chat, exported again
(chat file and `bezirksbot calendar export`) and read back with the same sessions; a second
import of a moved event moves the session. Information requests: answered, recorded, counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select, update

from bot.council_cli import main_council
from bot.services.access.roles import Role
from bot.services.council.calendar import from_ics
from bot.services.council.deadlines import CouncilPolicy, is_late, statement_due
from bot.services.council.figures import council_figures
from bot.storage.db import session_scope
from bot.storage.models import Case, Conference, CouncilSession, Inquiry, Person
from tests.conftest import ADMIN_ID, START, BotEnv
from tests.helpers import bind_role, invite_and_bind

BERLIN = ZoneInfo("Europe/Berlin")
SUPPORT, MEMBER, MANAGER = 740_011, 740_100, 740_010
FIRST = datetime(2026, 4, 16, 18, 0, tzinfo=BERLIN)
SECOND = datetime(2026, 5, 21, 17, 30, tzinfo=BERLIN)


def made_calendar(first: datetime = FIRST) -> bytes:
    """Two sessions as another calendar program would write them (UIDs, local times)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Test//Kalender//DE")
    calendar.add("version", "2.0")
    for uid, start, place in (
        ("br-10-1@example.org", first, "Freizeitheim Linden"),
        ("br-10-2@example.org", SECOND, "Rathaus Linden, Saal 2"),
    ):
        event = Event()
        event.add("uid", uid)
        event.add("summary", "Bezirksratssitzung")
        event.add("dtstart", start)
        event.add("location", place)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


async def _sessions(env: BotEnv) -> list[CouncilSession]:
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(select(CouncilSession).order_by(CouncilSession.starts_at))
        return list(rows)


async def test_kalender_import_und_export_ergeben_dieselben_sitzungen(
    env: BotEnv, tmp_path: Path
) -> None:
    await bind_role(env, SUPPORT, Role.COUNCIL_SUPPORT, district="10")
    async with session_scope(env.services.session_maker) as session:
        await session.execute(update(Person).values(language="de"))
    assert env.sim is not None
    support = env.sim.user(SUPPORT, language_code="de")
    await support.send("/sitzungen")
    assert "keine Sitzungen geplant" in support.last.plain_text
    await support.send_document(b"kein Kalender", file_name="leer.ics", mime_type="text/calendar")
    assert "keine lesbaren Kalendertermine" in support.last.plain_text

    await support.send_document(made_calendar(), file_name="sitzungen.ics",
                                mime_type="text/calendar")  # fmt: skip
    assert "2 Sitzungen importiert. 0 Sitzungen verschoben." in support.last.plain_text
    rows = await _sessions(env)
    assert [(r.starts_at, r.location) for r in rows] == [
        (FIRST.astimezone(UTC), "Freizeitheim Linden"),
        (SECOND.astimezone(UTC), "Rathaus Linden, Saal 2"),
    ]

    async with session_scope(env.services.session_maker) as session:  # a district conference
        session.add(
            Conference(
                district_number="10",
                starts_at=datetime(2026, 4, 22, 10, tzinfo=BERLIN),
                location="Nachbarschaftsladen",
                status="planned",
                created_at=START,
            )
        )
    await support.send("/sitzungen")
    await support.press("Kalenderdatei (.ics)")
    exported = support.last.document
    assert exported is not None and exported.file_name == "bezirksrat-10.ics"
    back = from_ics(exported.content or b"", tz=BERLIN)
    assert [(s.uid, s.starts_at, s.location) for s in back if s.uid.startswith("br-")] == [
        ("br-10-1@example.org", FIRST.astimezone(UTC), "Freizeitheim Linden"),
        ("br-10-2@example.org", SECOND.astimezone(UTC), "Rathaus Linden, Saal 2"),
    ]
    text = (exported.content or b"").decode()
    assert "Sitzung des Bezirksrats Linden-Limmer" in text
    assert "Stadtbezirkskonferenz Linden-Limmer" in text and "Nachbarschaftsladen" in text

    # the same file again adds nothing; a moved event moves its session
    await support.send_document(made_calendar(FIRST + timedelta(days=7)), file_name="neu.ics")
    assert "0 Sitzungen importiert. 1 Sitzung verschoben." in support.last.plain_text
    assert (await _sessions(env))[0].starts_at == (FIRST + timedelta(days=7)).astimezone(UTC)

    # the command line writes the same calendar
    target = tmp_path / "export.ics"
    code = await main_council(env.settings, ["calendar", "export", "--district", "10",
                                              "--output", str(target)])  # fmt: skip
    assert code == 0
    assert len(from_ics(target.read_bytes(), tz=BERLIN)) == 3  # two sessions, a conference


async def test_information_request_is_answered_recorded_and_counted(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    assert env.sim is not None
    admin, member = env.sim.user(ADMIN_ID), env.sim.user(MEMBER, language_code="en")
    manager = env.sim.user(MANAGER, language_code="en")
    await invite_and_bind(admin, member, "council 10 Grüne")
    await member.send("/auskunft")
    await member.send("Who is responsible for the trees in Lindener Bergfriedhof?")
    assert "information request A10-1 has been passed on" in member.last.plain_text
    assert "Information request from the district council" in manager.last.plain_text
    await manager.press("Answer")
    await manager.send("Department 67 (Stadtgrün) looks after them.")
    assert "sent to the member and recorded" in manager.last.plain_text
    assert "Department 67 (Stadtgrün) looks after them." in member.last.plain_text
    async with session_scope(env.services.session_maker) as session:
        [inquiry] = list(await session.scalars(select(Inquiry)))
        figures = await council_figures(
            session, start=START - timedelta(days=1), end=START + timedelta(days=1)
        )
    assert inquiry.kind == "info" and inquiry.status == "answered"
    assert figures.information_requests == 1 and figures.inquiries == 0
    await manager.send("/bericht 2026-Q1")
    assert any("information requests: 1" in text for text in manager.texts())
    # a second answer to the same request changes nothing
    await manager.press_data(f"brt:ia:{inquiry.id}")
    await manager.send("Another answer")
    assert "changed in the meantime" in manager.last.plain_text


def test_deadlines_in_working_days() -> None:
    session = datetime(2026, 4, 9, 16, 0, tzinfo=UTC)  # Thu 9 April, 18:00 (after Easter)
    policy = CouncilPolicy(statement_working_days=5)
    # 5 working days before, skipping Good Friday and Easter Monday: Tue 31 March
    assert statement_due(session, tz=BERLIN, policy=policy) == datetime(
        2026, 3, 31, 18, tzinfo=BERLIN
    )
    no_deadline = policy
    assert not is_late(session, now=datetime(2026, 3, 31, 12, tzinfo=BERLIN), tz=BERLIN,
                       policy=no_deadline)  # fmt: skip
    assert is_late(session, now=datetime(2026, 4, 1, 9, tzinfo=BERLIN), tz=BERLIN,
                   policy=no_deadline)  # fmt: skip
    city = CouncilPolicy(inquiry_deadline_working_days=10)  # set by the city: Tue 24 March
    assert not is_late(session, now=datetime(2026, 3, 24, 17, tzinfo=BERLIN), tz=BERLIN,
                       policy=city)  # fmt: skip
    assert is_late(session, now=datetime(2026, 3, 25, 8, tzinfo=BERLIN), tz=BERLIN, policy=city)


async def test_anliegen_eines_bezirksratsmitglieds_behalten_ihre_prioritaet(env: BotEnv) -> None:
    """A council member who files a concern privately keeps the council's priority."""
    assert env.sim is not None
    admin, member = env.sim.user(ADMIN_ID), env.sim.user(MEMBER, language_code="de")
    resident = env.sim.user(740_300, language_code="de")
    await invite_and_bind(admin, member, "bezirksrat 10 CDU")
    for user in (member, resident):
        await user.send("/start")
        await user.press("Ich stimme zu")
        await user.send("/neu")
        await user.send("linden sued")
        await user.press("Ja")
        await user.press("Öffentlicher Raum")
        await user.send("Der Platz an der Ecke ist jedes Wochenende voller Müll.")
        await user.press("Ohne weitere Fotos fortfahren")
        await user.press("Überspringen")
        await user.press("Nein, privat")
        await user.press("Senden")
    async with session_scope(env.services.session_maker) as session:
        cases = list(await session.scalars(select(Case).order_by(Case.id)))
    assert [c.priority for c in cases] == [2, 0]
    assert [c.actor_kind for c in cases] == [None, None]


async def test_die_bezirksbuergermeisterin_liest_mit_und_die_betreuung_gibt_nicht_frei(
    env: BotEnv,
) -> None:
    """The mayor sees the district's inquiries without buttons; the council support cannot
    assign or approve (the manager's decisions)."""
    assert env.sim is not None
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, SUPPORT, Role.COUNCIL_SUPPORT, district="10")
    admin = env.sim.user(ADMIN_ID)
    mayor = env.sim.user(740_500, language_code="de")
    support = env.sim.user(SUPPORT, language_code="de")
    welcome = await invite_and_bind(admin, mayor, "bezirksbürgermeister 10")
    assert "district mayor of Linden-Limmer" in welcome or "Bezirksbürgermeister" in welcome
    async with session_scope(env.services.session_maker) as session:
        await session.execute(update(Person).values(language="de"))
    await support.send("/sitzung")
    await support.send("26.3.2026 18 Uhr, Rathaus")
    await mayor.send("/anfrage")
    await mayor.press(mayor.buttons()[0])
    await mayor.send("Stadtteilfest")
    await mayor.send("Wer genehmigt das Stadtteilfest im Juni?")
    await mayor.press("Ohne Datei")
    assert "A10-1" in mayor.last.plain_text
    await mayor.send("/anfragen")
    assert "Anfrage A10-1: Stadtteilfest" in mayor.last.plain_text
    assert not mayor.last.inline_buttons  # the mayor reads, the manager decides
    async with session_scope(env.services.session_maker) as session:
        [inquiry] = list(await session.scalars(select(Inquiry)))
    for user in (mayor, support):
        answer = await user.press_data(f"brt:as:{inquiry.id}")
        assert answer is not None and "dürfen Sie leider nicht" in (answer.text or "")
        answer = await user.press_data(f"brt:ok:{inquiry.id}")
        assert answer is not None and "dürfen Sie leider nicht" in (answer.text or "")
    async with session_scope(env.services.session_maker) as session:
        [inquiry] = list(await session.scalars(select(Inquiry)))
    assert inquiry.status == "submitted"
