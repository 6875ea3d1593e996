"""What conferences and projects tell reps and managers, as intents (rendered in
`bot/messages/conferences.py` and `bot/messages/projects.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.messaging.intents import Intent, intent
from bot.storage.models import Conference


@dataclass(frozen=True)
class ConferenceRef:
    """What a message needs to name a conference: its kind, district and start."""

    id: int
    district: str
    kind: str
    starts_at: datetime

    @classmethod
    def of(cls, conference: Conference) -> ConferenceRef:
        return cls(
            conference.id, conference.district_number, conference.kind, conference.starts_at
        )


@intent("conference.invitation")
@dataclass(frozen=True)
class Invitation(Intent):
    """A rep is invited for their department; they may answer and send agenda topics."""

    conference: ConferenceRef
    department: str
    invite_id: int


@intent("conference.reminder")
@dataclass(frozen=True)
class ConferenceReminder(Intent):
    """A week (`d7`) or a day (`d1`) before: to a rep (with the answer buttons while
    `invite_id` is unanswered) or to the manager."""

    conference: ConferenceRef
    slot: str
    invite_id: int | None = None
    for_manager: bool = False
    days_before: int | None = None  # from the day it is written to the start (the words)


@intent("conference.declined")
@dataclass(frozen=True)
class InviteDeclined(Intent):
    """To the manager: a department's rep declined."""

    conference: ConferenceRef
    department: str


@intent("conference.overdue")
@dataclass(frozen=True)
class ConferenceOverdue(Intent):
    """To the manager: no district conference held or planned for six months."""

    district: str


@intent("project.missing")
@dataclass(frozen=True)
class ProjectMissing(Intent):
    """To the manager, October to December: no district development project this year."""

    district: str
    year: int
