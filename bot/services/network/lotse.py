"""The directory in the Lotse flow: the contacts offered for a case (its topic and quarter
first), the card a resident gets (only the channels marked for residents), and the record
of every referral per entry with the residents' "did it help?" answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.reference import ReferralContact
from bot.services.network import entries
from bot.services.network.search import DirectoryIndex
from bot.storage.models import Case, NetworkEntry, NetworkReferral, Person

PICKER_SIZE = 8


def referable(entry: NetworkEntry) -> bool:
    """May be handed to a resident at all (not staff-only, not retired)."""
    return entry.visibility == "residents" and entry.retired_at is None


async def picker(
    session: AsyncSession,
    *,
    topic: str,
    district: str,
    quarter: str | None,
    words: str = "",
    limit: int = PICKER_SIZE,
) -> list[NetworkEntry]:
    """Contacts for a case: without words the case's topic's entries, with words the
    fuzzy matches; either way the topic's and the quarter's first. Staff-only entries never."""
    found = [e for e in await entries.active(session, [district]) if referable(e)]
    index = DirectoryIndex(found)
    hits = index.search(
        words, topic=topic, quarter=quarter, district=district, limit=limit, require_topic=True
    )
    return [hit.entry for hit in hits]


async def referable_entry(session: AsyncSession, key: str, district: str) -> NetworkEntry | None:
    """The entry a referral button names, if it may still be given for a case of the district."""
    entry = await entries.by_key(session, key)
    if entry is None or not referable(entry) or not entries.serves(entry, [district]):
        return None
    return entry


def card_of(entry: NetworkEntry) -> ReferralContact:
    """What a resident reads of the entry: its name, description, the body in charge and
    only the channels `entries.resident_channels` allows."""
    shown = entries.resident_channels(entry)
    return ReferralContact(
        key=entry.key,
        name_de=entry.name,
        name_en=None,
        responsible=entry.role or "",
        department=None,
        topics=tuple(entry.topics or ()),
        keywords_de=tuple(entry.keywords or ()),
        description_de=entry.description or "",
        description_en=None,
        phone=shown.get("phone"),
        email=shown.get("email"),
        address=shown.get("address"),
        opening_hours=shown.get("office_hours"),
        web=shown.get("web"),
        confidence=entry.source or "",
    )


async def record_referral(
    session: AsyncSession, entry: NetworkEntry, case: Case, *, manager: Person, now: datetime
) -> None:
    session.add(
        NetworkReferral(entry_id=entry.id, case_id=case.id, manager_id=manager.id, referred_at=now)
    )
    await session.flush()


@dataclass(frozen=True)
class Usage:
    referrals: int = 0
    helped: int = 0
    not_helped: int = 0


async def usage(session: AsyncSession, entry: NetworkEntry) -> Usage:
    """How often the entry was given, and the residents' answers for the cases whose last
    referral it is (the answer on the case belongs to its last referral)."""
    count = await session.scalar(
        select(func.count())
        .select_from(NetworkReferral)
        .where(NetworkReferral.entry_id == entry.id)
    )
    answers = await session.execute(
        select(Case.referral_helped, func.count())
        .where(
            Case.referral_key == entry.key,
            Case.id.in_(
                select(NetworkReferral.case_id).where(NetworkReferral.entry_id == entry.id)
            ),
            Case.referral_helped.is_not(None),
        )
        .group_by(Case.referral_helped)
    )
    by_answer = {bool(helped): int(n) for helped, n in answers.all()}
    return Usage(int(count or 0), by_answer.get(True, 0), by_answer.get(False, 0))
