"""The network directory end to end through the real Application: a manager adds an office
in the chat, a resident's case is referred to it and the card shows its channels; staff-only
entries never reach residents; stale entries come up for review; confirm and retire."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Case, NetworkEntry, NetworkReferral
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern

MANAGER = 730_010


async def _entry(env: BotEnv, name: str) -> NetworkEntry:
    async with session_scope(env.services.session_maker) as session:
        found = await session.scalar(select(NetworkEntry).where(NetworkEntry.name == name))
    assert found is not None
    return found


async def add_office_en(env: BotEnv, manager: object, name: str, *, staff: bool = False) -> None:
    """The manager's dialogue in English: an office in Linden-Süd with phone and web page."""
    m = manager
    await m.send("/netzwerk")  # type: ignore[attr-defined]
    await m.press("➕ New entry")  # type: ignore[attr-defined]
    await m.press("City office")  # type: ignore[attr-defined]
    await m.send(name)  # type: ignore[attr-defined]
    await m.send("Fachbereich Umwelt und Stadtgrün")  # type: ignore[attr-defined]
    await m.press("Public space")  # type: ignore[attr-defined]
    await m.press("Done")  # type: ignore[attr-defined]
    await m.send("Linden-Süd")  # type: ignore[attr-defined]
    await m.send("0511 168-43210")  # type: ignore[attr-defined]
    await m.press("⏭ Skip")  # type: ignore[attr-defined]  # no e-mail
    await m.send("www.hannover.de/spielplaetze-linden")  # type: ignore[attr-defined]
    await m.send("-")  # type: ignore[attr-defined]  # no address
    await m.send("-")  # type: ignore[attr-defined]  # no office hours
    await m.press("Done")  # type: ignore[attr-defined]  # both channels for residents
    await m.send("de, en")  # type: ignore[attr-defined]
    await m.press("🔒 Staff only" if staff else "👥 Residents may get it")  # type: ignore[attr-defined]
    await m.send("Ask for Ms Beispiel.")  # type: ignore[attr-defined]
    await m.press("💾 Save")  # type: ignore[attr-defined]


async def test_manager_adds_an_office_and_the_residents_card_shows_its_channels(
    env: BotEnv,
) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    sim = env.sim
    assert sim is not None
    manager = sim.user(MANAGER, language_code="en")
    erika = sim.user(1201, language_code="en")
    await add_office_en(env, manager, "Playground office Linden")
    assert "Saved: Playground office Linden" in manager.last.plain_text
    entry = await _entry(env, "Playground office Linden")
    assert entry.districts == ["10"] and entry.quarters == ["Linden-Süd"]
    assert entry.resident_channels == ["phone", "web"] and entry.confirmed_at is not None

    await consent(erika)
    reference = await file_concern(erika, text="The swings on the playground are broken.")
    await manager.press("Lotse")
    # the case's topic and quarter first: the new local office heads the list
    assert manager.buttons()[0] == "Playground office Linden"
    await manager.press("Playground office Linden")
    assert "⚠️" not in manager.last.plain_text  # it has a phone for residents
    await manager.press("Send without a sentence")
    card = erika.last.plain_text
    assert "Playground office Linden" in card and reference in card
    assert "Phone: 0511 168-43210" in card
    assert "Web: www.hannover.de/spielplaetze-linden" in card
    assert "Ms Beispiel" not in card  # staff notes stay with staff

    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None and case.referral_key == entry.key
        referrals = list(await session.scalars(select(NetworkReferral)))
    assert [(r.entry_id, r.case_id) for r in referrals] == [(entry.id, case.id)]
    await manager.send("/netzwerk Playground")
    await manager.press("Playground office Linden")
    assert "Referred 1 time" in manager.last.plain_text
