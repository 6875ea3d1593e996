"""The case card in the chat: built from the database inside the caller's transaction, shown
by editing the pressed message where possible, else sent as a new message (and linked to
the case, so that a reply to it reaches the resident like a reply to the notification)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.i18n import Translator
from bot.keyboards import inline_markup, parse_mode
from bot.messages import case_view
from bot.messages.reply import Reply
from bot.sending import send_payload
from bot.services.basics.env import ServiceEnv
from bot.services.cases import overview
from bot.services.cases import records as cases
from bot.storage.db import session_scope
from bot.storage.models import Case


async def card_of(
    session: AsyncSession, env: ServiceEnv, t: Translator, case: Case, now: datetime
) -> Reply:
    """The case's card as it is now, with the buttons its state allows."""
    view = await overview.load(session, case)
    return case_view.card(t, env.reference, view, tz=env.tz, now=now)


async def send_card(update: Update, context: BotContext, reply: Reply, case_id: int) -> None:
    """Send a card (or a confirmation with the card) as a new message of the case."""
    chat = update.effective_chat
    if chat is None:
        return
    message = await send_payload(chat.get_bot(), chat.id, reply.to_payload())
    async with session_scope(context.services.session_maker) as session:
        await cases.link_message(
            session, case_id=case_id, chat_id=chat.id, message_id=message.message_id
        )


async def edit_or_send(update: Update, context: BotContext, reply: Reply, case_id: int) -> None:
    """Turn the pressed message into `reply`; a typed answer, or a message that cannot be
    edited (too old, no text), gets a new message instead."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(
                reply.text, parse_mode=parse_mode(reply), reply_markup=inline_markup(reply.buttons)
            )
            return
        except BadRequest as error:
            if "not modified" in str(error).lower():  # not translated: Telegram's error text
                return  # pressed twice: the message shows this already
    await send_card(update, context, reply, case_id)


async def replace_buttons(update: Update, reply: Reply) -> None:
    """Give the pressed message the buttons of `reply` (the case's current ones)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=inline_markup(reply.buttons))
    except BadRequest:  # unchanged, or too old to edit
        pass


async def drop_buttons_of(context: BotContext, chat_id: int, message_id: int) -> None:
    """An earlier card of the case loses its buttons: a fresh one is below it now."""
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest:  # already without buttons, deleted, or too old
        pass


async def outdated(
    update: Update, context: BotContext, notice: str, shown: Reply, case_id: int
) -> None:
    """A button (or a typed answer) whose action the case no longer allows: say what the
    state is; the pressed message gets the case's current buttons."""
    query = update.callback_query
    if query is not None:
        await query.answer(notice, show_alert=False)
        await replace_buttons(update, shown)
        return
    await send_card(update, context, case_view.after(notice, shown), case_id)
