"""Recording agreements: after a conference, in a working meeting, or from a Kümmerer case.

Department, measure, due date (German, confirmed with weekday), topic, action plan, review.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotApplication, BotContext
from bot.handlers.common import (
    acknowledge,
    actor_roles,
    answer_query,
    drop_buttons,
    refuse,
    send,
    send_reply,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.jobs import run_sweep
from bot.keyboards import chunk
from bot.messages import agreements as texts
from bot.messages import callbacks
from bot.messages.due_dates import due_question
from bot.messages.reference import department_label, topic_label
from bot.services.access.roles import load_roles
from bot.services.agreements import action_plans, schedule
from bot.services.agreements import workflow as agreements
from bot.services.agreements.rules import day_off
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.storage.db import session_scope
from bot.storage.models import ActionPlan, Case, Conference

DEPARTMENT, MEASURE, DUE, TOPIC, PLAN, PLAN_TITLE, REVIEW = (
    "agf_department",
    "agf_measure",
    "agf_due",
    "agf_topic",
    "agf_plan",
    "agf_plan_title",
    "agf_review",
)
PRIVATE = filters.ChatType.PRIVATE
AGF = callbacks.AGREEMENT_FORM
KEY = "agreement_form"


def _user_data(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None  # private chats with a user
    return context.user_data


def _form(context: BotContext) -> dict[str, Any]:
    form: dict[str, Any] = _user_data(context).setdefault(KEY, {})
    return form


def _group(context: BotContext, number: int) -> str:
    assert context.match is not None  # the callbacks here are registered with patterns
    return context.match.group(number)


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").strip() if message is not None else ""


async def _district_allowed(update: Update, context: BotContext, district: str) -> bool:
    _person, roles = await actor_roles(update, context)
    return roles.can_manage_district(district)


# --- entry ----------------------------------------------------------------------------------
async def start(update: Update, context: BotContext) -> str | int:
    """Begin from a conference (`agf:start:<id>`), a case (`agf:case:<id>`) or /vereinbarung."""
    t = translator(update, context)
    services = context.services
    form: dict[str, Any] = {}
    if update.callback_query is not None:
        kind, ident = _group(context, 1), int(_group(context, 2))
        async with session_scope(services.session_maker) as session:
            row: Conference | Case | None = await session.get(
                Conference if kind == "start" else Case, ident
            )
        if row is None:
            await refuse(update, context)
            return ConversationHandler.END
        form["district"] = row.district_number
        form["conference" if kind == "start" else "case"] = ident
        if isinstance(row, Case):
            form["topic"] = row.topic
    else:
        _person, roles = await actor_roles(update, context)
        args = context.args or []
        districts = sorted(roles.districts())
        district = args[0].zfill(2) if args else (districts[0] if len(districts) == 1 else None)
        if district is None:
            if roles.is_staff:
                await send(
                    update,
                    t("Please name the district: /vereinbarung <number>, e.g. /vereinbarung 10"),
                )
            else:
                await refuse(update, context)
            return ConversationHandler.END
        form["district"] = district
    if not services.reference.has_district(str(form["district"])) or not await _district_allowed(
        update, context, str(form["district"])
    ):
        await refuse(update, context)
        return ConversationHandler.END
    await answer_query(update)  # only now: a refusal above answers the query itself
    _user_data(context)[KEY] = form
    return await ask_department(update, context)


async def ask_department(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    deps = [d for d in context.services.reference.departments if d.invited_to_conferences]
    items = [(department_label(t, d), AGF.data("dep", d.number)) for d in deps]
    await send(
        update, t("Agreement: which department takes on the measure?"), buttons=chunk(items, 2)
    )
    return DEPARTMENT


async def on_department(update: Update, context: BotContext) -> str:
    await answer_query(update)
    number = _group(context, 1)
    if not context.services.reference.has_department(number):
        return await ask_department(update, context)
    await drop_buttons(update)
    _form(context)["department"] = number
    t = translator(update, context)
    await send(
        update,
        t("What exactly will the department do? Describe the measure in one or two sentences."),
    )
    return MEASURE


async def on_measure(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    text = _text(update)
    if not text or len(text) > context.services.settings.max_text_length:
        await send(
            update,
            t(
                "Please describe the measure in words (at most {limit} characters).",
                limit=context.services.settings.max_text_length,
            ),
        )
        return MEASURE
    _form(context)["measure"] = text
    await send(update, t("By when? Type a date, e.g. 'bis Ende März', 'in sechs Wochen', '30.6.'"))
    return DUE


async def on_due(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    services = context.services
    try:
        parsed = parse_german_date(
            _text(update), now=services.clock.now(), tz=services.settings.tz
        )
    except DateParseError as error:
        await send(update, texts.date_problem(t, error.reason))
        return DUE
    _form(context)["due_pending"] = parsed.value.isoformat()
    question = due_question(t, parsed.value, day_off(parsed.value.date()))
    buttons = [[(t("Yes"), AGF.data("due", "yes")), (t("No"), AGF.data("due", "no"))]]
    await send(update, question, buttons=buttons)
    return DUE


async def on_due_confirm(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    t = translator(update, context)
    form = _form(context)
    pending = form.pop("due_pending", None)
    if _group(context, 1) == "no" or not pending:
        await send(update, t("Please type the due date again."))
        return DUE
    form["due"] = pending
    if form.get("topic"):
        return await ask_plan(update, context)
    topics = context.services.reference.topics
    items = [(topic_label(t, topic), AGF.data("topic", topic.code)) for topic in topics]
    await send(
        update,
        t("Which field of action?"),
        buttons=[*chunk(items, 2), [(t("Skip"), AGF.data("topic", "-"))]],
    )
    return TOPIC


async def on_topic(update: Update, context: BotContext) -> str:
    await answer_query(update)
    code = _group(context, 1)
    if code != "-" and not context.services.reference.has_topic(code):
        return TOPIC
    await drop_buttons(update)
    _form(context)["topic"] = None if code == "-" else code
    return await ask_plan(update, context)


async def ask_plan(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    form = _form(context)
    async with session_scope(context.services.session_maker) as session:
        plans = await action_plans.action_plans_of(session, district=str(form["district"]))
    rows = [[(p.title, AGF.data("plan", p.id))] for p in plans]
    rows += [
        [
            (t("➕ New action plan"), AGF.data("plan", "new")),
            (t("No action plan"), AGF.data("plan", "-")),
        ]
    ]
    await send(update, t("Does it belong to an action plan?"), buttons=rows)
    return PLAN


async def on_plan(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    choice = _group(context, 1)
    form = _form(context)
    if choice == "new":
        t = translator(update, context)
        await send(update, t("Title of the new action plan:"))
        return PLAN_TITLE
    form["plan"] = None if choice == "-" else int(choice)
    return await show_review(update, context)


async def on_plan_title(update: Update, context: BotContext) -> str:
    text = _text(update)
    if not text or len(text) > 200:
        t = translator(update, context)
        await send(update, t("Please type a title of at most 200 characters."))
        return PLAN_TITLE
    _form(context)["plan_title"] = text
    return await show_review(update, context)


async def show_review(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    form = _form(context)
    review = texts.form_review(
        t,
        context.services.reference,
        district=str(form["district"]),
        department=str(form["department"]),
        measure=str(form["measure"]),
        due=datetime.fromisoformat(str(form["due"])),
        plan_title=str(form["plan_title"]) if form.get("plan_title") else None,
    )
    await send_reply(update, review)
    return REVIEW


async def on_save(update: Update, context: BotContext) -> str | int:
    """Store the agreement; the rep is told and nudged from now on."""
    await acknowledge(update)
    t = translator(update, context)
    services = context.services
    form = _form(context)
    person, _roles = await actor_roles(update, context)
    now = services.clock.now()
    async with session_scope(services.session_maker) as session:
        roles = await load_roles(
            session, person=person, admin_ids=services.settings.admin_telegram_ids
        )
        if not roles.can_manage_district(str(form["district"])):
            saved = None
        else:
            plan_id = form.get("plan")
            if plan_id is not None:
                # the button's id is a claim: the plan must belong to this district
                plan = await session.get(ActionPlan, int(plan_id))
                if plan is None or plan.district_number != form["district"]:
                    plan_id = None
            if form.get("plan_title"):
                plan = await action_plans.create_action_plan(
                    session,
                    district=str(form["district"]),
                    title=str(form["plan_title"]),
                    topic=form.get("topic"),
                    now=now,
                    conference_id=form.get("conference"),
                )
                plan_id = plan.id
            saved = await agreements.create_agreement(
                session,
                services.env,
                district=str(form["district"]),
                department=str(form["department"]),
                measure=str(form["measure"]),
                due=datetime.fromisoformat(str(form["due"])),
                now=now,
                created_by=person,
                topic=form.get("topic"),
                case_id=form.get("case"),
                action_plan_id=plan_id,
                conference_id=form.get("conference"),
            )
        informed = schedule.informed_at(services.env, now) if saved is not None else None
    if saved is None:
        await refuse(update, context)
        return ConversationHandler.END
    await run_sweep(context.application)  # the "agreement made" nudge is due now: send it
    keep = {k: form[k] for k in ("district", "conference", "case") if form.get(k)}
    _user_data(context)[KEY] = keep
    await send(
        update,
        texts.saved_note(
            t, has_rep=saved.rep_id is not None, informed_at=informed, tz=services.settings.tz
        ),
        buttons=[[(t("➕ Another agreement"), AGF.data("again")), (t("Done"), AGF.data("done"))]],
    )
    return REVIEW


async def on_again(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    return await ask_department(update, context)


async def finish(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    _user_data(context).pop(KEY, None)
    t = translator(update, context)
    await send(update, t("Done."))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    _user_data(context).pop(KEY, None)
    t = translator(update, context)
    await send(update, t("Cancelled. Nothing was saved."))
    return ConversationHandler.END


async def expected_text(update: Update, context: BotContext) -> None:
    t = translator(update, context)
    await send(update, t("Please answer the question above, or /abbrechen."))


def build_conversation() -> Dialogue:
    text = filters.TEXT & ~filters.COMMAND & PRIVATE
    return Dialogue(
        entry_points=[
            CallbackQueryHandler(start, pattern=AGF.narrowed(r"(start|case):(\d{1,12})")),
            CommandHandler(["vereinbarung", "agreement"], start, filters=PRIVATE),
        ],
        states={
            DEPARTMENT: [
                CallbackQueryHandler(on_department, pattern=AGF.narrowed(r"dep:(\d{1,4})"))
            ],
            MEASURE: [MessageHandler(text, on_measure)],
            DUE: [
                MessageHandler(text, on_due),
                CallbackQueryHandler(on_due_confirm, pattern=AGF.narrowed(r"due:(yes|no)")),
            ],
            TOPIC: [
                CallbackQueryHandler(on_topic, pattern=AGF.narrowed(r"topic:([a-z_]{1,32}|-)"))
            ],
            PLAN: [CallbackQueryHandler(on_plan, pattern=AGF.narrowed(r"plan:(\d{1,12}|new|-)"))],
            PLAN_TITLE: [MessageHandler(text, on_plan_title)],
            REVIEW: [
                CallbackQueryHandler(on_save, pattern=AGF.narrowed("save")),
                CallbackQueryHandler(cancel, pattern=AGF.narrowed("cancel")),
                CallbackQueryHandler(on_again, pattern=AGF.narrowed("again")),
                CallbackQueryHandler(finish, pattern=AGF.narrowed("done")),
            ],
        },
        fallbacks=[
            CommandHandler(["abbrechen", "cancel"], cancel),
            MessageHandler(PRIVATE & ~filters.COMMAND, expected_text),
        ],
        name="agreement_form",
        persistent=True,
        allow_reentry=True,
    )


def register(app: BotApplication) -> None:
    app.add_handler(build_conversation())
