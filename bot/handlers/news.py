"""District news: /abo (subscribe per district and field, a self-service of the reader), the
one-tap unsubscribe under every item, and /nachricht (managers for their districts,
coordinators also city-wide): fields, text or photo or file, link, preview with the number
of recipients, send. Delivery goes through the outbox; the sender gets the counts."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers.common import acknowledge, actor_roles, answer_query, ensure_person, refuse
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
from bot.messages import news as say
from bot.messages.render import render
from bot.sending import send_payload
from bot.services.access.roles import Roles
from bot.services.news import items, subscriptions
from bot.services.news.notices import NewsMessage
from bot.services.news.subscriptions import ALL, SubscriptionError
from bot.storage.db import session_scope

NEWS, FORM = callbacks.NEWS, callbacks.NEWS_FORM
NW_DISTRICT, NW_FIELDS, NW_TEXT, NW_LINK, NW_CONFIRM = (
    "nw_district",
    "nw_fields",
    "nw_text",
    "nw_link",
    "nw_confirm",
)
CONTENT = (filters.TEXT & ~filters.COMMAND | filters.PHOTO | filters.Document.ALL) & PRIVATE


# --- subscriptions ----------------------------------------------------------------------------
async def subscriptions_menu(update: Update, context: BotContext) -> None:
    """`/abo [district]`: the districts, or one district's fields (changes nothing yet)."""
    person = await ensure_person(update, context)
    ctx, services = render_context(update, context), context.services
    given = argument(update)
    number = given.zfill(2) if given.isdigit() and len(given) <= 2 else ""
    async with session_scope(services.session_maker) as session:
        if number and services.reference.has_district(number):
            chosen = await subscriptions.topics_of(session, person=person, district=number)
            reply = say.pick_fields(ctx, number, chosen)
        else:
            districts = {
                d.number
                for d in services.reference.districts
                if await subscriptions.topics_of(session, person=person, district=d.number)
            }
            reply = say.pick_district(ctx, districts)
    await show(update, context, reply)


async def on_district(update: Update, context: BotContext) -> None:
    person = await ensure_person(update, context)
    district, services = matched(context).group(1), context.services
    if not services.reference.has_district(district):
        await answer_query(update)
        return
    async with session_scope(services.session_maker) as session:
        chosen = await subscriptions.topics_of(session, person=person, district=district)
    await answer_query(update)
    await show(update, context, say.pick_fields(render_context(update, context), district, chosen))


async def on_field(update: Update, context: BotContext) -> None:
    """`news:t:<district>:<field|*>`: subscribe or unsubscribe the sender (only them)."""
    person = await ensure_person(update, context)
    district, topic = matched(context).group(1), matched(context).group(2)
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            await subscriptions.toggle(
                session,
                services.env,
                person=person,
                district=district,
                topic=topic,
                now=services.clock.now(),
            )
            chosen = await subscriptions.topics_of(session, person=person, district=district)
    except SubscriptionError:
        await answer_query(update)
        return
    await acknowledge(update)
    await show(update, context, say.pick_fields(render_context(update, context), district, chosen))


async def on_unsubscribe(update: Update, context: BotContext) -> None:
    """`news:off:<district>`: the one tap under a news item."""
    person = await ensure_person(update, context)
    district = matched(context).group(1)
    async with session_scope(context.services.session_maker) as session:
        await subscriptions.unsubscribe_district(session, person=person, district=district)
    await acknowledge(update)
    await show(
        update, context, say.plain(say.unsubscribed(render_context(update, context), district))
    )


# --- writing ----------------------------------------------------------------------------------
def _may_write(roles: Roles, district: str) -> bool:
    return roles.is_coordinator if district == ALL else roles.can_manage_district(district)


async def _still_allowed(update: Update, context: BotContext) -> dict[str, Any] | None:
    draft = drafts(context).get("news")
    if not draft:
        return None
    _, roles = await actor_roles(update, context)
    if not _may_write(roles, str(draft["district"])):
        drafts(context).pop("news", None)
        await refuse(update, context)
        return None
    return draft  # type: ignore[no-any-return]


async def start_news(update: Update, context: BotContext) -> str | int:
    """`/nachricht [district|*]`: write a news item."""
    _, roles = await actor_roles(update, context)
    if not roles.is_staff:
        await refuse(update, context)
        return END
    ctx, reference = render_context(update, context), context.services.reference
    given = argument(update)
    district = (
        ALL if given == ALL else (given.zfill(2) if given.isdigit() and len(given) <= 2 else "")
    )
    if district and (district == ALL or reference.has_district(district)):
        if not _may_write(roles, district):
            await refuse(update, context)
            return END
        drafts(context)["news"] = {"district": district, "topics": []}
        await show(update, context, say.ask_fields(ctx, []))
        return NW_FIELDS
    own = sorted(d.number for d in reference.districts if roles.can_manage_district(d.number))
    if len(own) == 1 and not roles.is_coordinator:
        drafts(context)["news"] = {"district": own[0], "topics": []}
        await show(update, context, say.ask_fields(ctx, []))
        return NW_FIELDS
    drafts(context)["news"] = {"district": None, "topics": []}
    await show(update, context, say.ask_district(ctx, own, roles.is_coordinator))
    return NW_DISTRICT


