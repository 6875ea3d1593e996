"""Council sessions and district conferences as iCalendar: an export for calendars, and an
import of the sessions a council support keeps elsewhere (matched by the event's UID, so a
second import of a moved session moves it instead of adding one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PRODID = "-//Landeshauptstadt Hannover//Bezirksbot//DE"


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    starts_at: datetime
    summary: str
    location: str | None = None
    hours: float = 3.0


@dataclass(frozen=True)
class ImportedSession:
    uid: str | None
    starts_at: datetime
    location: str | None


def to_ics(entries: Sequence[CalendarEntry]) -> bytes:
    from icalendar import Calendar, Event  # here, not at start: only exports need it

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("summary", entry.summary)
        event.add("dtstart", entry.starts_at.astimezone(UTC))
        event.add("dtend", entry.starts_at.astimezone(UTC) + timedelta(hours=entry.hours))
        event.add("dtstamp", entry.starts_at.astimezone(UTC))
        if entry.location:
            event.add("location", entry.location)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


class CalendarError(ValueError):
    """Not an iCalendar file, or one without any event."""


def from_ics(content: bytes, *, tz: ZoneInfo) -> list[ImportedSession]:
    """The events of a calendar file; a date without a time is taken as 18:00 local (the
    usual hour of the councils), a floating time as local time."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(content)
    except ValueError as error:
        raise CalendarError(str(error)) from None
    found: list[ImportedSession] = []
    for event in calendar.walk("VEVENT"):
        start = event.decoded("dtstart", None)
        if start is None:
            continue
        if not isinstance(start, datetime) and isinstance(start, date):
            start = datetime.combine(start, time(18)).replace(tzinfo=tz)
        elif start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        location = str(event.get("location")) if event.get("location") else None
        uid = str(event.get("uid")) if event.get("uid") else None
        found.append(ImportedSession(uid, start.astimezone(UTC), location))
    if not found:
        raise CalendarError("no events")
    return found
