"""Privacy end to end: consent record, export (Art. 15), erasure (Art. 17), retention.

The erasure check reads every table of the database, the models' tables typed (so JSON is
decoded) and any other table raw, and looks for everything the resident ever told us.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import time, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData, Table, select

from bot.handlers.privacy import run_retention
from bot.messages.privacy import EXPORT_FILENAME
from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.people import CONSENT_VERSION
from bot.services.access.roles import Role
from bot.services.privacy.erasure import ERASED_EVENT, erase_person
from bot.services.privacy.retention import months_before
from bot.storage.db import session_scope
from bot.storage.models import Base, Case, CaseEvent, CasePhoto, PersistenceEntry, Person
from bot.updates.guard import guard_of
from tests.conftest import START, BotEnv
from tests.helpers import bind_role, consent, file_concern, reference_in

RESIDENT, NEIGHBOUR, MANAGER = 587_331_902, 587_331_977, 700_020
NAME = "Mechthild"
LATITUDE, LONGITUDE = 52.36017, 9.72034
EMAIL, PHONE = "mechthild.example@posteo.de", "0511 7654321"
CONTACT = f"{EMAIL}, {PHONE}"
DESCRIPTION_1 = "Broken glass all over the playground at the Fössebad every morning."
DESCRIPTION_2 = "The benches in front of the bakery were removed without notice."
ADDRESS = "Deisterstraße 17"
ORGANISATION = "Kleingartenverein Sonnenblick"
PHOTO, REPLY_PHOTO = "photo-mechthild-playground", "photo-mechthild-reply"
QUESTION = "Since when is the glass there every morning?"
ANSWER = "Since the summer festival, roughly four weeks now."
CAPTION = "This is the corner by the red slide."
NOTE = "Called Mechthild back, she lives right next to the playground."
SUMMARY = "The benches are back in front of the bakery since Monday."
NEEDLES = (
    NAME,
    EMAIL,
    PHONE,
    DESCRIPTION_1,
    DESCRIPTION_2,
    ADDRESS,
    ORGANISATION,
    PHOTO,
    REPLY_PHOTO,
    QUESTION,
    ANSWER,
    CAPTION,
    NOTE,
    SUMMARY,
    str(RESIDENT),
    str(LATITUDE),
    str(LONGITUDE),
)


async def _case(env: BotEnv, reference: str) -> Case:
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


async def _person(env: BotEnv, person_id: int) -> Person:
    async with session_scope(env.services.session_maker) as session:
        person = await session.get(Person, person_id)
        assert person is not None
        return person


async def _person_by_telegram(env: BotEnv, telegram_id: int) -> Person | None:
    async with session_scope(env.services.session_maker) as session:
        return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def _statistics(env: BotEnv) -> Counter[tuple[str, str, str]]:
    async with session_scope(env.services.session_maker) as session:
        rows = await session.execute(select(Case.district_number, Case.topic, Case.status))
        return Counter((row.district_number, row.topic, row.status) for row in rows)


async def _file_with_location_and_photo(user: SimUser) -> str:
    await user.send("/neu")
    await user.send_location(LATITUDE, LONGITUDE)
    await user.press("Linden-Limmer")
    await user.press("Linden-Süd")
    await user.press("Public space")
    await user.send(DESCRIPTION_1)
    await user.send_photo(PHOTO)
    await user.press("Continue without more photos")
    await user.send(CONTACT)
    await user.press("No, privately")
    await user.press("Send")
    return reference_in(user.last.plain_text)


async def _file_with_address_and_organisation(user: SimUser) -> str:
    await user.send("/neu")
    await user.send(ADDRESS)  # not in the directory: the district is chosen from the list
    await user.press("Linden-Limmer")
    await user.press("Linden-Süd")
    await user.press("Permits")
    await user.send(DESCRIPTION_2)
    await user.press("Continue without more photos")
    await user.send(CONTACT)
    await user.press("Club or association")
    await user.send(ORGANISATION)
    await user.press("Send")
    return reference_in(user.last.plain_text)


def _values(value: Any) -> Iterator[Any]:
    """Every scalar inside a column value (decoded JSON is walked, strings unescaped)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _values(item)
    elif isinstance(value, str):
        yield value
        yield unescape(value)
        if value[:1] in "[{":  # JSON in a table without a model: decode it
            try:
                yield from _values(json.loads(value))
            except ValueError:
                pass
    else:
        yield value


