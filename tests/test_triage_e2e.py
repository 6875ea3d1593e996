"""The manager's desk end to end: Lotse and Kümmerer, relay both ways, reopen, history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.jobs import run_sweep
from bot.offline.chats import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Case, CaseEvent
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern, reference_in

MANAGER, DEPUTY = 700_010, 700_011


async def _case(env: BotEnv, reference: str) -> Case:
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


async def _events(env: BotEnv, reference: str) -> list[CaseEvent]:
    case = await _case(env, reference)
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        return list(rows)


async def test_lotse_hands_over_a_contact_and_closes_as_referred(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    sim = env.sim
    erika, manager = sim.user(1101, language_code="en"), sim.user(MANAGER, language_code="en")
    await consent(erika)
    reference = await file_concern(
        erika, topic="Permits", text="May our club hold an Easter fire?"
    )
    await manager.press("Lotse")
    assert "Which contact" in manager.last.plain_text
    await manager.press("Search the directory")
    await manager.send("Osterfeuer")
    contact_button = manager.buttons()[0]
    await manager.press(contact_button)
    await manager.send("Please apply at least four weeks ahead.")
    card = erika.last.plain_text
    assert contact_button in card and "four weeks ahead" in card and reference in card
    case = await _case(env, reference)
    assert case.status == "referred" and case.mode == "lotse" and case.closed_at is not None

    # three working days later (Wed -> Mon) the sweep asks whether the contact helped
    env.clock.advance(days=4)
    assert await run_sweep(env.app) == 0  # Sunday: not yet
    env.clock.advance(days=1, hours=2)
    assert await run_sweep(env.app) == 1
    assert "Did it help?" in erika.last.plain_text
    await erika.press("No")
    assert (await _case(env, reference)).status == "new"
    assert "reopened" in manager.last.plain_text
    assert await run_sweep(env.app) == 0  # sent once only

    kinds = [e.kind for e in await _events(env, reference)]
    assert kinds == ["submitted", "routed", "referred", "referral_feedback", "reopened"]


async def test_kuemmerer_relays_both_ways_resolves_and_resident_reopens(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    sim = env.sim
    erika, manager = sim.user(1102, language_code="en"), sim.user(MANAGER, language_code="en")
    await consent(erika)
    reference = await file_concern(erika, text="The square at Küchengarten is a drug hotspot.")
    notification = manager.last
    await manager.press("Kümmerer")
    assert "in progress" in erika.last.plain_text

    # manager -> resident by replying to the notification
    await manager.reply_to(notification, "Since when have you noticed this?")
    assert "Since when" in erika.last.plain_text and reference in erika.last.plain_text
    # resident -> manager by replying, with text and with a photo
    await erika.reply_to(erika.last, "For about three weeks, mostly evenings.")
    assert "three weeks" in manager.last.plain_text
    await erika.reply_photo_to(erika.messages[-2], caption="This is the corner.")
    manager_calls = env.api.sent[MANAGER]
    assert any(m.method == "sendPhoto" for m in manager_calls[-2:])
    # manager by command
    await manager.send(f"/antwort {reference} We have asked the police for more patrols.")
    assert "more patrols" in erika.last.plain_text

    # note, next step with a German date, department
    case_id = (await _case(env, reference)).id
    stale = await manager.press_data(f"tr:kue:{case_id}", message=notification)
    assert stale is not None and "Already done" in (stale.text or "")  # already taken on
    assert "in progress" in (stale.text or "")
    await manager.press_data(f"tr:note:{case_id}")
    await manager.send("Spoke with FB 32 on the phone.")
    await manager.press_data(f"tr:step:{case_id}")
    await manager.send("Site visit with FB 67")
    await manager.send("bis Freitag")
    assert "Fri, 13 Mar 2026" in manager.last.plain_text
    await manager.press("Yes")
    await manager.press_data(f"tr:dep:{case_id}")
    await manager.press("Department 32")
    await manager.press_data(f"tr:resolve:{case_id}")
    await manager.send("Lighting installed and patrols increased.")
    await manager.press("Yes, resolve")
    assert "Is your concern settled?" in erika.last.plain_text
    await erika.press("No")
    case = await _case(env, reference)
    assert case.status == "in_progress" and case.closed_at is None
    await manager.press_data(f"tr:resolve:{case_id}")
    await manager.send("Second visit: the corner is calm now.")
    await manager.press("Yes, resolve")
    await erika.press("Yes, settled")
    case = await _case(env, reference)
    assert case.status == "resolved" and case.settled is True

    events = await _events(env, reference)
    kinds = [e.kind for e in events]
    assert kinds == [
        "submitted",
        "routed",
        "taken_on",
        "message_to_resident",
        "message_from_resident",
        "message_from_resident",
        "message_to_resident",
        "note",
        "next_step",
        "department_involved",
        "resolved",
        "settled_feedback",
        "reopened",
        "resolved",
        "settled_feedback",
    ]
    assert all(e.created_at is not None for e in events)
    assert all(e.actor_id is not None for e in events if e.kind != "routed")


async def test_reopen_only_within_fourteen_days(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    erika, manager = (
        env.sim.user(1103, language_code="en"),
        env.sim.user(MANAGER, language_code="en"),
    )
    await consent(erika)
    reference = await file_concern(erika)
    await manager.press("Kümmerer")
    case_id = (await _case(env, reference)).id
    await manager.press_data(f"tr:resolve:{case_id}")
    await manager.send("Cleaned up.")
    await manager.press("Yes, resolve")
    env.clock.advance(timedelta(days=15))
    await erika.press("No")
    assert "closed too long ago" in erika.last.plain_text
    assert (await _case(env, reference)).status == "resolved"


async def test_handover_to_another_district_and_merge(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, DEPUTY, Role.MANAGER, district="09")
    erika, manager = (
        env.sim.user(1104, language_code="en"),
        env.sim.user(MANAGER, language_code="en"),
    )
    other = env.sim.user(DEPUTY, language_code="en")
    await consent(erika)
    first = await file_concern(erika, text="Rubbish at the square, first report.")
    second = await file_concern(erika, text="Rubbish at the square again.")
    assert f"Similar open concerns: {first}" in manager.last.plain_text
    await manager.press(f"Merge into {first}")
    assert (await _case(env, second)).status == "merged"
    assert f"same matter as {first}" in erika.last.plain_text

    await manager.press_data(f"tr:hand:{(await _case(env, first)).id}")
    await manager.press("Ricklingen")
    await manager.send("This is actually at the Ricklinger Masch.")
    # no card with buttons: the case is no longer the district's, its manager cannot act on it
    assert manager.last.plain_text == "Handed over to Ricklingen."
    assert manager.buttons(manager.last) == []  # no card: nothing left to do here
    assert not any("Hand over without a note" in manager.buttons(m) for m in manager.messages)
    moved = await _case(env, first)
    assert moved.district_number == "09" and moved.status == "new"
    assert first in other.last.plain_text and "Ricklinger Masch" in other.last.plain_text


async def test_four_people_from_invitation_to_absence_cover(env: BotEnv) -> None:
    """Resident, manager, deputy and coordinator in separate chats, roles by invitation."""
    from tests.conftest import ADMIN_ID
    from tests.helpers import invite_and_bind

    sim = env.sim
    coordinator = sim.user(ADMIN_ID, language_code="en")
    manager, deputy = sim.user(MANAGER, language_code="en"), sim.user(DEPUTY, language_code="en")
    erika = sim.user(1105, language_code="en")
    assert (
        "manager" in (await invite_and_bind(coordinator, manager, "manager Linden-Limmer")).lower()
    )
    assert "deputy" in (await invite_and_bind(coordinator, deputy, "deputy 10")).lower()
    await consent(erika)
    first = await file_concern(erika, text="Streetlight broken at Lindener Marktplatz.")
    assert first in manager.last.plain_text
    assert not any(first in m.plain_text for m in deputy.messages)

    await manager.send("/abwesend bis Freitag")
    await manager.press("Yes")
    second = await file_concern(erika, text="Benches missing at the Fössebad stop.")
    assert second in deputy.last.plain_text  # the deputy covers the absence
    await deputy.press("Kümmerer")
    assert "in progress" in erika.last.plain_text

    env.clock.advance(days=3)  # Saturday: the absence ended with Friday
    third = await file_concern(erika, text="Graffiti at the Ihme bridge.")
    assert third in manager.last.plain_text
    kinds = [e.kind for e in await _events(env, second)]
    assert kinds[:3] == ["submitted", "routed", "taken_on"]


async def test_next_step_date_past_and_nonsense_and_saved_reply(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    erika, manager = (
        env.sim.user(1106, language_code="en"),
        env.sim.user(MANAGER, language_code="en"),
    )
    await consent(erika)
    reference = await file_concern(erika)
    await manager.press("Kümmerer")
    case_id = (await _case(env, reference)).id
    await manager.press_data(f"tr:step:{case_id}")
    await manager.send("Call FB 66")
    await manager.send("gestern")
    assert "in the past" in manager.last.plain_text
    await manager.send("irgendwann")
    assert (
        "did not understand" in manager.last.plain_text
        and "bis Freitag" in manager.last.plain_text
    )
    await manager.send("in zwei Wochen")
    assert "Wed, 25 Mar 2026" in manager.last.plain_text
    await manager.press("No")  # not confirmed: asked again, nothing stored
    assert (await _case(env, reference)).next_step is None

    await manager.send("/vorlage danke Thank you, we are on it ({reference}).")
    await manager.send(f"/antwort {reference} #danke")
    assert f"Thank you, we are on it ({reference})." in manager.last.plain_text  # the preview
    await manager.press("✅ Send")
    assert f"Thank you, we are on it ({reference})." in erika.last.plain_text


async def _german_concern(env: BotEnv, topic: str, text: str) -> tuple[SimUser, SimUser, str]:
    """A German resident files a concern; the German manager of Linden-Limmer gets it."""
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    manager = env.sim.user(MANAGER, first_name="Maria", language_code="de")
    await manager.send("/sprache")  # the role was bound without a language: choose German
    await manager.press("Deutsch")
    erika = env.sim.user(1102, first_name="Erika", language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press("Ja")
    await erika.press(topic)
    await erika.send(text)
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")
    await erika.press("Senden")
    return erika, manager, reference_in(erika.last.plain_text)


async def test_lotse_warns_and_the_card_gives_the_citys_channels_in_german(env: BotEnv) -> None:
    erika, manager, reference = await _german_concern(
        env, "Genehmigungen", "Darf unser Verein ein Osterfeuer machen?"
    )
    await manager.press("Lotse")
    await manager.press("Im Verzeichnis suchen")
    await manager.send("Osterfeuer")
    await manager.press("Osterfeuer und andere Brauchtumsfeuer")
    # the office has no phone, e-mail or address: the manager is warned before sending
    warning = manager.last.plain_text
    assert warning.startswith("⚠️ Für „Osterfeuer und andere Brauchtumsfeuer“ kennt das")
    assert "Trotzdem senden?" in warning
    assert manager.buttons() == ["Trotzdem senden, ohne eigenen Satz", "🔎 Andere Stelle wählen"]
    assert (await _case(env, reference)).status == "new"  # nothing sent yet
    await manager.press("Trotzdem senden, ohne eigenen Satz")
    card = erika.last.plain_text
    assert (
        "Zuständig: Ordnungsbehörde der Stadt (Fachbereich Öffentliche Ordnung: unbestätigt)"
        in card
    )
    assert "vermutlich" not in card
    assert "Internet: serviceportal.hannover-stadt.de – Dienstleistung „Brauchtumsfeuer" in card
    assert (
        "Ein direkter Kontakt dieser Stelle ist nicht bekannt. So erreichen Sie die Stadt:" in card
    )
    assert "Telefonzentrale der Stadt: 0511 168-0" in card
    assert "Online-Dienste" not in card  # the card has its own service page
    assert (await _case(env, reference)).status == "referred"


async def test_lotse_another_contact_instead_and_a_direct_contact_needs_no_warning(
    env: BotEnv,
) -> None:
    erika, manager, reference = await _german_concern(
        env, "Öffentlicher Raum", "Wer ist für unseren Stadtbezirk zuständig?"
    )
    await manager.press("Lotse")
    await manager.press("Im Verzeichnis suchen")
    await manager.send("Schlagloch")
    await manager.press("Straßenschäden, Schlaglöcher, Baustellen")
    assert (
        "kennt das Verzeichnis weder Telefon noch E-Mail noch Adresse" in manager.last.plain_text
    )
    await manager.press("Andere Stelle wählen")
    assert manager.last.plain_text.startswith("Schreiben Sie ein Suchwort")
    await manager.send("Bezirksmanagement")
    await manager.press(manager.buttons()[0])
    prompt = manager.last.plain_text  # an address of its own: no warning, the usual prompt
    assert "⚠️" not in prompt and manager.buttons() == ["Ohne eigenen Satz senden"]
    await manager.send("Kommen Sie gern in die Sprechstunde.")
    card = erika.last.plain_text
    assert "Adresse: Theodor-Lessing-Platz 1, 30159 Hannover" in card
    assert "Telefonzentrale" not in card and "Sprechstunde" in card
    assert "Straßenschäden" not in card
    assert (await _case(env, reference)).status == "referred"


async def test_a_card_with_the_offices_own_phone_and_e_mail_needs_no_warning(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    erika = env.sim.user(1103, language_code="en")
    manager = env.sim.user(MANAGER, language_code="en")
    await consent(erika)
    reference = await file_concern(erika, text="Who enforces the rules on our square?")
    await manager.press("Lotse")
    await manager.press("Search the directory")
    await manager.send("Ordnungsdienst")
    await manager.press("City enforcement service")
    assert "⚠️" not in manager.last.plain_text
    assert manager.buttons() == ["Send without a sentence"]
    await manager.press("Send without a sentence")
    card = erika.last.plain_text
    assert "Phone: 0511 168-55555" in card and "E-mail: Ordnungsdienst@hannover-stadt.de" in card
    assert "switchboard" not in card and reference in card
