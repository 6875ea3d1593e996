"""Persons in the directory are personal data: a listed person's entry is in their export
and goes with their erasure; and, as a property over the referral picker, residents never
get a staff-only entry, a channel not marked for them, or a private person's channels
without recorded consent."""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.messages.triage import contact_card
from bot.services.access.roles import Role
from bot.services.network import lotse
from bot.services.network.channels import CHANNELS
from bot.services.network.files import import_rows
from bot.storage.db import session_scope
from bot.storage.models import NetworkEntry
from tests.conftest import BotEnv
from tests.helpers import bind_role

QM = 1401  # a quarter manager who also writes to the bot as a resident
ROW = {
    "name": "Hanna Quartier",
    "kind": "person",
    "role": "Quartiersmanagerin Linden-Süd",
    "quarters": "Linden-Süd",
    "topics": "public_space",
    "phone": "0511 1234567",
    "email": "hanna.quartier@example.org",
    "resident_channels": "email",
    "legal_basis": "consent",
    "consent": "ja",
    "telegram_id": str(QM),
}


async def test_a_listed_persons_entry_is_in_their_export_and_goes_with_erasure(
    env: BotEnv,
) -> None:
    services = env.services
    async with session_scope(services.session_maker) as session:
        result = await import_rows(session, [(2, ROW)], services.reference, now=env.clock.now())
    assert result.imported and result.created == 1
    assert env.sim is not None
    hanna = env.sim.user(QM, first_name="Hanna", language_code="de")
    await hanna.send("/start")
    await hanna.press("✅ Ich stimme zu")
    await hanna.send("/meine_daten")
    document = hanna.messages[-2].document
    assert document is not None and document.content is not None
    export = json.loads(document.content.decode("utf-8"))
    [entry] = export["directory_entries"]
    assert entry["name"] == "Hanna Quartier" and entry["phone"] == "0511 1234567"
    assert entry["legal_basis"] == "consent" and entry["consent_at"].startswith("2026-03-11")

    await hanna.send("/loeschen")
    await hanna.press("🗑 Ja, löschen")
    assert "gelöscht" in hanna.last.plain_text
    async with session_scope(services.session_maker) as session:
        left = list(await session.scalars(select(NetworkEntry.name)))
        offered = await lotse.picker(session, topic="public_space", district="10", quarter=None)
    assert "Hanna Quartier" not in left and all(e.name != "Hanna Quartier" for e in offered)


channel_values = {
    "phone": "0511 7777777",
    "email": "geheim@example.org",
    "web": "www.example.org/geheim",
    "address": "Geheimweg 7, 30449 Hannover",
    "office_hours": "Mo 9-11 Uhr",
}
entry_strategy = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["office", "external", "organisation", "person"]),
        "visibility": st.sampled_from(["residents", "staff"]),
        "legal_basis": st.sampled_from([None, "consent", "public_office"]),
        "consent": st.booleans(),
        "given": st.sets(st.sampled_from(CHANNELS)),
        "marked": st.sets(st.sampled_from(CHANNELS)),
        "topic": st.sampled_from(["public_space", "family"]),
        "quarter": st.sampled_from([[], ["Linden-Süd"], ["Limmer"]]),
        "retired": st.booleans(),
    }
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(entry_strategy, min_size=1, max_size=6),
    words=st.sampled_from(["", "Eintrag", "Eintrag 3", "Geheim", "Spielplatz"]),
    topic=st.sampled_from(["public_space", "family"]),
)
async def test_residents_never_get_what_is_not_theirs_to_see(
    env: BotEnv, specs: list[dict[str, object]], words: str, topic: str
) -> None:
    services, now = env.services, env.clock.now()
    t = services.translations.get("de")
    async with services.session_maker() as session, session.begin():
        for index, spec in enumerate(specs):
            given_channels = set(spec["given"])  # type: ignore[call-overload]
            session.add(
                NetworkEntry(
                    key=f"prop{index}",
                    name=f"Eintrag {index} Geheim",
                    kind=spec["kind"],
                    visibility=spec["visibility"],
                    legal_basis=spec["legal_basis"],
                    consent_at=now - timedelta(days=1) if spec["consent"] else None,
                    districts=["10"],
                    quarters=spec["quarter"],
                    topics=[spec["topic"]],
                    keywords=["Spielplatz"],
                    resident_channels=sorted(spec["marked"]),  # type: ignore[call-overload]
                    retired_at=now if spec["retired"] else None,
                    created_at=now,
                    **{c: channel_values[c] for c in given_channels},
                )
            )
        await session.flush()
        offered = await lotse.picker(
            session, topic=topic, district="10", quarter="Linden-Süd", words=words
        )
        for entry in offered:
            assert entry.visibility == "residents" and entry.retired_at is None
            card = contact_card(t, lotse.card_of(entry), None, services.reference.general)
            private = entry.kind == "person" and entry.legal_basis != "public_office"
            for channel, value in channel_values.items():
                if value not in card:
                    continue
                assert channel in entry.resident_channels, (channel, card)
                assert not (private and entry.consent_at is None), card
        await session.rollback()


async def test_a_private_persons_channels_need_recorded_consent_in_the_chat(env: BotEnv) -> None:
    """Through the Application: without consent the manager is warned and the resident gets
    the city's general channels instead of the person's."""
    services = env.services
    row = {**ROW, "consent": "", "resident_channels": "phone;email", "telegram_id": ""}
    async with session_scope(services.session_maker) as session:
        await import_rows(session, [(2, row)], services.reference, now=env.clock.now())
    await bind_role(env, 730_010, Role.MANAGER, district="10")
    assert env.sim is not None
    manager = env.sim.user(730_010, language_code="en")
    erika = env.sim.user(1402, language_code="en")
    from tests.helpers import consent, file_concern

    await consent(erika)
    await file_concern(erika)
    await manager.press("Lotse")
    await manager.press("Hanna Quartier")
    assert "⚠️" in manager.last.plain_text  # no channel may go to residents
    await manager.press("Send anyway, without a sentence")
    card = erika.last.plain_text
    assert "Hanna Quartier" in card and "1234567" not in card and "hanna.quartier@" not in card
    assert "City switchboard: 0511 168-0" in card
