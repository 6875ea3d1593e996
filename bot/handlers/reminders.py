"""/erinnerungen [days]: the coming nudges, follow-ups and escalations of the sender's
districts (managers and deputies), or of all districts (coordination). Roles are read from
the database on every command."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.common import actor_roles, refuse, send_reply, translator
from bot.messages import reminders as texts
from bot.services.messaging import reminders
from bot.storage.db import session_scope

DEFAULT_DAYS = 14
MAX_DAYS = 366


async def list_reminders(update: Update, context: BotContext) -> None:
    _, roles = await actor_roles(update, context)
    districts = None if roles.is_coordinator else sorted(roles.districts())
    if districts == []:
        await refuse(update, context)
        return
    words = (context.args or [])[:1]
    days = int(words[0]) if words and words[0].isdigit() else DEFAULT_DAYS
    days = min(max(days, 1), MAX_DAYS)
    services = context.services
    now = services.clock.now()
    async with session_scope(services.session_maker) as session:
        items = await reminders.upcoming(
            session, now=now, until=now + timedelta(days=days), districts=districts
        )
    t = translator(update, context)
    reply = texts.listing(t, services.reference, items, days=days, tz=services.settings.tz)
    await send_reply(update, reply)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler(
            ["erinnerungen", "reminders"], list_reminders, filters=filters.ChatType.PRIVATE
        )
    )
