"""Small helpers every handler module shares: language, person, replies."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import newest
from bot.context import BotContext
from bot.i18n import Translator
from bot.keyboards import ButtonRows, rows_markup
from bot.messages.reply import Reply
from bot.sending import edit_text, editable, post, send_payload, send_text
from bot.services.access import people
from bot.services.access.roles import Roles, load_roles
from bot.storage.db import session_scope
from bot.storage.models import Person


def translator(update: Update, context: BotContext) -> Translator:
    """Stored preference first, then Telegram's language_code, then the default."""
    stored = context.user_data.get("lang") if context.user_data is not None else None
    user = update.effective_user
    code = user.language_code if user else None
    return context.services.translations.get(context.services.translations.pick(stored, code))


async def ensure_person(update: Update, context: BotContext) -> Person:
    """The sender as a Person row (created on first contact), in its own short transaction."""
    async with session_scope(context.services.session_maker) as session:
        return await sender_in(session, update, context)


async def sender_in(session: AsyncSession, update: Update, context: BotContext) -> Person:
    """The sender as a Person row (created on first contact), in the caller's transaction."""
    user = update.effective_user
    assert user is not None
    person = await people.get_or_create_person(
        session,
        telegram_id=user.id,
        first_name=user.first_name,
        language=user.language_code,
        now=context.services.clock.now(),
    )
    if person.language and context.user_data is not None:
        context.user_data["lang"] = person.language
    return person


async def send(
    update: Update,
    text: str,
    *,
    buttons: ButtonRows | None = None,
    html: bool = False,
    reply_markup: object | None = None,
) -> None:
    """Answer in the chat the update came from (editing nothing)."""
    chat = update.effective_chat
    if chat is None:
        return
    if reply_markup is None:  # the common case, without telegram objects (bot.sending.post)
        markup = rows_markup(buttons) if buttons else None
        await send_text(chat.get_bot(), chat.id, text, html=html, markup=markup)
        return
    sent = await chat.send_message(
        text,
        reply_markup=reply_markup,  # type: ignore[arg-type]  # any of the four markup kinds
        parse_mode=ParseMode.HTML if html else None,
    )
    newest.note(sent.get_bot(), chat.id, sent.message_id)


async def send_reply(update: Update, reply: Reply, *, reply_markup: object | None = None) -> None:
    """Send a message-layer reply in the chat the update came from (`reply_markup` replaces
    its buttons, for keyboards the message layer cannot describe). Inside
    `acknowledging(..., in_place=True)` the first reply that can be turned into the pressed
    message's text and buttons is edited into it instead."""
    chat = update.effective_chat
    if chat is None:
        return
    if reply_markup is None:  # photos, a document and buttons, as the outbox sends them
        data = reply.to_payload()
        target = _IN_PLACE.get()
        if target is not None and not target.used and editable(data):
            target.used = True
            try:
                await edit_text(chat.get_bot(), chat.id, target.message_id, data)
                return
            except BadRequest:  # gone or too old: its keyboard is removed, a new message sent
                target.used = False
        await send_payload(chat.get_bot(), chat.id, data)
        return
    if isinstance(reply_markup, dict):  # a keyboard in the Bot API's JSON form
        await send_text(chat.get_bot(), chat.id, reply.text, html=reply.html, markup=reply_markup)
        return
    sent = await chat.send_message(
        reply.text,
        reply_markup=reply_markup,  # type: ignore[arg-type]  # object: any markup
        parse_mode=ParseMode.HTML if reply.html else None,
    )
    newest.note(sent.get_bot(), chat.id, sent.message_id)


async def answer_query(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    query = update.callback_query
    if query is not None:
        params: dict[str, object] = {"callback_query_id": query.id}
        if text is not None:
            params["text"] = text
        if alert:
            params["show_alert"] = True
        await post(query.get_bot(), "answerCallbackQuery", params)


async def drop_buttons(update: Update) -> None:
    """Remove the pressed message's keyboard so it cannot be pressed twice."""
    query = update.callback_query
    if query is not None and query.message is not None:
        params = {"chat_id": query.message.chat.id, "message_id": query.message.message_id}
        try:
            await post(query.get_bot(), "editMessageReplyMarkup", params)
        except BadRequest:  # an old message may no longer be editable
            pass


async def actor_roles(update: Update, context: BotContext) -> tuple[Person, Roles]:
    """The sender and their roles, read from the database on every call (never cached):
    authorisation must not trust buttons, callback data or earlier answers."""
    person = await ensure_person(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        roles = await load_roles(
            session, person=person, admin_ids=services.settings.admin_telegram_ids
        )
    return person, roles


async def refuse(update: Update, context: BotContext) -> None:
    """The one answer for anything a user is not entitled to; it reveals nothing."""
    t = translator(update, context)
    text = t("Sorry, you are not allowed to do that.")
    if update.callback_query is not None:
        await answer_query(update, text, alert=True)
    else:
        await send(update, text)


async def acknowledge(update: Update) -> None:
    """Answer the button press and remove its keyboard at once (two calls, one round trip)."""
    await asyncio.gather(answer_query(update), drop_buttons(update))


@dataclass
class _InPlace:
    message_id: int
    used: bool = False


_IN_PLACE: contextvars.ContextVar[_InPlace | None] = contextvars.ContextVar(
    "in_place", default=None
)


@contextlib.asynccontextmanager
async def acknowledging(
    update: Update, *, drop: bool = True, in_place: bool = False
) -> AsyncIterator[None]:
    """Answer the button press (and remove its keyboard unless `drop` is False) while the
    body sends the next question, so that the resident's answer takes one round trip, not
    two. Both are awaited before the body's update counts as done, so the chat's next update
    still waits for them (its order guarantee is unchanged).

    With `in_place`, when the pressed message is the newest of the chat, the body's first
    reply is edited into it (text and buttons at once) instead of removing its keyboard and
    sending a new message: one call fewer, and the question stays where the resident looks.
    """
    query = update.callback_query
    if query is None:  # a typed step: nothing to answer
        yield
        return
    message = query.message
    if not (in_place and drop and message is not None and _newest(update)):
        async with _alongside(acknowledge(update) if drop else answer_query(update)):
            yield
        return
    assert message is not None
    target = _InPlace(message.message_id)
    token = _IN_PLACE.set(target)
    try:
        async with _alongside(answer_query(update)):
            yield
    finally:
        _IN_PLACE.reset(token)
        if not target.used:  # nothing was edited into it: it must not be pressed twice
            await drop_buttons(update)


def _newest(update: Update) -> bool:
    query, chat = update.callback_query, update.effective_chat
    if query is None or query.message is None or chat is None:
        return False
    return newest.is_newest(chat.get_bot(), chat.id, query.message.message_id)


@contextlib.asynccontextmanager
async def _alongside(call: Awaitable[None]) -> AsyncIterator[None]:
    task = asyncio.ensure_future(call)
    try:
        yield
    finally:
        await task
