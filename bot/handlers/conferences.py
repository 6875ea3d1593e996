"""District conferences: /konferenz (a persistent dialogue), /konferenzen, the reps' answers,
'held', and the daily planning reminders. Agenda topics are in `agenda`, projects in
`projects`.

Every command, step and button reads the sender's roles from the database again: callback
data and conversation state are only claims. Typed input lives in conversations of their own,
registered before relay's free-text handler, so it never collides with a triage input.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers import agenda, projects
from bot.handlers.common import acknowledge, actor_roles, answer_query, drop_buttons, refuse
from bot.handlers.planning import (
    END,
    PRIVATE,
    TEXT,
    argument,
    conversation,
    drafts,
    manager,
    matched,
    pick_district,
    render_context,
    show,
    typed,
)
from bot.jobs import write_then_deliver
from bot.keyboards import from_payload
from bot.messages import callbacks
from bot.messages import conferences as say
from bot.messages.reply import Reply
from bot.services.agreements import conferences, planning
from bot.services.agreements import projects as project_rules
from bot.services.agreements.conferences import ConferenceError, NotAllowed
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.storage.db import session_scope

WHEN, CONFIRM, DEPARTMENTS = "cf_when", "cf_confirm", "cf_departments"


async def start_conference(update: Update, context: BotContext) -> str | int:
    """`/konferenz [district]`: ask when the conference takes place."""
    _, roles = await actor_roles(update, context)
    district = await pick_district(update, context, roles, "konferenz")
    if district is None:
        return END
    drafts(context)["conference"] = {"district": district}
    await show(update, context, say.ask_when(render_context(update, context), district))
    return WHEN


async def on_when(update: Update, context: BotContext) -> str | int:
    """Read the moment; ask again until it is in the future and has a time."""
    draft = drafts(context).get("conference")
    if not draft or await manager(update, context, draft["district"]) is None:
        return END
    t = render_context(update, context).t
    services = context.services
    try:
        parsed = parse_german_date(
            typed(update), now=services.clock.now(), tz=services.settings.tz
        )
    except DateParseError as error:
        problem = say.PASSED if error.reason == "past" else say.EXAMPLES_WHEN
        await show(update, context, say.plain(t, problem))
        return WHEN
    if not parsed.has_time:
        await show(update, context, say.plain(t, say.NEED_TIME))
        return WHEN
    drafts(context)["conference"] = {**draft, "starts_at": parsed.value.isoformat()}
    await show(update, context, say.confirm_when(t, parsed.value))
    return CONFIRM


async def on_confirm(update: Update, context: BotContext) -> str | int:
    """Yes: choose the departments (the concept's by default); no: ask for the time again."""
    draft = drafts(context).get("conference")
    await acknowledge(update)
    if not draft or await manager(update, context, draft["district"]) is None:
        return END
    ctx = render_context(update, context)
    if matched(context).group(1) == "no":
        await show(update, context, say.ask_again(ctx.t))
        return WHEN
    selected = conferences.default_departments(context.services.env)
    drafts(context)["conference"] = {**draft, "departments": selected}
    await show(update, context, say.choose_departments(ctx, selected))
    return DEPARTMENTS


async def on_toggle(update: Update, context: BotContext) -> str | int:
    """Add or remove one department."""
    draft = drafts(context).get("conference")
    if not draft:
        await answer_query(update)
        return END
    if await manager(update, context, draft["district"]) is None:
        return END
    ctx = render_context(update, context)
    number = matched(context).group(1)
    if not context.services.reference.has_department(number):
        await answer_query(update, ctx.t(say.STALE))
        return DEPARTMENTS
    selected = list(draft.get("departments", []))
    selected = [n for n in selected if n != number] if number in selected else [*selected, number]
    drafts(context)["conference"] = {**draft, "departments": selected}
    await answer_query(update)
    query = update.callback_query
    if query is not None:
        buttons = Reply("", buttons=say.department_buttons(ctx, selected)).to_payload()
        try:
            await query.edit_message_reply_markup(from_payload(buttons["buttons"]))
        except BadRequest:  # unchanged or too old to edit
            pass
    return DEPARTMENTS


async def on_send(update: Update, context: BotContext) -> str | int:
    """Schedule the conference, invite the reps and show the overview."""
    draft = drafts(context).get("conference")
    ctx = render_context(update, context)
    if not draft or not draft.get("departments"):
        await answer_query(update, ctx.t(say.AT_LEAST_ONE), alert=True)
        return DEPARTMENTS if draft else END
    person = await manager(update, context, draft["district"])
    if person is None:
        return END
    services = context.services
    now, starts_at = services.clock.now(), datetime.fromisoformat(draft["starts_at"])
    await answer_query(update)
    if starts_at <= now:
        await show(update, context, say.plain(ctx.t, say.PASSED_MEANWHILE))
        return WHEN
    drafts(context).pop("conference", None)
    try:
        async with session_scope(services.session_maker) as session:
            scheduled = await conferences.schedule_conference(
                session,
                services.env,
                district=draft["district"],
                departments=draft["departments"],
                starts_at=starts_at,
                created_by=person,
                now=now,
            )
            overview = await conferences.conference_overview(
                session, conference_id=scheduled.conference.id
            )
    except ConferenceError:  # reference data changed under the draft
        await show(update, context, say.plain(ctx.t, say.STALE))
        return END
    await drop_buttons(update)
    request_delivery(context.application)
    await show(update, context, *say.scheduled(ctx, scheduled))
    if overview is not None:
        await show(update, context, say.overview(ctx, overview))
    return END


async def list_conferences(update: Update, context: BotContext) -> None:
    """`/konferenzen [district]`: a district's conferences, or the coordinator's calendar."""
    _, roles = await actor_roles(update, context)
    ctx = render_context(update, context)
    services = context.services
    now = services.clock.now()
    if roles.is_coordinator and not argument(update):
        numbers = [d.number for d in services.reference.districts]
        async with session_scope(services.session_maker) as session:
            rows = await planning.calendar(session, now=now, districts=numbers)
        await show(update, context, say.calendar(ctx, rows))
        return
    district = await pick_district(update, context, roles, "konferenzen")
    if district is None:
        return
    async with session_scope(services.session_maker) as session:
        overviews = await conferences.overviews_of(session, district=district, now=now)
    if not overviews:
        await show(update, context, say.no_conferences(ctx, district))
    for found in overviews:
        buttons = say.conference_buttons(ctx.t, found.conference, now)
        await show(update, context, say.overview(ctx, found, buttons))


async def on_held(update: Update, context: BotContext) -> None:
    """`cf:held:<id>`: the meeting took place."""
    _, roles = await actor_roles(update, context)
    ctx = render_context(update, context)
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            conference = await conferences.mark_held(
                session,
                conference_id=int(matched(context).group(2)),
                roles=roles,
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return
    except ConferenceError:
        await answer_query(update, ctx.t(say.STALE))
        return
    await answer_query(update)
    query = update.callback_query
    if query is not None:
        buttons = say.conference_buttons(ctx.t, conference, services.clock.now())[:1]
        try:
            await query.edit_message_reply_markup(
                from_payload(Reply("", buttons=buttons).to_payload()["buttons"])
            )
        except BadRequest:
            pass
    await show(update, context, say.plain(ctx.t, say.HELD))


async def on_rsvp(update: Update, context: BotContext) -> None:
    """`cf:yes|no:<invite id>`: only the invited rep may answer."""
    person, _ = await actor_roles(update, context)
    ctx = render_context(update, context)
    services = context.services
    accept = matched(context).group(1) == "yes"
    try:
        async with session_scope(services.session_maker) as session:
            conference = await conferences.rsvp(
                session,
                services.env,
                invite_id=int(matched(context).group(2)),
                person=person,
                accept=accept,
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return
    except ConferenceError:
        await answer_query(update, ctx.t(say.STALE))
        return
    await answer_query(update)
    request_delivery(context.application)
    await show(update, context, say.answered(ctx, conference, accept=accept))


async def run_planning_reminders(app: BotApplication) -> int:
    """The six-month conference rule and the fourth-quarter project rule; then deliver."""
    services = app.bot_data.services
    assert services is not None

    async def write(session: AsyncSession, now: datetime) -> int:
        written = await planning.write_six_month_reminders(session, services.env, now=now)
        return written + await project_rules.write_q4_project_reminders(
            session, services.env, now=now
        )

    return await write_then_deliver(app, write)


def register(app: BotApplication) -> None:
    app.add_handler(
        conversation(
            "conference",
            [CommandHandler(["konferenz", "conference"], start_conference, filters=PRIVATE)],
            {
                WHEN: [MessageHandler(TEXT, on_when)],
                CONFIRM: [
                    CallbackQueryHandler(on_confirm, pattern=callbacks.CONFERENCE_CONFIRM.pattern),
                    MessageHandler(TEXT, on_when),
                ],
                DEPARTMENTS: [
                    CallbackQueryHandler(
                        on_send, pattern=callbacks.CONFERENCE_DEPARTMENTS.narrowed(r"send")
                    ),
                    CallbackQueryHandler(
                        on_toggle, pattern=callbacks.CONFERENCE_DEPARTMENTS.narrowed(r"(\d{1,8})")
                    ),
                ],
            },
        )
    )
    # the other dialogues of district planning: their typed steps, too, come before relay's
    agenda.register(app)
    projects.register(app)
    app.add_handler(
        CommandHandler(["konferenzen", "conferences"], list_conferences, filters=PRIVATE)
    )
    app.add_handler(
        CallbackQueryHandler(
            on_rsvp, pattern=callbacks.CONFERENCE.narrowed(r"(yes|no):(\d{1,12})")
        )
    )
    app.add_handler(
        CallbackQueryHandler(on_held, pattern=callbacks.CONFERENCE.narrowed(r"(held):(\d{1,12})"))
    )
