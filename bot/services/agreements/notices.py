"""What the bot tells reps, managers and coordinators about agreements, as intents.

Each intent carries the agreement's card (what the summary under every message shows) and
its id, so `bot.services.messaging.unreachable` can find the agreement of a message that
could not be delivered. The texts live in `bot.messages.agreements` and
`bot.messages.nudges`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.services.messaging.intents import Intent, intent


@dataclass(frozen=True)
class AgreementCard:
    """The agreement as the summary shows it; `for_staff` adds the rep line (`rep_name`
    None then means no rep is bound)."""

    agreement_id: int
    district: str
    department: str
    measure: str
    due: datetime
    for_staff: bool = False
    rep_bound: bool = False
    rep_name: str | None = None


# ----------------------------------------------------------------------- to the managers


@intent("agreement.rep_missing")
@dataclass(frozen=True)
class RepMissing(Intent):
    card: AgreementCard


@intent("agreement.done_reported")
@dataclass(frozen=True)
class DoneReported(Intent):
    card: AgreementCard
    name: str | None
    note: str | None


@intent("agreement.extension_requested")
@dataclass(frozen=True)
class ExtensionRequested(Intent):
    card: AgreementCard
    name: str | None
    new_due: datetime
    reason: str


@intent("agreement.problem_reported")
@dataclass(frozen=True)
class ProblemReported(Intent):
    card: AgreementCard
    name: str | None
    text: str


@intent("agreement.escalated_manager")
@dataclass(frozen=True)
class EscalatedToManager(Intent):
    """The manager's escalation card; with a pending request it also offers the decision."""

    card: AgreementCard
    overdue_days: int
    note: str | None
    extension_requested: bool
    reminder_key: str | None = None


@intent("agreement.escalated_coordinators")
@dataclass(frozen=True)
class EscalatedToCoordinators(Intent):
    card: AgreementCard
    overdue_days: int
    note: str | None
    reminder_key: str | None = None


@intent("agreement.rep_unreachable")
@dataclass(frozen=True)
class RepUnreachable(Intent):
    card: AgreementCard
    name: str | None


# ---------------------------------------------------------------------------- to the rep


@intent("agreement.nudge")
@dataclass(frozen=True)
class Nudge(Intent):
    """A nudge about the due date: `slot` "created" for a new agreement, else the days left
    from the day the rep reads it (`read_on`) to the due date `due`: 0 on the due day,
    negative when a due date on a day off has passed (then `overdue_days` counts)."""

    card: AgreementCard
    slot: str
    days_left: int
    reminder_key: str | None = None  # the reminder that caused it: nothing is sent twice
    due: date | None = None  # None in rows queued before these fields existed
    read_on: date | None = None
    overdue_days: int = 0


@intent("agreement.overdue")
@dataclass(frozen=True)
class Overdue(Intent):
    card: AgreementCard
    overdue_days: int
    reminder_key: str | None = None
    due: date | None = None


@intent("agreement.asked_again")
@dataclass(frozen=True)
class AskedAgain(Intent):
    """The manager nudges the rep by hand."""

    card: AgreementCard


@intent("agreement.extension_granted")
@dataclass(frozen=True)
class ExtensionGranted(Intent):
    card: AgreementCard


@intent("agreement.extension_refused")
@dataclass(frozen=True)
class ExtensionRefused(Intent):
    card: AgreementCard


@intent("agreement.due_changed")
@dataclass(frozen=True)
class DueChanged(Intent):
    card: AgreementCard


@intent("agreement.confirmed")
@dataclass(frozen=True)
class Confirmed(Intent):
    card: AgreementCard


@intent("agreement.reopened")
@dataclass(frozen=True)
class Reopened(Intent):
    card: AgreementCard
    note: str | None


@intent("agreement.cancelled")
@dataclass(frozen=True)
class Cancelled(Intent):
    card: AgreementCard


AgreementIntent = (
    RepMissing
    | DoneReported
    | ExtensionRequested
    | ProblemReported
    | EscalatedToManager
    | EscalatedToCoordinators
    | RepUnreachable
    | Nudge
    | Overdue
    | AskedAgain
    | ExtensionGranted
    | ExtensionRefused
    | DueChanged
    | Confirmed
    | Reopened
    | Cancelled
)
