"""Needs end to end through the real Application and the offline Bot API, clock-controlled:
a call opened in the chat, three actors propose through its link, support and rank, the
manager merges a duplicate (supports not double counted), takes the top needs onto the
conference agenda, the conference agrees a focus area with two agreements, a coordinator
records the Dezernentenkonferenz's decision, the supporters are told, and the programme's
progress follows the agreements."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.delivery import flush_outbox
from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.agreements import conferences
from bot.services.agreements import workflow as agreements
from bot.services.needs.proposals import support_counts
from bot.storage.db import session_scope
from bot.storage.models import Agreement, FocusArea, Need, NeedSupport
from tests.conftest import BotEnv
from tests.helpers import bind_role

MANAGER, COORDINATOR, REP = 730_010, 730_099, 730_066
ACTORS = (731_001, 731_002, 731_003)
OUTSIDER = 731_009
NEEDS = (
    ("Linden-Süd", "Ein Treffpunkt für Jugendliche", "Jugendliche zwischen 12 und 18"),
    ("Linden-Süd", "Ein Jugendtreff fehlt", "Jugendliche im Quartier"),
    ("Limmer", "Sitzbänke am Marktplatz", "Ältere Menschen"),
)


async def _setup(env: BotEnv, language: str = "de") -> None:
    assert env.sim is not None
    for staff in (MANAGER, COORDINATOR, REP):  # first contact: their language is stored
        await env.sim.user(staff, language_code=language).send("/start")
    await bind_role(
        env, MANAGER, Role.MANAGER, district="10", first_name="Maria", language=language
    )
    await bind_role(env, COORDINATOR, Role.COORDINATOR, first_name="Carl", language=language)
    await bind_role(
        env, REP, Role.REP, district="10", department="66", first_name="Ralf", language=language
    )


async def _open_call_de(manager: SimUser) -> str:
    await manager.send("/aufruf 10")
    assert "Wie lautet der Titel?" in manager.last.plain_text
    await manager.send("Bedarfe Linden-Limmer 2026")
    await manager.send("31.03.2026")
    await manager.press("Öffentlicher Raum")
    await manager.press("Familie")
    await manager.press("Fertig")
    await manager.press("eingeladene Akteure")
    text = manager.last.plain_text
    assert "Aufruf gestartet" in text, text
    match = re.search(r"start=(need-[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def _propose_de(actor: SimUser, quarters: str, missing: str, affected: str) -> int:
    await actor.press("Bedarf vorschlagen")
    await actor.press("Öffentlicher Raum")
    await actor.send(quarters)
    await actor.send(missing)
    await actor.send(affected)
    await actor.press("Ohne weiter")
    texts = "\n".join(actor.texts()[-3:])
    match = re.search(r"Ihr Bedarf #(\d+) ist vorgeschlagen", texts)
    assert match, texts
    return int(match.group(1))


async def _supports(env: BotEnv, need_id: int) -> int:
    async with session_scope(env.services.session_maker) as session:
        return (await support_counts(session, [need_id])).get(need_id, 0)


async def test_de_from_the_call_to_the_programme(env: BotEnv) -> None:
    await _setup(env)
    sim = env.sim
    assert sim is not None and env.app is not None
    manager, coordinator, rep = sim.user(MANAGER), sim.user(COORDINATOR), sim.user(REP)
    actors = [sim.user(i, first_name=f"Akteur{i % 10}") for i in ACTORS]
    async with session_scope(env.services.session_maker) as session:
        creator = await people.get_person(session, telegram_id=MANAGER)
        assert creator is not None
        conference = (
            await conferences.schedule_conference(
                session,
                env.services.env,
                district="10",
                starts_at=env.clock.now() + timedelta(days=21),
                departments=["66"],
                created_by=creator,
                now=env.clock.now(),
            )
        ).conference
        conference_id = conference.id

    # the call, and three actors propose through its link
    token = await _open_call_de(manager)
    ids = []
    for actor, (quarters, missing, affected) in zip(actors, NEEDS, strict=True):
        await actor.send(f"/start {token}")
        assert "Willkommen! Sie machen bei diesem Aufruf mit." in actor.texts()[-3]
        assert "Datenschutz" in actor.texts()[-1]  # the notice before anything is stored
        await actor.press("Ich stimme zu")
        ids.append(await _propose_de(actor, quarters, missing, affected))
    youth, youth_again, benches = ids
    await flush_outbox(env.app)
    assert any("Neuer Bedarf in Linden-Limmer" in t for t in manager.texts())

    # supports: each once per person, withdrawable; a repeated press withdraws, never adds
    plan = {0: (youth_again, benches), 1: (youth, benches), 2: (youth, youth_again)}
    for index, targets in plan.items():
        await actors[index].send("/bedarfe")
        for need_id in targets:
            await actors[index].press(f"#{need_id} unterstützen")
    assert [await _supports(env, i) for i in ids] == [2, 2, 2]
    answer = await actors[0].press(f"#{benches} zurückziehen")
    assert answer is not None and "zurückgezogen" in (answer.text or "")
    assert await _supports(env, benches) == 1
    await actors[0].press(f"#{benches} unterstützen")
    assert await _supports(env, benches) == 2
    assert "2 Unterstützungen" in actors[0].last.plain_text

    # the manager ends the call; participants rank their top three
    await manager.send("/bedarfe 10")
    await manager.press("Aufruf beenden")
    assert "beendet: Bitte wählen Sie Ihre drei wichtigsten" in manager.last.plain_text
    for actor in actors:
        await actor.send("/bedarfe")
        answer = await actor.press(f"#{youth} wählen")
        assert answer is not None and "Platz 1" in (answer.text or "")
    answer = await actors[2].press(f"#{benches} wählen")
    assert answer is not None and "Platz 2" in (answer.text or "")
    order = actors[2].last.plain_text
    places = [order.index(f"#{n} ") for n in (youth, benches, youth_again)]
    assert places == sorted(places)

    # merging the duplicate: actor 3 supported both, and counts once
    await manager.send("/bedarfe 10")
    await manager.press(f"⚙️ #{youth_again}")
    await manager.press("Zusammenführen mit…")
    await manager.press(f"#{youth} Ein Treffpunkt")
    assert f"#{youth_again} wurde mit #{youth} zusammengeführt" in manager.last.plain_text
    assert "Er hat jetzt 3 Unterstützungen." in manager.last.plain_text
    assert await _supports(env, youth) == 3
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalar(
            select(func.count(NeedSupport.id)).where(NeedSupport.need_id == youth)
        )
    assert rows == 3
    await flush_outbox(env.app)
    told = actors[1].last.plain_text
    assert "wurde mit „Ein Treffpunkt für Jugendliche“ zusammengeführt" in told

    # the top needs onto the conference's agenda; the department sees them with supports
    for need_id in (youth, benches):
        await manager.send("/bedarfe 10")
        await manager.press(f"⚙️ #{need_id}")
        await manager.press("Auf die Tagesordnung der Konferenz")
        assert f"#{need_id} steht auf der Tagesordnung" in manager.last.plain_text
    await flush_outbox(env.app)
    seen = "\n".join(rep.texts())
    assert "„Ein Treffpunkt für Jugendliche“ (Linden-Süd) steht auf der Tagesordnung" in seen
    assert "3 Personen unterstützen ihn." in seen

    # after the conference: a focus area over both needs, with two agreements
    env.clock.advance(timedelta(days=22))
    await manager.send("/schwerpunkt 10")
    await manager.send("Jugend und Begegnung in Linden")
    await manager.press(f"#{youth} Ein Treffpunkt")
    await manager.press(f"#{benches} Sitzbänke")
    await manager.press("Speichern")
    agreed = manager.last.plain_text
    assert "Handlungsschwerpunkt „Jugend und Begegnung in Linden“ vereinbart" in agreed
    # the first agreement through the chat form, filed under the focus area's action plan
    await manager.send("/vereinbarung")
    await manager.press("Fachbereich 66")
    await manager.send("Raum im Freizeitheim Linden für Jugendliche öffnen")
    await manager.send("in 20 Tagen")
    await manager.press("Ja")
    await manager.press("Öffentlicher Raum")
    await manager.press("Jugend und Begegnung in Linden")
    await manager.press("Speichern")
    async with session_scope(env.services.session_maker) as session:
        focus = await session.scalar(select(FocusArea))
        assert focus is not None and focus.conference_id == conference_id
        from_chat = list(
            await session.scalars(
                select(Agreement).where(Agreement.action_plan_id == focus.action_plan_id)
            )
        )
        assert len(from_chat) == 1, manager.texts()[-3:]
        creator = await people.get_person(session, telegram_id=MANAGER)
        assert creator is not None
        second = await agreements.create_agreement(
            session,
            env.services.env,
            district="10",
            department="66",
            measure="Bänke aufstellen",
            due=env.clock.now() + timedelta(days=40),
            now=env.clock.now(),
            created_by=creator,
            action_plan_id=focus.action_plan_id,
            conference_id=conference_id,
        )
        agreement_ids = [from_chat[0].id, second.id]

    # the coordinator records the decision; proposers and supporters are told
    await coordinator.send("/beschluss 10")
    await coordinator.press("1. beschlossen")
    await coordinator.send("15.04.2026")
    await coordinator.send("Mit Mitteln aus dem Stadtbezirksbudget")
    saved = coordinator.last.plain_text
    assert "Beschluss gespeichert. 3 Personen werden benachrichtigt." in saved
    await flush_outbox(env.app)
    for actor in actors:
        told = actor.last.plain_text
        assert "Die Dezernentenkonferenz hat am" in told, told
        assert "„Jugend und Begegnung in Linden“" in told and "beschlossen" in told
    async with session_scope(env.services.session_maker) as session:
        statuses = {n.id: n.status for n in await session.scalars(select(Need))}
    assert statuses == {youth: "decided", youth_again: "merged", benches: "decided"}

    # progress as agreements are kept (and one falls late)
    await actors[0].send("/programm 10")
    assert "Vereinbarungen: 0 eingehalten, 0 verspätet, 2 offen" in _programme(actors[0])
    chart = actors[0].last  # the progress as a chart below the text
    assert chart.photo is not None and chart.caption == "Fortschritt der Handlungsschwerpunkte"
    async with session_scope(env.services.session_maker) as session:
        agreement = await session.get(Agreement, agreement_ids[0])
        rep_person = await people.get_person(session, telegram_id=REP)
        assert agreement is not None and rep_person is not None
        await agreements.report_done(
            session, env.services.env, agreement, rep=rep_person, text=None, now=env.clock.now()
        )
    await actors[0].send("/programm 10")
    assert "Vereinbarungen: 1 eingehalten, 0 verspätet, 1 offen" in _programme(actors[0])
    env.clock.advance(timedelta(days=41))
    await actors[0].send("/programm 10")
    text = _programme(actors[0])
    assert "Vereinbarungen: 1 eingehalten, 1 verspätet, 0 offen" in text
    assert "Dezernentenkonferenz" in text and "■■■■■▲▲▲▲▲" in text
    # the district's report names the action programme's progress
    await manager.send("/bericht 2026")
    assert any(
        "1 Handlungsschwerpunkt des Handlungsprogramms; seine Vereinbarungen: 1 eingehalten, "
        "1 verspätet, 0 offen" in m.plain_text
        for m in manager.messages[-8:]
    )
    async with session_scope(env.services.session_maker) as session:
        statuses = {n.id: n.status for n in await session.scalars(select(Need))}
    assert statuses[youth] == "in_progress"
    # someone who took no part sees no programme
    outsider = sim.user(OUTSIDER)
    await outsider.send("/programm 10")
    assert "Jugend und Begegnung" not in "\n".join(outsider.texts())


def _programme(user: SimUser) -> str:
    """The newest /programm text (a chart photo follows it)."""
    return next(m.plain_text for m in reversed(user.messages) if "Vereinbarungen:" in m.plain_text)
