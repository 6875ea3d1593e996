"""Messages between resident and manager through the bot.

A manager answers by replying to any message of a case in their chat, or with
`/antwort <ref> <text>`; a resident answers by replying to the bot's message about their
case, or just writes while a question to them is open. The resident's Telegram identity is
never passed on.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers import fallback
from bot.handlers.common import actor_roles, refuse, send, translator
from bot.services.cases import casework, desk, triage
from bot.services.cases import records as cases
from bot.services.cases.records import CaseStatus
from bot.storage.db import session_scope
from bot.storage.models import Case

PRIVATE = filters.ChatType.PRIVATE


def _content(update: Update) -> tuple[str | None, str | None]:
    message = update.effective_message
    if message is None:
        return None, None
    photo = message.photo[-1].file_id if message.photo else None
    text = (message.text or message.caption or "").strip() or None
    return text, photo


async def on_message(update: Update, context: BotContext) -> None:
    """Relay a free message: a reply on a case, or the resident's answer to a waiting case."""
    person, roles = await actor_roles(update, context)
    message = update.effective_message
    services = context.services
    t = translator(update, context)
    text, photo = _content(update)
    if text and len(text) > services.settings.max_text_length:
        await send(
            update,
            t(
                "Your message is too long (at most {limit} characters). Please shorten it.",
                limit=services.settings.max_text_length,
            ),
        )
        return
    env, now = services.env, services.clock.now()
    outcome: tuple[str, str] | None = None
    async with session_scope(services.session_maker) as session:
        case = None
        if message is not None and message.reply_to_message is not None:
            case = await cases.case_for_message(
                session, chat_id=message.chat_id, message_id=message.reply_to_message.message_id
            )
        if case is not None and case.resident_id != person.id:
            if not triage.can_work_on(roles, case):
                outcome = ("forbidden", "")
            else:
                await casework.relay_to_resident(
                    session, env, case, text=text, photo=photo, now=now, manager=person
                )
                outcome = ("to_resident", case.reference)
        else:
            if case is None:
                case = await _waiting_case(session, person.id)
            if case is not None and case.resident_id == person.id:
                target = await _followed_case(session, case)
                await casework.relay_to_managers(
                    session, env, target, resident=person, text=text, photo=photo, now=now
                )
                outcome = ("to_manager", target.reference)
    if outcome is None:
        await fallback.unexpected_message(update, context)
        return
    if outcome[0] == "forbidden":
        await refuse(update, context)
        return
    request_delivery(context.application)
    kind, reference = outcome
    if kind == "to_resident":
        await send(update, t("Sent to the resident of {reference}.", reference=reference))
    else:
        await send(
            update, t("Thank you, your message was added to {reference}.", reference=reference)
        )


async def _waiting_case(session: AsyncSession, person_id: int) -> Case | None:
    """The resident's one case with an open question, if exactly one."""
    rows = list(
        await session.scalars(
            select(Case)
            .where(Case.resident_id == person_id, Case.status == CaseStatus.WAITING)
            .limit(2)
        )
    )
    return rows[0] if len(rows) == 1 else None


async def _followed_case(session: AsyncSession, case: Case) -> Case:
    """A merged case's messages belong to the case it joined."""
    if case.merged_into_id is not None:
        target = await session.get(Case, case.merged_into_id)
        if target is not None:
            return target
    return case


async def answer_command(update: Update, context: BotContext) -> None:
    """`/antwort <ref> <text>`: answer the resident of a case."""
    person, roles = await actor_roles(update, context)
    t = translator(update, context)
    if not roles.is_staff:
        await refuse(update, context)
        return
    message = update.effective_message
    parts = ((message.text if message else None) or "").split(maxsplit=2)
    if len(parts) < 3:
        await send(
            update, t("Usage: /antwort <reference> <text>, e.g. /antwort 10-2026-0042 Thank you!")
        )
        return
    reference, text = parts[1], parts[2].strip()
    services = context.services
    async with session_scope(services.session_maker) as session:
        case = await cases.get_case(session, reference=reference)
        if case is None or not triage.can_work_on(roles, case):
            found = None
        else:
            try:
                text = await desk.expand_reply(
                    session,
                    person=person,
                    text=text,
                    placeholders={
                        "reference": case.reference,
                        "district": services.reference.district(case.district_number).name,
                        "quarter": case.quarter or "",
                        "name": person.first_name or "",
                    },
                )
            except desk.UnknownTemplate:
                found = "template"
            else:
                await casework.relay_to_resident(
                    session,
                    services.env,
                    case,
                    text=text,
                    now=services.clock.now(),
                    manager=person,
                )
                found = case.reference
    if found is None:
        await send(update, t("No case {reference} that you may answer.", reference=reference))
        return
    if found == "template":
        await send(update, t("There is no saved reply with that name. /vorlagen lists yours."))
        return
    request_delivery(context.application)
    await send(update, t("Sent to the resident of {reference}.", reference=found))


async def cancel_pending(update: Update, context: BotContext) -> None:
    """/abbrechen outside any conversation: there is nothing to cancel (conversations
    answer /abbrechen themselves)."""
    t = translator(update, context)
    await send(update, t("There is nothing to cancel."))


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["antwort", "answer"], answer_command, filters=PRIVATE))
    app.add_handler(CommandHandler(["abbrechen", "cancel"], cancel_pending, filters=PRIVATE))
    app.add_handler(
        MessageHandler(PRIVATE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND, on_message)
    )
