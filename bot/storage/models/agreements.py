"""District conferences, their invitations and agenda, action plans, agreements and projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class Conference(Base):
    """A district conference (Stadtbezirkskonferenz) or a follow-up working meeting."""

    __tablename__ = "conferences"
    __table_args__ = (Index("ix_conferences_district_start", "district_number", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_number: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(16), default="conference")  # or "meeting"
    starts_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned/held/cancelled
    departments: Mapped[dict[str, Any] | None]  # {"invited": ["32", "61", ...]}
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    held_at: Mapped[datetime | None]


class ConferenceInvite(Base):
    """One department's invitation to a conference and its answer."""

    __tablename__ = "conference_invites"
    __table_args__ = (UniqueConstraint("conference_id", "department_number", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id"), index=True)
    department_number: Mapped[str] = mapped_column(String(8))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    response: Mapped[str | None] = mapped_column(String(16))  # accepted / declined
    responded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    department_number: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ActionPlan(Base):
    """Several agreements under one topic, e.g. calming conflicts on a square."""

    __tablename__ = "action_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_number: Mapped[str] = mapped_column(String(2), index=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(32))
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conferences.id"))
    created_at: Mapped[datetime]


class Agreement(Base):
    """Who (department) does what (measure) by when (due), agreed for a district."""

    __tablename__ = "agreements"
    __table_args__ = (
        Index("ix_agreements_district_status", "district_number", "status"),
        Index("ix_agreements_department_status", "department_number", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_number: Mapped[str] = mapped_column(String(2))
    department_number: Mapped[str] = mapped_column(String(8))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    measure: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(32))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(24), default="open")
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # 1 manager, 2 coordinators
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    action_plan_id: Mapped[int | None] = mapped_column(ForeignKey("action_plans.id"))
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conferences.id"))
    requested_due_at: Mapped[datetime | None]
    request_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]


class AgreementEvent(Base):
    """Append-only history of an agreement."""

    __tablename__ = "agreement_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]


class Project(Base):
    """A district development project (at least one per district and year)."""

    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_district_year", "district_number", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_number: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(32))
    partners: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned/running/done
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
