"""The guided dialogue that adds or changes a directory entry: one question per step, the
reason when a typed value is refused, and the summary before saving. No Telegram here."""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.network import BASES, CHANNELS, KINDS, kind_label
from bot.messages.reference import topic_label
from bot.messages.reply import Button, Reply, chunked, rows
from bot.services.basics.reference import ReferenceData
from bot.services.network.entries import EntryData

NET = callbacks.NETWORK
PROMPTS = {
    "kind": N_("What kind of entry is it?"),
    "name": N_("Name of the office, body, organisation or person:"),
    "role": N_("Role or body in charge (e.g. 'Quartiersmanagerin', 'Fachbereich Tiefbau'), or -:"),
    "topics": N_("Which topics? Press all that apply, then 'Done'."),
    "where": N_(
        "Which quarters or districts does it serve? Names separated by commas, "
        "or - for your whole district (coordinators: - for city-wide):"
    ),
    "phone": N_("Phone number, or -:"),
    "email": N_("E-mail address, or -:"),
    "web": N_("Web page (e.g. www.hannover.de/...), or -:"),
    "address": N_("Postal address (street, number, postcode), or -:"),
    "office_hours": N_("Office hours (e.g. 'Di 10–12 Uhr' or 'nach Vereinbarung'), or -:"),
    "channels": N_("Which channels may residents get? ✅ = given to residents. Then 'Done'."),
    "languages": N_("Languages spoken (codes, e.g. 'de, en, tr'), or -:"),
    "visibility": N_("Who may get this entry?"),
    "basis": N_(
        "A person listed by name: on what basis? A private person's channels reach "
        "residents only with their recorded consent."
    ),
    "notes": N_("Notes for staff (never shown to residents), or -:"),
}
PROBLEMS = {
    "name": N_("Please type a name of at most 200 characters."),
    "role": N_("Please type at most 200 characters."),
    "phone": N_("'{value}' is not a valid phone number. Example: 0511 168-12345."),
    "email": N_("'{value}' is not a valid e-mail address."),
    "web": N_("'{value}' is not a web address. Example: www.hannover.de/linden"),
    "address": N_("Please give a postal address with street and number."),
    "office_hours": N_(
        "Please give days and times (e.g. 'Di 10–12 Uhr, Do 14–16 Uhr') or 'nach Vereinbarung'."
    ),
    "languages": N_("Please give language codes such as 'de, en, tr'."),
    "quarter": N_("I do not know the quarter or district '{value}'."),
    "district": N_("I do not know the district '{value}'."),
    "outside": N_("You can only add entries for your own district."),
    "staff_notes": N_("Please type at most 4000 characters."),
    "legal_basis": N_("Please choose the legal basis for this person."),
    "topic": N_("Unknown topic '{value}'."),
    "kind": N_("Please choose the kind of entry."),
    "visibility": N_("Please choose who may get this entry."),
    "description": N_("Please type at most 4000 characters."),
    "source": N_("Please type at most 300 characters."),
}
VISIBILITY = {"residents": N_("👥 Residents may get it"), "staff": N_("🔒 Staff only")}


def problem(t: Translator, reason: str, value: str) -> Reply:
    message = PROBLEMS.get(reason, PROBLEMS["name"])
    return Reply(t(message, value=value) + "\n" + t("(/abbrechen to stop)"), html=False)


def _skip(t: Translator) -> Button:
    return Button(t("⏭ Skip"), NET.data("skip"))


def ask(
    t: Translator, reference: ReferenceData, step: str, data: EntryData, editing: bool
) -> Reply:
    """The question of one step, with its buttons and, when editing, the current value."""
    body = t(PROMPTS[step])
    current = _current(t, step, data)
    if editing and current:
        body += "\n" + t("Now: {value} (⏭ keeps it)", value=current)
    body += "\n" + t("(/abbrechen to stop)")
    if step == "kind":
        kinds = [Button(t(label), NET.data("k", kind)) for kind, label in KINDS.items()]
        return Reply(body, buttons=chunked(kinds, 2), html=False)
    if step == "topics":
        chosen = set(data.topics)
        marks = [
            Button(("✅ " if x.code in chosen else "") + topic_label(t, x), NET.data("t", x.code))
            for x in reference.topics
        ]
        return Reply(body, buttons=(*chunked(marks, 2), (_done(t, "td"),)), html=False)
    if step == "channels":
        marked = set(data.resident_channels)
        given = [c for c in CHANNELS if getattr(data, c)]
        marks = [
            Button(("✅ " if c in marked else "☐ ") + t(CHANNELS[c]), NET.data("c", c))
            for c in given
        ]
        return Reply(body, buttons=(*chunked(marks, 2), (_done(t, "cd"),)), html=False)
    if step == "visibility":
        options = [Button(t(label), NET.data("v", v)) for v, label in VISIBILITY.items()]
        return Reply(body, buttons=rows(options), html=False)
    if step == "basis":
        options = [Button(t(label), NET.data("b", b)) for b, label in BASES.items()]
        return Reply(body, buttons=rows(options), html=False)
    return Reply(body, buttons=rows([_skip(t)]), html=False)


def _done(t: Translator, action: str) -> Button:
    return Button(t("Done"), NET.data(action))


def _current(t: Translator, step: str, data: EntryData) -> str:
    if step == "where":
        return ", ".join([*data.districts, *data.quarters])
    if step == "notes":
        return data.staff_notes or ""
    value = getattr(data, step, None)
    if isinstance(value, list):
        return ", ".join(value)
    return str(value or "")


def summary(t: Translator, reference: ReferenceData, data: EntryData) -> Reply:
    """Everything once more before saving."""
    lines = [t("Please check the entry:"), "", f"{data.name} ({kind_label(t, data.kind)})"]
    if data.role:
        lines.append(t("Role: {role}", role=data.role))
    where = ", ".join([*(reference.district(d).name for d in data.districts), *data.quarters])
    lines.append(t("Serves: {where}", where=where or t("city-wide")))
    if data.topics:
        labels = ", ".join(topic_label(t, reference.topic(c)) for c in data.topics)
        lines.append(t("Topics: {topics}", topics=labels))
    for name, label in CHANNELS.items():
        value = getattr(data, name)
        if value:
            mark = " 👥" if name in data.resident_channels else ""
            lines.append(f"{t(label)}: {value}{mark}")
    if data.languages:
        lines.append(t("Languages: {codes}", codes=", ".join(data.languages)))
    lines.append(t(VISIBILITY[data.visibility]))
    if data.legal_basis:
        lines.append(t("Legal basis: {basis}", basis=t(BASES[data.legal_basis])))
    if data.staff_notes:
        lines.append(t("Notes for staff: {notes}", notes=data.staff_notes))
    buttons = rows(
        [Button(t("💾 Save"), NET.data("save")), Button(t("Cancel"), NET.data("cancel"))]
    )
    return Reply("\n".join(lines), buttons=buttons, html=False)


def saved(t: Translator, name: str) -> Reply:
    return Reply(t("Saved: {name}. Find it with /netzwerk.", name=name), html=False)


def cancelled(t: Translator) -> Reply:
    return Reply(t("Cancelled."), html=False)


def chosen_topics(t: Translator, reference: ReferenceData, codes: Iterable[str]) -> str:
    return ", ".join(topic_label(t, reference.topic(c)) for c in codes)
