"""A resident's requests in chat: what erasure would touch, and erasure itself.

Staff accounts (admins and anyone holding a role) are refused: their identities are needed
to account for official acts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access import people
from bot.services.access.roles import load_roles
from bot.services.privacy.erasure import ErasureReport, erase_person
from bot.services.privacy.export import open_case_count
from bot.storage.models import Person


class Refusal(StrEnum):
    NO_DATA = "no_data"
    STAFF = "staff"


@dataclass(frozen=True)
class ErasurePreview:
    """What `/loeschen` asks about: refused, or how many open cases the person has."""

    refusal: Refusal | None = None
    open_cases: int = 0


@dataclass(frozen=True)
class ErasureOutcome:
    refusal: Refusal | None = None
    report: ErasureReport | None = None


async def _checked(
    session: AsyncSession, telegram_id: int, admin_ids: Iterable[int]
) -> tuple[Person | None, Refusal | None]:
    person = await people.get_person(session, telegram_id=telegram_id)
    if person is None:
        return None, Refusal.NO_DATA
    roles = await load_roles(session, person=person, admin_ids=admin_ids)
    if roles.is_admin or roles.assignments:
        return person, Refusal.STAFF
    return person, None


async def preview_erasure(
    session: AsyncSession, *, telegram_id: int, admin_ids: Iterable[int]
) -> ErasurePreview:
    person, refusal = await _checked(session, telegram_id, admin_ids)
    if person is None or refusal is not None:
        return ErasurePreview(refusal=refusal)
    return ErasurePreview(open_cases=await open_case_count(session, person=person))


async def erase_on_request(
    session: AsyncSession, *, telegram_id: int, admin_ids: Iterable[int], now: datetime
) -> ErasureOutcome:
    person, refusal = await _checked(session, telegram_id, admin_ids)
    if person is None or refusal is not None:
        return ErasureOutcome(refusal=refusal)
    return ErasureOutcome(report=await erase_person(session, person=person, now=now))
