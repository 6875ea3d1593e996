"""Needs (Handlungsbedarfe): calls for proposals, their participants, the needs, supports,
rankings, and the focus areas (Handlungsschwerpunkte) a conference agrees."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class NeedCall(Base):
    """A call for proposals in one district: who may take part, which fields, until when."""

    __tablename__ = "need_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_number: Mapped[str] = mapped_column(String(2), index=True)
    title: Mapped[str] = mapped_column(String(200))
    fields: Mapped[dict[str, Any]]  # {"topics": ["public_space", ...]}
    audience: Mapped[str] = mapped_column(String(16))  # actors (invited) / all (residents too)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # the invitation link's key
    ends_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]


class NeedParticipant(Base):
    """Someone taking part in a call (joined through its link, or marked as actor)."""

    __tablename__ = "need_participants"
    __table_args__ = (
        UniqueConstraint("call_id", "person_id", name="uq_need_participants_call_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("need_calls.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # actor / resident
    created_at: Mapped[datetime]


class Need(Base):
    """A proposed need; merged ones point at the need they were merged into."""

    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("need_calls.id"), index=True)
    district_number: Mapped[str] = mapped_column(String(2), index=True)
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    topic: Mapped[str] = mapped_column(String(32))
    quarters: Mapped[str] = mapped_column(String(200))
    missing: Mapped[str] = mapped_column(Text)
    affected: Mapped[str] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(200))
    file_kind: Mapped[str | None] = mapped_column(String(16))  # photo / document
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    reason: Mapped[str | None] = mapped_column(Text)  # of a rejection
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"))
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conferences.id"))
    focus_area_id: Mapped[int | None] = mapped_column(ForeignKey("focus_areas.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class NeedSupport(Base):
    """One person's support of one need: the unique pair is what makes a support count once."""

    __tablename__ = "need_supports"
    __table_args__ = (
        UniqueConstraint("need_id", "person_id", name="uq_need_supports_need_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[datetime]


class NeedRank(Base):
    """A participant's place 1–3 for a need at the end of a call."""

    __tablename__ = "need_ranks"
    __table_args__ = (
        UniqueConstraint("call_id", "person_id", "place", name="uq_need_ranks_place"),
        UniqueConstraint("call_id", "person_id", "need_id", name="uq_need_ranks_need"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("need_calls.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    place: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class FocusArea(Base):
    """A Handlungsschwerpunkt agreed at a district conference; its agreements are those of
    its action plan; the Dezernentenkonferenz's decision is recorded on it."""

    __tablename__ = "focus_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_number: Mapped[str] = mapped_column(String(2), index=True)
    title: Mapped[str] = mapped_column(String(200))
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conferences.id"))
    action_plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id"))
    decision: Mapped[str | None] = mapped_column(String(16))  # decided / changed / not_adopted
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
