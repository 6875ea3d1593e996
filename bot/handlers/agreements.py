"""The buttons on agreements (rep and manager), `/vereinbarungen`, and the escalation report.

Callback data (`ag:<action>:<id>`) is only a claim: each press reloads the agreement and the
sender's roles and asks the service's authorisation rules. The buttons that ask for typed
input (done, more time, problem, new date) start the conversation of `agreement_input`.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers import agreement_input
from bot.handlers.agreement_input import matched, run
from bot.handlers.common import (
    actor_roles,
    answer_query,
    drop_buttons,
    refuse,
    send,
    send_reply,
    translator,
)
from bot.handlers.outcome import rep_outcome
from bot.messages import agreements as texts
from bot.messages import callbacks
from bot.messages.render import RenderContext
from bot.services.agreements import workflow as agreements
from bot.services.messaging.outcome import NO_REP, Relayed
from bot.storage.db import session_scope
from bot.storage.models import Agreement, Person

PRIVATE = filters.ChatType.PRIVATE
ONE_PRESS = r"(donenow|confirm|reopen|approve|reject|nudge|escalate):(\d{1,12})"


async def on_agreement_button(update: Update, context: BotContext) -> None:
    """`ag:<action>:<id>` for the actions that need no typed input."""
    action, agreement_id = matched(context)
    t = translator(update, context)
    env, now = context.services.env, context.services.clock.now()

    told: list[Relayed] = []  # a decision's message to the rep, sent after the commit

    async def work(session: AsyncSession, person: Person, agreement: Agreement) -> str:
        if action == "donenow":
            await agreements.report_done(session, env, agreement, rep=person, text=None, now=now)
            return "done"
        if action == "confirm":
            told.append(
                await agreements.confirm_done(session, env, agreement, manager=person, now=now)
            )
        elif action == "reopen":
            told.append(await agreements.reopen(session, env, agreement, manager=person, now=now))
        elif action in ("approve", "reject"):
            approve = action == "approve"
            told.append(
                await agreements.decide_extension(
                    session, env, agreement, manager=person, approve=approve, now=now
                )
            )
        elif action == "nudge":
            told.append(
                await agreements.nudge_again(session, env, agreement, manager=person, now=now)
            )
            return "nudge_none" if told[0].unreachable == NO_REP else "nudge"
        elif action == "escalate":
            done = await agreements.escalate(session, env, agreement, level=2, by=person, now=now)
            return "escalate" if done else "escalate_none"
        return action

    outcome = await run(update, context, agreement_id, action, work)
    if outcome is None:
        return
    await answer_query(update)
    await drop_buttons(update)
    answer = texts.answer(t, outcome)
    if told and outcome == "nudge":  # nudged only if it reached the rep
        answer = await rep_outcome(context, t, told[0], sent=answer)
    elif told and outcome != "nudge_none":
        answer += "\n" + await rep_outcome(context, t, told[0])
    await send(update, answer)


def _render_context(update: Update, context: BotContext) -> RenderContext:
    services = context.services
    return RenderContext(
        t=translator(update, context), reference=services.reference, tz=services.settings.tz
    )


async def list_agreements(update: Update, context: BotContext) -> None:
    """/vereinbarungen: a manager's districts by state, or a rep's own open agreements."""
    person, roles = await actor_roles(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        if roles.is_staff:
            districts = roles.districts() or (
                {d.number for d in services.reference.districts} if roles.is_coordinator else set()
            )
            grouped = await agreements.agreements_for_manager(session, districts)
            mine: list[Agreement] = []
        else:
            grouped, mine = {}, await agreements.open_agreements_for_rep(session, person)
    if not roles.is_staff and not roles.departments():
        await refuse(update, context)
        return
    ctx = _render_context(update, context)
    if mine:
        for reply in texts.rep_cards(mine[:10], ctx):
            await send_reply(update, reply)
        return
    if not grouped:
        await send(update, ctx.t("No open agreements."))
        return
    await send_reply(update, texts.status_overview(grouped, ctx))


async def escalation_report(update: Update, context: BotContext) -> None:
    """/eskalationen: escalated agreements per department and district, as a CSV document."""
    _person, roles = await actor_roles(update, context)
    if not roles.is_staff:
        await refuse(update, context)
        return
    t = translator(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        rows = [
            a
            for a in await agreements.escalated(session)
            if roles.is_coordinator or a.district_number in roles.districts()
        ]
    if not rows:
        await send(update, t("No escalated agreements."))
        return
    rows.sort(key=lambda a: (a.department_number.zfill(4), a.district_number, a.due_at))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(texts.escalation_csv_header(t))
    for a in rows:
        writer.writerow(
            [
                f"FB {a.department_number}",
                services.reference.district(a.district_number).name,
                a.id,
                a.measure,
                a.due_at.astimezone(services.settings.tz).date().isoformat(),
                a.escalation_level,
                texts.status_label(t, a.status),
            ]
        )
    chat = update.effective_chat
    if chat is None:
        return
    await chat.send_document(
        document=buffer.getvalue().encode("utf-8-sig"),
        filename="eskalationen.csv",
        caption=t.plural(
            "{count} escalated agreement, per department and district.",
            "{count} escalated agreements, per department and district.",
            len(rows),
        ),
    )


def register(app: BotApplication) -> None:  # PTB's Application is generic
    app.add_handler(agreement_input.build_conversation())
    app.add_handler(
        CallbackQueryHandler(on_agreement_button, pattern=callbacks.AGREEMENT.narrowed(ONE_PRESS))
    )
    app.add_handler(
        CommandHandler(["vereinbarungen", "agreements"], list_agreements, filters=PRIVATE)
    )
    app.add_handler(
        CommandHandler(["eskalationen", "escalations"], escalation_report, filters=PRIVATE)
    )
