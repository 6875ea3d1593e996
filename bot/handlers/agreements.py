"""The buttons on agreements (rep and manager), `/vereinbarungen`, and the escalation report.

Callback data (`ag:<action>:<id>`) is only a claim: each press reloads the agreement and the
sender's roles and asks the service's authorisation rules.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotContext
from bot.delivery import request_delivery
from bot.handlers.common import (
    actor_roles,
    answer_query,
    drop_buttons,
    ensure_person,
    refuse,
    send,
    translator,
)
from bot.handlers.triage import date_problem
from bot.services.access.roles import Roles, load_roles
from bot.services.agreements import workflow as agreements
from bot.services.agreements.nudges import rep_buttons, summary
from bot.services.basics.dates import DateParseError, format_date, parse_german_date
from bot.storage.db import session_scope
from bot.storage.models import Agreement, Person

PRIVATE = filters.ChatType.PRIVATE
PENDING = "ag_pending"
REP_ACTIONS = {"done", "donenow", "more", "problem"}
MANAGER_ACTIONS = {"confirm", "reopen", "approve", "reject", "nudge", "redate", "escalate"}
DATE_ACTIONS = {"dateok", "dateno"}
STATUS_LABELS = {
    "open": "open",
    "done_reported": "reported done",
    "extension_requested": "more time requested",
    "problem": "problem reported",
    "done": "done",
    "cancelled": "cancelled",
}


def _allowed(action: str, roles: Roles, agreement: Agreement, pending: dict[str, Any]) -> bool:
    if action in REP_ACTIONS:
        return agreements.rep_may_act(roles, agreement)
    if action in MANAGER_ACTIONS:
        return agreements.manager_may_act(roles, agreement)
    if action in DATE_ACTIONS:  # confirming a date the same person typed for this agreement
        return pending.get("agreement") == agreement.id and (
            agreements.rep_may_act(roles, agreement)
            or agreements.manager_may_act(roles, agreement)
        )
    return False


async def _run(
    update: Update, context: BotContext, agreement_id: int, action: str, work: Any
) -> Any:
    """Load, authorise, act in one transaction; a stale state is answered, not raised."""
    services = context.services
    person = await ensure_person(update, context)
    pending = context.user_data.get(PENDING) or {}
    try:
        async with session_scope(services.session_maker) as session:
            roles = await load_roles(
                session, person=person, admin_ids=services.settings.admin_telegram_ids
            )
            agreement = await session.get(Agreement, agreement_id)
            if agreement is None or not _allowed(action, roles, agreement, pending):
                raise PermissionError
            result = await work(session, person, agreement)
    except PermissionError:
        await refuse(update, context)
        return None
    except agreements.AgreementError as error:
        t = translator(update, context)
        await answer_query(
            update,
            t("This button is no longer valid.")
            if error.reason == "state"
            else t("That did not work: {reason}.", reason=error.reason),
        )
        return None
    request_delivery(context.application)
    return result


async def on_agreement_button(update: Update, context: BotContext) -> None:
    """Dispatch `ag:<action>:<id>`."""
    action, agreement_id = context.match.group(1), int(context.match.group(2))
    t = translator(update, context)
    services = context.services
    env, now = services.env, services.clock.now()

    async def work(session: AsyncSession, person: Person, agreement: Agreement) -> str | None:
        if action == "done":
            agreements._require(agreement, "open", "extension_requested", "problem")
            context.user_data[PENDING] = {"action": "done", "agreement": agreement.id}
            return "prompt_done"
        if action == "donenow":
            context.user_data.pop(PENDING, None)
            await agreements.report_done(session, env, agreement, rep=person, text=None, now=now)
            return t("Reported as done. The district management will confirm it.")
        if action in ("more", "problem", "redate"):
            agreements._require(agreement, *agreements.ACTIVE_STATUSES)
            context.user_data[PENDING] = {"action": action, "agreement": agreement.id}
            return f"prompt_{action}"
        if action == "confirm":
            await agreements.confirm_done(session, env, agreement, manager=person, now=now)
            return t("Confirmed as done.")
        if action == "reopen":
            await agreements.reopen(session, env, agreement, manager=person, now=now)
            return t("Reopened; the department is told.")
        if action in ("approve", "reject"):
            await agreements.decide_extension(
                session, env, agreement, manager=person, approve=action == "approve", now=now
            )
            return (
                t("More time granted.")
                if action == "approve"
                else t("Request rejected; the old date stays.")
            )
        if action == "nudge":
            sent = await agreements.nudge_again(session, env, agreement, manager=person, now=now)
            return (
                t("The representative was nudged.")
                if sent
                else t("No representative is bound to nudge.")
            )
        if action == "escalate":
            done = await agreements.escalate(session, env, agreement, level=2, by=person, now=now)
            return (
                t("Escalated to the coordination unit 18.6.") if done else t("Already escalated.")
            )
        if action in DATE_ACTIONS:
            return await _confirm_date(session, context, person, agreement, action == "dateok")
        return None

    result = await _run(update, context, agreement_id, action, work)
    if result is None:
        return
    await answer_query(update)
    prompts = {
        "prompt_done": (
            t("Optional: one sentence on what was done, or press the button."),
            [[(t("Report done without a comment"), f"ag:donenow:{agreement_id}")]],
        ),
        "prompt_more": (
            t("Until when do you need? Type the new date, e.g. 'bis Ende April'."),
            None,
        ),
        "prompt_problem": (t("Please describe the problem in a few words:"), None),
        "prompt_redate": (t("Type the new due date, e.g. 'in drei Wochen':"), None),
    }
    if result in prompts:
        text, buttons = prompts[result]
        await send(update, text + "\n" + t("(/abbrechen to stop)"), buttons=buttons)
        return
    await drop_buttons(update)
    await send(update, result)


async def _confirm_date(
    session: AsyncSession, context: BotContext, person: Person, agreement: Agreement, ok: bool
) -> str:
    services = context.services
    t = services.translations.get(context.user_data.get("lang"))
    pending = context.user_data.get(PENDING) or {}
    if not ok or "date" not in pending:
        context.user_data[PENDING] = {
            "action": pending.get("action", "redate"),
            "agreement": agreement.id,
        }
        return t("Please type the date again.")
    date = datetime.fromisoformat(pending["date"])
    if pending["action"] == "more":
        context.user_data[PENDING] = {**pending, "action": "more_reason"}
        return t("And the reason, in one sentence?")
    context.user_data.pop(PENDING, None)
    await agreements.change_due(
        session, services.env, agreement, manager=person, due=date, now=services.clock.now()
    )
    return t("Due date changed to {date}.", date=format_date(date, lang=t.language))


async def handle_agreement_pending(update: Update, context: BotContext) -> bool:
    """Typed input a rep or manager was asked for on an agreement; False if none is pending."""
    pending = context.user_data.get(PENDING)
    message = update.effective_message
    if not pending or message is None or not message.text:
        return False
    t = translator(update, context)
    services = context.services
    text, now = message.text.strip(), services.clock.now()
    if len(text) > services.settings.max_text_length:
        await send(
            update,
            t(
                "Please send a text of at most {limit} characters, or /abbrechen.",
                limit=services.settings.max_text_length,
            ),
        )
        return True
    action = pending["action"]
    if action in ("more", "redate"):
        try:
            parsed = parse_german_date(text, now=now, tz=services.settings.tz)
        except DateParseError as error:
            await send(update, date_problem(t, error))
            return True
        context.user_data[PENDING] = {**pending, "date": parsed.value.isoformat()}
        ident = pending["agreement"]
        await send(
            update,
            t(
                "New date: {date} – is that right?",
                date=format_date(parsed.value, lang=t.language),
            ),
            buttons=[[(t("Yes"), f"ag:dateok:{ident}"), (t("No"), f"ag:dateno:{ident}")]],
        )
        return True
    env = services.env

    async def work(session: AsyncSession, person: Person, agreement: Agreement) -> str:
        context.user_data.pop(PENDING, None)
        if action == "done":
            await agreements.report_done(session, env, agreement, rep=person, text=text, now=now)
            return t("Reported as done. The district management will confirm it.")
        if action == "problem":
            await agreements.report_problem(
                session, env, agreement, rep=person, text=text, now=now
            )
            return t("The district management is told about the problem.")
        if action == "more_reason":
            await agreements.request_extension(
                session,
                env,
                agreement,
                rep=person,
                new_due=datetime.fromisoformat(pending["date"]),
                reason=text,
                now=now,
            )
            return t("Your request for more time was sent to the district management.")
        return t("There is nothing to cancel.")

    kind = {"done": "done", "problem": "problem", "more_reason": "more"}.get(action, "none")
    reply = await _run(update, context, int(pending["agreement"]), kind, work)
    if reply:
        await send(update, reply)
    return True


async def list_agreements(update: Update, context: BotContext) -> None:
    """/vereinbarungen: a manager's districts by state, or a rep's own open agreements."""
    person, roles = await actor_roles(update, context)
    t = translator(update, context)
    services = context.services
    env = services.env
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
    if mine:
        for agreement in mine[:10]:
            await send(
                update,
                summary(env, t, agreement),
                html=True,
                buttons=[
                    [(b["text"], b["data"]) for b in row] for row in rep_buttons(t, agreement.id)
                ],
            )
        return
    if not grouped:
        await send(update, t("No open agreements."))
        return
    lines = []
    for status, rows in grouped.items():
        lines.append("<b>" + escape(t(STATUS_LABELS.get(status, status))) + f" ({len(rows)})</b>")
        for agreement in rows[:15]:
            due = format_date(agreement.due_at.astimezone(env.tz), lang=t.language)
            flag = " ⚠️" * agreement.escalation_level
            lines.append(
                escape(
                    f"#{agreement.id} FB {agreement.department_number} – "
                    f"{agreement.measure[:60]} – {due}{flag}"
                )
            )
    await send(update, "\n".join(lines), html=True)


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
    writer.writerow(
        [
            t("Department"),
            t("District"),
            t("Agreement"),
            t("Measure"),
            t("Due"),
            t("Escalation level"),
            t("State"),
        ]
    )
    for a in rows:
        district = services.reference.district(a.district_number).name
        due = a.due_at.astimezone(services.settings.tz).date().isoformat()
        writer.writerow(
            [
                f"FB {a.department_number}",
                district,
                a.id,
                a.measure,
                due,
                a.escalation_level,
                t(STATUS_LABELS.get(a.status, a.status)),
            ]
        )
    await update.effective_chat.send_document(
        document=buffer.getvalue().encode("utf-8-sig"),
        filename="eskalationen.csv",
        caption=t("{count} escalated agreements, per department and district.", count=len(rows)),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_agreement_button, pattern=r"^ag:([a-z]+):(\d{1,12})$"))
    app.add_handler(
        CommandHandler(["vereinbarungen", "agreements"], list_agreements, filters=PRIVATE)
    )
    app.add_handler(
        CommandHandler(["eskalationen", "escalations"], escalation_report, filters=PRIVATE)
    )
