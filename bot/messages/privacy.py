"""What the resident reads about their data: the export file and erasure."""

from __future__ import annotations

import json
from typing import Any

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.reply import Button, Document, Reply, rows
from bot.services.privacy.requests import ErasurePreview, Refusal

EXPORT_FILENAME = "meine-daten.json"
NO_DATA = N_("I have no data stored about you.")
STAFF_REFUSAL = N_(
    "Your account holds a role in the district management, so it cannot be erased here. "
    "Please ask the coordination office."
)
REFUSALS = {Refusal.NO_DATA: NO_DATA, Refusal.STAFF: STAFF_REFUSAL}
STALE = N_("This button is no longer valid.")


def refusal(t: Translator, reason: Refusal) -> Reply:
    return Reply(t(REFUSALS[reason]), html=False)


def export(t: Translator, data: dict[str, Any] | None) -> Reply:
    """The export as a JSON file, or that there is nothing stored."""
    if data is None:
        return refusal(t, Refusal.NO_DATA)
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return Reply(
        t("Everything the bot stores about you. Erase it with /loeschen."),
        html=False,
        document=Document(EXPORT_FILENAME, content),
    )


def erase_question(t: Translator, preview: ErasurePreview) -> Reply:
    if preview.refusal is not None:
        return refusal(t, preview.refusal)
    text = t(
        "Do you want me to erase your data? Your name, Telegram account, contact details, "
        "descriptions, photos and messages will be removed. Anonymous facts (district, topic, "
        "dates, outcome) remain for the city's statistics. This cannot be undone."
    )
    if preview.open_cases:
        text += "\n\n" + t(
            "You have {count} open concern(s); the district management can then no longer "
            "answer you about them.",
            count=preview.open_cases,
        )
    buttons = rows(
        [
            Button(t("🗑 Yes, erase"), callbacks.PRIVACY.data("erase", "yes")),
            Button(t("No, keep"), callbacks.PRIVACY.data("erase", "no")),
        ]
    )
    return Reply(text, buttons=buttons, html=False)


def nothing_erased(t: Translator) -> Reply:
    return Reply(t("Nothing was erased."), html=False)


def erased(t: Translator) -> Reply:
    return Reply(
        t(
            "Your data has been erased. If you write to me again, I will treat you as a new "
            "user; send /start to begin."
        ),
        html=False,
    )
