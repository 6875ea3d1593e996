"""The resident's menu: greeting, privacy consent, help, language and their own concerns."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translations, Translator
from bot.messages import callbacks
from bot.messages.cases import EMERGENCY, status_label
from bot.messages.formatting import format_date, format_moment, isolate, language_name, local
from bot.messages.reference import topic_label_of
from bot.messages.reply import Button, Reply, rows
from bot.services.basics.reference import ReferenceData
from bot.services.cases.records import OPEN_STATUSES, CaseProgress

MENU_NEW = N_("📝 New concern")
MENU_MINE = N_("📋 My concerns")
MENU_LANGUAGE = N_("🌐 Language")
MENU_HELP = N_("❓ Help")
PRIVACY_NOTICE = N_(
    "Privacy: to handle your concern, the city of Hannover stores what you send here "
    "(place, topic, text, photos, contact details) and your Telegram account, and shows it "
    "to the district management and, without your Telegram identity, to the departments "
    "involved. Your description is published (anonymously, in the city's open data) only "
    "if you choose so before sending. You can see your data with /meine_daten and have it "
    "erased with /loeschen."
)


def menu_rows(t: Translator) -> tuple[tuple[str, ...], ...]:
    return ((t(MENU_NEW), t(MENU_MINE)), (t(MENU_LANGUAGE), t(MENU_HELP)))


def menu_labels(translations: Translations, message: str) -> list[str]:
    """A menu button's text in every shipped language (the keyboard is per user)."""
    return sorted({translations.get(lang).gettext(message) for lang in translations.languages})


def with_menu(t: Translator, text: str, *, html: bool = False) -> Reply:
    """A message that brings back the main menu keyboard."""
    return Reply(text, html=html, keyboard=menu_rows(t))


def greeting(t: Translator, first_name: str, *, consented: bool) -> Reply:
    """The /start greeting; without consent it asks for it (buttons), else shows the menu."""
    text = t(
        "Hello {name}! I am the assistant of the district management of the city of Hannover. "
        "You can tell me about concerns in your quarter, and I pass them on to the manager of "
        "your district.",
        name=escape(first_name),
    )
    text += "\n\n" + escape(t(EMERGENCY))
    if consented:
        return with_menu(t, text, html=True)
    buttons = rows(
        [
            Button(t("✅ I agree"), callbacks.CONSENT.data("yes")),
            Button(t("✖️ No"), callbacks.CONSENT.data("no")),
        ]
    )
    return Reply(text + "\n\n" + escape(t(PRIVACY_NOTICE)), buttons=buttons)


def consent_refused(t: Translator, switchboard: str) -> Reply:
    """Refused: other ways in are the city's switchboard (115 is unconfirmed for Hannover,
    see shared/data/departments.md)."""
    return Reply(
        t(
            "Without your consent I cannot take concerns. You can change your mind with "
            "/start at any time. Other ways to reach the city: the switchboard, phone {phone}.",
            phone=switchboard,
        ),
        html=False,
    )


def consent_given(t: Translator) -> Reply:
    return with_menu(t, t("Thank you. What would you like to do?"))


def help_text(t: Translator) -> Reply:
    text = t(
        "How it works: press 'New concern' (or /neu), tell me where and what, and confirm. "
        "You get a reference number, and the district management answers you here.\n\n"
        "/neu – new concern\n/meine – my concerns and their status\n/sprache – language\n"
        "/abbrechen – cancel the current step\n/meine_daten – my stored data\n"
        "/loeschen – erase my data\n\n"
    )
    return with_menu(t, text + t(EMERGENCY))


def language_choice(t: Translator, languages: Sequence[str]) -> Reply:
    """One button per shipped language, each named in itself."""
    buttons = tuple(
        (Button(language_name(code), callbacks.LANGUAGE.data(code)),) for code in languages
    )
    return Reply(t("Choose your language:"), buttons=buttons, html=False)


def language_set(t: Translator) -> Reply:
    return with_menu(t, t("Language set to English."))


# The latest step of a case, as its resident reads it (keys: `records.RESIDENT_STEPS`).
STEP_LABELS = {
    "submitted": N_("sent"),
    "routed": N_("passed to the district management"),
    "taken_on": N_("taken on by the district management"),
    "referred": N_("a contact was passed on to you"),
    "question": N_("question to you"),
    "message_to_resident": N_("message to you"),
    "message_from_resident": N_("your message"),
    "next_step": N_("next step planned"),
    "department_involved": N_("a department was involved"),
    "handed_over": N_("passed to another district"),
    "merged": N_("merged with another concern"),
    "resolved": N_("resolved"),
    "reopened": N_("reopened"),
    "status": N_("status changed"),
}


def my_cases(
    t: Translator, found: Sequence[CaseProgress], *, reference: ReferenceData, tz: ZoneInfo
) -> Reply:
    """The resident's concerns: topic, status, when sent, the latest step and the next date."""
    if not found:
        return Reply(t("You have not sent any concerns yet. Start with /neu."), html=False)
    lines = [t("Your concerns:")]
    for item in found:
        lines += ["", *_progress_lines(t, item, reference=reference, tz=tz)]
    return Reply("\n".join(lines), html=False)


def _progress_lines(
    t: Translator, item: CaseProgress, *, reference: ReferenceData, tz: ZoneInfo
) -> list[str]:
    case, lang = item.case, t.language
    topic = topic_label_of(t, reference, case.topic)
    status = status_label(t, case.status)
    sent = format_moment(case.created_at, tz, lang=lang)
    head = f"• {isolate(t, case.reference)} – {topic} – {status}"
    lines = [head, "  " + t("Sent: {when}", when=sent)]
    if item.latest is not None and item.latest.kind != "submitted":
        step = t(STEP_LABELS.get(item.latest.kind, "status changed"))
        when = format_moment(item.latest.created_at, tz, lang=lang)
        lines.append("  " + t("Latest step: {step} ({when})", step=step, when=when))
    if case.next_step_due is not None and case.status in OPEN_STATUSES:
        due = format_date(local(case.next_step_due, tz), lang=lang)
        lines.append("  " + t("Next date: {date}", date=due))
    return lines


# The command menu Telegram shows beside the input field, per language.
COMMANDS = (
    ("neu", N_("New concern")),
    ("meine", N_("My concerns")),
    ("sprache", N_("Language")),
    ("hilfe", N_("Help")),
    ("abbrechen", N_("Cancel")),
)


def command_menu(t: Translator) -> list[tuple[str, str]]:
    """(command, description) for Telegram's command menu, in the reader's language."""
    return [(name, t(description)) for name, description in COMMANDS]
