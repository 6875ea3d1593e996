"""The bot's own state: python-telegram-bot persistence rows and processed update ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


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


class InboxUpdate(Base):
    """An update as Telegram sent it, stored before Telegram learns that it arrived (the next
    getUpdates offset, or the webhook's 200). One without a `ProcessedUpdate` row was never
    finished: it is handled again at the next start (`bot.updates.inbox`)."""

    __tablename__ = "update_inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_key: Mapped[int | None] = mapped_column(BigInteger)  # its chat, else its user
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
