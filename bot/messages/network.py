"""What the network directory says to staff: the list, an entry's card with its referrals,
"helped" answers, last confirmation and last meeting, the review of stale entries, and the
refusals. No Telegram here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.formatting import format_date
from bot.messages.reference import topic_label_of
from bot.messages.reply import Button, Reply, Rows, rows
from bot.services.basics.reference import ReferenceData
from bot.services.network.entries import resident_channels
from bot.services.network.lotse import Usage
from bot.storage.models import NetworkEntry, NetworkMeeting

NET = callbacks.NETWORK
PAGE_SIZE = 8
KINDS = {
    "office": N_("City office"),
    "external": N_("External body"),
    "organisation": N_("Organisation"),
    "person": N_("Key person"),
}
CHANNELS = {
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "web": N_("Web"),
    "address": N_("Address"),
    "office_hours": N_("Office hours"),
}
BASES = {"consent": N_("consent recorded"), "public_office": N_("public office")}


def text(value: str) -> Reply:
    return Reply(value, html=False)


def kind_label(t: Translator, kind: str) -> str:
    return t(KINDS[kind]) if kind in KINDS else kind


def where_label(t: Translator, reference: ReferenceData, entry: NetworkEntry) -> str:
    if not entry.districts:
        return t("city-wide")
    names = [reference.district(d).name for d in entry.districts if reference.has_district(d)]
    return ", ".join([*names, *(entry.quarters or ())])


def _day(value: datetime | date, t: Translator, tz: ZoneInfo) -> str:
    moment = value.astimezone(tz) if isinstance(value, datetime) else value
    return format_date(moment, lang=t.language, with_time=False)


def entry_card(
    t: Translator,
    reference: ReferenceData,
    entry: NetworkEntry,
    *,
    usage: Usage,
    meeting: NetworkMeeting | None,
    confirmed_by: str | None,
    tz: ZoneInfo,
    editable: bool,
) -> Reply:
    """The staff view of an entry: everything, with what residents get marked 👥."""
    lines = [f"{entry.name} ({kind_label(t, entry.kind)})"]
    if entry.role:
        lines.append(t("Role: {role}", role=entry.role))
    lines.append(t("Serves: {where}", where=where_label(t, reference, entry)))
    if entry.topics:
        labels = ", ".join(topic_label_of(t, reference, c) for c in entry.topics)
        lines.append(t("Topics: {topics}", topics=labels))
    shown = resident_channels(entry)
    for name, label in CHANNELS.items():
        value = getattr(entry, name)
        if value:
            mark = " 👥" if name in shown else ""
            lines.append(f"{t(label)}: {value}{mark}")
    if entry.languages:
        lines.append(t("Languages: {codes}", codes=", ".join(entry.languages)))
    if entry.visibility == "staff":
        lines.append(t("🔒 For staff only: never given to residents."))
    elif shown:
        lines.append(t("👥 = given to residents."))
    else:
        lines.append(t("⚠️ No channel may be given to residents."))
    if entry.legal_basis:
        lines.append(t("Legal basis: {basis}", basis=t(BASES[entry.legal_basis])))
    if entry.staff_notes:
        lines.append(t("Notes for staff: {notes}", notes=entry.staff_notes))
    if entry.source:
        lines.append(t("Source: {source}", source=entry.source))
    lines.append("")
    lines.append(
        t.plural(
            "Referred {count} time",
            "Referred {count} times",
            usage.referrals,
        )
        + " · "
        + t("helped: {yes}, did not help: {no}", yes=usage.helped, no=usage.not_helped)
    )
    if entry.confirmed_at is None:
        lines.append(t("Never confirmed."))
    else:
        day = _day(entry.confirmed_at, t, tz)
        lines.append(t("Last confirmed: {date} by {name}", date=day, name=confirmed_by or "–"))
    if meeting is not None:
        day = _day(meeting.held_on, t, tz)
        lines.append(t("Last met: {date} ({forum})", date=day, forum=meeting.forum))
    if entry.retired_at is not None:
        lines.append(t("Retired."))
    buttons: Rows = ()
    if editable and entry.retired_at is None:
        buttons = rows(
            [
                Button(t("✅ Still correct"), NET.data("ok", entry.id)),
                Button(t("✏️ Edit"), NET.data("ed", entry.id)),
            ],
            [Button(t("🗄 Retire"), NET.data("ret", entry.id))],
        )
    return Reply("\n".join(lines), buttons=buttons, html=False)


def entry_list(
    t: Translator, found: Sequence[NetworkEntry], *, page: int, total: int, query: str | None
) -> Reply:
    """One page of the directory (or of a search's results), an entry per button."""
    if not found:
        body = (
            t("Nothing found for '{query}'.", query=query)
            if query
            else t("The directory has no entries for your districts yet.")
        )
        return Reply(body, buttons=rows([Button(t("➕ New entry"), NET.data("new"))]), html=False)
    head = (
        t("Directory entries matching '{query}':", query=query)
        if query
        else t.plural("The directory: {count} entry", "The directory: {count} entries", total)
    )
    buttons = [[Button(f"{e.name}", NET.data("e", e.id))] for e in found]
    paging = []
    if page > 0:
        paging.append(Button(t("◀ Back"), NET.data("pg", page - 1)))
    if (page + 1) * PAGE_SIZE < total:
        paging.append(Button(t("More ▶"), NET.data("pg", page + 1)))
    hint = t("Search: /netzwerk <words, topic or quarter> · review: /netzwerk pruefen")
    return Reply(
        head + "\n" + hint,
        buttons=rows(*buttons, paging, [Button(t("➕ New entry"), NET.data("new"))]),
        html=False,
    )


def review(t: Translator, card: Reply, entry: NetworkEntry, months: int) -> Reply:
    """A stale entry offered for review, with 'next' to leave it for later."""
    head = t.plural(
        "Please check this entry: not confirmed for {count} month or more.",
        "Please check this entry: not confirmed for {count} months or more.",
        months,
    )
    later = [Button(t("⏭ Next entry"), NET.data("rv", entry.id))]
    return Reply(head + "\n\n" + card.text, buttons=(*card.buttons, tuple(later)), html=False)


def nothing_to_review(t: Translator) -> Reply:
    return text(t("No entry needs a review now. Thank you!"))


def confirmed(t: Translator, name: str) -> Reply:
    return text(t("Confirmed: {name} is correct as of today.", name=name))


def retire_question(t: Translator, entry: NetworkEntry) -> Reply:
    body = t("Retire '{name}'? It is then no longer offered to anyone.", name=entry.name)
    yes = Button(t("Yes, retire"), NET.data("retok", entry.id))
    back = Button(t("No"), NET.data("e", entry.id))
    return Reply(body, buttons=rows([yes, back]), html=False)


def retired(t: Translator, name: str) -> Reply:
    return text(t("Retired: {name}.", name=name))
