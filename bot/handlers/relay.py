"""Messages between resident and manager through the bot.

A manager answers by replying to any message of a case in their chat, or with
`/antwort <ref> <text>`. A resident answers by replying to the bot's message about their
case, or just writes: the text belongs to the case the management wrote to (within
RESIDENT_REPLY_WINDOW_DAYS, or whose question is open); with several such cases the bot asks
which one, or whether it is a new concern, and keeps the text meanwhile in a persistent
conversation, so a restart loses nothing. The resident's Telegram identity is never passed on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers import answer, fallback
from bot.handlers.common import (
    actor_roles,
    answer_query,
    drop_buttons,
    refuse,
    send,
    send_reply,
    sender_in,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.handlers.outcome import outcome_of
from bot.handlers.triage_common import chat_data_of, groups
from bot.messages import callbacks
from bot.messages import relay as say
from bot.messages.reply import Reply
from bot.services.cases import casework, triage
from bot.services.cases import records as cases
from bot.services.messaging.outcome import Relayed
from bot.storage.db import session_scope
from bot.storage.models import Case, Person

PRIVATE = filters.ChatType.PRIVATE
FREE = PRIVATE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND
CHOOSE = 0
PENDING = "relay_pending"  # in user data: the messages kept while the resident chooses
END = ConversationHandler.END


def _content(update: Update) -> tuple[str | None, str | None]:
    message = update.effective_message
    if message is None:
        return None, None
    photo = message.photo[-1].file_id if message.photo else None
    text = (message.text or message.caption or "").strip() or None
    return text, photo


def _too_long(update: Update, context: BotContext) -> Reply | None:
    text, _ = _content(update)
    limit = context.services.settings.max_text_length
    if text and len(text) > limit:
        return say.too_long(translator(update, context), limit)
    return None


async def on_message(update: Update, context: BotContext) -> int:
    """Relay a free message: a manager's reply on a case, or a resident's answer."""
    refusal = _too_long(update, context)
    if refusal is not None:
        await send_reply(update, refusal)
        return END
    person, roles = await actor_roles(update, context)
    message = update.effective_message
    services = context.services
    t = translator(update, context)
    text, photo = _content(update)
    env, now = services.env, services.clock.now()
    reply: Reply | None = None
    forbidden = False
    choices: list[say.Choice] = []
    relayed: tuple[str, Relayed] | None = None
    async with session_scope(services.session_maker) as session:
        case = None
        if message is not None and message.reply_to_message is not None:
            case = await cases.case_for_message(
                session, chat_id=message.chat_id, message_id=message.reply_to_message.message_id
            )
        if case is not None and case.resident_id != person.id:
            forbidden = not triage.can_work_on(roles, case)
            if not forbidden:
                relayed = (
                    case.reference,
                    await casework.relay_to_resident(
                        session, env, case, text=text, photo=photo, now=now, manager=person
                    ),
                )
        else:
            if case is None:
                case, choices = await _choices(session, context, person)
            if case is not None and case.resident_id == person.id:
                target = await _followed_case(session, case)
                await casework.relay_to_managers(
                    session, env, target, resident=person, text=text, photo=photo, now=now
                )
                reply = say.added(t, target.reference)
    if forbidden:
        await refuse(update, context)
        return END
    if relayed is not None:  # the manager's reply: sent at once, its outcome told truly
        told = await outcome_of(context, t, *relayed)
        await send_reply(update, Reply(told, html=False))
        return END
    if reply is not None:
        request_delivery(context.application)
        await send_reply(update, reply)
        return END
    if choices:
        chat_data_of(context)[PENDING] = [{"text": text, "photo": photo}]
        await send_reply(update, say.which_case(t, choices))
        return CHOOSE
    await fallback.unexpected_message(update, context)
    return END


async def _choices(
    session: AsyncSession, context: BotContext, person: Person
) -> tuple[Case | None, list[say.Choice]]:
    """The one case the text answers, else the cases to ask about: those written to within
    the window, else the resident's open cases (a question rather than a lost message)."""
    services = context.services
    found = await casework.reply_candidates(
        session,
        resident_id=person.id,
        now=services.clock.now(),
        window_days=services.settings.resident_reply_window_days,
    )
    if len(found) == 1:
        return found[0], []
    if not found:
        found = await casework.open_cases_of(session, resident_id=person.id)
    return None, [say.Choice(c.id, c.reference, c.description) for c in found]


