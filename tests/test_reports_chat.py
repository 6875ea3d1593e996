"""/bericht end to end: a manager sees their district, the coordination all districts and
one it picks; residents and forged buttons get the refusal."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from bot.offline.fake_api import SentMessage
from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Conference
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent
from tests.test_figures import at, seed
from tests.test_report_files import pdf_pages, png_size

MANAGER = 700_010
COORDINATOR = 700_100
REFUSAL = "Sorry, you are not allowed to do that."


async def staff(env: BotEnv, telegram_id: int, role: Role, district: str | None = None) -> SimUser:
    await bind_role(env, telegram_id, role, district=district, first_name="Anna")
    assert env.sim is not None
    return env.sim.user(telegram_id, first_name="Anna", language_code="en")


async def seeded(env: BotEnv) -> None:
    async with session_scope(env.services.session_maker) as session:
        await seed(session)


async def press(user: SimUser, label: str) -> list[SentMessage]:
    """Press a button; the bot's messages in answer."""
    before = len(user.messages)
    await user.press(label)
    return user.messages[before:]


async def press_data(user: SimUser, data: str) -> list[SentMessage]:
    before = len(user.messages)
    await user.press_data(data)
    return user.messages[before:]


def photos(messages: list[SentMessage]) -> list[bytes]:
    return [m.photo.content for m in messages if m.photo is not None and m.photo.content]


def documents(messages: list[SentMessage]) -> list[tuple[str, bytes]]:
    return [(m.document.file_name or "", m.document.content or b"") for m in messages
            if m.document is not None]  # fmt: skip


async def test_manager_gets_their_district_with_charts_and_files(env: BotEnv) -> None:
    await seeded(env)
    manager = await staff(env, MANAGER, Role.MANAGER, "10")
    answer = await manager.send("/bericht 2026-Q2")
    summary = answer[0].plain_text
    assert summary.startswith("Report for district 10 Linden-Limmer, Q2 2026")
    assert "Concerns received: 5 (residents 3, actors 1, district council 1)" in summary
    # shares and decimals in the English form (Babel), the German one is tested below
    assert "Triage: Lotse 2 (50%), Kümmerer 2 (50%); the contact helped in 50% of the answers " \
        "(1 of 2)" in summary  # fmt: skip
    assert "By status now: new 1, in progress 1, waiting 0, referred 2, resolved 1, merged 0" \
        in summary  # fmt: skip
    # a unit after every figure
    assert "First response: median 0.5 working days, 90 % within 1 working day" in summary
    assert "Resolution: median 1 working day, 90 % within 8 working days" in summary
    assert re.search(r"Open now: 3, median age [\d.]+ working days?; reopened: 1 \(20%\)", summary)
    assert "Agreements due: 4; on time 1, late 1, open 2 (overdue 0), escalated 2" in summary
    assert "Projects: 2; district-years without a project: 0" in summary
    pictures = photos(answer)
    assert len(pictures) == 2  # one district: no comparison chart
    assert all(png_size(p) == (1080, 720) for p in pictures)
    assert [m.caption for m in answer if m.photo] == [
        "Concerns per month by field of action",
        "Agreements by department",
    ]
    assert manager.buttons(answer[-1]) == ["PDF", "Excel (XLSX)", "CSV", "Other period"]

    [(name, pdf)] = documents(await press(manager, "PDF"))
    assert name == "bezirksbericht_2026-Q2_bezirk-10.pdf"
    assert pdf_pages(pdf) == 1 + 2  # the district's page opens it: no summary repeating it
    [(name, xlsx)] = documents(await press(manager, "Excel (XLSX)"))
    book = load_workbook(io.BytesIO(xlsx))
    assert [r[0] for r in book["Overview"].iter_rows(values_only=True)][1:] == [
        "10 Linden-Limmer",
        "Total",
    ]
    [(name, csv)] = documents(await press(manager, "CSV"))
    assert name.endswith(".csv") and b"Linden-Limmer" in csv

    assert (await manager.send("/bericht 2026-Q2 6"))[-1].plain_text == REFUSAL
    answer = await manager.press_data("rp:p:2026-Q2:06")  # a forged button
    assert answer is not None and answer.text == REFUSAL and answer.show_alert
    [(name, _)] = documents(await press_data(manager, "rp:f:pdf:2026-Q2:*"))  # * = their own
    assert name == "bezirksbericht_2026-Q2_bezirk-10.pdf"
    answer = await manager.press_data("rp:f:pdf:2026-Q9:*")  # no such period
    assert answer is not None and answer.text == REFUSAL
    answer = await manager.press_data("rp:d:2026-Q2")  # choosing districts: coordination only
    assert answer is not None and answer.text == REFUSAL
    assert "I do not know this period" in (await manager.send("/bericht Sommer"))[-1].plain_text


