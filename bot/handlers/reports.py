"""/bericht: the figures of a period as a short text, charts and, on request, a file.

A manager (or deputy) sees their own district(s); the coordination sees all districts side
by side and can pick one. Roles are read from the database on every command and button,
because callback data (`rp:...`) can be forged. Also the Monday morning digest job.
"""

from __future__ import annotations

import asyncio
import re

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers import evaluation
from bot.handlers.common import actor_roles, answer_query, refuse, send_reply, translator
from bot.i18n import Translator
from bot.jobs import write_for_staff_then_deliver
from bot.messages import callbacks
from bot.messages import reports as texts
from bot.messages.report_labels import report_labels
from bot.services.access.roles import Roles
from bot.services.basics.periods import PeriodError, parse_period
from bot.services.needs import focus
from bot.services.reporting import charts, digest, figures, report_files
from bot.services.reporting.figures import Figures
from bot.storage.db import session_scope

PRIVATE = filters.ChatType.PRIVATE
REPORT = callbacks.REPORT


def _match(context: BotContext) -> re.Match[str]:
    assert context.match is not None  # callback handlers are registered with a pattern
    return context.match


def _districts(context: BotContext, roles: Roles, scope: str) -> list[str] | None:
    """The districts the sender may see for ``scope``; None when not entitled."""
    everything = [d.number for d in context.services.reference.districts]
    if scope == "*":
        return everything if roles.is_coordinator else sorted(roles.districts()) or None
    if not context.services.reference.has_district(scope):
        return None
    return [scope] if roles.can_manage_district(scope) else None


async def _entitled(update: Update, context: BotContext) -> Roles | None:
    _, roles = await actor_roles(update, context)
    if not (roles.is_coordinator or roles.districts()):
        await refuse(update, context)
        return None
    return roles


async def _figures(context: BotContext, districts: list[str], key: str) -> Figures | None:
    services = context.services
    now = services.clock.now()
    try:
        period = parse_period(key, now=now, tz=services.settings.tz)
    except PeriodError:
        return None
    async with session_scope(services.session_maker) as session:
        return await figures.compute(session, districts=districts, period=period, now=now)


async def _report(
    update: Update,
    context: BotContext,
    roles: Roles,
    key: str,
    scope: str,
    districts: list[str],
) -> None:
    t = translator(update, context)
    fig = await _figures(context, districts, key)
    if fig is None:
        await send_reply(update, texts.unknown_period(t))
        return
    reference = context.services.reference
    labels = report_labels(_drawn_in(context, t), fig, reference)
    if t.rtl:
        await send_reply(update, texts.in_german(t))
    pictures = await asyncio.to_thread(
        lambda: [(c.title, None if c.empty else c.png())
                 for c in charts.report_charts(fig, reference, labels)]
    )  # fmt: skip
    await send_reply(update, texts.summary(t, reference, fig))
    async with session_scope(context.services.session_maker) as session:
        areas = await focus.progress_totals(
            session, districts=districts, now=context.services.clock.now()
        )
    if areas[0]:
        await send_reply(update, texts.focus_areas(t, *areas))
    chat = update.effective_chat
    assert chat is not None
    for title, png in pictures:
        if png is not None:
            await chat.send_photo(png, caption=title)
    if empty := [title for title, png in pictures if png is None]:  # no empty axes: say so
        await send_reply(update, texts.without_data(t, empty))
    await send_reply(update, texts.file_choice(t, coordinator=roles.is_coordinator,
                                         key=fig.period.key, scope=scope))  # fmt: skip


def _drawn_in(context: BotContext, t: Translator) -> Translator:
    """The language of charts and files: the reader's, German for a right-to-left one
    (matplotlib and the PDF lay text out left to right)."""
    return context.services.translations.get("de") if t.rtl else t


