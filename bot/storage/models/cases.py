"""Cases: reference counters; the cases with their photos, events and messages; saved replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.models.base import Base


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
