"""Needs for participants: /aufruf (the manager opens a call), the call's link
(`/start need-<token>`), /bedarfe (the calls one takes part in, in their current order),
proposing a need (a persistent dialogue), supporting and ranking.

Every step and button reads the sender's roles and participation from the database again;
a support counts once per person whatever the callback data says."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers.common import acknowledge, actor_roles, answer_query, ensure_person, refuse
from bot.handlers.needs_press import pressed
from bot.handlers.planning import (
    END,
    PRIVATE,
    TEXT,
    conversation,
    drafts,
    matched,
    pick_district,
    render_context,
    show,
    typed,
)
from bot.messages import callbacks
from bot.messages import menu as menu_say
from bot.messages import needs as say
from bot.messages import needs_dialogue as ask
from bot.messages.intake_review import consent_first
from bot.services.access import people
from bot.services.needs import calls, proposals
from bot.services.needs.calls import NeedError, NotAllowed
from bot.storage.db import session_scope
from bot.storage.models import Need, NeedCall, Person

NC_TITLE, NC_END, NC_FIELDS, NC_AUDIENCE = "nc_title", "nc_end", "nc_fields", "nc_audience"
NP_TOPIC, NP_QUARTERS, NP_MISSING, NP_AFFECTED, NP_FILE = (
    "np_topic",
    "np_quarters",
    "np_missing",
    "np_affected",
    "np_file",
)
NEED, FORM = callbacks.NEED, callbacks.NEED_FORM
CALL_START = filters.Regex(rf"^/start(@\w+)?\s+{calls.PAYLOAD_PREFIX}")
FILES = (filters.PHOTO | filters.Document.ALL) & PRIVATE


# --- joining and the order ------------------------------------------------------------------
async def join_link(update: Update, context: BotContext) -> None:
    """`/start need-<token>`: take part in the call as an actor."""
    person = await ensure_person(update, context)
    ctx = render_context(update, context)
    services = context.services
    token = (context.args or [""])[0].removeprefix(calls.PAYLOAD_PREFIX)
    try:
        async with session_scope(services.session_maker) as session:
            call = await calls.join_by_token(
                session, token=token, person=person, now=services.clock.now()
            )
    except NeedError:
        await show(update, context, say.join_failed(ctx.t))
        return
    await show(update, context, say.joined(ctx, call))
    await show_call(update, context, call.id)  # what is proposed so far, to support
    await _notice_unless_consented(update, context, person)


async def _notice_unless_consented(update: Update, context: BotContext, person: Person) -> None:
    """Before anything of theirs is stored: the privacy notice with its consent buttons."""
    if not people.has_consent(person):
        name = update.effective_user.first_name if update.effective_user else ""
        t = render_context(update, context).t
        await show(update, context, menu_say.greeting(t, name or "", consented=False))


async def on_join(update: Update, context: BotContext) -> None:
    """`need:join:<call>`: a resident joins a call open to everyone."""
    person = await ensure_person(update, context)
    services = context.services

    async def work(session: AsyncSession) -> NeedCall:
        return await calls.join_open_call(
            session,
            call_id=int(matched(context).group(2)),
            person=person,
            now=services.clock.now(),
        )

    call = await pressed(update, context, work)
    if call is None:
        return
    await acknowledge(update)
    await show(update, context, say.joined(render_context(update, context), call))
    await show_call(update, context, call.id)
    await _notice_unless_consented(update, context, person)


async def show_call(update: Update, context: BotContext, call_id: int) -> bool:
    """The call's needs in order, for a participant or the manager; False if refused."""
    person, roles = await actor_roles(update, context)
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            call, manages = await calls.call_access(
                session, call_id=call_id, person=person, roles=roles
            )
            found = await proposals.standings(session, call_id=call.id, person=person)
            reply = say.standings(
                render_context(update, context),
                call,
                found,
                now_open=calls.is_open(call, services.clock.now()),
                manages=manages,
            )
    except NotAllowed:
        return False
    await show(update, context, reply)
    return True


