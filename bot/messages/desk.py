"""What the manager's desk says: a line of the list of cases, the names of a case's events
(the history itself is in `case_history`), saved replies, absence, and the daily nudge about
untriaged cases. No Telegram here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.cases import status_label
from bot.messages.formatting import format_date
from bot.messages.reference import topic_label_of
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, rows
from bot.services.basics.reference import ReferenceData
from bot.services.cases.triage_notices import UntriagedNudge
from bot.storage.models import Case, SavedReply

DESK = callbacks.DESK
ROLE_LABELS = {
    "manager": N_("manager"),
    "deputy": N_("deputy"),
    "coordinator": N_("coordination"),
    "admin": N_("administrator"),
    "rep": N_("department"),
    "resident": N_("resident"),
}
# Every event kind a case can have; an unknown (future) kind shows a neutral word, never
# its internal name.
KIND_LABELS = {
    "submitted": N_("submitted"),
    "routed": N_("forwarded"),
    "message": N_("message"),
    "note": N_("note"),
    "status": N_("status changed"),
    "referred": N_("referred to a contact"),
    "taken_on": N_("taken on"),
    "question": N_("question to the resident"),
    "message_to_resident": N_("message to the resident"),
    "message_from_resident": N_("message from the resident"),
    "handed_over": N_("handed over to another district"),
    "merged": N_("merged into another concern"),
    "duplicate_joined": N_("duplicate joined"),
    "next_step": N_("next step"),
    "department_involved": N_("department involved"),
    "resolved": N_("resolved"),
    "referral_feedback": N_("feedback on the contact"),
    "settled_feedback": N_("feedback on the solution"),
    "reopened": N_("reopened by the resident"),
    "reopened_by_manager": N_("reopened as Kümmerer"),
    "personal_data_erased": N_("personal data erased"),
    "resident_unreachable": N_("resident cannot be reached by the bot"),
    "verdict": N_("the resident's verdict"),
    "verdict_reason": N_("the resident's reason"),
    "verdict_quoting": N_("quoting the reason in reports"),
}
OTHER_EVENT = N_("other event")
COVER_LABELS = {
    "manager": N_("another manager of the district"),
    "deputy": N_("the deputy"),
    "coordinator": N_("the coordination 18.6"),
}
PLACEHOLDERS = "{reference}, {district}, {quarter}, {name}"


def plain(text: str) -> Reply:
    return Reply(text, html=False)


# --- the list ------------------------------------------------------------------------------
def case_line(t: Translator, ref: ReferenceData, case: Case, today: date, tz: ZoneInfo) -> str:
    place = case.quarter or ref.district(case.district_number).name
    topic = topic_label_of(t, ref, case.topic)
    days = (today - case.created_at.astimezone(tz).date()).days
    age = t("today") if days == 0 else t("1 day") if days == 1 else t("{days} days", days=days)
    marker = "🏛 " if case.actor_kind == "council" else ""
    status = status_label(t, case.status)
    return escape(f"{marker}{case.reference} · {place} · {topic} · {status} · {age}")


# --- saved replies -------------------------------------------------------------------------
# Shipped replies, in each language; a saved reply of the same name replaces one.
DEFAULT_TEMPLATES = {
    "danke": N_(
        "Hello {name}, thank you for your concern {reference}. We have received it and "
        "will take care of it."
    ),
    "verweis": N_(
        "Hello {name}, another office is responsible for your concern {reference}; "
        "we have sent you its contact details."
    ),
    "frage": N_("Hello {name}, we have a question about your concern {reference}:"),
    "abschluss": N_(
        "Hello {name}, we have settled your concern {reference}. Thank you for your "
        "commitment in {quarter}!"
    ),
}
NEUTRAL_NAME = N_("neighbour")  # {name} when the bot knows no name


def default_templates(t: Translator) -> dict[str, str]:
    return {name: t(text) for name, text in DEFAULT_TEMPLATES.items()}


def resident_name(t: Translator, first_name: str | None) -> str:
    """`{name}`: the resident's name as the bot knows it, else a neutral form."""
    return (first_name or "").strip() or t(NEUTRAL_NAME)


def templates(t: Translator, saved: Sequence[SavedReply]) -> list[str]:
    """The sender's saved replies and the shipped ones not replaced, as HTML lines."""
    usage = t(
        "Save one with /vorlage name text. Start an answer with #name to use it. "
        "Placeholders: {placeholders}.",
        placeholders=PLACEHOLDERS,
    )
    if saved:
        lines = ["<b>" + escape(t("Your saved replies:")) + "</b>"]
        lines += [f"<b>#{escape(row.name)}</b> – {escape(row.text)}" for row in saved]
    else:
        lines = [escape(t("You have no saved replies yet."))]
    own = {row.name for row in saved}
    shipped = [(n, text) for n, text in default_templates(t).items() if n not in own]
    if shipped:
        lines += [
            "",
            "<b>"
            + escape(t("Default replies (/vorlage with the same name changes one):"))
            + "</b>",
        ]
        lines += [f"<b>#{escape(name)}</b> – {escape(text)}" for name, text in shipped]
    return [*lines, "", escape(usage)]


# --- absence -------------------------------------------------------------------------------
def away_confirm(t: Translator, day: date) -> Reply:
    buttons = rows(
        [Button(t("Yes"), DESK.data("away", "yes")), Button(t("No"), DESK.data("away", "no"))]
    )
    body = t("Away until {date} – is that right?", date=format_date(day, lang=t.language))
    return Reply(body, buttons=buttons, html=False)


def away_set(t: Translator, ref: ReferenceData, day: date, cover: dict[str, str]) -> Reply:
    lines = [
        t(
            "You are away until {date}. /zurueck ends it earlier.",
            date=format_date(day, lang=t.language),
        )
    ]
    for district, routed_as in cover.items():
        lines.append(
            t(
                "New concerns of {district} go to {who}.",
                district=ref.district(district).name,
                who=t(COVER_LABELS[routed_as]),
            )
        )
    return plain("\n".join(lines))


# --- the daily nudge -----------------------------------------------------------------------
@renders(UntriagedNudge)
def untriaged(n: UntriagedNudge, ctx: RenderContext) -> Reply:
    t, ref = ctx.t, ctx.reference
    name = ref.district(n.district_number).name
    head = t(
        "Concerns in {district} waiting for triage for more than two working days:", district=name
    )
    lines = ["<b>" + escape(head) + "</b>"]
    for case in n.cases:
        line = t(
            "• {reference} – {quarter} – {topic} – {days} working days",
            reference=case.reference,
            quarter=case.quarter or name,
            topic=topic_label_of(t, ref, case.topic),
            days=case.working_days,
        )
        lines.append(escape(line))
    lines.append("")
    lines.append(
        escape(
            t("/faelle shows your open concerns, /fall followed by the number shows one concern.")
        )
    )
    return Reply("\n".join(lines))