async def test_coordinator_sees_all_districts_and_picks_one(env: BotEnv) -> None:
    await seeded(env)
    coordinator = await staff(env, COORDINATOR, Role.COORDINATOR)
    menu = await coordinator.send("/bericht")
    assert coordinator.buttons(menu[-1])[:4] == ["This month", "Last month", "This quarter",
                                                 "Last quarter"]  # fmt: skip
    last_quarter = await press(coordinator, "Last quarter")  # the clock stands in March 2026
    assert last_quarter[0].plain_text.startswith("Report for 13 districts, Q4 2025")
    answer_msgs = await coordinator.send("/bericht 2026-Q2")
    assert answer_msgs[0].plain_text.startswith("Report for 13 districts, Q2 2026")
    assert "Concerns received: 10 (residents" in answer_msgs[0].plain_text  # C8 in district 01
    assert len(photos(answer_msgs)) == 3  # with the districts side by side
    assert "Choose district" in coordinator.buttons(answer_msgs[-1])

    picker = await press(coordinator, "Choose district")
    assert coordinator.buttons(picker[-1])[:2] == ["All districts", "01 Mitte"]
    chosen = await press(coordinator, "06 Kirchrode-Bemerode-Wülferode")
    assert chosen[0].plain_text.startswith(
        "Report for district 06 Kirchrode-Bemerode-Wülferode, Q2 2026"
    )
    assert "Concerns received: 4 (residents 3, actors 1, district council 0)" in \
        chosen[0].plain_text  # fmt: skip
    assert len(photos(chosen)) == 2
    [(name, pdf)] = documents(await press(coordinator, "PDF"))
    assert name == "bezirksbericht_2026-Q2_bezirk-06.pdf" and pdf_pages(pdf) == 1 + 2
    [(name, pdf)] = documents(await press_data(coordinator, "rp:f:pdf:2026-Q2:*"))
    assert name == "bezirksbericht_2026-Q2_alle.pdf" and pdf_pages(pdf) == 1 + 3 + 13


async def test_residents_and_reps_are_refused(env: BotEnv) -> None:
    await seeded(env)
    assert env.sim is not None
    resident = env.sim.user(5_001, first_name="Erika", language_code="en")
    await consent(resident)
    assert (await resident.send("/bericht 2026-Q2"))[-1].plain_text == REFUSAL
    answer = await resident.press_data("rp:f:csv:2026-Q2:*")
    assert answer is not None and answer.text == REFUSAL
    assert not documents(resident.messages)
    rep = await staff(env, 700_061, Role.REP, "10")
    assert (await rep.send("/bericht"))[-1].plain_text == REFUSAL