async def _followed_case(session: AsyncSession, case: Case) -> Case:
    """A merged case's messages belong to the case it joined."""
    if case.merged_into_id is not None:
        target = await session.get(Case, case.merged_into_id)
        if target is not None:
            return target
    return case


async def on_more(update: Update, context: BotContext) -> int:
    """Another message while the resident chooses: kept with the first, and asked again."""
    refusal = _too_long(update, context)
    if refusal is not None:
        await send_reply(update, refusal)
        return CHOOSE
    text, photo = _content(update)
    pending: list[dict[str, Any]] = list(chat_data_of(context).get(PENDING) or [])
    pending.append({"text": text, "photo": photo})
    chat_data_of(context)[PENDING] = pending
    t = translator(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        person = await sender_in(session, update, context)
        case, choices = await _choices(session, context, person)
        if case is not None:
            choices = [say.Choice(case.id, case.reference, case.description)]
    await send_reply(update, say.which_case(t, choices))
    return CHOOSE


async def on_choice(update: Update, context: BotContext) -> int:
    """The resident chose the case their kept messages answer, or a new concern."""
    case_id, new = groups(context)
    t = translator(update, context)
    pending: list[dict[str, Any]] = list(chat_data_of(context).get(PENDING) or [])
    if new:
        chat_data_of(context).pop(PENDING, None)
        await answer_query(update)
        await drop_buttons(update)
        texts = [str(item["text"]) for item in pending if item.get("text")]
        await send_reply(update, say.new_concern(t, "\n".join(texts) or None))
        return END
    services = context.services
    reference: str | None = None
    async with session_scope(services.session_maker) as session:
        person = await sender_in(session, update, context)
        case = await session.get(Case, int(case_id or 0))
        if case is not None and case.resident_id == person.id and pending:
            target = await _followed_case(session, case)
            await _relay_pending(session, context, target, person, pending)
            reference = target.reference
    if reference is None:
        await answer_query(update, say.not_yours(t))
        return CHOOSE
    chat_data_of(context).pop(PENDING, None)
    await answer_query(update)
    await drop_buttons(update)
    request_delivery(context.application)
    await send_reply(update, say.added(t, reference))
    return END


async def _relay_pending(
    session: AsyncSession,
    context: BotContext,
    case: Case,
    resident: Person,
    pending: list[dict[str, Any]],
) -> None:
    services = context.services
    for item in pending:
        await casework.relay_to_managers(
            session,
            services.env,
            case,
            resident=resident,
            text=item.get("text"),
            photo=item.get("photo"),
            now=services.clock.now(),
        )


async def cancel_choice(update: Update, context: BotContext) -> int:
    """/abbrechen while the bot asks which case: the kept messages are discarded."""
    chat_data_of(context).pop(PENDING, None)
    await send_reply(update, say.discarded(translator(update, context)))
    return END


async def cancel_pending(update: Update, context: BotContext) -> None:
    """/abbrechen outside any conversation: there is nothing to cancel (conversations
    answer /abbrechen themselves)."""
    t = translator(update, context)
    await send(update, t("There is nothing to cancel."))


def build_conversation() -> Dialogue:
    """Free text; a question which case keeps the text (persistent: a restart loses nothing)."""
    return Dialogue(
        entry_points=[MessageHandler(FREE, on_message)],
        states={
            CHOOSE: [
                CallbackQueryHandler(on_choice, pattern=callbacks.RELAY.pattern),
                MessageHandler(FREE, on_more),
            ]
        },
        fallbacks=[CommandHandler(["abbrechen", "cancel"], cancel_choice, filters=PRIVATE)],
        name="relay_choice",
        persistent=True,
    )


def register(app: BotApplication) -> None:
    app.add_handler(answer.build_conversation())  # /antwort; its edit step before free text
    app.add_handler(build_conversation())  # before /abbrechen: it answers its own
    app.add_handler(CommandHandler(["abbrechen", "cancel"], cancel_pending, filters=PRIVATE))
