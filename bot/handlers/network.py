"""/netzwerk: the directory for managers, deputies and coordinators: list, search (words,
topic, quarter; fuzzy), an entry's card, confirm, retire, and `/netzwerk pruefen` for the
stale entries one at a time. Every command and press re-reads the sender's roles and the
entry from the database (callback data can be forged)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.common import actor_roles, answer_query, refuse, send_reply, translator
from bot.i18n import Translator
from bot.messages import callbacks
from bot.messages import network as say
from bot.messages.reply import Reply
from bot.services.access.roles import Roles
from bot.services.basics.reference import fold
from bot.services.network import entries, lotse, meetings, queries, review
from bot.storage.db import session_scope
from bot.storage.models import NetworkEntry, Person

PRIVATE = filters.ChatType.PRIVATE
NET = callbacks.NETWORK
QUERY_KEY = "net_query"
REVIEW_WORDS = {"prufen", "review", "check"}


async def entry_view(
    context: BotContext, t: Translator, entry: NetworkEntry, roles: Roles
) -> Reply:
    """The card of an entry for staff (its own short transaction)."""
    services = context.services
    async with session_scope(services.session_maker) as session:
        usage = await lotse.usage(session, entry)
        meeting = await meetings.last_meeting(session, entry)
        by = await session.get(Person, entry.confirmed_by_id) if entry.confirmed_by_id else None
    return say.entry_card(
        t,
        services.reference,
        entry,
        usage=usage,
        meeting=meeting,
        confirmed_by=by.first_name if by else None,
        tz=services.env.tz,
        editable=entries.may_edit(roles, entry),
    )


async def _list(update: Update, context: BotContext, roles: Roles, text: str, page: int) -> None:
    services, t = context.services, translator(update, context)
    query = queries.parse(services.reference, text)
    async with session_scope(services.session_maker) as session:
        found = await queries.staff_search(session, entries.own_districts(roles), query)
    shown = found[page * say.PAGE_SIZE : (page + 1) * say.PAGE_SIZE]
    reply = say.entry_list(t, shown, page=page, total=len(found), query=text or None)
    await send_reply(update, reply)


async def offer_review(update: Update, context: BotContext, roles: Roles) -> None:
    """Under /heute: the next entry not confirmed for months, if any (one at a time)."""
    await _review(update, context, roles, None, quiet=True)


async def _review(
    update: Update, context: BotContext, roles: Roles, skip: int | None, *, quiet: bool = False
) -> None:
    services, t = context.services, translator(update, context)
    months = services.settings.directory_stale_months
    skipped = (
        set(context.user_data.get("net_skip", ())) if context.user_data is not None else set()
    )
    if skip is not None:
        skipped.add(skip)
    if context.user_data is not None:
        context.user_data["net_skip"] = sorted(skipped)
    async with session_scope(services.session_maker) as session:
        entry = await review.stale_entry_for_review(
            session,
            entries.own_districts(roles),
            services.clock.now(),
            months=months,
            skip=skipped,
        )
    if entry is None:
        if not quiet:
            await send_reply(update, say.nothing_to_review(t))
        return
    card = await entry_view(context, t, entry, roles)
    await send_reply(update, say.review(t, card, entry, months))


async def netzwerk(update: Update, context: BotContext) -> None:
    _person, roles = await actor_roles(update, context)
    if not entries.may_use(roles):
        await refuse(update, context)
        return
    text = " ".join(context.args or []).strip()
    if context.user_data is not None:
        context.user_data.pop("net_skip", None)
    if fold(text) in REVIEW_WORDS:
        await _review(update, context, roles, None)
        return
    if context.user_data is not None:
        context.user_data[QUERY_KEY] = text
    await _list(update, context, roles, text, 0)


async def on_press(update: Update, context: BotContext) -> None:
    """`net:e|ok|ret|retok|rv:<id>` and `net:pg:<n>`."""
    person, roles = await actor_roles(update, context)
    data = update.callback_query.data if update.callback_query else None
    if not entries.may_use(roles) or not data:
        await refuse(update, context)
        return
    _prefix, action, rest = [*data.split(":"), ""][:3]
    services, t = context.services, translator(update, context)
    if action == "pg":
        await answer_query(update)
        text = (context.user_data or {}).get(QUERY_KEY, "")
        await _list(update, context, roles, str(text), int(rest))
        return
    now = services.clock.now()
    async with session_scope(services.session_maker) as session:
        entry = await entries.get(session, int(rest))
        visible = entry is not None and entries.serves(entry, entries.own_districts(roles))
        allowed = entry is not None and entries.may_edit(roles, entry)
        if entry is None or not visible or (action in ("ok", "ret", "retok") and not allowed):
            entry = None
        elif action == "ok":
            await entries.confirm(session, entry, now=now, by=person)
        elif action == "retok":
            await entries.retire(session, entry, now=now)
    if entry is None:
        await refuse(update, context)
        return
    await answer_query(update)
    if action == "ok":
        await send_reply(update, say.confirmed(t, entry.name))
    elif action == "ret":
        await send_reply(update, say.retire_question(t, entry))
    elif action == "retok":
        await send_reply(update, say.retired(t, entry.name))
    if action == "rv" or (
        action == "ok" and context.user_data and "net_skip" in context.user_data
    ):
        await _review(update, context, roles, entry.id if action == "rv" else None)
    elif action == "e":
        await send_reply(update, await entry_view(context, t, entry, roles))


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["netzwerk", "network"], netzwerk, filters=PRIVATE))
    app.add_handler(
        CallbackQueryHandler(
            on_press, pattern=NET.narrowed(r"(e|ok|ret|retok|rv):(\d{1,12})|pg:(\d{1,4})")
        )
    )
