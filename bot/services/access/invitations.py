"""One-time invitations that bind a Telegram account to a staff role.

Nobody can claim a role by typing: an admin or coordinator creates an invitation, the
invited person opens its deep link (`/start inv-<token>`), and only then is a role assigned.
Only the token's SHA-256 is stored, so a database dump cannot be turned into working links.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.services.access.roles import Role, Roles, assign_role
from bot.services.basics.reference import ReferenceData
from bot.storage.models import Invitation, Person, RoleAssignment

TOKEN_BYTES = 24  # 192 bits; token_urlsafe makes 32 characters of A-Z a-z 0-9 _ -
PAYLOAD_PREFIX = "inv-"
# Telegram start payloads: at most 64 characters of A-Z a-z 0-9 _ -.
_PAYLOAD = re.compile(rf"{PAYLOAD_PREFIX}([A-Za-z0-9_-]{{32,60}})")

ROLE_NAMES: dict[str, Role] = {
    "manager": Role.MANAGER,
    "stadtbezirksmanager": Role.MANAGER,
    "stadtbezirksmanagerin": Role.MANAGER,
    "stadtbezirksmanagement": Role.MANAGER,
    "deputy": Role.DEPUTY,
    "vertretung": Role.DEPUTY,
    "rep": Role.REP,
    "representative": Role.REP,
    "fachbereich": Role.REP,
    "fb": Role.REP,
    "coordinator": Role.COORDINATOR,
    "coordination": Role.COORDINATOR,
    "koordination": Role.COORDINATOR,
    "admin": Role.ADMIN,
    "bezirksrat": Role.COUNCIL_MEMBER,
    "council": Role.COUNCIL_MEMBER,
    "ratsmitglied": Role.COUNCIL_MEMBER,
    "bezirksbürgermeister": Role.MAYOR,
    "bezirksbürgermeisterin": Role.MAYOR,
    "mayor": Role.MAYOR,
    "bezirksratsbetreuung": Role.COUNCIL_SUPPORT,
    "betreuung": Role.COUNCIL_SUPPORT,
    "council_support": Role.COUNCIL_SUPPORT,
}
COUNCIL_ROLES = (Role.COUNCIL_MEMBER, Role.MAYOR, Role.COUNCIL_SUPPORT)

RedeemStatus = Literal["bound", "unknown", "expired", "used", "revoked"]


class InvitationError(ValueError):
    """An invitation that cannot be created; `code` says why, `value` what was wrong."""

    def __init__(self, code: str, value: str | None = None) -> None:
        super().__init__(code if value is None else f"{code}: {value}")
        self.code, self.value = code, value


@dataclass(frozen=True)
class RedeemResult:
    status: RedeemStatus
    invitation: Invitation | None = None
    assignments: tuple[RoleAssignment, ...] = field(default=())

    @property
    def bound(self) -> bool:
        return self.status == "bound"


def parse_role(text: str) -> Role | None:
    """A role from its German or English name, e.g. "vertretung" or "deputy"."""
    return ROLE_NAMES.get(text.strip().casefold())


def parse_command(args: Sequence[str]) -> tuple[Role | None, list[str], str | None]:
    """Role, district items and department from `/einladen <role> ...`."""
    if not args:
        return None, [], None
    role = parse_role(args[0])
    rest = list(args[1:])
    if role == Role.REP:
        return role, [" ".join(rest[1:])] if rest[1:] else [], rest[0] if rest else None
    if role in COUNCIL_ROLES:  # "/einladen bezirksrat 10 SPD": district, then the fraction
        return role, rest[:1], " ".join(rest[1:]) or None
    if role in (Role.MANAGER, Role.DEPUTY):
        # One district, whose name may have been typed with spaces ("Linden Limmer").
        return role, [" ".join(rest)] if rest else [], None
    return role, rest, None


def may_invite(
    roles: Roles, role: Role | None = None, *, districts: Sequence[str] | None = None
) -> bool:
    """Coordinators and admins invite; only admins create admins. A district manager invites
    representatives for the districts they manage, as their deputy too (`districts`: the
    invitation's district numbers)."""
    if role == Role.ADMIN:
        return roles.is_admin or any(a.role == Role.ADMIN for a in roles.assignments)
    if roles.is_coordinator:
        return True
    managed = roles.districts()  # as manager or deputy
    return role == Role.REP and bool(districts) and set(districts or ()) <= managed


def invites_reps(roles: Roles) -> bool:
    """Whether /einladen is for this person at all: coordinators, or a district manager."""
    return roles.is_coordinator or bool(roles.districts())


def rep_districts(reference: ReferenceData, roles: Roles, items: Sequence[str]) -> list[str]:
    """The district numbers a rep invitation is for; a manager who names none invites for
    their own district. Raises InvitationError for a district that does not exist."""
    numbers = resolve_districts(reference, items)
    managed = sorted(roles.districts())
    if not numbers and not roles.is_coordinator and len(managed) == 1:
        return managed
    return numbers


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def payload_for(token: str) -> str:
    return PAYLOAD_PREFIX + token


def token_from_payload(payload: str) -> str | None:
    """The token in a start payload, or None if it is not an invitation payload."""
    match = _PAYLOAD.fullmatch(payload.strip())
    return match.group(1) if match else None


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload_for(token)}"


def districts_of(invitation: Invitation) -> list[str]:
    return [d for d in (invitation.district_numbers or "").split(",") if d]


