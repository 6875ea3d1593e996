"""Invitation links: redeeming `/start inv-<token>`, and /einladen, /widerrufen, /einladungen
for coordinators and admins."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.context import BotContext
from bot.handlers.common import actor_roles, ensure_person, refuse, send, translator
from bot.i18n import N_, Translator
from bot.services.access import invitations
from bot.services.access.invitations import InvitationError
from bot.services.access.roles import Role, Roles
from bot.services.basics.dates import format_date
from bot.services.basics.reference import ReferenceData
from bot.storage.db import session_scope
from bot.storage.models import Invitation

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
# Only a /start carrying an invitation payload; a plain /start goes on to the menu's greeting.
INVITATION_START = filters.Regex(rf"^/start(@\w+)?\s+{invitations.PAYLOAD_PREFIX}")

ASK_FOR_NEW = N_("Please ask the coordination unit 18.6 for a new invitation.")
NOT_BOUND = {
    "unknown": N_("This invitation link is not valid."),
    "expired": N_("This invitation link has expired."),
    "used": N_("This invitation link has already been used."),
    "revoked": N_("This invitation link has been revoked."),
}
USAGE = N_(
    "Usage: /einladen <role> [district | department districts]\n"
    "Roles: manager, deputy, rep, coordinator.\n"
    "Examples:\n/einladen manager Linden-Limmer\n/einladen deputy 10\n"
    "/einladen rep 66 10,11\n/einladen coordinator"
)
ERRORS = {
    "one_district": N_("A manager or deputy invitation needs exactly one district."),
    "no_department": N_("A manager or deputy invitation needs exactly one district."),
    "unknown_district": N_(
        "I do not know the district {value}. Give its number (01–13) or its exact name."
    ),
    "department_required": N_(
        "A representative invitation needs a department number and at least one district, "
        "e.g. /einladen rep 66 10,11."
    ),
    "district_required": N_(
        "A representative invitation needs a department number and at least one district, "
        "e.g. /einladen rep 66 10,11."
    ),
    "unknown_department": N_("I do not know department {value}."),
    "no_scope": N_("Coordinator and admin invitations take no district or department."),
}


def _district_names(reference: ReferenceData, numbers: Sequence[str]) -> str:
    return ", ".join(reference.district(n).name for n in numbers)


def describe(t: Translator, reference: ReferenceData, invitation: Invitation) -> str:
    """The role an invitation grants, e.g. "district manager of Linden-Limmer"."""
    districts = _district_names(reference, invitations.districts_of(invitation))
    role = Role(invitation.role)
    if role == Role.MANAGER:
        return t("district manager of {district}", district=districts)
    if role == Role.DEPUTY:
        return t("deputy for {district}", district=districts)
    if role == Role.REP:
        department = reference.department(invitation.department_number or "").label(t.language)
        return t(
            "representative of {department} for {districts}",
            department=department,
            districts=districts,
        )
    if role == Role.COORDINATOR:
        return t("coordination unit 18.6")
    return t("administrator")


def _welcome(t: Translator, reference: ReferenceData, invitation: Invitation) -> str:
    districts = _district_names(reference, invitations.districts_of(invitation))
    role = Role(invitation.role)
    if role == Role.MANAGER:
        return t(
            "You are now the district manager of {district}. New concerns from this district "
            "come to this chat.",
            district=districts,
        )
    if role == Role.DEPUTY:
        return t(
            "You are now the deputy for {district}. While the manager is absent, new concerns "
            "from this district come to this chat.",
            district=districts,
        )
    if role == Role.REP:
        department = reference.department(invitation.department_number or "").label(t.language)
        return t(
            "You are now the representative of {department} for {districts}.",
            department=department,
            districts=districts,
        )
    if role == Role.COORDINATOR:
        return t(
            "You are now a member of the coordination unit 18.6: you see all districts and "
            "receive escalations."
        )
    return t("You are now an administrator of the bot.")


def _is_admin(roles: Roles) -> bool:
    return roles.is_admin or any(a.role == Role.ADMIN for a in roles.assignments)


def _may_invite(roles: Roles) -> bool:
    return roles.is_coordinator or _is_admin(roles)


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
        await send(update, t(NOT_BOUND[result.status]) + " " + t(ASK_FOR_NEW))
        return
    log.info("invitation %s redeemed by person %s", result.invitation.id, person.id)
    await send(update, _welcome(t, services.reference, result.invitation))


def _parse(args: Sequence[str]) -> tuple[Role | None, list[str], str | None]:
    """Role, district items and department from `/einladen <role> ...`."""
    if not args:
        return None, [], None
    role = invitations.parse_role(args[0])
    rest = list(args[1:])
    if role == Role.REP:
        return role, [" ".join(rest[1:])] if rest[1:] else [], rest[0] if rest else None
    if role in (Role.MANAGER, Role.DEPUTY):
        # One district, whose name may have been typed with spaces ("Linden Limmer").
        return role, [" ".join(rest)] if rest else [], None
    return role, rest, None


async def invite(update: Update, context: BotContext) -> None:
    """Create an invitation link (coordinators and admins)."""
    person, roles = await actor_roles(update, context)
    if not _may_invite(roles):
        await refuse(update, context)
        return
    t = translator(update, context)
    role, districts, department = _parse(context.args or [])
    if role is None:
        await send(update, t(USAGE))
        return
    if role == Role.ADMIN and not _is_admin(roles):  # coordinators cannot create admins
        await refuse(update, context)
        return
    services = context.services
    try:
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
        message = ERRORS.get(error.code, USAGE)
        await send(update, t(message, value=error.value or "") + "\n\n" + t(USAGE))
        return
    log.info("invitation %s (%s) created by person %s", invitation.id, role, person.id)
    expires = format_date(
        invitation.expires_at.astimezone(services.settings.tz), lang=t.language, with_time=True
    )
    link = invitations.deep_link(context.bot.username, token)
    await send(
        update,
        t(
            "Invitation {id}: {role}.\nThe link works once, until {expires}:\n{link}\n\n"
            "Send it only to the person concerned. Revoke it with /widerrufen {id}.",
            id=invitation.id,
            role=describe(t, services.reference, invitation),
            expires=expires,
            link=link,
        ),
    )


async def revoke(update: Update, context: BotContext) -> None:
    """Revoke an open invitation by its id (coordinators and admins)."""
    _, roles = await actor_roles(update, context)
    if not _may_invite(roles):
        await refuse(update, context)
        return
    t = translator(update, context)
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        await send(update, t("Usage: /widerrufen <number of the invitation>"))
        return
    services = context.services
    async with session_scope(services.session_maker) as session:
        done = await invitations.revoke(
            session, invitation_id=int(args[0]), now=services.clock.now()
        )
    if done:
        await send(update, t("Invitation {id} is revoked; its link no longer works.", id=args[0]))
    else:
        await send(update, t("There is no open invitation {id}.", id=args[0]))


async def list_open(update: Update, context: BotContext) -> None:
    """List the invitations that can still be redeemed (coordinators and admins)."""
    _, roles = await actor_roles(update, context)
    if not _may_invite(roles):
        await refuse(update, context)
        return
    t = translator(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        rows = await invitations.list_open(session, services.clock.now())
    if not rows:
        await send(update, t("There are no open invitations."))
        return
    tz = services.settings.tz
    lines = [t("Open invitations:")]
    for row in rows:
        until = format_date(row.expires_at.astimezone(tz), lang=t.language, with_time=True)
        lines.append(
            t(
                "{id}: {role}, valid until {expires}",
                id=row.id,
                role=describe(t, services.reference, row),
                expires=until,
            )
        )
    lines.append(t("Revoke one with /widerrufen <number>."))
    await send(update, "\n".join(lines))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Before the intake and the menu, so an invitation link wins over the plain /start."""
    app.add_handler(CommandHandler("start", redeem_link, filters=PRIVATE & INVITATION_START))
    app.add_handler(CommandHandler(["einladen", "invite"], invite, filters=PRIVATE))
    app.add_handler(CommandHandler(["widerrufen", "revoke"], revoke, filters=PRIVATE))
    app.add_handler(CommandHandler(["einladungen", "invitations"], list_open, filters=PRIVATE))
