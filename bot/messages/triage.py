"""What the manager's side of a case says: to the resident (status, contact card, messages,
feedback questions), to other staff (answers, handover, reopened) and to the manager in front
of the bot (prompts, choices, confirmations). No Telegram here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from html import escape

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.cases import case_card, status_label
from bot.messages.formatting import format_date, isolate
from bot.messages.reference import department_label
from bot.messages.referrals import referral_description, referral_name
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, Rows, chunked, rows
from bot.services.basics.dates import DateParseError
from bot.services.basics.reference import Department, District, GeneralContact, ReferralContact
from bot.services.cases.feedback import Outcome
from bot.services.cases.triage_notices import (
    FromManagement,
    FromResident,
    HandedOver,
    Merged,
    ReferralFollowup,
    Referred,
    Reopened,
    Resolved,
    StatusChanged,
)
from bot.storage.models import Case

TR = callbacks.TRIAGE
# What the manager is asked to type, by the conversation step that waits for it.
PROMPTS = {
    "ask": N_("Type your question to the resident of {reference}:"),
    "msg": N_("Type your message to the resident of {reference}:"),
    "note": N_("Type the internal note for {reference} (not shown to the resident):"),
    "step": N_("Type the next step for {reference}:"),
    "resolve": N_("Type a short summary of the solution for {reference} (the resident sees it):"),
    "lotse_note": N_("Add a sentence for the resident of {reference}, or press the button:"),
    "hand_note": N_(
        "Add a note for the other district's manager about {reference}, or press the button:"
    ),
    "ref_search": N_("Type a word to search the contact directory (e.g. Osterfeuer):"),
}
FEEDBACK_ANSWERS = {
    Outcome.RECORDED: N_("Thank you for your answer."),
    Outcome.REOPENED: N_("Thank you. The district management will take another look at it."),
    Outcome.TOO_LATE: N_(
        "This concern was closed too long ago to reopen it. Please send a new one with /neu."
    ),
    Outcome.NOT_ASKED: N_("This button is no longer valid."),
}


def text(value: str) -> Reply:
    """A plain reply to the person in front of the bot."""
    return Reply(value, html=False)


def prompt(t: Translator, action: str, reference: str, buttons: Rows = ()) -> Reply:
    body = t(PROMPTS[action], reference=reference) + "\n" + t("(/abbrechen to stop)")
    return Reply(body, buttons=buttons, html=False)


def lotse_note_prompt(
    t: Translator, case_id: int, reference: str, contact: ReferralContact
) -> Reply:
    """Ask for the resident's sentence; a contact without a phone, e-mail or address of its
    own is confirmed first: the manager reads what the resident will get instead."""
    send = Button(t("Send without a sentence"), TR.data("refsend", case_id, contact.key))
    if contact.has_direct_contact:
        return prompt(t, "lotse_note", reference, rows([send]))
    warning = t(
        "⚠️ The directory has no phone, e-mail or address for '{name}'. The resident gets "
        "the city's general channels instead (switchboard, online services). Send it anyway?",
        name=referral_name(t, contact),
    )
    anyway = Button(t("Send anyway, without a sentence"), TR.data("refsend", case_id, contact.key))
    other = Button(t("🔎 Choose another contact"), TR.data("refsearch", case_id))
    asked = prompt(t, "lotse_note", reference, rows([anyway], [other]))
    return Reply(warning + "\n\n" + asked.text, buttons=asked.buttons, html=False)


def hand_note_prompt(t: Translator, case_id: int, reference: str, district: str) -> Reply:
    button = Button(t("Hand over without a note"), TR.data("handsend", case_id, district))
    return prompt(t, "hand_note", reference, rows([button]))


def too_long(t: Translator, limit: int) -> Reply:
    return text(t("Please send a text of at most {limit} characters, or /abbrechen.", limit=limit))


def caretaker(t: Translator, reference: str) -> Reply:
    return text(t("You are the Kümmerer for {reference}. What next?", reference=reference))


def reopened_by_manager(t: Translator, reference: str) -> Reply:
    return text(t("{reference} is open again; you are its Kümmerer.", reference=reference))


def contacts(
    t: Translator,
    case_id: int,
    reference: str,
    found: Iterable[ReferralContact],
    query: str | None = None,
) -> Reply:
    """The contacts to choose from: the topic's, or those a search found."""
    listed = list(found)[:8]
    buttons = [[Button(referral_name(t, c), TR.data("ref", case_id, c.key))] for c in listed]
    buttons.append([Button(t("🔎 Search the directory"), TR.data("refsearch", case_id))])
    if query and listed:
        body = t("Contacts matching '{query}':", query=query)
    elif query:
        body = t("Nothing found for '{query}'. Try another word:", query=query)
    else:
        body = t("Which contact should the resident of {reference} get?", reference=reference)
    return Reply(body, buttons=rows(*buttons), html=False)


