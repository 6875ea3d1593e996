"""The resident's privacy rights in chat: `/meine_daten` (Art. 15) and `/loeschen` (Art. 17),
and the daily retention job.

An active intake catches commands and buttons itself (its fallbacks), so erasure never runs
in the middle of a conversation: the resident finishes or cancels it first. After erasure the
in-memory user data is dropped too, and the next message makes a new, unconsented person.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotContext
from bot.handlers.common import acknowledge, answer_query, drop_buttons, refuse, send, translator
from bot.i18n import Translator
from bot.services.access import people
from bot.services.access.roles import load_roles
from bot.services.privacy import data as privacy
from bot.storage.db import session_scope

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
EXPORT_FILENAME = "meine-daten.json"
ERASE_REQUESTED = "erase_requested"  # user_data: when /loeschen was sent (ISO)
CONFIRM_WITHIN = timedelta(minutes=15)


async def my_data(update: Update, context: BotContext) -> None:
    """Send everything stored about the sender as a JSON file."""
    t = translator(update, context)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    services = context.services
    async with session_scope(services.session_maker) as session:
        person = await people.get_person(session, telegram_id=user.id)
        data = None
        if person is not None:
            data = await privacy.export_person(
                session,
                person=person,
                tz=services.settings.tz,
                now=services.clock.now(),
                user_data=dict(context.user_data or {}),
            )
    if data is None:
        await send(update, t("I have no data stored about you."))
        return
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    await chat.send_document(
        document=content,
        filename=EXPORT_FILENAME,
        caption=t("Everything the bot stores about you. Erase it with /loeschen."),
    )


async def erase_command(update: Update, context: BotContext) -> None:
    """Explain what erasure removes and ask for confirmation."""
    t = translator(update, context)
    user = update.effective_user
    if user is None:
        return
    services = context.services
    async with session_scope(services.session_maker) as session:
        person = await people.get_person(session, telegram_id=user.id)
        roles = await load_roles(
            session, person=person, admin_ids=services.settings.admin_telegram_ids
        )
        open_cases = await privacy.open_case_count(session, person=person) if person else 0
    if person is None:
        context.user_data.clear()
        await send(update, t("I have no data stored about you."))
        return
    if roles.is_admin or roles.assignments:
        await send(update, _staff_refusal(t))
        return
    text = t(
        "Do you want me to erase your data? Your name, Telegram account, contact details, "
        "descriptions, photos and messages will be removed. Anonymous facts (district, topic, "
        "dates, outcome) remain for the city's statistics. This cannot be undone."
    )
    if open_cases:
        text += "\n\n" + t(
            "You have {count} open concern(s); the district management can then no longer "
            "answer you about them.",
            count=open_cases,
        )
    context.user_data[ERASE_REQUESTED] = services.clock.now().isoformat()
    await send(
        update,
        text,
        buttons=[[(t("🗑 Yes, erase"), "priv:erase:yes"), (t("No, keep"), "priv:erase:no")]],
    )


def _staff_refusal(t: Translator) -> str:
    return t(
        "Your account holds a role in the district management, so it cannot be erased here. "
        "Please ask the coordination office."
    )


def _confirmation_is_fresh(context: BotContext, now: datetime) -> bool:
    requested = context.user_data.get(ERASE_REQUESTED)
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
        await answer_query(update, t("This button is no longer valid."))
        await drop_buttons(update)
        return
    context.user_data.pop(ERASE_REQUESTED, None)
    await acknowledge(update)
    if context.match.group(1) == "no":
        await send(update, t("Nothing was erased."))
        return
    report = None
    async with session_scope(services.session_maker) as session:
        person = await people.get_person(session, telegram_id=user.id)
        roles = await load_roles(
            session, person=person, admin_ids=services.settings.admin_telegram_ids
        )
        if person is not None and not (roles.is_admin or roles.assignments):
            report = await privacy.erase_person(session, person=person, now=now)
    if person is not None and report is None:
        await send(update, _staff_refusal(t))
        return
    if report is not None:
        log.info(
            "erased person on request: %s cases, %s events, %s outbox rows",
            report.cases,
            report.events,
            report.outbox,
        )
    await send(
        update,
        t(
            "Your data has been erased. If you write to me again, I will treat you as a new "
            "user; send /start to begin."
        ),
    )
    # Last, so nothing in this update recreates the entry: the persistence then deletes the
    # stored row on its next run instead of writing it back.
    context.application.drop_user_data(user.id)


async def run_retention(app: Any) -> int:
    """Pseudonymise cases closed longer than the retention period; returns how many."""
    services = app.bot_data.services
    async with session_scope(services.session_maker) as session:
        report = await privacy.apply_retention(
            session, now=services.clock.now(), months=services.settings.retention_months
        )
    for telegram_id in report.telegram_ids:
        app.drop_user_data(telegram_id)
    if report.cases or report.persons:
        log.info("retention: %s cases and %s persons pseudonymised", report.cases, report.persons)
    return report.cases


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler(["meine_daten", "mydata"], my_data, filters=PRIVATE))
    app.add_handler(CommandHandler(["loeschen", "erase"], erase_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_erase, pattern=r"^priv:erase:(yes|no)$"))
