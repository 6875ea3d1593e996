"""What the bot says to whatever no feature took: group chats, unknown commands, old
buttons, unexpected content, and errors."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.messages.menu import with_menu
from bot.messages.reply import Reply

STALE_BUTTON = N_("This button is no longer valid.")


def private_only(t: Translator) -> Reply:
    return Reply(t("I only work in a private chat. Please write to me directly."), html=False)


def unknown_command(t: Translator) -> Reply:
    return with_menu(t, t("I do not know that command. /hilfe shows what I can do."))


def unexpected_message(t: Translator) -> Reply:
    return with_menu(
        t, t("To send a concern, press 'New concern' or send /neu. /hilfe explains everything.")
    )


def error(t: Translator) -> Reply:
    return Reply(
        t(
            "Sorry, something went wrong on our side. Please try again in a moment; "
            "what you already sent is kept."
        ),
        html=False,
    )
