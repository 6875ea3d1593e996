"""Home for staff: wherever the bot shows the main menu, staff get their own keyboard (casework
for managers, deputies and coordinators; agreements for department representatives) instead
of the resident's; the keyboard's own buttons run their commands. Roles are read from the
database each time, like every authorisation."""

from __future__ import annotations

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers import agreements, case_list, reminders, today
from bot.handlers.common import actor_roles, send_reply, translator
from bot.i18n import Translations
from bot.messages import home as say
from bot.messages.menu import menu_labels
from bot.messages.reply import Reply
from bot.services.access.home import Part, parts_of

PRIVATE = filters.ChatType.PRIVATE


async def sender_parts(update: Update, context: BotContext) -> tuple[Part, ...]:
    """The staff parts of the sender's active roles (empty for a resident)."""
    _, roles = await actor_roles(update, context)
    return parts_of(roles)


async def send_home(
    update: Update, context: BotContext, reply: Reply, *, note: bool = False
) -> None:
    """Send a reply that brings back the main menu: for staff with the staff keyboard (and
    with `note` a pointer to /heute and /hilfe), for residents as it is."""
    parts = await sender_parts(update, context)
    if parts:
        reply = say.at_home(translator(update, context), reply, parts, note=note)
    await send_reply(update, reply)


def _button(translations: Translations, label: str) -> filters.BaseFilter:
    return filters.Text(menu_labels(translations, label)) & PRIVATE


def register(app: BotApplication, translations: Translations) -> None:
    """With the resident's menu buttons, so that a staff button is taken before the typed
    steps of later conversations, as the resident's are."""
    app.add_handler(MessageHandler(_button(translations, say.MENU_TODAY), today.today_command))
    app.add_handler(MessageHandler(_button(translations, say.MENU_CASES), case_list.list_cases))
    app.add_handler(
        MessageHandler(_button(translations, say.MENU_REMINDERS), reminders.list_reminders)
    )
    app.add_handler(
        MessageHandler(_button(translations, say.MENU_AGREEMENTS), agreements.list_agreements)
    )
