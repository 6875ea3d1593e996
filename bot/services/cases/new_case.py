"""What the bot tells about a newly filed case: the district's card, the resident's receipt.

Intents only (plain data, no text); `bot.messages.cases` and `bot.messages.intake` render
them in the reader's language at delivery.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.services.messaging.intents import Intent, intent
from bot.storage.models import Case


@dataclass(frozen=True)
class SimilarCase:
    """An open case of the same place and topic, offered for merging."""

    case_id: int
    reference: str


@intent("case.new")
@dataclass(frozen=True)
class NewCase(Intent):
    """The card a manager (or the coordinators) get of a case: facts, photos, pin, buttons.

    `routed_as` is who receives it (manager, deputy, coordinator); `note` is a handover's
    note from another district.
    """

    case_id: int
    reference: str
    district: str
    quarter: str | None
    address: str | None
    topic: str
    description: str
    contact: str | None
    actor_kind: str | None
    actor_name: str | None
    received_at: datetime
    routed_as: str = "manager"
    similar: tuple[SimilarCase, ...] = ()
    photos: tuple[str, ...] = ()
    location: tuple[float, float] | None = None
    note: str | None = None
    language: str | None = None  # the resident's, so the manager knows what they read


@intent("case.confirmed")
@dataclass(frozen=True)
class CaseConfirmed(Intent):
    """The resident's receipt with the reference number, right after sending."""

    reference: str
    district: str
    # the first words of the description, so that a late receipt (after a restart) still says
    # which concern it is for; empty in rows queued before it existed
    summary: str = ""


SUMMARY_CHARS = 60


def summary_of(description: str) -> str:
    """The first words of a description, cut at a word boundary."""
    text = " ".join(description.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"


def new_case_notice(
    case: Case,
    *,
    routed_as: str,
    similar: Iterable[Case | SimilarCase] = (),
    photos: Iterable[str] = (),
    note: str | None = None,
) -> NewCase:
    """The card of a case as it is now (`photos`: Telegram file ids, as the draft had them)."""
    location = (
        (case.latitude, case.longitude)
        if case.latitude is not None and case.longitude is not None
        else None
    )
    return NewCase(
        case_id=case.id,
        reference=case.reference,
        district=case.district_number,
        quarter=case.quarter,
        address=case.address_text,
        topic=case.topic,
        description=case.description or "",
        contact=case.contact,
        actor_kind=case.actor_kind,
        actor_name=case.actor_name,
        received_at=case.created_at,
        language=case.language,
        routed_as=routed_as,
        similar=tuple(
            other if isinstance(other, SimilarCase) else SimilarCase(other.id, other.reference)
            for other in similar
        ),
        photos=tuple(photos),
        location=location,
        note=note,
    )
