"""What the conference, agenda and project dialogues share: the district a command is about,
the check that the sender still manages it, replies from the message layer, and the shape of
their persistent conversations (`/abbrechen` ends each)."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, filters

from bot.context import BotContext
from bot.handlers.common import actor_roles, refuse, send_reply, translator
from bot.handlers.dialogue import Dialogue
from bot.messages import conferences as say
from bot.messages.render import RenderContext
from bot.messages.reply import Reply
from bot.services.access.roles import Roles
from bot.storage.models import Person

END = ConversationHandler.END
PRIVATE = filters.ChatType.PRIVATE
TEXT = filters.TEXT & ~filters.COMMAND & PRIVATE
Handler = BaseHandler[Update, BotContext, Any]
DRAFTS = ("conference", "agenda", "project", "project_note")


def drafts(context: BotContext) -> dict[Any, Any]:
    """The user's conversation drafts (private chats always have user data)."""
    assert context.user_data is not None
    return context.user_data


def matched(context: BotContext) -> re.Match[str]:
    """The callback pattern's match (every button handler here registers a pattern)."""
    assert context.match is not None
    return context.match


def render_context(update: Update, context: BotContext) -> RenderContext:
    services = context.services
    return RenderContext(
        t=translator(update, context), reference=services.reference, tz=services.settings.tz
    )


async def show(update: Update, context: BotContext, *replies: Reply) -> None:
    """Send what the message layer made, in the chat the update came from."""
    for reply in replies:
        await send_reply(update, reply)


def argument(update: Update) -> str:
    text = update.effective_message.text if update.effective_message else None
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def typed(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").strip() if message else ""


async def pick_district(
    update: Update, context: BotContext, roles: Roles, command: str
) -> str | None:
    """The district the command is about: its argument, else the sender's only district."""
    t = translator(update, context)
    reference = context.services.reference
    given = argument(update)
    if not roles.is_staff:
        await refuse(update, context)
        return None
    if given:
        number = given.zfill(2) if given.isdigit() and len(given) <= 2 else ""
        if number and reference.has_district(number):
            if roles.can_manage_district(number):
                return number
            await refuse(update, context)
            return None
        await show(update, context, say.no_such_district(t, given))
        return None
    own = sorted(roles.districts())
    if len(own) == 1:
        return own[0]
    await show(update, context, say.which_district(t, command))
    return None


async def manager(update: Update, context: BotContext, district: str) -> Person | None:
    """The sender if they may still manage the district; otherwise refused."""
    person, roles = await actor_roles(update, context)
    if roles.can_manage_district(district):
        return person
    await refuse(update, context)
    return None


async def cancel(update: Update, context: BotContext) -> int:
    """/abbrechen: drop the half-finished conference, topic, project or note."""
    for key in DRAFTS:
        drafts(context).pop(key, None)
    await show(update, context, say.cancelled(translator(update, context)))
    return END


def conversation(
    name: str, entry_points: list[Handler], states: dict[object, list[Handler]]
) -> Dialogue:
    """A persistent dialogue: it survives a restart; a new entry restarts it."""
    return Dialogue(
        entry_points=entry_points,
        states=states,
        fallbacks=[CommandHandler(["abbrechen", "cancel"], cancel, filters=PRIVATE)],
        name=name,
        persistent=True,
        allow_reentry=True,
    )