def districts(t: Translator, case_id: int, reference: str, choices: Iterable[District]) -> Reply:
    buttons = [Button(d.name, TR.data("handto", case_id, d.number)) for d in choices]
    body = t("To which district does {reference} belong?", reference=reference)
    return Reply(body, buttons=chunked(buttons, 2), html=False)


def departments(t: Translator, case_id: int, choices: Iterable[Department]) -> Reply:
    buttons = [
        Button(department_label(t, d), TR.data("depadd", case_id, d.number)) for d in choices
    ]
    return Reply(t("Which department do you involve?"), buttons=chunked(buttons, 2), html=False)


def step_due_question(t: Translator) -> Reply:
    return text(t("By when? Type a date, e.g. 'bis Freitag', 'in zwei Wochen', '15.3.'"))


def step_confirm(t: Translator, case_id: int, due: datetime) -> Reply:
    buttons = rows(
        [Button(t("Yes"), TR.data("stepok", case_id)), Button(t("No"), TR.data("stepno", case_id))]
    )
    body = t("Due on {date} – is that right?", date=format_date(due, lang=t.language))
    return Reply(body, buttons=buttons, html=False)


def date_problem(t: Translator, error: DateParseError) -> Reply:
    if error.reason == "past":
        return text(t("That date is in the past. Please give a date from today on."))
    return text(
        t(
            "I did not understand that date. Examples: "
            "'bis Freitag', 'in zwei Wochen', '15.3.', 'Ende März'."
        )
    )


# --- confirmations to the manager ------------------------------------------------------------
def referred(t: Translator, reference: str) -> Reply:
    return text(t("Referred. The case {reference} is closed as referred.", reference=reference))


def handed_over(t: Translator, district: str) -> Reply:
    return text(t("Handed over to {district}.", district=district))


def merged(t: Translator, reference: str, other: str) -> Reply:
    return text(t("{reference} merged into {other}.", reference=reference, other=other))


def involved(t: Translator, department: str, reference: str) -> Reply:
    body = t("{department} involved in {reference}.", department=department, reference=reference)
    return text(body)


def step_saved(t: Translator, due: datetime) -> Reply:
    return text(t("Next step saved, due {date}.", date=format_date(due, lang=t.language)))


def note_saved(t: Translator, reference: str) -> Reply:
    return text(t("Note saved on {reference}.", reference=reference))


def resolved(t: Translator, reference: str) -> Reply:
    return text(
        t(
            "{reference} is resolved. The resident is asked whether it is settled.",
            reference=reference,
        )
    )


def cancelled(t: Translator) -> Reply:
    return text(t("Cancelled."))


def stale(t: Translator) -> str:
    return t("This button is no longer valid.")


def feedback_answer(t: Translator, outcome: Outcome) -> Reply:
    return text(t(FEEDBACK_ANSWERS[outcome]))


# --- intents -------------------------------------------------------------------------------
def contact_card(
    t: Translator, contact: ReferralContact, note: str | None, general: GeneralContact | None
) -> str:
    """The contact a Lotse hands over, in the resident's language; only known fields. Without
    a phone, e-mail or address of the office, the city's general channels are given."""
    lines = ["<b>" + escape(referral_name(t, contact)) + "</b>"]
    if referral_description(t, contact):
        lines.append(escape(referral_description(t, contact)))
    if contact.responsible:
        lines.append(escape(t("Responsible: {body}", body=contact.responsible)))
    fields = (
        (t("Phone"), contact.phone),
        (t("E-mail"), contact.email),
        (t("Address"), contact.address),
        (t("Opening hours"), contact.opening_hours),
        (t("Web"), contact.web),
    )
    lines += [f"{escape(label)}: {escape(isolate(t, value))}" for label, value in fields if value]
    if not contact.has_direct_contact and general is not None:
        lines += ["", *_general_channels(t, general, with_web=not contact.web)]
    if note:
        lines += ["", escape(note)]
    return "\n".join(lines)


def _general_channels(t: Translator, general: GeneralContact, *, with_web: bool) -> list[str]:
    """The city's switchboard and online services, for an office without a direct contact
    (the online services only where the card has no service page of its own)."""
    channels = [(t("City switchboard"), general.phone)]
    if with_web:
        channels.append((t("Online services"), general.web))
    lines = [escape(t("No direct contact of this office is known. You can reach the city:"))]
    return lines + [
        f"{escape(label)}: {escape(isolate(t, value))}" for label, value in channels if value
    ]


