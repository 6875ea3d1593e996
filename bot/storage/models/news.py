"""District news: subscriptions per district and field of action, items and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class NewsSubscription(Base):
    """A person reads a district's news of one field of action ("*": every field)."""

    __tablename__ = "news_subscriptions"
    __table_args__ = (
        UniqueConstraint(
            "person_id", "district_number", "topic", name="uq_news_subscriptions_key"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    district_number: Mapped[str] = mapped_column(String(2), index=True)
    topic: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class NewsItem(Base):
    """One news item; district None means city-wide (every district's subscribers)."""

    __tablename__ = "news_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    sender_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    district_number: Mapped[str | None] = mapped_column(String(2))
    topics: Mapped[dict[str, Any]]  # {"topics": [...]}
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    file_id: Mapped[str | None] = mapped_column(String(200))
    file_kind: Mapped[str | None] = mapped_column(String(16))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    reported_at: Mapped[datetime | None]


class NewsDelivery(Base):
    """An item for one person: the unique pair means nobody receives an item twice."""

    __tablename__ = "news_deliveries"
    __table_args__ = (
        UniqueConstraint("news_id", "person_id", name="uq_news_deliveries_news_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    news_id: Mapped[int] = mapped_column(ForeignKey("news_items.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)
    district_number: Mapped[str] = mapped_column(String(2))  # whose subscription reached them