async def on_news_district(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("news")
    await acknowledge(update)
    _, roles = await actor_roles(update, context)
    district = matched(context).group(1)
    if not draft or not _may_write(roles, district):
        await refuse(update, context)
        return END
    draft["district"] = district
    await show(update, context, say.ask_fields(render_context(update, context), []))
    return NW_FIELDS


async def on_news_field(update: Update, context: BotContext) -> str | int:
    draft = await _still_allowed(update, context)
    await acknowledge(update)
    if draft is None:
        return END
    ctx, chosen = render_context(update, context), list(draft["topics"])
    if matched(context).group(2) == "tdone":
        if chosen:
            await show(update, context, say.ask_text(ctx.t))
            return NW_TEXT
    else:
        code = matched(context).group(1)
        if context.services.reference.has_topic(code):
            chosen = [c for c in chosen if c != code] if code in chosen else [*chosen, code]
    draft["topics"] = chosen
    await show(update, context, say.ask_fields(ctx, chosen))
    return NW_FIELDS


async def on_news_text(update: Update, context: BotContext) -> str | int:
    draft = await _still_allowed(update, context)
    if draft is None:
        return END
    message, t = update.effective_message, render_context(update, context).t
    text = ((message.text or message.caption or "") if message else "").strip()
    if message is not None and message.photo:
        draft["file"] = [message.photo[-1].file_id, "photo"]
    elif message is not None and message.document:
        draft["file"] = [message.document.file_id, "document"]
    if not text or len(text) > items.MAX_TEXT:
        await show(update, context, say.bad_input(t))
        return NW_TEXT
    draft["text"] = text
    await show(update, context, say.ask_link(t))
    return NW_LINK


def _draft(draft: dict[str, Any]) -> items.Draft:
    file_id, file_kind = draft.get("file") or (None, None)
    district = str(draft["district"])
    return items.Draft(
        district=None if district == ALL else district,
        topics=tuple(draft["topics"]),
        text=str(draft["text"]),
        link=str(draft["link"]) if draft.get("link") else None,
        file_id=file_id,
        file_kind=file_kind,
    )


async def on_news_link(update: Update, context: BotContext) -> str | int:
    draft = await _still_allowed(update, context)
    if update.callback_query is not None:
        await acknowledge(update)
    if draft is None:
        return END
    ctx, services = render_context(update, context), context.services
    if update.callback_query is None:
        link = typed(update)
        if not link.startswith(("https://", "http://")) or len(link) > 500:
            await show(update, context, say.bad_input(ctx.t))
            return NW_LINK
        draft["link"] = link
    item = _draft(draft)
    async with session_scope(services.session_maker) as session:
        count = await items.count_recipients(session, draft=item)
    preview = NewsMessage(
        0,
        item.district or "",
        item.district is None,
        item.topics,
        item.text,
        item.link,
        item.file_id,
        item.file_kind,
    )
    chat = update.effective_chat
    if chat is not None:
        await send_payload(context.bot, chat.id, render(preview, ctx).to_payload())
    await show(update, context, say.confirm(ctx.t, count))
    return NW_CONFIRM


async def on_news_confirm(update: Update, context: BotContext) -> str | int:
    draft = await _still_allowed(update, context)
    await acknowledge(update)
    if draft is None:
        return END
    drafts(context).pop("news", None)
    t = render_context(update, context).t
    if matched(context).group(1) != "send":
        await show(update, context, say.cancelled(t))
        return END
    person, roles = await actor_roles(update, context)
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            item = await items.send(
                session,
                services.env,
                draft=_draft(draft),
                roles=roles,
                sender=person,
                now=services.clock.now(),
            )
            count = item.recipients
    except items.NotAllowed:
        await refuse(update, context)
        return END
    except items.NewsError:
        await show(update, context, say.bad_input(t))
        return END
    await show(update, context, say.sending(t, count))
    request_delivery(context.application)
    return END


def register(app: BotApplication) -> None:
    app.add_handler(
        conversation(
            "news",
            [CommandHandler(["nachricht", "news"], start_news, filters=PRIVATE)],
            {
                NW_DISTRICT: [
                    CallbackQueryHandler(on_news_district, pattern=FORM.narrowed(r"d:(\d{2}|\*)"))
                ],
                NW_FIELDS: [
                    CallbackQueryHandler(
                        on_news_field, pattern=FORM.narrowed(r"t:([a-z_]{1,32})|(tdone)")
                    )
                ],
                NW_TEXT: [MessageHandler(CONTENT, on_news_text)],
                NW_LINK: [
                    MessageHandler(TEXT, on_news_link),
                    CallbackQueryHandler(on_news_link, pattern=FORM.narrowed(r"(skip)")),
                ],
                NW_CONFIRM: [
                    CallbackQueryHandler(on_news_confirm, pattern=FORM.narrowed(r"(send|cancel)"))
                ],
            },
        )
    )
    app.add_handler(CommandHandler(["abo", "subscribe"], subscriptions_menu, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_district, pattern=NEWS.narrowed(r"d:(\d{2})")))
    app.add_handler(
        CallbackQueryHandler(on_field, pattern=NEWS.narrowed(r"t:(\d{2}):([a-z_]{1,32}|\*)"))
    )
    app.add_handler(CallbackQueryHandler(on_unsubscribe, pattern=NEWS.narrowed(r"off:(\d{2})")))
