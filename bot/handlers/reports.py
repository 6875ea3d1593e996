"""/bericht: the figures of a period as a short text, charts and, on request, a file.

A manager (or deputy) sees their own district(s); the coordination sees all districts side
by side and can pick one. Roles are read from the database on every command and button,
because callback data (`rp:...`) can be forged. Also the Monday morning digest job.
"""

from __future__ import annotations

import asyncio
import re
from html import escape

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.common import actor_roles, answer_query, refuse, send, translator
from bot.i18n import N_, Translator
from bot.jobs import write_for_staff_then_deliver
from bot.keyboards import chunk
from bot.services.access.roles import Roles
from bot.services.basics.periods import PeriodError, parse_period
from bot.services.reporting import charts, digest, figures, report_files
from bot.services.reporting.figures import Figures, conference_rule, median, p90, share
from bot.storage.db import session_scope

PRIVATE = filters.ChatType.PRIVATE
PERIOD = r"([0-9A-Za-z-]{4,17})"
SCOPE = r"(\*|\d{2})"  # * = every district the sender may see
FORMAT = r"(pdf|xlsx|csv)"
PERIOD_CHOICES = (
    (N_("This month"), "dieser Monat"), (N_("Last month"), "letzter Monat"),
    (N_("This quarter"), "dieses Quartal"), (N_("Last quarter"), "letztes Quartal"),
    (N_("This half-year"), "dieses Halbjahr"), (N_("Last half-year"), "letztes Halbjahr"),
    (N_("This year"), "dieses Jahr"), (N_("Last year"), "letztes Jahr"),
)  # fmt: skip
EXAMPLES = "2026-H1, 2026-Q1, 2026-03, 2026, letztes Quartal, März 2026, 1.1.2026 - 31.3.2026"


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


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def _num(t: Translator, value: float | None) -> str:
    text = "–" if value is None else f"{value:g}"
    return text if t.language == "en" else text.replace(".", ",")


def summary(t: Translator, context: BotContext, fig: Figures) -> str:
    """The short text answer: the main figures of the period in a few lines."""
    reference, f, tz = context.services.reference, fig.total, fig.period.tz
    if len(fig.districts) == 1:
        scope = t("district {name}", name=charts.district_label(reference, fig.districts[0]))
    else:
        scope = t("{count} districts", count=len(fig.districts))
    a = f.agreement_totals()
    rules = [conference_rule(fig.per_district[d].conferences[y], y, fig.now, tz)
             for d in fig.districts for y in fig.period.years()]  # fmt: skip
    no_project = sum(1 for d in fig.districts for y in fig.period.years()
                     if not fig.per_district[d].projects[y])  # fmt: skip
    lines = [
        "<b>" + escape(t("Report for {scope}, {period}", scope=scope,
                         period=fig.period.label(t.language))) + "</b>",
        t("Concerns received: {n} (residents {r}, actors {a}, district council {c})", n=f.received,
          r=f.by_sender["resident"], a=f.by_sender["actor"], c=f.by_sender["council"]),
        t("Triage: Lotse {lotse} ({lotse_share}), Kümmerer {k} ({k_share}); the contact helped "
          "in {helped} of the Lotse cases", lotse=f.lotse, k=f.kuemmerer,
          lotse_share=_pct(share(f.lotse, f.lotse + f.kuemmerer)),
          k_share=_pct(share(f.kuemmerer, f.lotse + f.kuemmerer)),
          helped=_pct(share(f.helped_yes, f.lotse))),
        t("First response: median {median}, 90 % within {p90} working days",
          median=_num(t, median(f.first_response)), p90=_num(t, p90(f.first_response))),
        t("Resolution: median {median}, 90 % within {p90} working days",
          median=_num(t, median(f.resolution)), p90=_num(t, p90(f.resolution))),
        t("Open now: {open}, median age {age} working days; reopened: {reopened} ({share})",
          open=len(f.backlog_ages), age=_num(t, median(f.backlog_ages)), reopened=f.reopened,
          share=_pct(share(f.reopened, f.received))),
        t("Is it settled? {yes} yes, {no} no, {none} without answer", yes=f.settled_yes,
          no=f.settled_no, none=f.settled_unanswered),
        t("Agreements due: {due}; on time {on_time}, late {late}, open {open} (overdue "
          "{overdue}), escalated {escalated}", **{k: a[k] for k in (
              "due", "on_time", "late", "open", "overdue", "escalated")}),
        t("Conferences held: {held}; twice a year: met {met}, still possible {open}, missed "
          "{missed}", held=sum(f.conferences.values()), met=rules.count("met"),
          open=rules.count("open"), missed=rules.count("missed")),
        t("Projects: {count}; district-years without a project: {missing}",
          count=sum(f.projects.values()), missing=no_project),
    ]  # fmt: skip
    return "\n".join([lines[0], *(escape(line) for line in lines[1:])])


