"""The end of the resident's intake: the review with its summary, changing and cancelling,
the receipt with the reference number, and what is said on unexpected input."""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from bot.messages import callbacks
from bot.messages.cases import EMERGENCY, actor_label, place_label
from bot.messages.intake import EDITABLE, EXPECTED, PUBLICATION_NOTE, menu_keyboard, say
from bot.messages.reference import topic_label_of
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, chunked, rows
from bot.services.basics.reference import ReferenceData
from bot.services.cases.new_case import CaseConfirmed
from bot.services.cases.records import Draft

IN = callbacks.INTAKE


def draft_summary(ref: ReferenceData, t: Translator, draft: Draft) -> str:
    """The review step's summary, HTML-escaped for parse_mode HTML."""
    place = place_label(ref, t, draft.district_number, draft.quarter)
    lines = [t("Where: {place}", place=place)]
    if draft.address_text:
        lines.append(t("Address: {address}", address=draft.address_text))
    if draft.latitude is not None:
        lines.append(t("Location shared on the map"))
    if draft.topic:
        lines.append(t("Topic: {topic}", topic=topic_label_of(t, ref, draft.topic)))
    lines.append(t("Description: {text}", text=draft.description or "–"))
    lines.append(t("Photos: {count}", count=len(draft.photos)))
    lines.append(t("Contact: {contact}", contact=draft.contact or t("none")))
    if draft.actor_kind:
        lines.append(
            t("On behalf of: {org}", org=actor_label(t, draft.actor_kind, draft.actor_name))
        )
    lines.append("")
    if draft.publication_consent:
        lines.append(
            t("Publication: your description may appear anonymously in the city's open data.")
        )
    else:
        lines.append(t("Publication: your description will not be published."))
    return "\n".join(
        [
            "<b>" + escape(t("Your concern")) + "</b>",
            *map(escape, lines),
            "<i>" + escape(t(PUBLICATION_NOTE)) + "</i>",
            "",
            escape(t(EMERGENCY)),
        ]
    )


def review(t: Translator, ref: ReferenceData, draft: Draft) -> Reply:
    """The summary with send, publication switch, change and cancel."""
    publish = t("🌐 Publish text: yes") if draft.publication_consent else t("🌐 Publish text: no")
    buttons = rows(
        [Button(t("✅ Send"), IN.data("confirm"))],
        [Button(publish, IN.data("pub"))],
        [Button(t("✏️ Change"), IN.data("change")), Button(t("✖️ Cancel"), IN.data("cancel"))],
    )
    return Reply(draft_summary(ref, t, draft), buttons=buttons)


def change_menu(t: Translator) -> Reply:
    items = [Button(t(label), IN.data("edit", key)) for key, label in EDITABLE]
    return say(t("What would you like to change?"), chunked(items, 2))


def incomplete(t: Translator) -> Reply:
    return say(t("Something is still missing. Let us complete it."))


def cancelled(t: Translator) -> Reply:
    return Reply(t("Cancelled. Nothing was sent."), html=False, keyboard=menu_keyboard(t))


def consent_first(t: Translator) -> Reply:
    return say(t("Please accept the privacy notice first: /start"))


@renders(CaseConfirmed)
def receipt(n: CaseConfirmed, ctx: RenderContext) -> Reply:
    """The thank-you with the reference number, and the main menu again."""
    t = ctx.t
    text = t(
        "Thank you! Your concern has the number {reference}. The district management of "
        "{district} will look at it, usually within two working days, and answer you here. "
        "You can see its status with /meine.",
        reference=n.reference,
        district=ctx.reference.district(n.district).name,
    )
    if n.summary:
        text += "\n" + t("Your concern: “{summary}”", summary=n.summary)
    return Reply(text, html=False, keyboard=menu_keyboard(t))


# --- unexpected input ---------------------------------------------------------------------------
def wrong_input(t: Translator, state: str) -> Reply:
    """What the step expects; the resident stays in it and loses nothing."""
    return say(t(EXPECTED[state]) + "\n" + t("To stop, send /abbrechen."))


def stale_button(t: Translator) -> str:
    """The toast on a button of an earlier step."""
    return t("This button is no longer valid.")


def command_during_intake(t: Translator) -> Reply:
    return say(t("You are in the middle of a concern. Continue, or send /abbrechen to stop."))