async def test_the_german_report_reads_german_with_german_numbers(env: BotEnv) -> None:
    await seeded(env)
    async with session_scope(env.services.session_maker) as session:  # a planned conference
        planned = Conference(district_number="10", kind="conference", status="planned",
                             starts_at=at(2026, 6, 25, 17), created_at=at(2026, 6, 1))  # fmt: skip
        session.add(planned)
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Anna", language="de")
    assert env.sim is not None
    manager = env.sim.user(MANAGER, first_name="Anna", language_code="de")
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_person(session, telegram_id=MANAGER)
        assert person is not None
        person.language = "de"
    answer = await manager.send("/bericht 2026-Q2")
    summary = answer[0].plain_text
    assert summary.startswith("Bericht: Stadtbezirk 10 Linden-Limmer, 2. Quartal 2026")
    assert "Eingegangene Anliegen: 5 (Einwohner/innen 3, Akteure 1, Bezirksrat 1)" in summary
    # German shares keep a no-break space before the percent sign (CLDR)
    assert "Sichtung: Lotse 2 (50\xa0%), Kümmerer 2 (50\xa0%); die Ansprechstelle half laut " \
        "50\xa0% der Antworten (1 von 2)" in summary  # fmt: skip
    assert "Erste Antwort: Median 0,5 Arbeitstage, bei 90 % höchstens 1 Arbeitstag" in summary
    assert "Nach Status (jetzt): neu 1, in Bearbeitung 1, wartet auf Antwort 0, weitergeleitet " \
        "(Lotse) 2, erledigt 1, zusammengeführt 0" in summary  # fmt: skip
    assert "Durchgeführte Stadtbezirkskonferenzen: 2, geplant: 1;" in summary
    assert [m.caption for m in answer if m.photo] == [
        "Anliegen pro Monat nach Handlungsfeld",
        "Vereinbarungen nach Fachbereich",
    ]
    assert manager.buttons(answer[-1]) == ["PDF", "Excel (XLSX)", "CSV", "Anderer Zeitraum"]
    [(_, xlsx)] = documents(await press(manager, "Excel (XLSX)"))
    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames[0] == "Übersicht"
    assert [r[0] for r in book["Übersicht"].iter_rows(values_only=True)][1:] == [
        "10 Linden-Limmer",
        "Gesamt",
    ]
    [(_, csv)] = documents(await press(manager, "CSV"))
    assert csv.decode("utf-8-sig").startswith("Tabelle;Stadtbezirk;Gruppe;Merkmal;Wert")
    menu = await press(manager, "Anderer Zeitraum")
    assert manager.buttons(menu[-1])[:2] == ["Dieser Monat", "Letzter Monat"]
    assert menu[-1].plain_text.startswith("Welcher Zeitraum?")


async def test_an_empty_period_sends_no_empty_charts_and_no_zero_shares(env: BotEnv) -> None:
    await seeded(env)
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Anna", language="de")
    assert env.sim is not None
    manager = env.sim.user(MANAGER, first_name="Anna", language_code="de")
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_person(session, telegram_id=MANAGER)
        assert person is not None
        person.language = "de"
    answer = await manager.send("/bericht 2025-Q1")
    summary = answer[0].plain_text
    assert "die Ansprechstelle half: noch keine Antworten" in summary
    assert "0,0" not in summary and "0.0" not in summary
    assert "Erste Antwort: Median –, bei 90 % höchstens –" in summary
    assert not photos(answer)  # nothing to draw: no charts with an axis from -0.045 to 0.045
    assert answer[1].plain_text == ("Anliegen pro Monat nach Handlungsfeld: keine Daten im "
                                    "Zeitraum\nVereinbarungen nach Fachbereich: keine Daten im "
                                    "Zeitraum")  # fmt: skip
    assert manager.buttons(answer[-1]) == ["PDF", "Excel (XLSX)", "CSV", "Anderer Zeitraum"]

    english = await staff(env, COORDINATOR, Role.COORDINATOR)
    answer = await english.send("/bericht 2025-Q1")
    assert "the contact helped: no answers yet" in answer[0].plain_text
    assert not photos(answer)
    assert answer[1].plain_text.splitlines() == [
        "Concerns per month by field of action: no data in the period",
        "Agreements by department: no data in the period",
        "Concerns per district: no data in the period",
    ]


async def test_an_arabic_reader_gets_charts_and_files_in_german_with_a_note(env: BotEnv) -> None:
    """Charts and files are laid out left to right: for Arabic they stay German, said in
    Arabic; the summary and the buttons are Arabic."""
    await seeded(env)
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Anna", language="ar")
    assert env.sim is not None
    manager = env.sim.user(MANAGER, first_name="Anna", language_code="ar")
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_person(session, telegram_id=MANAGER)
        assert person is not None
        person.language = "ar"
    t = env.services.translations.get("ar")
    answer = await manager.send("/bericht 2026-Q2")
    texts = [m.plain_text for m in answer if not m.photo]
    assert t("The charts and files of the report are in German.") in texts
    assert re.search("[\u0600-\u06ff]", texts[-1]), "the file choice reads Arabic"
    assert [m.caption for m in answer if m.photo] == [
        "Anliegen pro Monat nach Handlungsfeld",
        "Vereinbarungen nach Fachbereich",
    ]
    [(_, csv)] = documents(await press(manager, t("CSV")))
    assert csv.decode("utf-8-sig").startswith("Tabelle;Stadtbezirk;Gruppe;Merkmal;Wert")
