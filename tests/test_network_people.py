"""/treffen (meetings attended, shown on the entry, counted per district) and /mein_bezirk
("who is my district manager?": name and office hours only with the manager's consent)."""

from __future__ import annotations

from datetime import date

from bot.offline.chats import SimUser
from bot.services.access.roles import Role
from bot.services.network import meetings
from bot.storage.db import session_scope
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern

MANAGER = 740_010


async def _german_manager(env: BotEnv) -> SimUser:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    assert env.sim is not None
    manager = env.sim.user(MANAGER, first_name="Maria", language_code="de")
    await manager.send("/sprache")
    await manager.press("Deutsch")
    return manager


async def test_a_meeting_is_recorded_shown_on_the_entry_and_counted(env: BotEnv) -> None:
    manager = await _german_manager(env)
    await manager.send("/netzwerk")
    await manager.press("➕ Neuer Eintrag")
    await manager.press("Organisation")
    await manager.send("AG der örtlichen Vereine Linden")
    await manager.send("Vorsitz: Karl Verein")
    await manager.press("Fertig")
    await manager.send("Linden-Mitte")
    for _ in range(5):
        await manager.send("-")
    await manager.press("Fertig")
    await manager.send("-")
    await manager.press("🔒 Nur für Mitarbeitende")
    await manager.send("-")
    await manager.press("💾 Speichern")

    await manager.send("/treffen")
    assert manager.last.plain_text.startswith("An welchem Tag war das Treffen?")
    await manager.send("morgen")  # not yet held
    assert "nicht verstanden" in manager.last.plain_text
    await manager.send("gestern")
    await manager.send("AG der örtlichen Vereine Linden, Frühjahrssitzung")
    await manager.press("AG der örtlichen Vereine Linden")
    assert "✅ AG der örtlichen Vereine Linden" in manager.buttons()
    await manager.press("Fertig")
    await manager.send("Osterfeuer am Lindener Berg besprochen.")
    assert manager.last.plain_text == (
        "Treffen gespeichert: Di, 10.03.2026, AG der örtlichen Vereine Linden, "
        "Frühjahrssitzung. 1 Person oder Stelle getroffen."
    )
    await manager.send("/netzwerk Vereine")
    await manager.press("AG der örtlichen Vereine Linden")
    assert (
        "Zuletzt getroffen: Di, 10.03.2026 (AG der örtlichen Vereine Linden, Frühjahrssitzung)"
        in manager.last.plain_text
    )
    async with session_scope(env.services.session_maker) as session:
        counted = await meetings.meetings_per_district(
            session, date(2026, 1, 1), date(2026, 6, 30)
        )
    assert counted == {"10": 1}
    # and the report of the district counts it
    await manager.send("/bericht 2026-Q1")
    summary = next(m.plain_text for m in manager.messages if "Bericht" in m.plain_text[:20])
    assert "Besuchte Treffen im Stadtbezirk: 1" in summary


async def test_who_is_my_district_manager_with_and_without_consent(env: BotEnv) -> None:
    manager = await _german_manager(env)
    assert env.sim is not None
    erika = env.sim.user(1501, language_code="de")
    await erika.send("/start")
    await erika.press("✅ Ich stimme zu")
    await erika.send("/hilfe")
    await erika.press("🏛 Wer ist mein Bezirksmanagement?")
    assert erika.last.plain_text == "In welchem Stadtbezirk wohnen Sie?"
    await erika.press("Linden-Limmer")
    card = erika.last.plain_text
    assert card.startswith("Ihr Stadtbezirk: Linden-Limmer\nDas Bezirksmanagement der Stadt")
    assert "Adresse: Theodor-Lessing-Platz 1, 30159 Hannover" in card and "Maria" not in card

    await manager.send("/mein_bezirk zeigen Maria Muster; Montags")  # no time: refused
    assert "Tage und Uhrzeiten" in manager.last.plain_text
    await manager.send("/mein_bezirk zeigen Maria Muster; Di 10–12 Uhr, Do 14–16 Uhr")
    assert manager.last.plain_text.startswith("Veröffentlicht.")
    await erika.send("/mein_bezirk")  # the district chosen before
    card = erika.last.plain_text
    assert "Ihr Bezirksmanagement: Maria Muster" in card
    assert "Sprechzeiten: Di 10–12 Uhr, Do 14–16 Uhr" in card

    await manager.send("/mein_bezirk verbergen")
    assert manager.last.plain_text.startswith("Zurückgenommen.")
    await erika.press_data("net:bz:10")
    assert "Maria Muster" not in erika.last.plain_text


async def test_a_resident_with_a_concern_gets_their_districts_card_in_english(
    env: BotEnv,
) -> None:
    assert env.sim is not None
    erika = env.sim.user(1502, language_code="en")
    await consent(erika)
    await file_concern(erika)
    await erika.send("/mein_bezirk")
    card = erika.last.plain_text
    assert card.startswith("Your district: Linden-Limmer\nThe district management of the city")
    assert "You can also write your concern here: /neu" in card