async def list_needs(update: Update, context: BotContext) -> None:
    """`/bedarfe [district]`: the manager sees the district's calls; others their own calls
    and the calls open to everyone."""
    person, roles = await actor_roles(update, context)
    services, ctx = context.services, render_context(update, context)
    district = await pick_district(update, context, roles, "bedarfe") if roles.is_staff else None
    if roles.is_staff and district is None:
        return
    async with session_scope(services.session_maker) as session:
        if district is not None:
            found = await calls.calls_of_district(session, district=district)
            everyone = []
        else:
            found = await calls.calls_of_person(session, person=person)
            everyone = await calls.open_to_everyone(session, now=services.clock.now())
    if not found:
        await show(update, context, say.open_calls(ctx, everyone))
    for call in found[:3]:
        await show_call(update, context, call.id)


async def on_list(update: Update, context: BotContext) -> None:
    if await show_call(update, context, int(matched(context).group(2))):
        await answer_query(update)
    else:
        await refuse(update, context)


async def on_support(update: Update, context: BotContext) -> None:
    """`need:sup:<need>`: support, or withdraw one's support (counted per person)."""
    person, roles = await actor_roles(update, context)
    services, t = context.services, render_context(update, context).t

    async def work(session: AsyncSession) -> tuple[Need, bool, int]:
        need, now_on = await proposals.toggle_support(
            session,
            need_id=int(matched(context).group(2)),
            person=person,
            roles=roles,
            now=services.clock.now(),
        )
        return need, now_on, (await proposals.support_counts(session, [need.id])).get(need.id, 0)

    done = await pressed(update, context, work)
    if done is None:
        return
    need, now_on, count = done
    await answer_query(update, say.supported(t, need.id, now_on, count))
    await show_call(update, context, need.call_id)


async def on_rank(update: Update, context: BotContext) -> None:
    """`need:rk:<need>`: the next place of the sender's top three, once the call has ended."""
    person, roles = await actor_roles(update, context)
    services, t = context.services, render_context(update, context).t
    need_id = int(matched(context).group(2))

    async def work(session: AsyncSession) -> tuple[int, int]:
        place = await proposals.rank(
            session, need_id=need_id, person=person, roles=roles, now=services.clock.now()
        )
        need, _, _ = await proposals.need_access(
            session, need_id=need_id, person=person, roles=roles
        )
        return place, need.call_id

    done = await pressed(update, context, work)
    if done is None:
        return
    place, call_id = done
    await answer_query(update, say.ranked(t, need_id, place))
    await show_call(update, context, call_id)


async def on_clear_ranks(update: Update, context: BotContext) -> None:
    person, roles = await actor_roles(update, context)
    call_id = int(matched(context).group(2))
    try:
        async with session_scope(context.services.session_maker) as session:
            await proposals.clear_ranks(session, call_id=call_id, person=person, roles=roles)
    except NotAllowed:
        await refuse(update, context)
        return
    await answer_query(update)
    await show_call(update, context, call_id)