async def _leftovers(
    env: BotEnv, needles: tuple[str, ...], numbers: tuple[float, ...]
) -> list[str]:
    """Where any needle (text, case-free) or number still occurs, over all rows of all tables."""
    async with env.engine.connect() as connection:
        reflected = MetaData()
        await connection.run_sync(reflected.reflect)
        assert set(Base.metadata.tables) <= set(reflected.tables), "a model table is missing"
        tables: list[Table] = list(Base.metadata.sorted_tables)
        tables += [t for name, t in reflected.tables.items() if name not in Base.metadata.tables]
        found = []
        for table in tables:
            for row in (await connection.execute(select(table))).mappings():
                for column, value in row.items():
                    for scalar in _values(value):
                        if isinstance(scalar, str):
                            hits = [n for n in needles if n.casefold() in scalar.casefold()]
                        elif isinstance(scalar, int | float) and not isinstance(scalar, bool):
                            hits = [str(n) for n in numbers if scalar == n]
                        else:
                            hits = []
                        found += [f"{table.name}.{column}: {hit!r}" for hit in hits]
    return sorted(set(found))


async def test_export_and_erasure_leave_no_personal_data(env: BotEnv) -> None:
    # A resident's whole history in a few seconds of wall time: flood control (tested on its
    # own) would rightly stop her, so it is off here.
    guard_of(env.app).flood.limit = 0
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    sim = env.sim
    resident = sim.user(RESIDENT, first_name=NAME, language_code="en")
    neighbour = sim.user(NEIGHBOUR, first_name="Bodo", language_code="en")
    manager = sim.user(MANAGER, first_name="Staff", language_code="en")

    # consent is recorded with the text's version and the moment
    await consent(resident)
    person = await _person_by_telegram(env, RESIDENT)
    assert person is not None and person.first_name == NAME
    assert person.consent_version == CONSENT_VERSION and person.consent_at == START

    first = await _file_with_location_and_photo(resident)
    second = await _file_with_address_and_organisation(resident)
    await consent(neighbour)
    theirs = await file_concern(neighbour, text="Rubbish bins overflow at the tram stop.")

    # the manager asks, the resident answers with text and a photo; an internal note
    case_1, case_2 = await _case(env, first), await _case(env, second)
    notification = next(m for m in manager.messages if first in m.plain_text and m.inline_buttons)
    await manager.press_data(f"tr:kue:{case_1.id}", message=notification)
    await manager.reply_to(notification, QUESTION)
    relayed = resident.last
    assert QUESTION in relayed.plain_text
    await resident.reply_to(relayed, ANSWER)
    assert ANSWER in manager.last.plain_text
    await resident.reply_photo_to(relayed, REPLY_PHOTO, caption=CAPTION)
    await manager.press_data(f"tr:note:{case_1.id}")
    await manager.send(NOTE)
    await manager.press_data(f"tr:kue:{case_2.id}")
    await manager.press_data(f"tr:resolve:{case_2.id}")
    await manager.send(SUMMARY)
    await manager.press("Yes, resolve")
    assert SUMMARY in resident.last.plain_text

    # Art. 15: everything as a JSON file in the chat
    await resident.send("/meine_daten")
    summary = resident.last.plain_text  # the same in words, after the file
    assert summary.startswith(f"Summary of your stored data\nName: {NAME}\n")
    assert "Concerns: 2" in summary and f"• {first} – Public space – " in summary
    assert f"Contact: {EMAIL}, +495117654321" in summary and f"Address: {ADDRESS}" in summary
    assert "Photos: 1" in summary
    document = resident.messages[-2].document
    assert document is not None and document.file_name == EXPORT_FILENAME
    assert document.content is not None
    raw = document.content.decode("utf-8")
    export = json.loads(raw)
    assert export["person"]["telegram_id"] == RESIDENT and export["person"]["first_name"] == NAME
    assert export["consent"]["version"] == CONSENT_VERSION
    assert export["consent"]["given_at"] == "2026-03-11T10:00:00+01:00"  # local, with offset
    cases = {case["reference"]: case for case in export["cases"]}
    assert set(cases) == {first, second}
    assert cases[first]["description"] == DESCRIPTION_1
    assert cases[second]["description"] == DESCRIPTION_2
    assert cases[first]["contact"] == f"{EMAIL}, +495117654321"  # checked and normalised
    assert cases[second]["organisation_name"] == ORGANISATION
    assert [p["file_id"] for p in cases[first]["photos"]] == [PHOTO]
    assert (cases[first]["latitude"], cases[first]["longitude"]) == (LATITUDE, LONGITUDE)
    history = {(e["kind"], e["by"], e["text"]) for e in cases[first]["history"]}
    assert ("message_from_resident", "you", ANSWER) in history
    assert ("message_to_resident", "manager", QUESTION) in history
    assert ("note", "manager", NOTE) in history  # internal notes too, the author by role only
    assert any(QUESTION in m["text"] for m in export["messages_to_you"] if m["text"])
    assert str(MANAGER) not in raw and "Staff" not in raw  # other people appear by role only
    conversation = json.dumps(export["conversation"], ensure_ascii=False)
    assert DESCRIPTION_1 not in conversation  # the draft went when the case was sent

    before = await _statistics(env)
    await env.app.update_persistence()
    found = await _leftovers(env, NEEDLES, (RESIDENT, LATITUDE, LONGITUDE))
    assert {f.split(":")[0].split(".")[0] for f in found} >= {  # the scan sees them all
        "persons",
        "cases",
        "case_photos",
        "case_events",
        "case_messages",
        "outbox",
        "ptb_persistence",
    }

    # in the middle of a concern the intake keeps the command; erasure waits until it ends
    await resident.send("/neu")
    await resident.send("Am Küchengarten 5")
    await resident.send("/loeschen")
    assert "middle of a concern" in resident.last.plain_text
    await resident.send("/abbrechen")

    # Art. 17: ask, and someone else pressing the confirmation changes nothing
    await resident.send("/loeschen")
    confirmation = resident.last
    assert "cannot be undone" in confirmation.plain_text
    # forged data in one's own chat, without having asked: a stale button
    stale = await neighbour.press_data("priv:erase:yes", message=neighbour.last)
    assert stale is not None and "no longer valid" in (stale.text or "")
    # pressing the resident's button, even with a request of one's own pending: the update
    # guard drops it as malformed, and the handler would refuse it (another user's chat)
    await neighbour.send("/loeschen")
    forged = await neighbour.press_data("priv:erase:yes", message=confirmation)
    assert forged is None or (forged.show_alert and "not allowed" in (forged.text or ""))
    assert (await _person_by_telegram(env, RESIDENT)) is not None
    assert (await _person_by_telegram(env, NEIGHBOUR)) is not None
    assert (await _case(env, first)).description == DESCRIPTION_1
    await neighbour.press("No, keep")
    assert "Nothing was erased" in neighbour.last.plain_text

    await resident.press("Yes, erase", message=confirmation)
    assert "has been erased" in resident.last.plain_text
    await env.app.update_persistence()  # what the periodic run writes, written now

    leftovers = await _leftovers(env, NEEDLES, (RESIDENT, LATITUDE, LONGITUDE))
    assert leftovers == []
    assert await _statistics(env) == before  # district, topic and status counts stay
    erased = await _person(env, person.id)
    assert erased.telegram_id is None and erased.consent_at is None
    assert erased.erased_at == env.clock.now()
    kept = await _case(env, first)
    assert (kept.district_number, kept.quarter, kept.topic, kept.status) == (
        "10",
        "Linden-Süd",
        "public_space",
        "in_progress",
    )
    assert kept.created_at == START and kept.resident_id == person.id
    async with session_scope(env.services.session_maker) as session:
        kinds = list(
            await session.scalars(
                select(CaseEvent.kind).where(CaseEvent.case_id == kept.id).order_by(CaseEvent.id)
            )
        )
    assert kinds[0] == "submitted" and "message_from_resident" in kinds
    assert kinds[-1] == ERASED_EVENT
    # the neighbour and the manager keep everything
    assert (await _case(env, theirs)).description == "Rubbish bins overflow at the tram stop."
    assert (await _person_by_telegram(env, NEIGHBOUR)) is not None
    assert (await _person_by_telegram(env, MANAGER)) is not None

    # writing again makes a new person, who is asked for consent again
    await resident.send("/start")
    assert resident.buttons() == ["✅ I agree", "✖️ No"]
    fresh = await _person_by_telegram(env, RESIDENT)
    assert fresh is not None and fresh.id != person.id and fresh.consent_at is None


