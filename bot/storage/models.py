"""The database schema. Every timestamp is UTC; districts are referenced by their number."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.storage.types import RowId, UTCDateTime

# A naming convention keeps Alembic's batch operations on SQLite deterministic.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        int: RowId,
    }


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


class RoleAssignment(Base):
    """A role held by a person; ended rows stay for the history."""

    __tablename__ = "role_assignments"
    __table_args__ = (Index("ix_role_assignments_lookup", "role", "district_number", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    district_number: Mapped[str | None] = mapped_column(String(2))
    department_number: Mapped[str | None] = mapped_column(String(8))
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


class ReferenceCounter(Base):
    """Sequence per district and year for typeable reference numbers (10-2026-0042)."""

    __tablename__ = "reference_counters"

    district_number: Mapped[str] = mapped_column(String(2), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    """A resident's concern. Its current state is derived data; `case_events` is the history."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_district_status", "district_number", "status", "created_at"),
        Index("ix_cases_resident", "resident_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # the intake's own key: confirming the same draft twice (a redelivered update after a
    # crash) finds this case instead of filing a second one
    intake_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    district_number: Mapped[str] = mapped_column(String(2))
    quarter: Mapped[str | None] = mapped_column(String(64))
    address_text: Mapped[str | None] = mapped_column(String(256))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    topic: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(256))
    actor_kind: Mapped[str | None] = mapped_column(String(16))  # club/initiative/council/other
    actor_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="de")
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    mode: Mapped[str | None] = mapped_column(String(16))  # lotse / kuemmerer
    priority: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    referral_key: Mapped[str | None] = mapped_column(String(64))
    next_step: Mapped[str | None] = mapped_column(Text)
    next_step_due: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    referral_helped: Mapped[bool | None]
    settled: Mapped[bool | None]
    # The resident agreed at the review that their description may appear in the city's open
    # data (Open311). Erasure and retention set it back to False along with the text.
    publication_consent: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    photos: Mapped[list[CasePhoto]] = relationship(
        back_populates="case", order_by="CasePhoto.id", cascade="all, delete-orphan"
    )


class CasePhoto(Base):
    __tablename__ = "case_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    file_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]

    case: Mapped[Case] = relationship(back_populates="photos")


class CaseEvent(Base):
    """Append-only history of a case: who did what when."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]


class CaseMessage(Base):
    """Which Telegram message belongs to which case, so a manager's reply finds its case."""

    __tablename__ = "case_messages"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)


class SavedReply(Base):
    __tablename__ = "saved_replies"
    __table_args__ = (UniqueConstraint("person_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    name: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)


class OutboxMessage(Base):
    """A message the bot must deliver, written in the transaction that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(32), default="message")
    # What to say: an intent (kind and parameters), rendered at delivery in the recipient's
    # language then (`language` is the fallback when they have none). Rows written before
    # intents carry their rendered `payload` instead.
    intent: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any] | None]
    language: Mapped[str | None] = mapped_column(String(8))
    payload: Mapped[dict[str, Any] | None]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(256))


class Reminder(Base):
    """A message due at a moment, sent once by the periodic sweep (survives restarts).

    `key` is unique per (subject, kind, slot), so scheduling twice never sends twice.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        # shaped for the sweep: pending rows by due moment, nothing else in the index
        Index(
            "ix_reminders_pending_due",
            "due_at",
            sqlite_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conferences.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    data: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class PersistenceEntry(Base):
    """python-telegram-bot persistence (conversation states, user data) kept in our database."""

    __tablename__ = "ptb_persistence"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    data: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Update ids already handled, so a redelivered update does nothing twice."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    processed_at: Mapped[datetime]


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
