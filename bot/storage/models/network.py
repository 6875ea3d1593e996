"""The district's network: directory entries (offices, bodies, organisations, key persons),
the referrals made to them and the meetings at which managers met them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class NetworkEntry(Base):
    """One entry of the directory. Lists (districts, quarters, topics, keywords, languages,
    the channels marked for residents) are JSON; an empty `districts` means city-wide."""

    __tablename__ = "network_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # referral key on cases
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # office, external, organisation, person
    role: Mapped[str | None] = mapped_column(String(200))  # a person's role; a body in charge
    description: Mapped[str | None] = mapped_column(Text)
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    quarters: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    web: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(300))
    office_hours: Mapped[str | None] = mapped_column(String(300))
    resident_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    staff_notes: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16), default="residents")  # or "staff"
    legal_basis: Mapped[str | None] = mapped_column(String(16))  # consent, public_office
    consent_at: Mapped[datetime | None]
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    source: Mapped[str | None] = mapped_column(String(300))
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class NetworkReferral(Base):
    """A Lotse referral of a case to an entry (the count per entry comes from these)."""

    __tablename__ = "network_referrals"
    __table_args__ = (Index("ix_network_referrals_entry", "entry_id", "referred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("network_entries.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    referred_at: Mapped[datetime]


class NetworkMeeting(Base):
    """A meeting of the district a manager attended (e.g. "AG der örtlichen Vereine")."""

    __tablename__ = "network_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_number: Mapped[str] = mapped_column(String(2), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    forum: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]


class NetworkMeetingEntry(Base):
    """Who of the directory was met at a meeting."""

    __tablename__ = "network_meeting_entries"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("network_meetings.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("network_entries.id", ondelete="CASCADE"), primary_key=True, index=True
    )