async def test_staff_cannot_erase_themselves_in_chat(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    manager = env.sim.user(MANAGER, language_code="en")
    await manager.send("/loeschen")
    assert "role in the district management" in manager.last.plain_text
    assert not manager.last.inline_buttons
    assert await manager.press_data("priv:erase:yes") is not None  # no request: stale
    assert (await _person_by_telegram(env, MANAGER)) is not None


async def test_erasure_deletes_stored_conversation_rows(env: BotEnv) -> None:
    """Drafts in persisted user data and intake states go, other users' rows stay."""
    maker = env.services.session_maker
    async with session_scope(maker) as session:
        person = await people.get_or_create_person(
            session, telegram_id=RESIDENT, first_name=NAME, language="en", now=START
        )
        session.add_all(
            [
                PersistenceEntry(
                    kind="user",
                    key=str(RESIDENT),
                    updated_at=START,
                    data={"draft": {"description": DESCRIPTION_1}},
                ),
                PersistenceEntry(
                    kind="conv:intake",
                    key=json.dumps([RESIDENT, RESIDENT]),
                    data="description",
                    updated_at=START,
                ),  # type: ignore[arg-type]
                PersistenceEntry(
                    kind="conv:intake",
                    key=json.dumps([NEIGHBOUR, NEIGHBOUR]),
                    data="where",
                    updated_at=START,
                ),  # type: ignore[arg-type]
            ]
        )
    async with session_scope(maker) as session:
        person = await session.get(Person, person.id)
        assert person is not None
        report = await erase_person(session, person=person, now=START)
        rows = list(await session.execute(select(PersistenceEntry.kind, PersistenceEntry.key)))
    assert report.persistence_rows == 2 and report.telegram_id == RESIDENT
    assert [tuple(row) for row in rows] == [("conv:intake", json.dumps([NEIGHBOUR, NEIGHBOUR]))]


async def _resolve(env: BotEnv, manager: SimUser, reference: str, summary: str) -> None:
    case = await _case(env, reference)
    await manager.press_data(f"tr:kue:{case.id}")
    await manager.press_data(f"tr:resolve:{case.id}")
    await manager.send(summary)
    await manager.press("Yes, resolve")
    assert (await _case(env, reference)).status == "resolved"


async def test_retention_pseudonymises_cases_closed_longer_than_twelve_months(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    sim = env.sim
    anna = sim.user(587_331_501, first_name="Annegret", language_code="en")
    gerd = sim.user(587_331_502, first_name="Gerhild", language_code="en")
    manager = sim.user(MANAGER, language_code="en")
    await consent(anna)
    await consent(gerd)
    old = await file_concern(anna, text="The fountain on the square has been dry for weeks.")
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == old))
        assert case is not None
        session.add(CasePhoto(case_id=case.id, file_id="photo-fountain", created_at=START))
    only = await file_concern(gerd, text="Graffiti on the school wall, since Easter.")
    await _resolve(env, manager, old, "The fountain runs again.")
    await _resolve(env, manager, only, "The wall was cleaned.")

    env.clock.advance(days=61)
    recent = await file_concern(anna, text="Streetlight broken in the Haspelmathstraße.")
    await _resolve(env, manager, recent, "The lamp was replaced.")
    still_open = await file_concern(anna, text="Potholes on the cycle path by the river.")

    env.clock.set(START + timedelta(days=13 * 31))  # 13 months after the first two closed
    cutoff = months_before(env.clock.now(), 12)
    assert START < cutoff < START + timedelta(days=61)  # the recent one closed 11 months ago
    before = await _statistics(env)
    assert await run_retention(env.app) == 2
    assert await run_retention(env.app) == 0  # done once only
    assert await _statistics(env) == before

    for reference in (old, only):
        case = await _case(env, reference)
        assert case.description is None and case.status == "resolved"
        assert case.closed_at is not None and case.topic == "public_space"
        async with session_scope(env.services.session_maker) as session:
            events = list(
                await session.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
                )
            )
            photos = list(
                await session.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id))
            )
        assert all(e.text is None for e in events) and photos == []
        assert events[-1].kind == ERASED_EVENT and events[-1].data == {"reason": "retention"}
    assert (await _case(env, recent)).description == "Streetlight broken in the Haspelmathstraße."
    assert (await _case(env, still_open)).description == "Potholes on the cycle path by the river."

    # Anna has a recent and an open case: she stays. Gerhild has nothing left: pseudonymised.
    assert (await _person_by_telegram(env, anna.user_id)) is not None
    assert (await _person_by_telegram(env, gerd.user_id)) is None
    await env.app.update_persistence()
    leftovers = await _leftovers(
        env,
        ("Gerhild", "Graffiti on the school wall", "wall was cleaned", str(gerd.user_id)),
        (gerd.user_id,),
    )
    assert leftovers == []
    assert await _leftovers(env, ("fountain",), ()) == []

    # the daily job runs at 03:30 in Hannover
    jobs = env.app.job_queue.get_jobs_by_name("retention")
    assert len(jobs) == 1 and jobs[0].next_t is not None
    assert jobs[0].next_t.astimezone(ZoneInfo("Europe/Berlin")).time() == time(3, 30)


