"""/heute (/today): what needs a manager, deputy or coordinator today, or a department
representative's due agreements and conferences; and the buttons that open an agreement or a
conference from it (cases open with the desk's own button). Roles are read from the database
on every command and every button, because callback data can be forged."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers import network
from bot.handlers.common import actor_roles, answer_query, refuse, send_reply
from bot.handlers.planning import matched, render_context
from bot.messages import callbacks, opened
from bot.messages import today as say
from bot.messages.reply import Reply
from bot.services.access.home import Part, is_district_staff, parts_of
from bot.services.agreements import today as planning
from bot.services.agreements.conferences import conference_overview
from bot.services.agreements.rules import manager_may_act, rep_may_act
from bot.services.basics.day import Day
from bot.services.cases.today import cases_today
from bot.services.network import entries
from bot.storage.db import session_scope
from bot.storage.models import Agreement

PRIVATE = filters.ChatType.PRIVATE


async def today_command(update: Update, context: BotContext) -> None:
    """Show the sender's day: cases, agreements and conferences of their districts (all for
    coordination); a representative's department's agreements and conferences."""
    person, roles = await actor_roles(update, context)
    parts = parts_of(roles)
    if not (is_district_staff(parts) or Part.DEPARTMENT in parts):  # council: /anfragen
        await refuse(update, context)
        return
    services = context.services
    day = Day.of(services.clock.now(), services.settings.tz)
    ctx = render_context(update, context)
    replies: list[Reply] = []
    async with session_scope(services.session_maker) as session:
        if is_district_staff(parts):
            districts = None if roles.is_coordinator else roles.districts()
            cases = await cases_today(session, districts=districts, day=day)
            due = await planning.planning_today(session, districts=districts, day=day)
            replies.append(say.staff_day(ctx, day, cases, due))
        if Part.DEPARTMENT in parts:
            found = await planning.department_today(session, person=person, day=day)
            if not (replies and found.empty):  # a manager who is also a rep: only if any
                replies.append(say.department_day(ctx, day, found))
    for reply in replies:
        await send_reply(update, reply)
    if Part.DISTRICT in parts and entries.may_use(roles):  # a district's own manager
        await network.offer_review(update, context, roles)


async def on_open_agreement(update: Update, context: BotContext) -> None:
    """`ag:open:<id>`: the agreement's card with the buttons of the district's management
    or of the department's representative."""
    _, roles = await actor_roles(update, context)
    async with session_scope(context.services.session_maker) as session:
        agreement = await session.get(Agreement, int(matched(context).group(2)))
    as_manager = agreement is not None and manager_may_act(roles, agreement)
    if agreement is None or not (as_manager or rep_may_act(roles, agreement)):
        await refuse(update, context)
        return
    await answer_query(update)
    ctx = render_context(update, context)
    await send_reply(update, opened.agreement_card(ctx, agreement, as_manager=as_manager))


async def on_open_conference(update: Update, context: BotContext) -> None:
    """`cf:open:<id>`: the conference's overview, for its district's management or an
    invited representative."""
    person, roles = await actor_roles(update, context)
    conference_id = int(matched(context).group(2))
    async with session_scope(context.services.session_maker) as session:
        found = await conference_overview(session, conference_id=conference_id)
        invite = await planning.invite_of(
            session, conference_id=conference_id, person_id=person.id
        )
    as_manager = found is not None and roles.can_manage_district(found.conference.district_number)
    if found is None or not (as_manager or invite is not None):
        await refuse(update, context)
        return
    await answer_query(update)
    reply = opened.conference_card(
        render_context(update, context),
        found,
        now=context.services.clock.now(),
        as_manager=as_manager,
        invite_id=invite.id if invite is not None else None,
    )
    await send_reply(update, reply)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["heute", "today"], today_command, filters=PRIVATE))
    app.add_handler(
        CallbackQueryHandler(
            on_open_agreement, pattern=callbacks.AGREEMENT.narrowed(r"(open):(\d{1,12})")
        )
    )
    app.add_handler(
        CallbackQueryHandler(
            on_open_conference, pattern=callbacks.CONFERENCE.narrowed(r"(open):(\d{1,12})")
        )
    )
