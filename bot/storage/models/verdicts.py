"""The residents' verdict on a closed case: asked once, some working days after closing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class Verdict(Base):
    """One per case: when the resident was asked (and reminded), the score 1–5, the optional
    sentence and whether it may be quoted. District, topic and mode are copied at asking time,
    so the report counts without joining the cases (and after erasure, which keeps them)."""

    __tablename__ = "verdicts"
    __table_args__ = (Index("ix_verdicts_closed", "closed_at", "district_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    district_number: Mapped[str] = mapped_column(String(2))
    topic: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str | None] = mapped_column(String(16))  # lotse / kuemmerer
    closed_at: Mapped[datetime]
    asked_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)  # the resident's own sentence
    # the resident agreed that the sentence may be quoted (without name) in reports
    quotable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
