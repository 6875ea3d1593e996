"""The summaries of the calendar file's events, in the reader's language."""

from __future__ import annotations

from bot.i18n import Translator
from bot.services.basics.reference import ReferenceData
from bot.services.council.calendar_sync import Titles


def titles(t: Translator, reference: ReferenceData) -> Titles:
    def title(kind: str, district: str) -> str:
        name = reference.district(district).name
        if kind == "conference":
            return t("District conference {district}", district=name)
        return t("Session of the district council {district}", district=name)

    return title
