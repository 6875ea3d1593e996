"""The resident's privacy rights in chat: `/meine_daten` (Art. 15) and `/loeschen` (Art. 17),
and the daily retention job.

An active intake catches commands and buttons itself (its fallbacks), so erasure never runs
in the middle of a conversation: the resident finishes or cancels it first. After erasure the
in-memory user data is dropped too, and the next message makes a new, unconsented person.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.common import (
    acknowledge,
    answer_query,
    drop_buttons,
    refuse,
    send_reply,
    translator,
)
from bot.messages import callbacks
from bot.messages import privacy as messages
from bot.services.access import people
from bot.services.privacy import export, requests, retention
from bot.storage.db import session_scope

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
ERASE_REQUESTED = "erase_requested"  # user_data: when /loeschen was sent (ISO)
CONFIRM_WITHIN = timedelta(minutes=15)


async def my_data(update: Update, context: BotContext) -> None:
    """Send everything stored about the sender as a JSON file and a readable summary."""
    t = translator(update, context)
    user = update.effective_user
    if user is None:
        return
    services = context.services
    async with session_scope(services.session_maker) as session:
        person = await people.get_person(session, telegram_id=user.id)
        data = None
        if person is not None:
            data = await export.export_person(
                session,
                person=person,
                tz=services.settings.tz,
                now=services.clock.now(),
                user_data=dict(context.user_data or {}),
            )
    await send_reply(update, messages.export(t, data))
    if data is not None:  # and the same in words
        for reply in messages.export_summary(t, services.reference, data):
            await send_reply(update, reply)


async def erase_command(update: Update, context: BotContext) -> None:
    """Explain what erasure removes and ask for confirmation."""
    t = translator(update, context)
    user = update.effective_user
    if user is None:
        return
    services = context.services
    async with session_scope(services.session_maker) as session:
        preview = await requests.preview_erasure(
            session, telegram_id=user.id, admin_ids=services.settings.admin_telegram_ids
        )
    user_data = context.user_data if context.user_data is not None else {}
    if preview.refusal == requests.Refusal.NO_DATA:
        user_data.clear()
    elif preview.refusal is None:
        user_data[ERASE_REQUESTED] = services.clock.now().isoformat()
    await send_reply(update, messages.erase_question(t, preview))


def _confirmation_is_fresh(context: BotContext, now: datetime) -> bool:
    requested = (context.user_data or {}).get(ERASE_REQUESTED)
    if not isinstance(requested, str):
        return False
    try:
        moment = datetime.fromisoformat(requested)
    except ValueError:
        return False
    return timedelta(0) <= now - moment <= CONFIRM_WITHIN


async def on_erase(update: Update, context: BotContext) -> None:
    """Erase after the confirmation, only for the person who asked in their own chat."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    # Callback data can be forged: the button must be pressed by the chat's own user, who
    # sent /loeschen themselves a short while ago.
    if query.message is None or query.message.chat.id != user.id:
        await refuse(update, context)
        return
    t = translator(update, context)
    services = context.services
    now = services.clock.now()
    if not _confirmation_is_fresh(context, now):
        await answer_query(update, t(messages.STALE))
        await drop_buttons(update)
        return
    if context.user_data is not None:
        context.user_data.pop(ERASE_REQUESTED, None)
    await acknowledge(update)
    assert context.match is not None  # registered with the family's pattern
    if context.match.group(1) == "no":
        await send_reply(update, messages.nothing_erased(t))
        return
    async with session_scope(services.session_maker) as session:
        outcome = await requests.erase_on_request(
            session,
            telegram_id=user.id,
            admin_ids=services.settings.admin_telegram_ids,
            now=now,
        )
    if outcome.refusal == requests.Refusal.STAFF:
        await send_reply(update, messages.refusal(t, outcome.refusal))
        return
    if outcome.report is not None:
        report = outcome.report
        log.info(
            "erased person on request: %s cases, %s events, %s outbox rows",
            report.cases,
            report.events,
            report.outbox,
        )
    await send_reply(update, messages.erased(t))
    # Last, so nothing in this update recreates the entry: the persistence then deletes the
    # stored row on its next run instead of writing it back.
    context.application.drop_user_data(user.id)


async def run_retention(app: Any) -> int:
    """Pseudonymise cases closed longer than the retention period; returns how many."""
    services = app.bot_data.services
    async with session_scope(services.session_maker) as session:
        report = await retention.apply_retention(
            session, now=services.clock.now(), months=services.settings.retention_months
        )
    for telegram_id in report.telegram_ids:
        app.drop_user_data(telegram_id)
    if report.cases or report.persons:
        log.info("retention: %s cases and %s persons pseudonymised", report.cases, report.persons)
    return report.cases


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["meine_daten", "mydata"], my_data, filters=PRIVATE))
    app.add_handler(CommandHandler(["loeschen", "erase"], erase_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_erase, pattern=callbacks.PRIVACY.pattern))
