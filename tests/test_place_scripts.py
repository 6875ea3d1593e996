"""A quarter's German name written in another alphabet or without umlauts routes to the
quarter, after the resident confirms it (issue 12: "Линден-Зюд", "Linden Sud")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.basics.reference import fold, load_reference_data
from bot.services.basics.routing import MatchKind, PlaceRouter
from bot.storage.db import session_scope
from bot.storage.models import Case
from tests.conftest import BotEnv
from tests.helpers import consent


@pytest.mark.parametrize(
    ("typed", "quarter"),
    [
        ("Линден-Зюд", "Linden-Süd"),  # Russian
        ("Лінден-Зюд", "Linden-Süd"),  # Ukrainian
        ("Linden Sud", "Linden-Süd"),
        ("Лінден-Мітте", "Linden-Mitte"),
        ("Бадденштедт", "Badenstedt"),
        ("Döhren", "Döhren"),
    ],
)
def test_transliterated_names_match_the_quarter(typed: str, quarter: str) -> None:
    found = PlaceRouter(load_reference_data()).match_text(typed)
    assert found.kind is MatchKind.QUARTER
    assert found.quarter is not None and found.quarter.name == quarter


def test_fold_keeps_german_rules() -> None:
    assert fold("Straße in Döhren") == "strasse in dohren"
    assert fold("Linden-Sued") == fold("Linden-Süd") == "linden sud"


@pytest.mark.parametrize(("typed", "language"), [("Линден-Зюд", "de"), ("Linden Sud", "en")])
async def test_a_resident_confirms_the_quarter_and_it_is_stored(
    env: BotEnv, typed: str, language: str
) -> None:
    assert env.sim is not None
    yes = {"de": "Ja", "en": "Yes"}[language]
    resident = env.sim.user(1301, language_code=language)
    await consent(resident) if language == "en" else await _consent_de(resident)
    await resident.send("/neu")
    await resident.send(typed)
    assert "Linden-Süd" in resident.last.plain_text  # asked, not taken silently
    await resident.press(yes)
    topic = {"de": "Öffentlicher Raum", "en": "Public space"}[language]
    await resident.press(topic)
    await resident.send("Am Platz liegt jedes Wochenende Müll.")
    labels = {
        "de": ("Ohne weitere Fotos fortfahren", "Überspringen", "Nein, privat", "Senden"),
        "en": ("Continue without more photos", "Skip", "No, privately", "Send"),
    }[language]
    for label in labels:
        await resident.press(label)
    async with session_scope(env.services.session_maker) as session:
        quarter = await session.scalar(select(Case.quarter))
    assert quarter == "Linden-Süd"


async def _consent_de(user: object) -> None:
    await user.send("/start")  # type: ignore[attr-defined]
    await user.press("Ich stimme zu")  # type: ignore[attr-defined]
