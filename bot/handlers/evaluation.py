"""/bericht bewertung [period]: the evaluation report for the coordination — the summary in
the chat, then the PDF or DOCX on a button. Coordinators only, checked against the database
on the command and on every button (callback data can be forged). The heavy parts
(matplotlib, python-docx) are imported when a report is made, never at start."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import BotApplication, BotContext
from bot.evaluation_cli import settings_targets
from bot.handlers.common import actor_roles, answer_query, refuse, send_reply, translator
from bot.messages import callbacks
from bot.services.basics.periods import PeriodError, parse_period
from bot.services.reporting import evaluation
from bot.services.reporting.targets import Targets
from bot.storage.db import session_scope

WORDS = ("bewertung", "evaluation", "auswertung")
DEFAULT_PERIOD = "dieses Jahr"  # not translated: parser input


def targets_of(context: BotContext) -> Targets:
    return settings_targets(context.services.settings)


async def _coordinator(update: Update, context: BotContext) -> bool:
    _, roles = await actor_roles(update, context)
    if not roles.is_coordinator:
        await refuse(update, context)
        return False
    return True


async def _compute(context: BotContext, key: str) -> evaluation.Evaluation | None:
    services = context.services
    now = services.clock.now()
    try:
        period = parse_period(key, now=now, tz=services.settings.tz)
        evaluation.compared(period)
    except (PeriodError, evaluation.EvaluationError):
        return None
    districts = [d.number for d in services.reference.districts]
    async with session_scope(services.session_maker) as session:
        return await evaluation.compute(
            session, districts=districts, period=period, now=now, targets=targets_of(context)
        )


async def evaluation_command(update: Update, context: BotContext, words: list[str]) -> None:
    """`/bericht bewertung [period]`: the summary sentences and the file buttons."""
    if not await _coordinator(update, context):
        return
    from bot.messages.evaluation import chat_summary

    t = translator(update, context)
    ev = await _compute(context, " ".join(words) or DEFAULT_PERIOD)
    if ev is None:
        from bot.messages.reports import unknown_period

        await send_reply(update, unknown_period(t))
        return
    await send_reply(update, chat_summary(t, ev))


async def on_file(update: Update, context: BotContext) -> None:
    """`ev:<pdf|docx>:<period>`: the evaluation report as a document."""
    if not await _coordinator(update, context):
        return
    assert context.match is not None
    fmt, key = context.match.group(1), context.match.group(2)
    ev = await _compute(context, key)
    if ev is None:
        await refuse(update, context)  # only a forged button carries an unknown period
        return
    await answer_query(update)
    from bot.messages.evaluation_labels import evaluation_text
    from bot.services.reporting import evaluation_files

    t = translator(update, context)
    drawn = context.services.translations.get("de") if t.rtl else t  # drawn left to right
    text = evaluation_text(drawn, ev, context.services.reference)
    name, content = await asyncio.to_thread(evaluation_files.render, fmt, ev, text)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(content, filename=name)


def register(app: BotApplication) -> None:
    app.add_handler(CallbackQueryHandler(on_file, pattern=callbacks.EVALUATION.pattern))
