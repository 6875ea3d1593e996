"""What the bot says around messages between resident and manager: where a resident's
message went, and the question which case it answers when several could be meant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import Translator
from bot.messages import callbacks
from bot.messages.formatting import language_name
from bot.messages.menu import with_menu
from bot.messages.reply import Button, Reply, rows

SHORT = 32  # characters of a case's description on its button


@dataclass(frozen=True)
class Choice:
    """A case the resident's message may answer."""

    case_id: int
    reference: str
    description: str | None


def _short(text: str | None) -> str:
    words = " ".join((text or "").split())
    return words if len(words) <= SHORT else words[: SHORT - 1].rstrip() + "…"


def which_case(t: Translator, choices: Sequence[Choice]) -> Reply:
    """Several cases could be meant: one button per case, and one for a new concern."""
    buttons = [
        [
            Button(
                " – ".join(part for part in (c.reference, _short(c.description)) if part),
                callbacks.RELAY.data("case", c.case_id),
            )
        ]
        for c in choices
    ]
    buttons.append([Button(t("📝 It is a new concern"), callbacks.RELAY.data("new"))])
    body = t(
        "Which of your concerns does your message answer? I keep it until you choose "
        "(/abbrechen discards it)."
    )
    return Reply(body, buttons=rows(*buttons), html=False)


def added(t: Translator, reference: str) -> Reply:
    return Reply(
        t("Thank you, your message was added to {reference}.", reference=reference), html=False
    )


def too_long(t: Translator, limit: int) -> Reply:
    return Reply(
        t(
            "Your message is too long (at most {limit} characters). Please shorten it.",
            limit=limit,
        ),
        html=False,
    )


def new_concern(t: Translator, text: str | None) -> Reply:
    """The message starts a new concern: the intake is started with /neu; the text is shown
    again so that it can be copied into the description."""
    body = t("To send this as a new concern, press 'New concern' or send /neu.")
    if text:
        body += "\n\n" + t("Your message: {text}", text=text)
    return with_menu(t, body)


def discarded(t: Translator) -> Reply:
    return Reply(t("Your message was discarded; nothing was sent."), html=False)


def not_yours(t: Translator) -> str:
    return t("This button is no longer valid.")


def preview(t: Translator, reference: str, text: str, language: str) -> Reply:
    """An answer made from a template, before it goes out, and the language it is in."""
    head = t("Preview of your answer to the resident of {reference}:", reference=reference)
    head += "\n" + t("Language of the answer: {language}", language=language_name(language))
    buttons = rows(
        [
            Button(t("✅ Send"), callbacks.ANSWER.data("send")),
            Button(t("✏️ Edit"), callbacks.ANSWER.data("edit")),
            Button(t("✖️ Cancel"), callbacks.ANSWER.data("cancel")),
        ]
    )
    return Reply(head + "\n\n" + text, buttons=buttons, html=False)


def edit_prompt(t: Translator, text: str) -> Reply:
    body = t("Send the new text of the answer (/abbrechen to stop). The current text:")
    return Reply(body + "\n\n" + text, html=False)
