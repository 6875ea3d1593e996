"""Invitation links: redeeming `/start inv-<token>`, and /einladen, /widerrufen, /einladungen
for coordinators and admins."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.command_menus import refresh_menus
from bot.handlers.common import actor_roles, ensure_person, refuse, send_reply, translator
from bot.handlers.home import send_home
from bot.messages import invitations as messages
from bot.services.access import invitations
from bot.services.access.invitations import InvitationError
from bot.services.access.roles import Role
from bot.storage.db import session_scope

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
# Only a /start carrying an invitation payload; a plain /start goes on to the menu's greeting.
INVITATION_START = filters.Regex(rf"^/start(@\w+)?\s+{invitations.PAYLOAD_PREFIX}")


async def redeem_link(update: Update, context: BotContext) -> None:
    """Bind the sender to the role of the invitation in the start payload, if it is open."""
    person = await ensure_person(update, context)
    t = translator(update, context)  # after ensure_person, which loads a stored language
    services = context.services
    token = invitations.token_from_payload(context.args[0]) if context.args else None
    if token is None:
        result = invitations.RedeemResult("unknown")
    else:
        async with session_scope(services.session_maker) as session:
            result = await invitations.redeem(
                session, token=token, person=person, now=services.clock.now()
            )
    if not result.bound or result.invitation is None:
        log.info("invitation not redeemed by person %s: %s", person.id, result.status)
        await send_reply(update, messages.not_redeemed(t, result.status))
        return
    log.info("invitation %s redeemed by person %s", result.invitation.id, person.id)
    # Everyone's menu, not only the new holder's: a new manager ends the predecessor's role.
    await refresh_menus(context.application)
    welcome = messages.welcome(t, services.reference, result.invitation)
    await send_home(update, context, welcome, note=True)


async def invite(update: Update, context: BotContext) -> None:
    """Create an invitation link (coordinators and admins; a manager for their reps)."""
    person, roles = await actor_roles(update, context)
    if not invitations.invites_reps(roles):  # coordinators, and managers for their reps
        await refuse(update, context)
        return
    t = translator(update, context)
    role, districts, department = invitations.parse_command(context.args or [])
    if role is None:
        await send_reply(update, messages.usage(t))
        return
    services = context.services
    try:
        if role == Role.REP:
            districts = invitations.rep_districts(services.reference, roles, districts)
        if not invitations.may_invite(roles, role, districts=districts):
            await refuse(update, context)  # coordinators no admins, managers their reps only
            return
        async with session_scope(services.session_maker) as session:
            invitation, token = await invitations.create_invitation(
                session,
                reference=services.reference,
                role=role,
                now=services.clock.now(),
                days=services.settings.invitation_days,
                districts=districts,
                department=department,
                created_by=person,
            )
    except InvitationError as error:
        await send_reply(update, messages.refused(t, error.code, error.value))
        return
    log.info("invitation %s (%s) created by person %s", invitation.id, role, person.id)
    link = invitations.deep_link(context.bot.username, token)
    reply = messages.created(t, services.reference, invitation, link=link, tz=services.settings.tz)
    await send_reply(update, reply)


async def revoke(update: Update, context: BotContext) -> None:
    """Revoke an open invitation by its id (coordinators and admins)."""
    _, roles = await actor_roles(update, context)
    if not invitations.may_invite(roles):
        await refuse(update, context)
        return
    t = translator(update, context)
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        await send_reply(update, messages.revoke_usage(t))
        return
    services = context.services
    async with session_scope(services.session_maker) as session:
        done = await invitations.revoke(
            session, invitation_id=int(args[0]), now=services.clock.now()
        )
    await send_reply(update, messages.revoked(t, int(args[0]), done=done))


async def list_open(update: Update, context: BotContext) -> None:
    """List the invitations that can still be redeemed (coordinators and admins)."""
    _, roles = await actor_roles(update, context)
    if not invitations.may_invite(roles):
        await refuse(update, context)
        return
    t = translator(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        rows = await invitations.list_open(session, services.clock.now())
    reply = messages.open_list(t, services.reference, rows, tz=services.settings.tz)
    await send_reply(update, reply)


def register(app: BotApplication) -> None:
    """Before the intake and the menu, so an invitation link wins over the plain /start."""
    app.add_handler(CommandHandler("start", redeem_link, filters=PRIVATE & INVITATION_START))
    app.add_handler(CommandHandler(["einladen", "invite"], invite, filters=PRIVATE))
    app.add_handler(CommandHandler(["widerrufen", "revoke"], revoke, filters=PRIVATE))
    app.add_handler(CommandHandler(["einladungen", "invitations"], list_open, filters=PRIVATE))
