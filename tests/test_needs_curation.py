"""The manager's curation of needs in the chat: ask back (the proposer answers), reject with
a reason the proposer reads, set a status; residents join a call open to everyone and
propose with a photo; without a planned conference nothing goes onto an agenda."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from bot.delivery import flush_outbox
from bot.offline.simulator import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Need, NewsSubscription
from tests.conftest import BotEnv
from tests.helpers import bind_role

MANAGER, RESIDENT, NEIGHBOUR = 750_010, 751_001, 751_002


async def _manager(env: BotEnv, language: str) -> SimUser:
    assert env.sim is not None
    manager = env.sim.user(MANAGER, language_code=language)
    await manager.send("/start")
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    return manager


async def _need(env: BotEnv, need_id: int) -> Need:
    async with session_scope(env.services.session_maker) as session:
        need = await session.get(Need, need_id)
        assert need is not None
        return need


async def test_de_ask_back_answer_reject_and_status(env: BotEnv) -> None:
    assert env.sim is not None and env.app is not None
    manager = await _manager(env, "de")
    await manager.send("/aufruf 10")
    await manager.send("Ideen für Limmer")
    await manager.send("30.04.2026")
    await manager.press("Kultur und Freizeit")
    await manager.press("Fertig")
    await manager.press("alle (auch Bürgerinnen und Bürger)")
    resident = env.sim.user(RESIDENT)
    await resident.send("/bedarfe")
    await resident.press("Mitmachen: Ideen für Limmer")
    assert "Willkommen!" in resident.texts()[-3] and "Datenschutz" in resident.texts()[-1]
    await resident.press("Ich stimme zu")
    await resident.press("Bedarf vorschlagen")
    await resident.press("Kultur und Freizeit")
    await resident.send("Limmer")
    await resident.send("Ein Raum für Chorproben")
    await resident.send("Der Chor der Kirchengemeinde")
    await resident.send_photo(caption="So sieht der alte Raum aus")
    match = re.search(r"Ihr Bedarf #(\d+)", "\n".join(resident.texts()[-2:]))
    assert match
    need_id = int(match.group(1))
    assert (await _need(env, need_id)).file_kind == "photo"

    await flush_outbox(env.app)
    await manager.press("Öffnen")  # from the notice of the new need
    assert "Was fehlt: Ein Raum für Chorproben" in manager.last.plain_text
    await manager.press("Nachfragen")
    await manager.send("Wie viele Personen proben, und wie oft?")
    assert (await _need(env, need_id)).status == "under_review"
    await flush_outbox(env.app)
    assert "Wie viele Personen proben" in resident.last.plain_text
    await resident.press("Antworten")
    await resident.send("30 Personen, jeden Donnerstag.")
    await flush_outbox(env.app)
    assert "30 Personen, jeden Donnerstag." in manager.last.plain_text

    # no conference planned: nothing goes onto an agenda
    await manager.press("Öffnen")
    await manager.press("Auf die Tagesordnung der Konferenz")
    assert "keine Stadtbezirkskonferenz geplant" in manager.last.plain_text
    assert (await _need(env, need_id)).conference_id is None

    await manager.press("Ablehnen")
    await manager.send("Das Freizeitheim Linden bietet schon einen Raum an.")
    await flush_outbox(env.app)
    told = resident.last.plain_text
    assert "wurde nicht aufgenommen. Begründung: Das Freizeitheim Linden" in told
    assert (await _need(env, need_id)).status == "rejected"
    # a rejected need can no longer be supported
    answer = await resident.press_data(f"need:sup:{need_id}")
    assert answer is not None and "nicht mehr möglich" in (answer.text or "")

    # the manager marks the resident as an actor: the next call (actors only) invites them
    await manager.press("Öffnen")
    await manager.press("Als Akteur markieren")
    assert "ist jetzt Akteur des Stadtbezirks" in manager.last.plain_text
    await manager.send("/aufruf 10")
    await manager.send("Nur für Akteure")
    await manager.send("30.04.2026")
    await manager.press("Kultur und Freizeit")
    await manager.press("Fertig")
    await manager.press("eingeladene Akteure")
    await flush_outbox(env.app)
    assert "Sie sind als Akteur des Stadtbezirks eingeladen." in resident.last.plain_text
    await resident.press("Mitmachen")
    assert "Willkommen!" in resident.texts()[-2]
    assert "Nur für Akteure" in resident.last.plain_text


async def test_en_status_and_a_stranger_cannot_curate(env: BotEnv) -> None:
    assert env.sim is not None and env.app is not None
    manager = await _manager(env, "en")
    await manager.send("/call 10")
    await manager.send("Ideas for Limmer")
    await manager.send("30.04.2026")
    await manager.press("Public space")
    await manager.press("Done")
    await manager.press("invited actors")
    token = re.search(r"start=(need-[A-Za-z0-9_-]+)", manager.last.plain_text)
    assert token
    neighbour = env.sim.user(NEIGHBOUR, language_code="en")
    await neighbour.send(f"/start {token.group(1)}")
    await neighbour.press("Propose a need")  # without the privacy notice accepted: not yet
    assert neighbour.last.plain_text == "Please accept the privacy notice first: /start"
    await neighbour.press("I agree")
    await neighbour.press("Propose a need")
    await neighbour.press("Public space")
    await neighbour.send("Limmer")
    await neighbour.send("A pedestrian crossing at the school")
    await neighbour.send("Children on their way to school")
    await neighbour.press("Continue without")
    async with session_scope(env.services.session_maker) as session:
        need_id = await session.scalar(select(Need.id))
    assert need_id is not None
    # the proposer cannot curate their own need
    for data in (f"need:cur:{need_id}", f"need:st:{need_id}:done", f"need:rej:{need_id}"):
        answer = await neighbour.press_data(data)
        assert answer is not None and "not allowed" in (answer.text or "")
    assert (await _need(env, need_id)).status == "proposed"
    await manager.send("/needs 10")
    await manager.press(f"⚙️ #{need_id}")
    await manager.press("in progress")
    assert f"#{need_id}: in progress" in manager.last.plain_text
    await flush_outbox(env.app)
    assert "is now: in progress" in neighbour.last.plain_text
    # a resident without the link cannot join an actors-only call
    stranger = env.sim.user(751_009, language_code="en")
    await stranger.send("/needs")
    assert "You take part in no call for proposals." in stranger.last.plain_text
    async with session_scope(env.services.session_maker) as session:
        call_id = (await _need(env, need_id)).call_id
    answer = await stranger.press_data(f"need:join:{call_id}")
    assert answer is not None and "not allowed" in (answer.text or "")


async def test_de_erasure_forgets_subscriptions_and_the_need_photo(env: BotEnv) -> None:
    assert env.sim is not None
    manager = await _manager(env, "de")
    await manager.send("/aufruf 10")
    await manager.send("Ideen für Limmer")
    await manager.send("30.04.2026")
    await manager.press("Öffentlicher Raum")
    await manager.press("Fertig")
    await manager.press("alle (auch Bürgerinnen und Bürger)")
    resident = env.sim.user(RESIDENT)
    await resident.send("/start")
    await resident.press("Ich stimme zu")
    await resident.send("/abo 10")
    await resident.press("Öffentlicher Raum")
    await resident.send("/bedarfe")
    await resident.press("Mitmachen: Ideen für Limmer")
    await resident.press("Bedarf vorschlagen")
    await resident.press("Öffentlicher Raum")
    for text in ("Limmer", "Ein Zebrastreifen an der Schule", "Schulkinder"):
        await resident.send(text)
    await resident.send_photo(caption="Die Kreuzung")
    async with session_scope(env.services.session_maker) as session:
        need = await session.scalar(select(Need))
        assert need is not None and need.file_id is not None
    await resident.send("/meine_daten")  # the export holds the need and the subscription
    exported = json.loads(resident.messages[-2].document.content or b"{}")  # type: ignore[union-attr]
    assert [n["missing"] for n in exported["needs_proposed"]] == [
        "Ein Zebrastreifen an der Schule"
    ]
    assert exported["news_subscriptions"][0]["district_number"] == "10"
    await resident.send("/loeschen")
    await resident.press("Ja, löschen")
    async with session_scope(env.services.session_maker) as session:
        need = await session.scalar(select(Need))
        subscribed = await session.scalar(select(NewsSubscription.id))
    assert need is not None and need.file_id is None and need.proposer_id is not None
    assert subscribed is None
