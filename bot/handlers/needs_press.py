"""What every button on a need shares: its work in one transaction, a refusal when the
sender may not press it (callback data can be forged), a short answer when it is stale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from bot.handlers.common import answer_query, refuse
from bot.handlers.planning import render_context
from bot.messages import needs as say
from bot.services.needs.calls import NeedError, NotAllowed
from bot.storage.db import session_scope

T = TypeVar("T")


async def pressed(
    update: Update, context: BotContext, work: Callable[[AsyncSession], Awaitable[T]]
) -> T | None:
    """The work's result, or None once the press was refused or answered as stale (the work
    itself never returns None)."""
    try:
        async with session_scope(context.services.session_maker) as session:
            return await work(session)
    except NotAllowed:
        await refuse(update, context)
    except NeedError:
        await answer_query(update, render_context(update, context).t(say.STALE))
    return None
