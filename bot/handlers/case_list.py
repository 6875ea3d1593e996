"""/faelle: the open cases of the sender's districts, paged, with filters and a word search.

Only staff get past `_staff()`; roles are read again on every command and every button, and
the service limits every list to the sender's districts, because a filter in callback data can
be forged.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.common import actor_roles, answer_query, refuse, send_reply, translator
from bot.handlers.triage_common import chat_data_of, groups
from bot.i18n import Translator
from bot.keyboards import from_payload
from bot.messages import callbacks
from bot.messages import case_list as say
from bot.messages.reply import Reply
from bot.services.access.roles import Roles
from bot.services.cases import case_list
from bot.services.cases.case_list import CaseFilter, ListKind
from bot.storage.db import session_scope

PER_PAGE = 8
PRIVATE = filters.ChatType.PRIVATE
SEARCHES = "desk_searches"  # the user's data: search number -> its words
SEARCH_COUNT = "desk_search_count"
UNCHANGED = "not modified"  # not translated: Telegram's error text
KEPT_SEARCHES = 5  # older searches' buttons say the search is no longer available


async def _staff(update: Update, context: BotContext) -> Roles | None:
    """The sender's roles, read again from the database; None (refused) for non-staff."""
    _, roles = await actor_roles(update, context)
    if not roles.is_staff:
        await refuse(update, context)
        return None
    return roles


def _argument(update: Update) -> str:
    """The words after /faelle; none for the keyboard's "📂 Fälle" button."""
    text = update.effective_message.text if update.effective_message else None
    if not (text or "").startswith("/"):
        return ""
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _searches(context: BotContext) -> dict[str, Any]:
    found = chat_data_of(context).get(SEARCHES)
    return found if isinstance(found, dict) else {}


def _remember(context: BotContext, words: tuple[str, ...]) -> int:
    """Keep a search's words under a new number; only the last few are kept."""
    data = chat_data_of(context)
    number = (int(data.get(SEARCH_COUNT) or 0) + 1) % 1000
    searches = _searches(context)
    searches.pop(str(number), None)
    searches[str(number)] = " ".join(words)
    while len(searches) > KEPT_SEARCHES:
        searches.pop(next(iter(searches)))
    data[SEARCHES], data[SEARCH_COUNT] = searches, number
    return number


async def _view(
    context: BotContext,
    t: Translator,
    roles: Roles,
    flt: CaseFilter,
    page: int,
    search_id: int | None = None,
) -> Reply:
    services = context.services
    now = services.clock.now()
    async with session_scope(services.session_maker) as session:
        found = await case_list.find_cases(
            session, roles=roles, flt=flt, now=now, page=page, per_page=PER_PAGE
        )
    tz = services.settings.tz
    return say.case_list(
        t,
        services.reference,
        flt,
        found,
        today=now.astimezone(tz).date(),
        tz=tz,
        search_id=search_id,
    )


async def _edit(update: Update, reply: Reply) -> None:
    """Show the reply in place of the pressed message (a new one if that cannot be edited)."""
    query = update.callback_query
    try:
        await query.edit_message_text(  # type: ignore[union-attr]  # a callback handler: the query is there
            reply.text,
            parse_mode="HTML",
            reply_markup=from_payload(reply.to_payload().get("buttons")),
        )
    except BadRequest as exc:
        # the same list again ("message is not modified"): nothing to do; else too old to edit
        if UNCHANGED not in exc.message.casefold():
            await send_reply(update, reply)


async def list_cases(update: Update, context: BotContext) -> None:
    """/faelle [filter | quarter | field of action | words]: the list, page 1."""
    roles = await _staff(update, context)
    if roles is None:
        return
    t = translator(update, context)
    flt = case_list.parse_query(context.services.reference, _argument(update))
    search_id = _remember(context, flt.words) if flt.kind == ListKind.SEARCH else None
    await send_reply(update, await _view(context, t, roles, flt, 0, search_id))


async def on_list(update: Update, context: BotContext) -> None:
    """A filter or a page turner: the list again, in place, with the filter of the button."""
    roles = await _staff(update, context)
    if roles is None:
        return
    await answer_query(update)
    t = translator(update, context)
    value, page = groups(context)[0] or "all", int(groups(context)[1] or 0)
    flt = say.from_token(value, context.services.reference, _searches(context))
    if flt is None:
        await _edit(update, say.search_expired(t))
        return
    search_id = int(value[1:]) if flt.kind == ListKind.SEARCH else None
    await _edit(update, await _view(context, t, roles, flt, page, search_id))


async def on_page(update: Update, context: BotContext) -> None:
    """A page turner of a list sent before the filters existed: the unfiltered list."""
    roles = await _staff(update, context)
    if roles is None:
        return
    await answer_query(update)
    t = translator(update, context)
    reply = await _view(context, t, roles, CaseFilter(), int(groups(context)[0] or 0))
    await _edit(update, reply)


async def on_pick(update: Update, context: BotContext) -> None:
    """Stadtteil / Handlungsfeld: offer those with open cases in the sender's districts."""
    roles = await _staff(update, context)
    if roles is None:
        return
    await answer_query(update)
    t = translator(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        if groups(context)[0] == "q":
            quarters = await case_list.quarter_choices(
                session, roles=roles, reference=services.reference
            )
            reply = say.quarter_choice(t, services.reference, quarters)
        else:
            topics = await case_list.topic_choices(
                session, roles=roles, reference=services.reference
            )
            reply = say.topic_choice(t, services.reference, topics)
    await _edit(update, reply)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["faelle", "cases"], list_cases, filters=PRIVATE))
    app.add_handler(
        CallbackQueryHandler(
            on_list, pattern=callbacks.DESK.narrowed(rf"list:{callbacks.LIST_FILTER}:(\d{{1,4}})")
        )
    )
    app.add_handler(
        CallbackQueryHandler(on_page, pattern=callbacks.DESK.narrowed(r"page:(\d{1,4})"))
    )
    app.add_handler(CallbackQueryHandler(on_pick, pattern=callbacks.DESK.narrowed(r"pick:(q|t)")))
