"""Agenda topics for a planned conference: a persistent dialogue started by the
`cf:agenda:<id>` button of an invitation or overview; invited reps and the district's
management may add topics until the start."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler

from bot.context import BotApplication, BotContext
from bot.handlers.common import actor_roles, answer_query, refuse
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
from bot.messages import conferences as say
from bot.services.agreements import conferences
from bot.services.agreements.conferences import ConferenceError, NotAllowed
from bot.storage.db import session_scope

AGENDA = "cf_agenda"


async def start_agenda(update: Update, context: BotContext) -> str | int:
    """`cf:agenda:<conference id>`: ask an invited rep (or the manager) for a topic."""
    person, roles = await actor_roles(update, context)
    ctx = render_context(update, context)
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            conference, _ = await conferences.agenda_access(
                session,
                conference_id=int(matched(context).group(2)),
                person=person,
                roles=roles,
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return END
    except ConferenceError:
        await answer_query(update, ctx.t(say.STALE))
        return END
    drafts(context)["agenda"] = conference.id
    await answer_query(update)
    await show(update, context, say.ask_topic(ctx, conference))
    return AGENDA


async def on_agenda_text(update: Update, context: BotContext) -> str | int:
    """Store the typed topic on the agenda."""
    conference_id = drafts(context).get("agenda")
    if conference_id is None:
        return END
    ctx = render_context(update, context)
    services = context.services
    text, limit = typed(update), services.settings.max_text_length
    if not text or len(text) > limit:
        await show(update, context, say.too_long(ctx.t, limit))
        return AGENDA
    drafts(context).pop("agenda", None)
    person, roles = await actor_roles(update, context)
    try:
        async with session_scope(services.session_maker) as session:
            await conferences.add_agenda_item(
                session,
                conference_id=int(conference_id),
                person=person,
                roles=roles,
                text=text,
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return END
    except ConferenceError:
        await show(update, context, say.plain(ctx.t, say.NO_MORE_TOPICS))
        return END
    await show(update, context, say.topic_added(ctx.t, text))
    return END


def register(app: BotApplication) -> None:
    entry = CallbackQueryHandler(
        start_agenda, pattern=callbacks.CONFERENCE.narrowed(r"(agenda):(\d{1,12})")
    )
    app.add_handler(
        conversation(
            "conference_agenda", [entry], {AGENDA: [MessageHandler(TEXT, on_agenda_text)]}
        )
    )