def _buttons(t: Translator, roles: Roles, key: str, scope: str) -> list[list[tuple[str, str]]]:
    rows = [[("PDF", f"rp:f:pdf:{key}:{scope}"), ("Excel (XLSX)", f"rp:f:xlsx:{key}:{scope}"),
             ("CSV", f"rp:f:csv:{key}:{scope}")],
            [(t("Other period"), f"rp:m:{scope}")]]  # fmt: skip
    if roles.is_coordinator:
        rows[1].append((t("Choose district"), f"rp:d:{key}"))
    return rows


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
        await send(update, t("I do not know this period. Examples: {examples}", examples=EXAMPLES))
        return
    reference = context.services.reference
    pictures = await asyncio.to_thread(
        lambda: [(c.title, c.png()) for c in charts.report_charts(fig, reference)]
    )
    await send(update, summary(t, context, fig), html=True)
    chat = update.effective_chat
    assert chat is not None
    for title, png in pictures:
        await chat.send_photo(png, caption=title)
    await send(update, t("Download the report as a file, or choose:"),
               buttons=_buttons(t, roles, fig.period.key, scope))  # fmt: skip


async def report_command(update: Update, context: BotContext) -> None:
    """/bericht [period] [district]: the report, or the choice of a period."""
    roles = await _entitled(update, context)
    if roles is None:
        return
    text = update.effective_message.text if update.effective_message else ""
    words = (text or "").split()[1:]
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
    t = translator(update, context)
    services = context.services
    now, tz = services.clock.now(), services.settings.tz
    options = [(t(label), f"rp:p:{parse_period(phrase, now=now, tz=tz).key}:{scope}")
               for label, phrase in PERIOD_CHOICES]  # fmt: skip
    await send(update, t("Which period? You can also type e.g. /bericht {example}.",
                         example="2026-H1"), buttons=chunk(options, 2))  # fmt: skip


async def on_report(update: Update, context: BotContext) -> None:
    """A period (and district) button: the report."""
    roles = await _entitled(update, context)
    if roles is None:
        return
    key, scope = context.match.group(1), context.match.group(2)
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
    if _districts(context, roles, context.match.group(1)) is None:
        await refuse(update, context)
        return
    await answer_query(update)
    await _period_menu(update, context, context.match.group(1))


async def on_district(update: Update, context: BotContext) -> None:
    """Coordinators only: pick one district (or all) for the same period."""
    roles = await _entitled(update, context)
    if roles is None:
        return
    if not roles.is_coordinator:
        await refuse(update, context)
        return
    await answer_query(update)
    t, key = translator(update, context), context.match.group(1)
    options = [(t("All districts"), f"rp:p:{key}:*")] + [
        (f"{d.number} {d.name}", f"rp:p:{key}:{d.number}")
        for d in context.services.reference.districts]  # fmt: skip
    await send(update, t("Which district?"), buttons=chunk(options, 2))


async def on_file(update: Update, context: BotContext) -> None:
    """A format button: the report as a PDF, XLSX or CSV document."""
    roles = await _entitled(update, context)
    if roles is None:
        return
    fmt, key, scope = context.match.group(1), context.match.group(2), context.match.group(3)
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
    name, content = await asyncio.to_thread(report_files.render, fmt, fig, reference)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(content, filename=name)


async def run_weekly_digest(app: BotApplication) -> int:
    """Write this Monday's digests (once per chat and week) and deliver them."""
    return await write_for_staff_then_deliver(app, digest.write_weekly_digests)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler(["bericht", "report"], report_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_report, pattern=rf"^rp:p:{PERIOD}:{SCOPE}$"))
    app.add_handler(CallbackQueryHandler(on_menu, pattern=rf"^rp:m:{SCOPE}$"))
    app.add_handler(CallbackQueryHandler(on_district, pattern=rf"^rp:d:{PERIOD}$"))
    app.add_handler(CallbackQueryHandler(on_file, pattern=rf"^rp:f:{FORMAT}:{PERIOD}:{SCOPE}$"))
