"""The manager's curation of needs (merge, ask back, reject, status, to the agenda), the
proposer's answer, /schwerpunkt (a focus area agreed at the conference), /beschluss (the
coordinator records the Dezernentenkonferenz's decision) and /programm (progress).

Every button and step reads the sender's roles from the database again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers.common import acknowledge, actor_roles, answer_query, refuse
from bot.handlers.needs_press import pressed
from bot.handlers.planning import (
    END,
    TEXT,
    conversation,
    drafts,
    matched,
    render_context,
    show,
    typed,
)
from bot.messages import callbacks
from bot.messages import needs as say
from bot.messages import needs_dialogue as ask
from bot.messages.formatting import format_moment
from bot.services.needs import calls, curation, proposals
from bot.services.needs.calls import NeedError, NotAllowed
from bot.storage.db import session_scope
from bot.storage.models import Need

NEED, FORM = callbacks.NEED, callbacks.NEED_FORM
NQ_TEXT = "nq_text"


def _need_id(context: BotContext) -> int:
    return int(matched(context).group(2))


async def on_card(update: Update, context: BotContext) -> None:
    """`need:cur:<need>`: the need's card with the manager's buttons."""
    _, roles = await actor_roles(update, context)
    try:
        async with session_scope(context.services.session_maker) as session:
            need = await curation.managed_need(session, need_id=_need_id(context), roles=roles)
            supports = (await proposals.support_counts(session, [need.id])).get(need.id, 0)
    except NotAllowed:
        await refuse(update, context)
        return
    await answer_query(update)
    await show(
        update,
        context,
        say.need_card(render_context(update, context), need, supports, manages=True),
    )


async def on_merge_pick(update: Update, context: BotContext) -> None:
    """`need:mg:<need>`: which need to merge it into."""
    _, roles = await actor_roles(update, context)
    try:
        async with session_scope(context.services.session_maker) as session:
            need = await curation.managed_need(session, need_id=_need_id(context), roles=roles)
            found = await proposals.standings(session, call_id=need.call_id)
    except NotAllowed:
        await refuse(update, context)
        return
    others = [s.need for s in found if s.need.id != need.id and s.need.status in proposals.ACTIVE]
    await answer_query(update)
    await show(update, context, say.merge_targets(render_context(update, context), need, others))


async def on_merge(update: Update, context: BotContext) -> None:
    """`need:mi:<source>:<target>`."""
    _, roles = await actor_roles(update, context)
    source, target = int(matched(context).group(1)), int(matched(context).group(2))
    services, t = context.services, render_context(update, context).t

    async def work(session: AsyncSession) -> int:
        merged = await curation.merge(
            session, source_id=source, target_id=target, roles=roles, now=services.clock.now()
        )
        return (await proposals.support_counts(session, [merged.id])).get(merged.id, 0)

    supports = await pressed(update, context, work)
    if supports is None:
        return
    await acknowledge(update)
    request_delivery(context.application)
    await show(update, context, say.merged(t, source, target, supports))


async def on_status(update: Update, context: BotContext) -> None:
    """`need:st:<need>:<status>`."""
    _, roles = await actor_roles(update, context)
    services, t = context.services, render_context(update, context).t

    async def work(session: AsyncSession) -> Need:
        return await curation.set_status(
            session,
            need_id=int(matched(context).group(1)),
            roles=roles,
            status=matched(context).group(2),
            now=services.clock.now(),
        )

    need = await pressed(update, context, work)
    if need is None:
        return
    await answer_query(update)
    request_delivery(context.application)
    await show(update, context, say.status_set(t, need))


async def on_agenda(update: Update, context: BotContext) -> None:
    """`need:ag:<need>`: onto the next district conference's agenda."""
    person, roles = await actor_roles(update, context)
    services, ctx = context.services, render_context(update, context)
    try:
        async with session_scope(services.session_maker) as session:
            need, conference = await curation.to_agenda(
                session,
                need_id=_need_id(context),
                roles=roles,
                person=person,
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return
    except NeedError as error:
        await answer_query(update)
        if str(error) == "no_conference":
            await show(update, context, say.no_conference(ctx.t))
        else:
            await show(update, context, say.plain(ctx.t(say.STALE)))
        return
    await answer_query(update)
    request_delivery(context.application)
    when = format_moment(conference.starts_at, services.settings.tz, lang=ctx.t.language)
    await show(update, context, say.on_agenda(ctx, need, when))


async def on_mark_actor(update: Update, context: BotContext) -> None:
    """`need:act:<need>`: the proposer becomes an actor of the district."""
    _, roles = await actor_roles(update, context)
    t = render_context(update, context).t

    async def work(session: AsyncSession) -> Need:
        need = await curation.managed_need(session, need_id=_need_id(context), roles=roles)
        if need.proposer_id is None:
            raise NeedError("input")
        await calls.mark_actor(
            session, call_id=need.call_id, person_id=need.proposer_id, roles=roles
        )
        return need

    need = await pressed(update, context, work)
    if need is None:
        return
    await answer_query(update)
    await show(update, context, say.marked_actor(t, need.id))


# --- typed curation: ask back, reject, the proposer's answer ---------------------------------
async def start_text(update: Update, context: BotContext) -> str | int:
    """`need:ask|rej|re:<need>`: ask for the question, the reason, or the answer."""
    person, roles = await actor_roles(update, context)
    action, need_id = matched(context).group(1), _need_id(context)
    t = render_context(update, context).t
    async with session_scope(context.services.session_maker) as session:
        need = await session.get(Need, need_id)
        allowed = need is not None and (
            need.proposer_id == person.id
            if action == "re"
            else roles.can_manage_district(need.district_number)
        )
    if not allowed:
        await refuse(update, context)
        return END
    await answer_query(update)
    drafts(context)["need_text"] = {"action": action, "need": need_id}
    question = {"ask": ask.ask_question, "rej": ask.ask_reason}.get(action)
    await show(update, context, question(t, need_id) if question else ask.ask_answer(t))
    return NQ_TEXT


async def on_text(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).pop("need_text", None)
    if not draft:
        return END
    person, roles = await actor_roles(update, context)
    services, t = context.services, render_context(update, context).t
    text, now, need_id = typed(update), services.clock.now(), int(draft["need"])
    try:
        async with session_scope(services.session_maker) as session:
            if draft["action"] == "ask":
                await curation.ask_back(
                    session, need_id=need_id, roles=roles, question=text, now=now
                )
            elif draft["action"] == "rej":
                await curation.reject(session, need_id=need_id, roles=roles, reason=text, now=now)
            else:
                await curation.answer(
                    session, services.env, need_id=need_id, person=person, text=text, now=now
                )
    except NotAllowed:
        await refuse(update, context)
        return END
    except NeedError:
        await show(update, context, ask.too_long(t, proposals.MAX_TEXT))
        drafts(context)["need_text"] = draft
        return NQ_TEXT
    request_delivery(context.application)
    await show(update, context, ask.sent(t))
    return END


def register(app: BotApplication) -> None:
    for action, callback in (
        ("cur", on_card),
        ("mg", on_merge_pick),
        ("ag", on_agenda),
        ("act", on_mark_actor),
    ):
        app.add_handler(
            CallbackQueryHandler(callback, pattern=NEED.narrowed(rf"({action}):(\d{{1,12}})"))
        )
    app.add_handler(
        CallbackQueryHandler(on_merge, pattern=NEED.narrowed(r"mi:(\d{1,12}):(\d{1,12})"))
    )
    app.add_handler(
        CallbackQueryHandler(on_status, pattern=NEED.narrowed(r"st:(\d{1,12}):([a-z_]{1,16})"))
    )
    app.add_handler(
        conversation(
            "need_text",
            [CallbackQueryHandler(start_text, pattern=NEED.narrowed(r"(ask|rej|re):(\d{1,12})"))],
            {NQ_TEXT: [MessageHandler(TEXT, on_text)]},
        )
    )
