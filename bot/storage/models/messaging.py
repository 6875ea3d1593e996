"""What is to be sent: the outbox and the reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


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
    # Who sent it through the bot (a manager's answer): told if it fails later.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
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
            # postgresql_where, set with a PostgreSQL engine (bot.storage.postgresql: an
            # option here would load SQLAlchemy's PostgreSQL dialect on SQLite too)
            info={"postgresql_where": text("sent_at IS NULL AND cancelled_at IS NULL")},
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
    sent_at: Mapped[datetime | None]  # when the sweep handled it (sent, or skipped)
    cancelled_at: Mapped[datetime | None]
    # A slot the sweep did not send because a later one of the same subject was due too
    # (the bot was down) or it came too late to mean anything: when, and why.
    skipped_at: Mapped[datetime | None]
    skip_reason: Mapped[str | None] = mapped_column(String(32))
