"""What happens to everything no other handler took: group chats, unknown commands, old
buttons, unexpected content, and errors."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import BotApplication, BotContext
from bot.handlers.common import answer_query, translator
from bot.handlers.home import send_home
from bot.messages import fallback as messages

log = logging.getLogger(__name__)
GROUPS_ANSWERED = "groups_answered"


async def not_private(update: Update, context: BotContext) -> None:
    """Answer a group or channel once that the bot only works privately; do nothing else."""
    chat = update.effective_chat
    if chat is None or chat.type == "private":
        return
    answered: set[int] = context.bot_data.setdefault(GROUPS_ANSWERED, set())
    if chat.id not in answered and update.effective_message is not None:
        answered.add(chat.id)
        t = translator(update, context)
        await update.effective_message.reply_text(messages.private_only(t).text)
    if update.callback_query is not None:
        await update.callback_query.answer()
    raise ApplicationHandlerStop


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point to /hilfe."""
    await send_home(update, context, messages.unknown_command(translator(update, context)))


async def unexpected_message(update: Update, context: BotContext) -> None:
    """Explain how to send a concern."""
    await send_home(update, context, messages.unexpected_message(translator(update, context)))


async def stale_callback(update: Update, context: BotContext) -> None:
    """Answer a button no handler takes (an old message's, or forged)."""
    t = translator(update, context)
    await answer_query(update, t(messages.STALE_BUTTON), alert=False)


async def on_error(update: object, context: BotContext) -> None:
    """Log the exception with the update id (never message texts) and tell the user."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        t = translator(update, context)
        try:
            await update.effective_chat.send_message(messages.error(t).text)
        except Exception:  # the error may be the network itself
            log.warning("could not tell the user about error in update %s", update_id)


def register_guard(app: BotApplication) -> None:
    """Before everything else: non-private chats stop here."""
    app.add_handler(TypeHandler(Update, not_private), group=-10)


def register(app: BotApplication) -> None:
    """After all feature handlers (same group, registered last)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(filters.COMMAND & private, unknown_command))
    app.add_handler(CallbackQueryHandler(stale_callback))
    app.add_handler(MessageHandler(private & ~filters.COMMAND, unexpected_message))
    app.add_error_handler(on_error)
