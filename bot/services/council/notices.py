"""What the bot tells members, managers, council support, reps and coordinators about the
council's work, as intents (the texts live in `bot.messages.council_notices`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.services.messaging.intents import Intent, intent


@dataclass(frozen=True)
class InquiryCard:
    """An inquiry as the summary under every message shows it."""

    inquiry_id: int
    ref: str
    district: str
    title: str
    fraction: str | None
    session_start: datetime | None
    late: bool = False
    department: str | None = None  # the addressee's part, for a rep
    due: datetime | None = None  # that part's due date


@intent("council.inquiry_received")
@dataclass(frozen=True)
class InquiryReceived(Intent):
    """To the manager and the council support: a new inquiry, to assign."""

    card: InquiryCard
    text: str
    member: str | None
    with_file: bool = False  # the member attached a file (a button sends it)


@intent("council.info_requested")
@dataclass(frozen=True)
class InfoRequested(Intent):
    card: InquiryCard
    text: str
    member: str | None


@intent("council.info_answered")
@dataclass(frozen=True)
class InfoAnswered(Intent):
    card: InquiryCard
    answer: str


@intent("council.statement_requested")
@dataclass(frozen=True)
class StatementRequested(Intent):
    """To a rep: draft your department's part (button), due before the session."""

    card: InquiryCard
    text: str
    statement_id: int


@intent("council.statement_nudge")
@dataclass(frozen=True)
class StatementNudge(Intent):
    """Working days from the day the rep reads it to the due day; a nudge read after the due
    day (written late, after downtime) says when it was due (`due`, `read_on`)."""

    card: InquiryCard
    statement_id: int
    working_days_left: int
    due: date | None = None
    read_on: date | None = None


@intent("council.statement_missing_rep")
@dataclass(frozen=True)
class StatementWithoutRep(Intent):
    card: InquiryCard


@intent("council.statement_drafted")
@dataclass(frozen=True)
class StatementDrafted(Intent):
    """To the manager: a part came in; with every part in, the merged text to approve."""

    card: InquiryCard
    rep: str | None
    missing: list[str]
    merged: str | None
    file_of: int | None = None  # the statement whose file the rep attached


@intent("council.statement_late")
@dataclass(frozen=True)
class StatementLate(Intent):
    """An escalation: a part is overdue (level 1 the manager, 2 the coordinators)."""

    card: InquiryCard
    rep: str | None
    level: int


@intent("council.session_moved")
@dataclass(frozen=True)
class SessionMoved(Intent):
    district: str
    old_start: datetime
    new_start: datetime
    location: str | None
    statement_due: datetime | None = None  # for a rep: the part's new due date


@intent("council.answer_given")
@dataclass(frozen=True)
class AnswerGiven(Intent):
    card: InquiryCard
    answer: str


@intent("council.followup_agreed")
@dataclass(frozen=True)
class FollowUpAgreed(Intent):
    """To the member: the session decided a follow-up, tracked as an agreement."""

    card: InquiryCard
    department: str
    measure: str
    due: datetime
