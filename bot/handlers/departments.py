"""/fachbereich: the departments as the bot names them; coordinators and admins correct a name
(`/fachbereich 66 Tiefbau`). Stored corrections are put over the shipped names at start."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.common import actor_roles, refuse, send_reply, translator
from bot.messages import departments as messages
from bot.services.access import departments
from bot.services.access.departments import Refusal
from bot.storage.db import session_scope

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE


async def department_name(update: Update, context: BotContext) -> None:
    """Without arguments: the list; with a number and a name: the correction."""
    person, roles = await actor_roles(update, context)
    if not departments.may_rename(roles):
        await refuse(update, context)
        return
    t, services = translator(update, context), context.services
    args = context.args or []
    if len(args) < 2:
        await send_reply(update, messages.overview(t, services.reference))
        return
    number, name = args[0], " ".join(args[1:])
    refusal = departments.check(roles, services.reference, number, name)
    if refusal is Refusal.NOT_ALLOWED:
        await refuse(update, context)
        return
    if refusal is not None:
        await send_reply(update, messages.refused(t, refusal, number))
        return
    async with session_scope(services.session_maker) as session:
        done = await departments.rename(
            session,
            services.reference,
            person=person,
            number=number,
            name=name,
            now=services.clock.now(),
        )
    log.info("department %s renamed by person %s", done.number, person.id)
    await send_reply(update, messages.renamed(t, services.reference, done))


async def _apply_corrections(app: BotApplication) -> None:
    services = app.bot_data.services
    assert services is not None
    async with session_scope(services.session_maker) as session:
        count = await departments.apply_corrections(session, services.reference)
    if count:
        log.info("%d department names corrected by coordinators", count)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler(["fachbereich", "department"], department_name, filters=PRIVATE)
    )
    # The stored corrections apply before the first update: run after the app's own post_init
    # (register_all is the one place handlers are wired; the start hook stays with them).
    before = app.post_init

    async def post_init(application: BotApplication) -> None:
        if before is not None:
            await before(application)
        await _apply_corrections(application)

    app.post_init = post_init