async def report_command(update: Update, context: BotContext) -> None:
    """/bericht [period] [district]: the report, or the choice of a period."""
    roles = await _entitled(update, context)
    if roles is None:
        return
    text = update.effective_message.text if update.effective_message else ""
    words = (text or "").split()[1:]
    if words and words[0].casefold() in evaluation.WORDS:  # /bericht bewertung [period]
        await evaluation.evaluation_command(update, context, words[1:])
        return
    scope = "*"
    if words and re.fullmatch(r"\d{1,2}", words[-1]):
        scope = words.pop().zfill(2)
    districts = _districts(context, roles, scope)
    if districts is None:
        await refuse(update, context)
        return
    if not words:
        await _period_menu(update, context, scope)
        return
    await _report(update, context, roles, " ".join(words), scope, districts)


async def _period_menu(update: Update, context: BotContext, scope: str) -> None:
    services = context.services
    now, tz = services.clock.now(), services.settings.tz
    await send_reply(
        update, texts.period_menu(translator(update, context), now=now, tz=tz, scope=scope)
    )


async def on_report(update: Update, context: BotContext) -> None:
    """A period (and district) button: the report."""
    roles = await _entitled(update, context)
    if roles is None:
        return
    key, scope = _match(context).group(1), _match(context).group(2)
    districts = _districts(context, roles, scope)
    if districts is None:
        await refuse(update, context)
        return
    await answer_query(update)
    await _report(update, context, roles, key, scope, districts)


async def on_menu(update: Update, context: BotContext) -> None:
    """'Other period': the period buttons again."""
    roles = await _entitled(update, context)
    if roles is None:
        return
    if _districts(context, roles, _match(context).group(1)) is None:
        await refuse(update, context)
        return
    await answer_query(update)
    await _period_menu(update, context, _match(context).group(1))


async def on_district(update: Update, context: BotContext) -> None:
    """Coordinators only: pick one district (or all) for the same period."""
    roles = await _entitled(update, context)
    if roles is None:
        return
    if not roles.is_coordinator:
        await refuse(update, context)
        return
    await answer_query(update)
    t, key = translator(update, context), _match(context).group(1)
    await send_reply(update, texts.district_menu(t, context.services.reference, key))


async def on_file(update: Update, context: BotContext) -> None:
    """A format button: the report as a PDF, XLSX or CSV document."""
    roles = await _entitled(update, context)
    if roles is None:
        return
    fmt, key, scope = _match(context).group(1), _match(context).group(2), _match(context).group(3)
    districts = _districts(context, roles, scope)
    if districts is None:
        await refuse(update, context)
        return
    fig = await _figures(context, districts, key)
    if fig is None:
        await refuse(update, context)  # only a forged button carries an unknown period
        return
    await answer_query(update)
    reference = context.services.reference
    labels = report_labels(_drawn_in(context, translator(update, context)), fig, reference)
    name, content = await asyncio.to_thread(report_files.render, fmt, fig, reference, labels)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(content, filename=name)


async def run_weekly_digest(app: BotApplication) -> int:
    """Write this Monday's digests (once per chat and week) and deliver them."""
    return await write_for_staff_then_deliver(app, digest.write_weekly_digests)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["bericht", "report"], report_command, filters=PRIVATE))
    evaluation.register(app)  # /bericht bewertung's file buttons
    period, scope = callbacks.PERIOD, callbacks.SCOPE
    app.add_handler(
        CallbackQueryHandler(on_report, pattern=REPORT.narrowed(f"p:{period}:{scope}"))
    )
    app.add_handler(CallbackQueryHandler(on_menu, pattern=REPORT.narrowed(f"m:{scope}")))
    app.add_handler(CallbackQueryHandler(on_district, pattern=REPORT.narrowed(f"d:{period}")))
    app.add_handler(
        CallbackQueryHandler(
            on_file, pattern=REPORT.narrowed(f"f:(pdf|xlsx|csv):{period}:{scope}")
        )
    )
