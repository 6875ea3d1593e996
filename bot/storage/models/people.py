"""Persons, their roles, invitations and absences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class Person(Base):
    """Anyone who wrote to the bot; roles are separate rows."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(8))
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None]
    unreachable_since: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # A fingerprint of the command menu last set for this chat (staff only; None: Telegram
    # shows the default menu), so that a role or language change re-sends it only when changed.
    menu_fingerprint: Mapped[str | None] = mapped_column(String(64))


class RoleAssignment(Base):
    """A role held by a person; ended rows stay for the history."""

    __tablename__ = "role_assignments"
    __table_args__ = (Index("ix_role_assignments_lookup", "role", "district_number", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    district_number: Mapped[str | None] = mapped_column(String(2))
    department_number: Mapped[str | None] = mapped_column(String(8))
    fraction: Mapped[str | None] = mapped_column(String(64))  # a council member's group
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Invitation(Base):
    """A one-time deep-link invitation; only the token's hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    district_numbers: Mapped[str | None] = mapped_column(String(64))  # comma-separated
    department_number: Mapped[str | None] = mapped_column(String(8))
    fraction: Mapped[str | None] = mapped_column(String(64))  # a council member's group
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    revoked_at: Mapped[datetime | None]


class Absence(Base):
    """A manager away until a date; new cases go to the deputy meanwhile."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime]
