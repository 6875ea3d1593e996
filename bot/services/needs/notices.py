"""What the needs feature tells people, as intents (rendered by `bot.messages.needs`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.services.messaging.intents import Intent, intent


@intent("need.call_invitation")
@dataclass(frozen=True)
class CallInvitation(Intent):
    """To the district's known actors: a new call for proposals, with a button to join."""

    call_id: int
    district: str
    title: str
    ends_at: datetime


@intent("need.proposed")
@dataclass(frozen=True)
class NeedProposed(Intent):
    """To the district's manager: a participant proposed a need."""

    need_id: int
    district: str
    topic: str
    missing: str


@intent("need.question")
@dataclass(frozen=True)
class NeedQuestion(Intent):
    """To the proposer: the manager asks back about their need."""

    need_id: int
    missing: str
    question: str


@intent("need.answered")
@dataclass(frozen=True)
class NeedAnswered(Intent):
    """To the district's manager: the proposer answers the question."""

    need_id: int
    missing: str
    answer: str


@intent("need.rejected")
@dataclass(frozen=True)
class NeedRejected(Intent):
    """To the proposer: the need was rejected, with the reason."""

    missing: str
    reason: str


@intent("need.status")
@dataclass(frozen=True)
class NeedStatusChanged(Intent):
    """To the proposer: the need's status changed (merged: `into` is the need it joined)."""

    missing: str
    status: str
    into: str | None = None


@intent("need.on_agenda")
@dataclass(frozen=True)
class NeedsOnAgenda(Intent):
    """To an invited department: a need is on the next conference's agenda."""

    district: str
    starts_at: datetime
    missing: str
    quarters: str
    supports: int


@intent("need.focus_decided")
@dataclass(frozen=True)
class FocusDecided(Intent):
    """To proposers and supporters: the Dezernentenkonferenz decided on a focus area."""

    district: str
    title: str
    decision: str
    decided_on: date
    note: str | None
