"""What every manager action on a case shares: the rights check and one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from bot.delivery import request_delivery
from bot.handlers.common import (
    answer_query,
    ensure_person,
    refuse,
    send_reply,
    translator,
)
from bot.i18n import Translator
from bot.messages import triage as say
from bot.services.access.roles import load_roles
from bot.services.basics.env import ServiceEnv
from bot.services.cases import triage
from bot.storage.db import session_scope
from bot.storage.models import Case, Person

T = TypeVar("T")


async def with_case(
    update: Update,
    context: BotContext,
    case_id: int,
    action: Callable[[AsyncSession, Person, Case], Awaitable[T]],
) -> T | None:
    """Check the sender may work on the case, then run `action` in one transaction."""
    services = context.services
    person = await ensure_person(update, context)
    try:
        async with session_scope(services.session_maker) as session:
            roles = await load_roles(
                session, person=person, admin_ids=services.settings.admin_telegram_ids
            )
            case = await session.get(Case, case_id)
            if case is None or not triage.can_work_on(roles, case):
                raise PermissionError
            result = await action(session, person, case)
    except PermissionError:
        await refuse(update, context)
        return None
    except triage.TriageError:
        t = translator(update, context)
        if update.callback_query is not None:
            await answer_query(update, say.stale(t))
        else:
            await send_reply(update, say.text(say.stale(t)))
        return None
    request_delivery(context.application)
    return result


@dataclass
class Press:
    """A manager's button press on a case, inside its transaction."""

    session: AsyncSession
    person: Person
    case: Case
    arg: str | None
    env: ServiceEnv
    now: datetime
    t: Translator
    data: dict[str, Any] = field(default_factory=dict)  # the conversation's, for typed input


def arg_of(p: Press) -> str:
    """The button's or the typed argument; missing means a forged or stale press."""
    if not p.arg:
        raise triage.TriageError("argument")
    return p.arg


def groups(context: BotContext) -> tuple[str | None, ...]:
    """The groups of the pattern the pressed button matched."""
    assert context.match is not None  # set for every CallbackQueryHandler with a pattern
    return context.match.groups()


def chat_data_of(context: BotContext) -> dict[Any, Any]:
    """The user's data, where a conversation keeps its answers (persisted with its state)."""
    assert context.user_data is not None  # private chats always have a user
    return context.user_data


def case_press(context: BotContext) -> tuple[str, int, str | None]:
    """`<action>:<case id>[:<arg>]` of a button of the TRIAGE or FEEDBACK family."""
    found = groups(context)
    return found[0] or "", int(found[1] or 0), found[2] if len(found) > 2 else None
