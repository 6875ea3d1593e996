"""What every manager action on a case shares: the rights check, the check that the case's
state still allows the action (`bot.services.cases.actions`), and one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from bot.delivery import request_delivery
from bot.handlers.case_card import card_of, outdated
from bot.handlers.common import (
    answer_query,
    ensure_person,
    refuse,
    send_reply,
    translator,
)
from bot.i18n import Translator
from bot.messages import case_view
from bot.messages import triage as say
from bot.messages.reply import Reply
from bot.services.access.roles import load_roles
from bot.services.basics.env import ServiceEnv
from bot.services.cases import actions, triage
from bot.storage.db import session_scope
from bot.storage.models import Case, Person

T = TypeVar("T")


class Outdated(Exception):
    """The case's state no longer allows the action: nothing is done."""

    def __init__(self, notice: str, shown: Reply, case_id: int) -> None:
        super().__init__(notice)
        self.notice, self.shown, self.case_id = notice, shown, case_id


async def with_case(
    update: Update,
    context: BotContext,
    case_id: int,
    action: Callable[[AsyncSession, Person, Case], Awaitable[T]],
    *,
    name: str | None = None,
) -> T | None:
    """Check the sender may work on the case, and that its state allows the action `name`
    (else the sender learns the state and gets the current buttons), then run `action` in
    one transaction."""
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
            if name is not None and not actions.allows(case, name):
                t = translator(update, context)
                shown = await card_of(session, services.env, t, case, services.clock.now())
                raise Outdated(
                    case_view.stale_notice(t, case.reference, case.status), shown, case.id
                )
            result = await action(session, person, case)
    except PermissionError:
        await refuse(update, context)
        return None
    except Outdated as stale:
        await outdated(update, context, stale.notice, stale.shown, stale.case_id)
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


async def card(p: Press) -> Reply:
    """The case's card after what the press changed (the same transaction)."""
    return await card_of(p.session, p.env, p.t, p.case, p.now)


async def confirmed(p: Press, confirmation: Reply) -> Reply:
    """The confirmation of an action with the case's card below it."""
    return case_view.after(confirmation.text, await card(p))


async def handed_over(p: Press, district: str) -> Reply:
    """The confirmation; the card only for who may still work on the case (coordinators)."""
    done = say.handed_over(p.t, p.env.reference.district(district).name)
    roles = await load_roles(p.session, person=p.person, admin_ids=p.env.admin_ids)
    if triage.can_work_on(roles, p.case):
        return await confirmed(p, done)
    return done
