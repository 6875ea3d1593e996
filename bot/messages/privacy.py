"""What the resident reads about their data: the export file and erasure."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.cases import place_label, status_label
from bot.messages.formatting import format_date, isolate
from bot.messages.reference import topic_label_of
from bot.messages.reply import Button, Document, Reply, rows
from bot.services.basics.reference import ReferenceData
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


# --- the readable summary beside the JSON file (Art. 15: intelligible form) ---------------------
SUMMARY_LIMIT = 3800  # below Telegram's 4096 characters per message
EXCERPT = 160  # characters of a description in the summary; the file has all of it


def _when(value: str | None, lang: str) -> str:
    """An exported ISO moment (local, with offset) in the reader's format."""
    return format_date(datetime.fromisoformat(value), lang=lang, with_time=True) if value else "–"


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _case_lines(t: Translator, ref: ReferenceData, case: dict[str, Any]) -> list[str]:
    lang = t.language
    topic = topic_label_of(t, ref, case["topic"])
    place = place_label(ref, t, case["district_number"], case["quarter"])
    lines = [
        f"• {isolate(t, case['reference'])} – {topic} – {status_label(t, case['status'])}",
        "  " + t("Sent: {when}", when=_when(case["created_at"], lang)),
        "  " + t("Where: {place}", place=place),
    ]
    if case.get("address"):
        lines.append("  " + t("Address: {address}", address=case["address"]))
    lines.append("  " + t("Description: {text}", text=_excerpt(case.get("description")) or "–"))
    lines.append("  " + t("Contact: {contact}", contact=case.get("contact") or t("none")))
    lines.append("  " + t("Photos: {count}", count=len(case.get("photos") or [])))
    return lines


def export_summary(t: Translator, ref: ReferenceData, data: dict[str, Any]) -> list[Reply]:
    """What the JSON file holds, in words, in one or more messages."""
    person, lang = data.get("person") or {}, t.language
    given = (data.get("consent") or {}).get("given_at")
    found = data.get("cases") or []
    lines = [
        t("Summary of your stored data"),
        t("Name: {name}", name=person.get("first_name") or "–"),
        t("Privacy notice accepted: {when}", when=_when(given, lang)),
        t("Concerns: {count}", count=len(found)),
    ]
    for case in found:
        lines += ["", *_case_lines(t, ref, case)]
    lines += ["", t("The file above holds everything in full, including each concern's history.")]
    replies: list[Reply] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > SUMMARY_LIMIT:
            replies.append(Reply("\n".join(chunk), html=False))
            chunk = []
        chunk.append(line)
    replies.append(Reply("\n".join(chunk), html=False))
    return replies
