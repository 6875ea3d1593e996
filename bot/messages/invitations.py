"""Invitation links: what coordinators read when they create, list and revoke them, and what
the invited person reads when redeeming one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages.formatting import format_moment
from bot.messages.reference import department_label
from bot.messages.reply import Reply
from bot.services.access import invitations
from bot.services.access.invitations import RedeemStatus
from bot.services.access.roles import Role
from bot.services.basics.reference import ReferenceData
from bot.storage.models import Invitation

ASK_FOR_NEW = N_("Please ask the coordination unit 18.6 for a new invitation.")
NOT_BOUND: dict[RedeemStatus, str] = {
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
COUNCIL_USAGE = N_(
    "District council (coordinators): /einladen bezirksrat 10 SPD (a member and the fraction), "
    "/einladen bezirksbürgermeister 10, /einladen betreuung 10 (council support)."
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
    "fraction_required": N_(
        "A council member invitation needs a district and the fraction, "
        "e.g. /einladen bezirksrat 10 SPD."
    ),
}
# What an invitation grants, and the welcome once it is redeemed, per role.
ROLE_DESCRIPTIONS = {
    Role.MANAGER: N_("district manager of {district}"),
    Role.DEPUTY: N_("deputy for {district}"),
    Role.REP: N_("representative of {department} for {districts}"),
    Role.COORDINATOR: N_("coordination unit 18.6"),
    Role.ADMIN: N_("administrator"),
    Role.COUNCIL_MEMBER: N_("member of the district council of {district} ({fraction})"),
    Role.MAYOR: N_("district mayor of {district}"),
    Role.COUNCIL_SUPPORT: N_("council support for {district}"),
}
WELCOMES = {
    Role.MANAGER: N_(
        "You are now the district manager of {district}. New concerns from this district "
        "come to this chat."
    ),
    Role.DEPUTY: N_(
        "You are now the deputy for {district}. While the manager is absent, new concerns "
        "from this district come to this chat."
    ),
    Role.REP: N_("You are now the representative of {department} for {districts}."),
    Role.COORDINATOR: N_(
        "You are now a member of the coordination unit 18.6: you see all districts and "
        "receive escalations."
    ),
    Role.ADMIN: N_("You are now an administrator of the bot."),
    Role.COUNCIL_MEMBER: N_(
        "You are now registered as a member of the district council of {district} "
        "({fraction}). Submit an inquiry with /anfrage, ask for information with /auskunft "
        "and see your inquiries with /anfragen."
    ),
    Role.MAYOR: N_(
        "You are now registered as the district mayor of {district}. See the inquiries "
        "with /anfragen and the sessions with /sitzungen."
    ),
    Role.COUNCIL_SUPPORT: N_(
        "You are now the council support for {district}. Enter sessions with /sitzung, "
        "see them with /sitzungen and the inquiries with /anfragen."
    ),
}


def _plain(text: str) -> Reply:
    return Reply(text, html=False)


def _fill(t: Translator, message: str, reference: ReferenceData, invitation: Invitation) -> str:
    districts = ", ".join(reference.district(n).name for n in invitations.districts_of(invitation))
    department = ""
    if invitation.department_number and reference.has_department(invitation.department_number):
        department = department_label(t, reference.department(invitation.department_number))
    fraction = invitation.fraction or ""
    return t(
        message, district=districts, districts=districts, department=department, fraction=fraction
    )


def describe(t: Translator, reference: ReferenceData, invitation: Invitation) -> str:
    """The role an invitation grants, e.g. "district manager of Linden-Limmer"."""
    return _fill(t, ROLE_DESCRIPTIONS[Role(invitation.role)], reference, invitation)


def welcome(t: Translator, reference: ReferenceData, invitation: Invitation) -> Reply:
    return _plain(_fill(t, WELCOMES[Role(invitation.role)], reference, invitation))


def not_redeemed(t: Translator, status: RedeemStatus) -> Reply:
    return _plain(t(NOT_BOUND.get(status, NOT_BOUND["unknown"])) + " " + t(ASK_FOR_NEW))


def usage(t: Translator) -> Reply:
    return _plain(t(USAGE) + "\n\n" + t(COUNCIL_USAGE))


def refused(t: Translator, code: str, value: str | None) -> Reply:
    """Why an invitation cannot be created, then how to write the command."""
    message = ERRORS.get(code, USAGE)
    return _plain(t(message, value=value or "") + "\n\n" + t(USAGE))


def created(
    t: Translator,
    reference: ReferenceData,
    invitation: Invitation,
    *,
    link: str,
    tz: ZoneInfo,
) -> Reply:
    return _plain(
        t(
            "Invitation {id}: {role}.\nThe link works once, until {expires}:\n{link}\n\n"
            "Send it only to the person concerned. Revoke it with /widerrufen {id}.",
            id=invitation.id,
            role=describe(t, reference, invitation),
            expires=_until(t, invitation.expires_at, tz),
            link=link,
        )
    )


def _until(t: Translator, moment: datetime, tz: ZoneInfo) -> str:
    return format_moment(moment, tz, lang=t.language)


def revoke_usage(t: Translator) -> Reply:
    return _plain(t("Usage: /widerrufen <number of the invitation>"))


def revoked(t: Translator, invitation_id: int, *, done: bool) -> Reply:
    if done:
        return _plain(t("Invitation {id} is revoked; its link no longer works.", id=invitation_id))
    return _plain(t("There is no open invitation {id}.", id=invitation_id))


def open_list(
    t: Translator, reference: ReferenceData, rows: Sequence[Invitation], *, tz: ZoneInfo
) -> Reply:
    if not rows:
        return _plain(t("There are no open invitations."))
    lines = [t("Open invitations:")]
    for row in rows:
        lines.append(
            t(
                "{id}: {role}, valid until {expires}",
                id=row.id,
                role=describe(t, reference, row),
                expires=_until(t, row.expires_at, tz),
            )
        )
    lines.append(t("Revoke one with /widerrufen <number>."))
    return _plain("\n".join(lines))
