"""The preparers' side of the council: /sitzung (enter a session), /sitzungen (the list with
the calendar file, the session pack and "move"), an .ics file sent in the chat (import),
/anfragen (the district's inquiries with their buttons), and the typed steps behind the
buttons: assign departments, edit the answer, a follow-up, the answer to an information
request. One persistent dialogue; every step reads the sender's roles again."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers.common import answer_query
from bot.handlers.council_common import (
    actor,
    inquiry_district,
    parse_when_where,
    policy_of,
    refused,
    session_row,
)
from bot.handlers.planning import (
    END,
    PRIVATE,
    TEXT,
    argument,
    conversation,
    drafts,
    matched,
    render_context,
    show,
    typed,
)
from bot.messages import callbacks
from bot.messages import council as say
from bot.messages import council_sessions as say_sessions
from bot.services.agreements.rules import AgreementError, parse_due
from bot.services.council import access, after, inquiries, sessions, statements
from bot.services.council.inquiries import InquiryError
from bot.services.council.sessions import SessionError
from bot.storage.db import session_scope

BRT = callbacks.COUNCIL
WHEN, MOVE, ASSIGN, EDIT, FOLLOW, ANSWER = (
    "brt_when",
    "brt_move",
    "brt_assign",
    "brt_edit",
    "brt_follow",
    "brt_answer",
)
# the button that starts a typed step, who may press it, and the step
STEPS = {
    "as": ("manage", ASSIGN),
    "ed": ("manage", EDIT),
    "fu": ("manage", FOLLOW),
    "ia": ("manage", ANSWER),
}
PROMPTS = {
    ASSIGN: say.ask_departments,
    EDIT: say.ask_edit,
    FOLLOW: say.ask_follow_up,
    ANSWER: say.ask_info_answer,
}


def _district_of_command(update: Update, prepared: list[str]) -> str | None:
    given = argument(update).zfill(2)
    if given in prepared:
        return given
    return prepared[0] if len(prepared) == 1 else None


async def start_session(update: Update, context: BotContext) -> str | int:
    """`/sitzung [district]`: the manager or the council support enters a session."""
    who = await actor(update, context)
    prepared = access.prepared_districts(who.roles)
    t = render_context(update, context).t
    if not prepared:
        await refused(update, context)
        return END
    district = _district_of_command(update, prepared)
    if district is None:
        await show(update, context, say_sessions.which_district(t))
        return END
    drafts(context)["council_session"] = {"district": district}
    await show(update, context, say_sessions.ask_when(t))
    return WHEN


async def on_when(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("council_session")
    if not draft:
        return END
    who = await actor(update, context)
    if not access.may_keep_sessions(who.roles, draft["district"]):
        await refused(update, context)
        return END
    ctx, services = render_context(update, context), context.services
    now = services.clock.now()
    try:
        starts_at, place = parse_when_where(typed(update), now=now, tz=services.settings.tz)
        async with session_scope(services.session_maker) as session:
            row = await sessions.create(
                session,
                district=draft["district"],
                starts_at=starts_at,
                location=place,
                now=now,
                created_by=who.person,
            )
    except SessionError as error:
        await show(update, context, say.error(ctx.t, error.code))
        return WHEN
    drafts(context).pop("council_session", None)
    await show(update, context, say_sessions.saved(ctx, row))
    return END


async def start_move(update: Update, context: BotContext) -> str | int:
    """`brt:mv:<session id>`: ask for the new moment."""
    row = await session_row(context, int(matched(context).group(2)))
    who = await actor(update, context)
    if row is None or not access.may_keep_sessions(who.roles, row.district_number):
        await refused(update, context)
        return END
    await answer_query(update)
    drafts(context)["council_move"] = row.id
    await show(update, context, say_sessions.ask_move(render_context(update, context).t))
    return MOVE


async def on_move(update: Update, context: BotContext) -> str | int:
    session_id = drafts(context).get("council_move")
    row = await session_row(context, int(session_id)) if session_id else None
    who = await actor(update, context)
    if row is None or not access.may_keep_sessions(who.roles, row.district_number):
        return END
    ctx, services = render_context(update, context), context.services
    now = services.clock.now()
    try:
        starts_at, place = parse_when_where(typed(update), now=now, tz=services.settings.tz)
        async with session_scope(services.session_maker) as session:
            current = await session.get(type(row), row.id)
            assert current is not None
            told = await sessions.move(
                session,
                council_session=current,
                starts_at=starts_at,
                location=place,
                now=now,
                tz=services.settings.tz,
                policy=policy_of(context),
                admin_ids=services.settings.admin_telegram_ids,
                moved_by=who.person,
            )
    except SessionError as error:
        await show(update, context, say.error(ctx.t, error.code))
        return MOVE
    drafts(context).pop("council_move", None)
    request_delivery(context.application)
    await show(update, context, say_sessions.moved(ctx, current, told))
    return END


async def start_step(update: Update, context: BotContext) -> str | int:
    """`brt:as|ed|fu|ia:<inquiry id>`: the manager's typed steps on an inquiry."""
    action, inquiry_id = matched(context).group(1), int(matched(context).group(2))
    district = await inquiry_district(context, inquiry_id)
    who = await actor(update, context)
    if district is None or not access.may_manage(who.roles, district):
        await refused(update, context)
        return END
    await answer_query(update)
    step = STEPS[action][1]
    drafts(context)["council_step"] = {"inquiry_id": inquiry_id, "step": step}
    await show(update, context, PROMPTS[step](render_context(update, context).t))
    return step


