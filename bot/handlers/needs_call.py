"""Opening a call for proposals: `/aufruf [district]` asks the title, the end, the fields
of action and who may take part, then shows the link to forward to the actors."""

from __future__ import annotations

from datetime import datetime, time

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.context import BotApplication, BotContext
from bot.handlers.common import acknowledge, actor_roles
from bot.handlers.planning import (
    END,
    PRIVATE,
    TEXT,
    conversation,
    drafts,
    manager,
    matched,
    pick_district,
    render_context,
    show,
    typed,
)
from bot.messages import callbacks
from bot.messages import needs as say
from bot.messages import needs_dialogue as ask
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.services.needs import calls
from bot.services.needs.calls import NeedError
from bot.storage.db import session_scope

NC_TITLE, NC_END, NC_FIELDS, NC_AUDIENCE = "nc_title", "nc_end", "nc_fields", "nc_audience"
FORM = callbacks.NEED_FORM


async def start_call(update: Update, context: BotContext) -> str | int:
    """`/aufruf [district]`: the manager opens a call for proposals."""
    _, roles = await actor_roles(update, context)
    district = await pick_district(update, context, roles, "aufruf")
    if district is None:
        return END
    drafts(context)["need_call"] = {"district": district, "topics": []}
    await show(update, context, ask.ask_call_title(render_context(update, context), district))
    return NC_TITLE


async def on_call_title(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("need_call")
    if not draft or await manager(update, context, draft["district"]) is None:
        return END
    title, t = typed(update), render_context(update, context).t
    if not title or len(title) > calls.MAX_TITLE:
        await show(update, context, ask.too_long(t, calls.MAX_TITLE))
        return NC_TITLE
    draft["title"] = title
    await show(update, context, ask.ask_call_end(t))
    return NC_END


async def on_call_end(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("need_call")
    if not draft or await manager(update, context, draft["district"]) is None:
        return END
    services, ctx = context.services, render_context(update, context)
    tz = services.settings.tz
    try:
        parsed = parse_german_date(typed(update), now=services.clock.now(), tz=tz)
    except DateParseError:
        await show(update, context, ask.bad_date(ctx.t))
        return NC_END
    value = parsed.value
    if not parsed.has_time:  # the whole day counts
        value = datetime.combine(value.date(), time(23, 59), tzinfo=tz)
    draft["ends_at"] = value.isoformat()
    await show(update, context, ask.ask_call_fields(ctx, draft["topics"]))
    return NC_FIELDS


async def on_call_field(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("need_call")
    await acknowledge(update)
    if not draft:
        return END
    ctx = render_context(update, context)
    if matched(context).group(2) == "cdone":
        if not draft["topics"]:
            await show(update, context, ask.ask_call_fields(ctx, draft["topics"]))
            return NC_FIELDS
        await show(update, context, ask.ask_audience(ctx.t))
        return NC_AUDIENCE
    code = matched(context).group(1)
    if code and context.services.reference.has_topic(code):
        topics = draft["topics"]
        draft["topics"] = [c for c in topics if c != code] if code in topics else [*topics, code]
    await show(update, context, ask.ask_call_fields(ctx, draft["topics"]))
    return NC_FIELDS


async def on_call_audience(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).pop("need_call", None)
    await acknowledge(update)
    person = await manager(update, context, draft["district"]) if draft else None
    if draft is None or person is None:
        return END
    services, ctx = context.services, render_context(update, context)
    try:
        async with session_scope(services.session_maker) as session:
            call = await calls.open_call(
                session,
                services.env,
                district=draft["district"],
                title=draft["title"],
                topics=draft["topics"],
                audience=matched(context).group(1),
                ends_at=datetime.fromisoformat(draft["ends_at"]),
                created_by=person,
                now=services.clock.now(),
            )
    except NeedError:
        await show(update, context, say.plain(ctx.t(say.STALE)))
        return END
    await show(update, context, say.call_opened(ctx, call, context.bot.username))
    return END


def register(app: BotApplication) -> None:
    app.add_handler(
        conversation(
            "need_call",
            [CommandHandler(["aufruf", "call"], start_call, filters=PRIVATE)],
            {
                NC_TITLE: [MessageHandler(TEXT, on_call_title)],
                NC_END: [MessageHandler(TEXT, on_call_end)],
                NC_FIELDS: [
                    CallbackQueryHandler(
                        on_call_field, pattern=FORM.narrowed(r"ct:([a-z_]{1,32})|(cdone)")
                    )
                ],
                NC_AUDIENCE: [
                    CallbackQueryHandler(
                        on_call_audience, pattern=FORM.narrowed(r"aud:(actors|all)")
                    )
                ],
            },
        )
    )
