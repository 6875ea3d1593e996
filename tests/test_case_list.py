"""/faelle: filters (new, mine, waiting, overdue, quarter, field of action), the word search,
paging that keeps the filter, and forged filters. End to end through the real Application."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.cases import records as cases
from bot.services.cases.records import Draft
from bot.storage.db import session_scope
from bot.storage.models import Person
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern

TZ = ZoneInfo("Europe/Berlin")
ANNA, BERND, COORDINATOR, MANAGER_06 = 710_010, 710_011, 710_099, 710_006
RESIDENT_ID = 5_000
REFERENCE = re.compile(r"\b\d{2}-\d{4}-\d{4}\b")


def berlin(month: int, day: int, hour: int = 8) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ)


async def make_case(
    env: BotEnv,
    *,
    at: datetime,
    district: str = "10",
    quarter: str | None = "Linden-Süd",
    topic: str = "public_space",
    description: str = "Rubbish on the square.",
    address: str | None = None,
    status: str = "new",
    due: datetime | None = None,
    taken_by: int | None = None,
) -> str:
    """A case filed at `at`; `taken_by`: the staff account that took it on as Kümmerer."""
    async with session_scope(env.services.session_maker) as session:
        resident = await people.get_or_create_person(
            session, telegram_id=RESIDENT_ID, first_name="Erika", language="de", now=at
        )
        draft = Draft(
            district_number=district,
            quarter=quarter,
            address_text=address,
            topic=topic,
            description=description,
        )
        case = await cases.submit_case(
            session, draft=draft, resident=resident, language="de", now=at, tz=TZ
        )
        case.status, case.next_step_due = status, due
        if taken_by is not None:
            manager = await people.get_person(session, telegram_id=taken_by)
            case.mode = "kuemmerer"
            await cases.add_event(
                session, case, "taken_on", now=at, actor=manager, actor_role="manager"
            )
        return case.reference


async def staff(
    env: BotEnv, telegram_id: int, role: Role, district: str | None = "10", lang: str = "de"
) -> SimUser:
    await bind_role(env, telegram_id, role, district=district, first_name="Anna")
    async with session_scope(env.services.session_maker) as session:
        await session.execute(
            update(Person).where(Person.telegram_id == telegram_id).values(language=lang)
        )
    assert env.sim is not None
    return env.sim.user(telegram_id, first_name="Anna", language_code=lang)


def shown(user: SimUser) -> list[str]:
    """The reference numbers the newest list shows, in order (not those in its header)."""
    return REFERENCE.findall(user.last.plain_text.partition("\n")[2])


# ----------------------------------------------------------------------- filter buttons


async def test_ueberfaellig_button_marks_the_filter_and_paging_keeps_it(env: BotEnv) -> None:
    anna = await staff(env, ANNA, Role.MANAGER)
    now = env.clock.now()
    late = [
        await make_case(
            env, at=berlin(3, day), status="in_progress", due=now - timedelta(days=day)
        )
        for day in range(1, 10)
    ]
    await make_case(env, at=berlin(3, 2), status="in_progress", due=now + timedelta(days=3))
    await make_case(env, at=berlin(3, 3))  # no next step
    await make_case(env, at=berlin(3, 1), status="resolved", due=now - timedelta(days=20))
    await anna.send("/faelle")
    assert "Offene Anliegen, Seite 1 von 2 (11 insgesamt)" in anna.last.plain_text
    assert "✓ Alle" in anna.buttons() and "Überfällig" in anna.buttons()
    await anna.press("Überfällig")
    first = anna.last
    assert "Offene Anliegen – überfällig, Seite 1 von 2 (9 insgesamt)" in first.plain_text
    assert "✓ Überfällig" in anna.buttons() and "Alle" in anna.buttons()
    # the longest overdue first, with the day the next step was due
    assert shown(anna) == late[::-1][:8]
    assert "fällig am" in first.plain_text
    await anna.press("Weiter ▶")
    assert anna.last.message_id == first.message_id  # edited in place
    assert "Offene Anliegen – überfällig, Seite 2 von 2 (9 insgesamt)" in anna.last.plain_text
    assert shown(anna) == [late[0]]
    await anna.press("◀ Zurück")
    assert "überfällig, Seite 1 von 2" in anna.last.plain_text
    sent = len(anna.messages)
    await anna.press("✓ Überfällig")  # the same list again: nothing changes, nothing new
    assert len(anna.messages) == sent and anna.last.message_id == first.message_id
    await anna.press("Alle")
    assert "Offene Anliegen, Seite 1 von 2 (11 insgesamt)" in anna.last.plain_text


async def test_neu_wartend_und_meine(env: BotEnv) -> None:
    anna = await staff(env, ANNA, Role.MANAGER)
    await bind_role(env, BERND, Role.DEPUTY, district="10", first_name="Bernd")
    fresh = await make_case(env, at=berlin(3, 2))
    waiting = await make_case(env, at=berlin(3, 3), status="waiting")
    mine = await make_case(env, at=berlin(3, 4), status="in_progress", taken_by=ANNA)
    bernds = await make_case(env, at=berlin(3, 5), status="in_progress", taken_by=BERND)
    await make_case(env, at=berlin(3, 6), status="resolved", taken_by=ANNA)
    await anna.send("/faelle")
    await anna.press("Neu")
    assert "Offene Anliegen – neu, Seite 1 von 1 (1 insgesamt)" in anna.last.plain_text
    assert shown(anna) == [fresh] and "✓ Neu" in anna.buttons()
    await anna.press("Wartend")
    assert "Offene Anliegen – wartet auf Antwort, Seite 1 von 1" in anna.last.plain_text
    assert shown(anna) == [waiting]
    await anna.press("Meine")
    assert "Offene Anliegen – meine (Kümmerer), Seite 1 von 1" in anna.last.plain_text
    assert shown(anna) == [mine] and bernds not in anna.last.plain_text
    # Bernd takes over Anna's case: from then on it is his
    async with session_scope(env.services.session_maker) as session:
        case = await cases.get_case(session, reference=mine)
        bernd = await people.get_person(session, telegram_id=BERND)
        assert case is not None
        await cases.add_event(
            session, case, "taken_on", now=env.clock.now(), actor=bernd, actor_role="deputy"
        )
    await anna.press("Alle")
    await anna.press("Meine")
    assert "Nichts gefunden: keine offenen Anliegen – meine (Kümmerer)." in anna.last.plain_text
    assert "✓ Meine" in anna.buttons()  # the filters stay to choose another


async def test_kuemmerer_from_the_new_case_card_is_mine(env: BotEnv) -> None:
    anna = await staff(env, ANNA, Role.MANAGER)
    assert env.sim is not None
    erika = env.sim.user(3001, first_name="Erika", language_code="en")
    await consent(erika)
    reference = await file_concern(erika)
    await anna.press("Kümmerer")
    await anna.send("/faelle meine")
    assert "meine (Kümmerer), Seite 1 von 1 (1 insgesamt)" in anna.last.plain_text
    assert shown(anna) == [reference]


async def test_typed_filters_in_english_and_german(env: BotEnv) -> None:
    anna = await staff(env, ANNA, Role.MANAGER, lang="en")
    now = env.clock.now()
    fresh = await make_case(env, at=berlin(3, 2))
    waiting = await make_case(env, at=berlin(3, 3), status="waiting")
    late = await make_case(env, at=berlin(3, 4), status="in_progress", due=now - timedelta(1))
    mine = await make_case(env, at=berlin(3, 5), status="in_progress", taken_by=ANNA)
    expected = {"new": [fresh], "waiting": [waiting], "overdue": [late], "mine": [mine]}
    for word, found in expected.items():
        await anna.send(f"/cases {word}")
        assert f"Open concerns – {word}" in anna.last.plain_text or word == "mine", word
        assert shown(anna) == found, word
    assert "Open concerns – mine (caretaker), page 1 of 1" in anna.last.plain_text
    for word in ("Überfällig", "ueberfaellig", "UEBERFAELLIG"):
        await anna.send(f"/faelle {word}")
        assert "Open concerns – overdue, page 1 of 1 (1 in total)" in anna.last.plain_text
        assert "✓ Overdue" in anna.buttons()
    await anna.send("/faelle wartend")
    assert shown(anna) == [waiting]
    await anna.send("/cases all")
    assert "Open concerns, page 1 of 1 (4 in total)" in anna.last.plain_text


# ------------------------------------------------------------------------ quarter, topic


async def test_stadtteil_by_typed_name_with_and_without_umlaut(env: BotEnv) -> None:
    anna = await staff(env, ANNA, Role.MANAGER)
    sued = [await make_case(env, at=berlin(3, d), quarter="Linden-Süd") for d in (2, 3)]
    await make_case(env, at=berlin(3, 4), quarter="Linden-Nord")
    await make_case(env, at=berlin(3, 5), quarter="Linden-Süd", status="resolved")
    kirchrode = await make_case(env, at=berlin(3, 6), district="06", quarter="Kirchrode")
    for typed in ("Linden-Süd", "linden-sued", "LINDEN SÜD", "linden sud"):
        await anna.send(f"/faelle {typed}")
        text = anna.last.plain_text
        assert "Offene Anliegen – Linden-Süd, Seite 1 von 1 (2 insgesamt)" in text, typed
        assert shown(anna) == sued and "✓ Stadtteil" in anna.buttons()
    # a quarter of another district is a filter that finds nothing here
    await anna.send("/faelle Kirchrode")
    assert "Nichts gefunden: keine offenen Anliegen – Kirchrode." in anna.last.plain_text
    assert kirchrode not in anna.last.plain_text


async def test_stadtteil_and_handlungsfeld_buttons_offer_what_has_open_cases(
    env: BotEnv,
) -> None:
    anna = await staff(env, ANNA, Role.MANAGER)
    nord = [
        await make_case(env, at=berlin(2, d), quarter="Linden-Nord", topic="family")
        for d in range(1, 11)
    ]
    await make_case(env, at=berlin(3, 2), quarter="Limmer")
    await make_case(env, at=berlin(3, 3), quarter="Linden-Mitte", status="resolved")
    await make_case(env, at=berlin(3, 4), district="06", quarter="Bemerode", topic="seniors")
    await anna.send("/faelle")
    await anna.press("Stadtteil")
    assert "Welcher Stadtteil?" in anna.last.plain_text
    assert anna.buttons() == ["Linden-Nord (10)", "Limmer (1)", "Alle"]
    await anna.press("Linden-Nord (10)")
    assert "Offene Anliegen – Linden-Nord, Seite 1 von 2 (10 insgesamt)" in anna.last.plain_text
    await anna.press("Weiter ▶")
    assert "Offene Anliegen – Linden-Nord, Seite 2 von 2" in anna.last.plain_text
    assert shown(anna) == nord[8:]
    await anna.press("Handlungsfeld")
    assert "Welches Handlungsfeld?" in anna.last.plain_text
    assert anna.buttons() == ["Familie (10)", "Öffentlicher Raum (1)", "Alle"]
    await anna.press("Familie (10)")
    assert "Offene Anliegen – Familie, Seite 1 von 2 (10 insgesamt)" in anna.last.plain_text
    assert "✓ Handlungsfeld" in anna.buttons()


async def test_topic_typed_and_the_coordination_chooses_among_all_districts(
    env: BotEnv,
) -> None:
    coordination = await staff(env, COORDINATOR, Role.COORDINATOR, district=None, lang="en")
    family = await make_case(env, at=berlin(3, 2), topic="family")
    bemerode = await make_case(env, at=berlin(3, 3), district="06", quarter="Bemerode")
    await coordination.send("/cases family")
    assert "Open concerns – Family, page 1 of 1 (1 in total)" in coordination.last.plain_text
    assert shown(coordination) == [family]
    await coordination.send("/faelle Öffentlicher Raum")
    assert "Open concerns – Public space, page 1 of 1" in coordination.last.plain_text
    assert shown(coordination) == [bemerode]
    await coordination.press("Quarter")
    assert coordination.buttons() == ["Bemerode (1)", "Linden-Süd (1)", "All"]


# ------------------------------------------------------------------------------- search


async def test_suche_mit_mehreren_woertern_auch_erledigte(env: BotEnv) -> None:
    anna = await staff(env, ANNA, Role.MANAGER)
    both = await make_case(
        env, at=berlin(3, 2), description="Die Laterne am Weg ist seit Tagen dunkel."
    )
    address = await make_case(
        env,
        at=berlin(3, 3),
        description="Laterne flackert.",
        address="Fössestraße 12, am Weg",
        status="resolved",
    )
    await make_case(env, at=berlin(3, 4), description="Die Laterne ist kaputt.")  # no "weg"
    await make_case(
        env, at=berlin(3, 5), district="06", quarter="Kirchrode", description="Laterne am Weg"
    )
    await anna.send("/faelle Laterne WEG")
    text = anna.last.plain_text
    assert (
        "Suche nach „laterne weg“ in allen Anliegen, offenen und erledigten – "
        "Seite 1 von 1 (2 gefunden)"
    ) in text
    assert shown(anna) == [address, both]  # newest first, the closed one too
    assert f"{address} · Linden-Süd · Öffentlicher Raum · erledigt" in text
    # the reference and the address are searched as well; ß and ss are the same
    await anna.send(f"/faelle {both}")
    assert shown(anna) == [both]
    await anna.send("/faelle FÖSSESTRASSE")
    assert shown(anna) == [address]


async def test_suche_findet_nichts_und_platzhalter_gelten_woertlich(env: BotEnv) -> None:
    anna = await staff(env, ANNA, Role.MANAGER)
    await make_case(env, at=berlin(3, 2), description="Übergang am Bahnhof: 50% der Lampen aus")
    await make_case(env, at=berlin(3, 3), description="Spielplatz_neu braucht Bänke")
    await anna.send("/faelle Schwimmbad")
    assert anna.last.plain_text.startswith(
        "Nichts gefunden für „schwimmbad“ in den Anliegen Ihrer Stadtbezirke"
    )
    assert "Alle" in anna.buttons()
    for typed, count in (("50%", 1), ("%", 1), ("_", 1), ("5_%", 0), ("übergang", 1)):
        await anna.send(f"/faelle {typed}")
        assert len(shown(anna)) == count, typed


async def test_search_pages_keep_the_words_and_an_old_search_says_so(env: BotEnv) -> None:
    anna = await staff(env, ANNA, Role.MANAGER, lang="en")
    for day in range(1, 11):
        await make_case(env, at=berlin(2, day), description=f"Broken bench number {day}")
    await make_case(env, at=berlin(2, 20), description="Broken lamp")
    await anna.send("/cases broken bench")
    first = anna.last
    assert "Search for “broken bench” in all concerns" in first.plain_text
    assert "page 1 of 2 (10 found)" in first.plain_text
    await anna.press("Next ▶")
    assert "Search for “broken bench”" in anna.last.plain_text
    assert "page 2 of 2 (10 found)" in anna.last.plain_text
    assert anna.last.message_id == first.message_id
    answer = await anna.press_data("desk:list:s999:0")
    assert answer is not None
    assert "This search is no longer available" in anna.last.plain_text
    assert "Nothing found for “nothing like this”" in (
        (await anna.send("/cases nothing like this"))[-1].plain_text
    )


# ------------------------------------------------------------------ forged and stale data


async def test_forged_filters_show_nothing_of_other_districts(env: BotEnv) -> None:
    anna = await staff(env, ANNA, Role.MANAGER, lang="en")
    due = env.clock.now() - timedelta(hours=1)
    ours = await make_case(env, at=berlin(3, 2), status="in_progress", due=due)
    theirs = [
        await make_case(env, at=berlin(3, 3), district="06", quarter="Bemerode", topic="family"),
        await make_case(env, at=berlin(3, 4), district="06", quarter="Kirchrode"),
    ]
    await anna.send("/cases")
    for data in (
        "desk:list:q06.0:0",  # Bemerode, district 06
        "desk:list:q06.1:0",
        "desk:list:q10.99:0",  # no such quarter
        "desk:list:q99.0:0",
        "desk:list:t.family:0",  # a topic only district 06 has
        "desk:list:t.no_such_topic:0",
    ):
        await anna.press_data(data)
        text = anna.last.plain_text
        assert text.startswith("Nothing found"), data
        assert not any(reference in text for reference in theirs), data
    # a page far beyond the end shows the last page
    await anna.press_data("desk:list:late:9999")
    assert "Open concerns – overdue, page 1 of 1 (1 in total)" in anna.last.plain_text
    assert shown(anna) == [ours]
    await anna.press_data("desk:pick:q")
    assert anna.buttons() == ["Linden-Süd (1)", "All"]
    # a list sent before the filters existed still turns its pages
    await anna.press_data("desk:page:0")
    assert "Open concerns, page 1 of 1 (1 in total)" in anna.last.plain_text
    seen = "\n".join(m.plain_text for m in anna.messages)
    assert not any(reference in seen for reference in theirs)


async def test_einwohner_und_fremde_werden_abgewiesen(env: BotEnv) -> None:
    await make_case(env, at=berlin(3, 2), description="Geheime Laterne")
    other = await staff(env, MANAGER_06, Role.MANAGER, district="06")
    assert env.sim is not None
    erika = env.sim.user(3002, first_name="Erika", language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    before = len(erika.messages)
    for command in ("/faelle", "/faelle Laterne", "/faelle überfällig", "/cases Linden-Süd"):
        await erika.send(command)
        assert "Das dürfen Sie leider nicht." in erika.last.plain_text, command
    for data in ("desk:list:all:0", "desk:list:q10.2:0", "desk:pick:q", "desk:page:0"):
        answer = await erika.press_data(data)
        assert answer is not None and "Das dürfen Sie leider nicht." in (answer.text or "")
    assert len(erika.messages) == before + 4
    # the manager of another district finds nothing of district 10, not even by searching
    await other.send("/faelle Geheime Laterne")
    assert other.last.plain_text.startswith("Nichts gefunden")
    await other.send("/faelle Linden-Süd")
    assert other.last.plain_text.startswith("Nichts gefunden")
