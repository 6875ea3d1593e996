"""What the manager's side of a case tells people: intents, rendered by `bot.messages.triage`
and `bot.messages.desk` at delivery in the reader's language. Kinds start with `triage.` or
`desk.` and must stay stable (queued rows refer to them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.basics.reference import ReferralContact
from bot.services.messaging.intents import Intent, intent


@intent("triage.status_changed")
@dataclass(frozen=True)
class StatusChanged(Intent):
    """To the resident: their case has a new status."""

    reference: str
    status: str


@intent("triage.referred")
@dataclass(frozen=True)
class Referred(Intent):
    """To the resident (Lotse): the contact card of `contact_key`, with the manager's note."""

    reference: str
    contact_key: str
    note: str | None = None
    card: ReferralContact | None = None  # what the directory allowed for residents then


@intent("triage.from_management")
@dataclass(frozen=True)
class FromManagement(Intent):
    """To the resident: a message or question of the district management."""

    reference: str
    text: str | None
    photo: str | None = None


@intent("triage.from_resident")
@dataclass(frozen=True)
class FromResident(Intent):
    """To the district's managers: the resident's answer (text, photo or both)."""

    reference: str
    text: str | None
    photo: str | None = None


@intent("triage.merged")
@dataclass(frozen=True)
class Merged(Intent):
    """To the resident of a duplicate: it follows the earlier case from now on."""

    reference: str
    other: str


@intent("triage.resolved")
@dataclass(frozen=True)
class Resolved(Intent):
    """To the resident: the summary of the solution, and "is it settled?" (yes/no)."""

    case_id: int
    reference: str
    summary: str


@intent("triage.referral_followup")
@dataclass(frozen=True)
class ReferralFollowup(Intent):
    """To the resident, some working days after a referral: did the contact help?"""

    case_id: int
    reference: str


@intent("triage.reopened")
@dataclass(frozen=True)
class Reopened(Intent):
    """To the district's managers: the resident says the concern is not settled."""

    case_id: int
    reference: str


@dataclass(frozen=True)
class CaseCard:
    """What another district's manager sees of a handed-over case."""

    id: int
    reference: str
    district_number: str
    topic: str
    created_at: datetime
    description: str | None = None
    address_text: str | None = None
    contact: str | None = None
    actor_kind: str | None = None
    actor_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@intent("triage.handed_over")
@dataclass(frozen=True)
class HandedOver(Intent):
    """To the new district's managers: a case moved to them, with the handover note."""

    case: CaseCard
    routed_as: str
    note: str | None = None


@dataclass(frozen=True)
class Untriaged:
    reference: str
    quarter: str | None
    topic: str
    working_days: int


@intent("desk.untriaged")
@dataclass(frozen=True)
class UntriagedNudge(Intent):
    """To a district's managers: cases still waiting for triage after two working days."""

    district_number: str
    cases: tuple[Untriaged, ...]