@renders(StatusChanged)
def status_changed(n: StatusChanged, ctx: RenderContext) -> Reply:
    t = ctx.t
    status = status_label(t, n.status)
    return Reply(
        escape(
            t("Your concern {reference} is now: {status}.", reference=n.reference, status=status)
        )
    )


@renders(Referred)
def referred_card(n: Referred, ctx: RenderContext) -> Reply:
    t = ctx.t
    head = t("About your concern {reference}: the right contact for it is:", reference=n.reference)
    contact = n.card or ctx.reference.referral(n.contact_key)  # older rows: no card
    shipped = {r.key: r for r in ctx.reference.referrals}.get(contact.key)
    if shipped is not None and (shipped.name_de, shipped.description_de) != (
        contact.name_de,
        contact.description_de,
    ):  # a shipped entry corrected in the directory: its own words, not the catalogue's
        contact = replace(contact, key="")
    card = contact_card(t, contact, n.note, ctx.reference.general)
    return Reply(escape(head) + "\n\n" + card + "\n\n" + escape(how_to_answer(t)))


@renders(FromManagement)
def from_management(n: FromManagement, ctx: RenderContext) -> Reply:
    head = ctx.t("District management, concern {reference}:", reference=n.reference)
    photos = (n.photo,) if n.photo else ()
    body = escape(head) + "\n" + escape(n.text or "") + "\n\n" + escape(how_to_answer(ctx.t))
    return Reply(body, photos=photos)


def how_to_answer(t: Translator) -> str:
    """The line under every staff message to a resident."""
    return t("To answer, simply write here in the chat.")


@renders(FromResident)
def from_resident(n: FromResident, ctx: RenderContext) -> Reply:
    t = ctx.t
    head = t("Answer from the resident, concern {reference}:", reference=n.reference)
    photos = (n.photo,) if n.photo else ()
    return Reply(escape(head) + "\n" + escape(n.text or t("(photo)")), photos=photos)


@renders(Merged)
def merged_notice(n: Merged, ctx: RenderContext) -> Reply:
    body = ctx.t(
        "Your concern {reference} is about the same matter as {other}, "
        "which is already being handled. You will hear about its progress.",
        reference=n.reference,
        other=n.other,
    )
    return Reply(escape(body))


def _yes_no(question: str, case_id: int, yes: str, no: str) -> Rows:
    fb = callbacks.FEEDBACK
    return rows(
        [
            Button(yes, fb.data(question, case_id, "yes")),
            Button(no, fb.data(question, case_id, "no")),
        ]
    )


@renders(Resolved)
def resolved_notice(n: Resolved, ctx: RenderContext) -> Reply:
    t = ctx.t
    body = escape(t("Your concern {reference} has been resolved:", reference=n.reference))
    body += "\n" + escape(n.summary) + "\n\n" + escape(t("Is your concern settled?"))
    return Reply(body, buttons=_yes_no("set", n.case_id, t("Yes, settled"), t("No")))


@renders(ReferralFollowup)
def referral_followup(n: ReferralFollowup, ctx: RenderContext) -> Reply:
    t = ctx.t
    body = t(
        "A few days ago we gave you a contact for your concern {reference}. Did it help?",
        reference=n.reference,
    )
    return Reply(escape(body), buttons=_yes_no("ref", n.case_id, t("Yes, it helped"), t("No")))


@renders(Reopened)
def reopened(n: Reopened, ctx: RenderContext) -> Reply:
    t = ctx.t
    body = t(
        "The resident reopened concern {reference}: it is not settled yet.", reference=n.reference
    )
    button = Button(t("Open case"), TR.data("show", n.case_id))
    return Reply(escape(body), buttons=rows([button]))


@renders(HandedOver)
def handed_over_notice(n: HandedOver, ctx: RenderContext) -> Reply:
    card = n.case
    case = Case(  # a detached row, only to reuse the new-case view
        id=card.id,
        reference=card.reference,
        district_number=card.district_number,
        quarter=None,
        topic=card.topic,
        created_at=card.created_at,
        description=card.description,
        address_text=card.address_text,
        contact=card.contact,
        actor_kind=card.actor_kind,
        actor_name=card.actor_name,
        latitude=card.latitude,
        longitude=card.longitude,
        status="new",
    )
    return case_card(
        ctx.reference, ctx.t, case, tz=ctx.tz, routed_as=n.routed_as, similar=[], note=n.note
    )