async def on_close(update: Update, context: BotContext) -> None:
    _, roles = await actor_roles(update, context)
    call_id = int(matched(context).group(2))
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            await calls.close_call(session, call_id=call_id, roles=roles, now=services.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    await acknowledge(update)
    await show_call(update, context, call_id)


# --- proposing --------------------------------------------------------------------------------
async def start_proposal(update: Update, context: BotContext) -> str | int:
    """`need:new:<call>`: ask a participant for the need's field of action."""
    person, roles = await actor_roles(update, context)
    services, ctx = context.services, render_context(update, context)
    call_id = int(matched(context).group(2))
    if not (roles.is_staff or people.has_consent(person)):  # the privacy notice comes first
        await answer_query(update)
        await show(update, context, consent_first(ctx.t))
        return END
    try:
        async with session_scope(services.session_maker) as session:
            call, _ = await calls.call_access(session, call_id=call_id, person=person, roles=roles)
            still_open, topics = calls.is_open(call, services.clock.now()), calls.topics_of(call)
    except NotAllowed:
        await refuse(update, context)
        return END
    if not still_open:
        await answer_query(update, ctx.t(say.STALE))
        return END
    await answer_query(update)
    drafts(context)["need"] = {"call": call_id}
    await show(update, context, ask.ask_need_topic(ctx, topics))
    return NP_TOPIC


async def on_need_topic(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("need")
    await acknowledge(update)
    if not draft:
        return END
    draft["topic"] = matched(context).group(1)
    await show(update, context, ask.ask_quarters(render_context(update, context).t))
    return NP_QUARTERS


def _text_step(key: str, limit: int, state: str, next_state: str, next_question: object) -> object:
    async def step(update: Update, context: BotContext) -> str | int:
        draft = drafts(context).get("need")
        if not draft:
            return END
        t = render_context(update, context).t
        text = typed(update)
        if not text or len(text) > limit:
            await show(update, context, ask.too_long(t, limit))
            return state
        draft[key] = text
        await show(update, context, next_question(t))  # type: ignore[operator]
        return next_state

    return step


on_quarters = _text_step(
    "quarters", proposals.MAX_QUARTERS, NP_QUARTERS, NP_MISSING, ask.ask_missing
)
on_missing = _text_step("missing", proposals.MAX_TEXT, NP_MISSING, NP_AFFECTED, ask.ask_affected)
on_affected = _text_step("affected", proposals.MAX_TEXT, NP_AFFECTED, NP_FILE, ask.ask_file)


async def on_need_file(update: Update, context: BotContext) -> str | int:
    """A photo, a file, or "continue without": save the need."""
    draft = drafts(context).pop("need", None)
    if update.callback_query is not None:
        await acknowledge(update)
    if not draft or "affected" not in draft:
        return END
    message = update.effective_message
    file_id = file_kind = None
    if update.callback_query is None and message is not None:
        if message.photo:
            file_id, file_kind = message.photo[-1].file_id, "photo"
        elif message.document:
            file_id, file_kind = message.document.file_id, "document"
    person, roles = await actor_roles(update, context)
    services, t = context.services, render_context(update, context).t
    try:
        async with session_scope(services.session_maker) as session:
            need = await proposals.propose(
                session,
                services.env,
                call_id=int(draft["call"]),
                person=person,
                roles=roles,
                draft=proposals.Draft(
                    draft["topic"],
                    draft["quarters"],
                    draft["missing"],
                    draft["affected"],
                    file_id,
                    file_kind,
                ),
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return END
    except NeedError:
        await show(update, context, say.plain(t(say.STALE)))
        return END
    request_delivery(context.application)
    await show(update, context, ask.proposed(t, need))
    await show_call(update, context, need.call_id)
    return END


def register(app: BotApplication) -> None:
    """The call's link must come before the intake's and menu's /start."""
    app.add_handler(CommandHandler("start", join_link, filters=PRIVATE & CALL_START))
    app.add_handler(
        conversation(
            "need_proposal",
            [CallbackQueryHandler(start_proposal, pattern=NEED.narrowed(r"(new):(\d{1,12})"))],
            {
                NP_TOPIC: [
                    CallbackQueryHandler(on_need_topic, pattern=FORM.narrowed(r"t:([a-z_]{1,32})"))
                ],
                NP_QUARTERS: [MessageHandler(TEXT, on_quarters)],  # type: ignore[arg-type]
                NP_MISSING: [MessageHandler(TEXT, on_missing)],  # type: ignore[arg-type]
                NP_AFFECTED: [MessageHandler(TEXT, on_affected)],  # type: ignore[arg-type]
                NP_FILE: [
                    MessageHandler(FILES, on_need_file),
                    CallbackQueryHandler(on_need_file, pattern=FORM.narrowed(r"(skip)")),
                ],
            },
        )
    )
    app.add_handler(CommandHandler(["bedarfe", "needs"], list_needs, filters=PRIVATE))
    for action, callback in (
        ("sup", on_support),
        ("rk", on_rank),
        ("rk0", on_clear_ranks),
        ("list", on_list),
        ("join", on_join),
        ("close", on_close),
    ):
        app.add_handler(
            CallbackQueryHandler(callback, pattern=NEED.narrowed(rf"({action}):(\d{{1,12}})"))
        )