async def test_export_and_erasure_questions_in_german(env: BotEnv) -> None:
    erika = env.sim.user(1201, first_name="Erika", language_code="de")
    await erika.send("/meine_daten")
    assert erika.last.plain_text == "Über Sie sind keine Daten gespeichert."
    await erika.send("/start")
    await erika.press("✅ Ich stimme zu")
    await erika.send("/meine_daten")
    assert erika.messages[-2].caption == (
        "Alles, was der Bot über Sie speichert. Mit /loeschen lassen Sie es löschen."
    )
    assert erika.last.plain_text.startswith(
        "Zusammenfassung Ihrer gespeicherten Daten\nName: Erika\nDatenschutzhinweis angenommen: "
        "Mi, 11.03.2026, 10:00\nAnliegen: 0\n"
    )
    await erika.send("/loeschen")
    assert erika.buttons() == ["🗑 Ja, löschen", "Nein, behalten"]
    await erika.press("Nein, behalten")
    assert erika.last.plain_text == "Es wurde nichts gelöscht."
    await erika.send("/loeschen")
    await erika.press("Ja, löschen")
    assert "gelöscht" in erika.last.plain_text


async def test_german_export_summary_names_each_concern(env: BotEnv) -> None:
    erika = env.sim.user(1202, first_name="Erika", language_code="de")
    await erika.send("/start")
    await erika.press("✅ Ich stimme zu")
    await erika.send("/neu")
    await erika.send("Deisterstraße 17")
    await erika.press("Linden-Limmer")
    await erika.press("Linden-Süd")
    await erika.press("Öffentlicher Raum")
    await erika.send("Vor dem Bäcker wurden die Bänke ohne Ankündigung entfernt.")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.send("0511 7654321")
    await erika.press("Nein, privat")
    await erika.press("Senden")
    reference = reference_in(erika.last.plain_text)
    await erika.send("/meine_daten")
    assert erika.messages[-2].document is not None
    summary = erika.last.plain_text
    assert "Anliegen: 1" in summary
    assert f"• {reference} – Öffentlicher Raum – eingegangen" in summary
    assert "Gesendet: Mi, 11.03.2026, 10:00" in summary
    assert "Wo: Linden-Süd, Stadtbezirk Linden-Limmer" in summary
    assert "Adresse: Deisterstraße 17" in summary and "Kontakt: +495117654321" in summary
    assert "Beschreibung: Vor dem Bäcker wurden die Bänke" in summary
    assert summary.endswith(
        "Die Datei oben enthält alles vollständig, auch den Verlauf jedes Anliegens."
    )