async def on_step(update: Update, context: BotContext) -> str | int:
    """The typed departments, answer, follow-up or reply."""
    draft = drafts(context).get("council_step")
    if not draft:
        return END
    district = await inquiry_district(context, int(draft["inquiry_id"]))
    who = await actor(update, context)
    if district is None or not access.may_manage(who.roles, district):
        await refused(update, context)
        return END
    ctx, services = render_context(update, context), context.services
    settings, now, text = services.settings, services.clock.now(), typed(update)
    inquiry_id, step = int(draft["inquiry_id"]), str(draft["step"])
    try:
        async with session_scope(services.session_maker) as session:
            inquiry, _ = await inquiries.get(session, inquiry_id)
            if step == ASSIGN:
                numbers = statements.parse_departments(services.reference, text)
                made = await statements.assign(
                    session,
                    inquiry_id=inquiry_id,
                    departments=numbers,
                    now=now,
                    tz=settings.tz,
                    policy=policy_of(context),
                    admin_ids=settings.admin_telegram_ids,
                )
                reply = say.assigned(ctx.t, made)
            elif step == EDIT:
                await statements.edit(session, inquiry=inquiry, text=text, now=now)
                reply = say.edited(ctx.t, inquiry)
            elif step == ANSWER:
                await inquiries.answer_info(session, inquiry=inquiry, answer=text, now=now)
                reply = say.info_answered(ctx.t)
            else:
                department, due, measure = _follow_up(context, text)
                agreement = await after.add_follow_up(
                    session,
                    services.env,
                    inquiry_id=inquiry_id,
                    department=department,
                    measure=measure,
                    due=due,
                    now=now,
                    created_by=who.person,
                )
                reply = say.follow_up_saved(ctx, agreement)
    except InquiryError as error:
        await show(update, context, say.error(ctx.t, error.code))
        return step if error.code in ("text", "department", "followup") else END
    except AgreementError:
        await show(update, context, say.error(ctx.t, "followup"))
        return step
    drafts(context).pop("council_step", None)
    request_delivery(context.application)
    await show(update, context, reply)
    return END


def _follow_up(context: BotContext, text: str) -> tuple[str, datetime, str]:
    parts = [p.strip() for p in text.split(";")]
    if len(parts) != 3 or not all(parts):
        raise InquiryError("followup")
    services = context.services
    [department] = statements.parse_departments(services.reference, parts[0])[:1]
    due = parse_due(parts[1], env=services.env, now=services.clock.now())
    return department, due, parts[2]


def register(app: BotApplication) -> None:
    steps = BRT.narrowed(r"(as|ed|fu|ia):(\d{1,12})")
    app.add_handler(
        conversation(
            "council_staff",
            [
                CommandHandler(["sitzung", "session"], start_session, filters=PRIVATE),
                CallbackQueryHandler(start_move, pattern=BRT.narrowed(r"(mv):(\d{1,12})")),
                CallbackQueryHandler(start_step, pattern=steps),
            ],
            {
                WHEN: [MessageHandler(TEXT, on_when)],
                MOVE: [MessageHandler(TEXT, on_move)],
                **{
                    step: [MessageHandler(TEXT, on_step)]
                    for step in (ASSIGN, EDIT, FOLLOW, ANSWER)
                },
            },
        )
    )
