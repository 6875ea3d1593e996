"""The district council: its sessions, the members' inquiries and information requests, the
departments' statements on them, and the follow-ups decided in a session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class CouncilSession(Base):
    """A session of a district council (Bezirksratssitzung)."""

    __tablename__ = "council_sessions"
    __table_args__ = (Index("ix_council_sessions_district_start", "district_number", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_number: Mapped[str] = mapped_column(String(2))
    starts_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned/held
    uid: Mapped[str | None] = mapped_column(String(255))  # an imported calendar event's UID
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Inquiry(Base):
    """A member's inquiry (Anfrage) for a session, or a lighter information request
    (kind "info", no session), with its number per district."""

    __tablename__ = "council_inquiries"
    __table_args__ = (UniqueConstraint("district_number", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_number: Mapped[str] = mapped_column(String(2), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8), default="inquiry")  # inquiry / info
    session_id: Mapped[int | None] = mapped_column(ForeignKey("council_sessions.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    fraction: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(256))
    file_name: Mapped[str | None] = mapped_column(String(256))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    answer: Mapped[str | None] = mapped_column(Text)  # the merged, approved statement
    approved_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Statement(Base):
    """One department's part of the administration's statement on an inquiry."""

    __tablename__ = "council_statements"
    __table_args__ = (UniqueConstraint("inquiry_id", "department_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("council_inquiries.id"), index=True)
    department_number: Mapped[str] = mapped_column(String(8))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    due_at: Mapped[datetime]
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(256))
    submitted_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class CouncilFollowUp(Base):
    """An agreement decided in a session on an inquiry (the agreement engine tracks it)."""

    __tablename__ = "council_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("council_inquiries.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    created_at: Mapped[datetime]