def resolve_districts(reference: ReferenceData, items: Sequence[str]) -> list[str]:
    """District numbers for numbers ("10") or exact names ("Linden-Limmer"), in order.

    Items may hold several districts separated by commas. No fuzzy matching: a role must
    never land in a district nobody meant.
    """
    numbers: list[str] = []
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            found = [_district_number(reference, part)]
            if found[0] is None and len(part.split()) > 1:  # "10 11" rather than "10,11"
                found = [_district_number(reference, word) for word in part.split()]
            for number in found:
                if number is None:
                    raise InvitationError("unknown_district", part)
                if number not in numbers:
                    numbers.append(number)
    return numbers


def _district_number(reference: ReferenceData, text: str) -> str | None:
    if text.isdigit():
        return reference.district(text).number if reference.has_district(text) else None
    district = reference.district_by_name(text)
    return district.number if district else None


def _validated_scope(
    reference: ReferenceData, role: Role, districts: Sequence[str], department: str | None
) -> tuple[list[str], str | None]:
    numbers = resolve_districts(reference, districts)
    if role in COUNCIL_ROLES:  # `department` carries the member's fraction
        if len(numbers) != 1:
            raise InvitationError("one_district")
        if role == Role.COUNCIL_MEMBER and not (department or "").strip():
            raise InvitationError("fraction_required")
        return numbers, (department or "").strip()[:64] or None
    department = (department or "").strip().upper().removeprefix("FB").strip() or None
    if role in (Role.MANAGER, Role.DEPUTY):
        if department is not None:
            raise InvitationError("no_department")
        if len(numbers) != 1:
            raise InvitationError("one_district")
        return numbers, None
    if role == Role.REP:
        if department is None:
            raise InvitationError("department_required")
        if not reference.has_department(department):
            raise InvitationError("unknown_department", department)
        if not numbers:
            raise InvitationError("district_required")
        return numbers, reference.department(department).number
    if numbers or department is not None:  # coordinators and admins see every district
        raise InvitationError("no_scope")
    return [], None


async def create_invitation(
    session: AsyncSession,
    *,
    reference: ReferenceData,
    role: Role,
    now: datetime,
    days: int,
    districts: Sequence[str] = (),
    department: str | None = None,
    created_by: Person | None = None,
) -> tuple[Invitation, str]:
    """Store a new invitation; return it with the token (shown once, never stored)."""
    if days < 1:
        raise InvitationError("days", str(days))
    numbers, department = _validated_scope(reference, role, districts, department)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    fraction = department if role in COUNCIL_ROLES else None
    invitation = Invitation(
        token_hash=hash_token(token),
        role=role,
        district_numbers=",".join(numbers) or None,
        department_number=None if role in COUNCIL_ROLES else department,
        fraction=fraction,
        created_by_id=created_by.id if created_by else None,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(invitation)
    await session.flush()
    return invitation, token


async def redeem(
    session: AsyncSession, *, token: str, person: Person, now: datetime
) -> RedeemResult:
    """Bind `person` to the invitation's role(s) if it is open; otherwise say why not."""
    token_hash = hash_token(token)
    # One conditional UPDATE, so two people opening the same link at once cannot both win.
    result = await session.execute(
        update(Invitation)
        .where(
            Invitation.token_hash == token_hash,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now, used_by_id=person.id)
        .execution_options(synchronize_session=False)
    )
    invitation = await session.scalar(
        select(Invitation)
        .where(Invitation.token_hash == token_hash)
        .execution_options(populate_existing=True)
    )
    if invitation is None:
        return RedeemResult("unknown")
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        if invitation.used_at is not None:
            return RedeemResult("used", invitation)
        if invitation.revoked_at is not None:
            return RedeemResult("revoked", invitation)
        return RedeemResult("expired", invitation)
    role = Role(invitation.role)
    scopes: list[str | None] = list(districts_of(invitation)) or [None]
    assignments = [
        await _assign_fraction(
            invitation,
            await _assign_once(
                session,
                person=person,
                role=role,
                now=now,
                district=district,
                department=invitation.department_number,
                invitation_id=invitation.id,
            ),
        )
        for district in scopes
    ]
    return RedeemResult("bound", invitation, tuple(assignments))


async def _assign_fraction(invitation: Invitation, assignment: RoleAssignment) -> RoleAssignment:
    if invitation.fraction:
        assignment.fraction = invitation.fraction
    return assignment


async def _assign_once(
    session: AsyncSession,
    *,
    person: Person,
    role: Role,
    now: datetime,
    district: str | None,
    department: str | None,
    invitation_id: int,
) -> RoleAssignment:
    # A second invitation for a role already held adds no duplicate row; a manager is
    # always reassigned, since assign_role ends the district's previous manager.
    if role != Role.MANAGER:
        held = await session.scalar(
            select(RoleAssignment).where(
                RoleAssignment.person_id == person.id,
                RoleAssignment.role == role,
                _equals(RoleAssignment.district_number, district),
                _equals(RoleAssignment.department_number, department),
                RoleAssignment.ended_at.is_(None),
            )
        )
        if held is not None:
            return held
    return await assign_role(
        session,
        person=person,
        role=role,
        now=now,
        district_number=district,
        department_number=department,
        invitation_id=invitation_id,
    )


def _equals(column: InstrumentedAttribute[str | None], value: str | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


async def revoke(session: AsyncSession, *, invitation_id: int, now: datetime) -> bool:
    """Revoke an open invitation; False if there is none (unknown, used, revoked, expired)."""
    result = await session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def list_open(session: AsyncSession, now: datetime) -> list[Invitation]:
    """Invitations that can still be redeemed, oldest first."""
    rows = await session.scalars(
        select(Invitation)
        .where(
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.id)
    )
    return list(rows)
