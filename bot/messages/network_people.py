"""What the directory says about people: the district manager card residents ask for
(/mein_bezirk), the manager's own publication, and the /treffen dialogue. No Telegram here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from bot.i18n import Translator
from bot.messages import callbacks
from bot.messages.formatting import format_date, isolate
from bot.messages.network import CHANNELS
from bot.messages.reply import Button, Reply, chunked, rows
from bot.services.basics.reference import District
from bot.services.network.district_card import DistrictCard
from bot.storage.models import NetworkEntry

NET = callbacks.NETWORK


def text(value: str) -> Reply:
    return Reply(value, html=False)


def help_question(t: Translator) -> Reply:
    """Sent after the resident's /hilfe: who their district manager is, a tap away."""
    button = Button(t("🏛 Who is my district manager?"), NET.data("bz", "me"))
    body = t("Your district manager is your contact at the city. /mein_bezirk shows who it is.")
    return Reply(body, buttons=rows([button]), html=False)


def district_card(t: Translator, district: District, card: DistrictCard) -> Reply:
    lines = [t("Your district: {name}", name=district.name)]
    if card.manager_name:
        lines.append(t("Your district manager: {name}", name=card.manager_name))
    else:
        lines.append(t("The district management of the city is there for you."))
        if card.unit_name:
            lines.append(card.unit_name)
    for name, label in CHANNELS.items():
        if name in card.channels:
            lines.append(f"{t(label)}: {isolate(t, card.channels[name])}")
    lines.append("")
    lines.append(t("You can also write your concern here: /neu"))
    return text("\n".join(lines))


def choose_district(t: Translator, districts: Iterable[District]) -> Reply:
    buttons = [Button(d.name, NET.data("bz", d.number)) for d in districts]
    return Reply(t("Which district do you live in?"), buttons=chunked(buttons, 2), html=False)


def manager_help(t: Translator, published: NetworkEntry | None) -> Reply:
    """A manager's /mein_bezirk: what residents see, and how to publish or withdraw."""
    if published is not None and published.consent_at is not None:
        state = t(
            "Residents see your name '{name}' and office hours '{hours}'.",
            name=published.name,
            hours=published.office_hours or "",
        )
    else:
        state = t("Residents see the channels of the district management, not your name.")
    how = t(
        "To publish your name and office hours (with your consent): "
        "/mein_bezirk zeigen Name; office hours\n"
        "e.g. /mein_bezirk zeigen Erika Muster; Di 10–12 Uhr\n"
        "To withdraw: /mein_bezirk verbergen"
    )
    return text(state + "\n\n" + how)


def published(t: Translator) -> Reply:
    return text(t("Published. Residents of your district now see your name and office hours."))


def withdrawn(t: Translator) -> Reply:
    return text(t("Withdrawn. Residents see the channels of the district management again."))


# --- /treffen --------------------------------------------------------------------------------
def ask_date(t: Translator) -> Reply:
    return text(
        t("Which day was the meeting? (e.g. 'heute', 'gestern', '3.3.')")
        + "\n"
        + t("(/abbrechen to stop)")
    )


def ask_forum(t: Translator) -> Reply:
    return text(t("Which forum? (e.g. 'AG der örtlichen Vereine Linden')"))


def ask_people(t: Translator, found: Sequence[NetworkEntry], chosen: Iterable[int]) -> Reply:
    marked = set(chosen)
    buttons = [
        Button(("✅ " if e.id in marked else "") + e.name, NET.data("m", e.id)) for e in found
    ]
    body = t("Whom from the directory did you meet? Press all, then 'Done'.")
    return Reply(
        body, buttons=(*chunked(buttons, 2), (Button(t("Done"), NET.data("md")),)), html=False
    )


def ask_note(t: Translator) -> Reply:
    return text(t("A note on the meeting, or -:"))


def bad_date(t: Translator) -> Reply:
    return text(t("I did not understand that date. Examples: 'heute', 'gestern', '3.3.'."))


def meeting_saved(t: Translator, held_on: date, forum: str, count: int) -> Reply:
    day = format_date(held_on, lang=t.language, with_time=False)
    met = t.plural("{count} person or body met", "{count} people or bodies met", count)
    return text(t("Meeting saved: {date}, {forum}.", date=day, forum=forum) + " " + met + ".")


def no_district(t: Translator) -> Reply:
    return text(t("Please give the district number, e.g. /treffen 10."))
