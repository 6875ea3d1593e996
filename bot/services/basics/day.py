"""The working day as the daily overview (/heute) sees it: today's and this week's bounds in
local time, and a shortened listing that still knows how many there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    """The first few items of a section and how many the section holds in all."""

    items: tuple[T, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class Day:
    """Today in local time: its date, the moment it ends, and its calendar week (Mon–Sun)."""

    today: date
    ends: datetime  # tomorrow 00:00: due "today or overdue" is due before this
    week_starts: datetime
    week_ends: datetime

    @classmethod
    def of(cls, now: datetime, tz: ZoneInfo) -> Day:
        today = now.astimezone(tz).date()
        monday = today - timedelta(days=today.weekday())

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(0), tzinfo=tz)

        return cls(
            today,
            midnight(today + timedelta(days=1)),
            midnight(monday),
            midnight(monday + timedelta(days=7)),
        )
