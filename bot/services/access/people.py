"""Persons, their language and consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.languages import normalise
from bot.storage.models import Person

CONSENT_VERSION = "2026-11-v2"  # v2: the notice mentions the optional publication


async def get_person(session: AsyncSession, *, telegram_id: int) -> Person | None:
    person: Person | None = await session.scalar(
        select(Person).where(Person.telegram_id == telegram_id)
    )
    return person


async def get_or_create_person(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str | None,
    language: str | None,
    now: datetime,
) -> Person:
    """The person behind a Telegram account, created on first contact."""
    person = await get_person(session, telegram_id=telegram_id)
    if person is None:
        person = Person(
            telegram_id=telegram_id,
            first_name=(first_name or "")[:128] or None,
            # Telegram's language until the person chooses one: messages the bot sends on its
            # own (notifications, nudges) need a language too.
            language=_supported(language),
            created_at=now,
        )
        session.add(person)
        await session.flush()
    elif person.unreachable_since is not None:
        person.unreachable_since = None  # they wrote to us, so they can be reached again
    return person


def _supported(language: str | None) -> str | None:
    return normalise(language)


async def record_consent(session: AsyncSession, person: Person, *, now: datetime) -> None:
    person.consent_version = CONSENT_VERSION
    person.consent_at = now


def has_consent(person: Person | None) -> bool:
    return person is not None and person.consent_at is not None


async def set_language(session: AsyncSession, person: Person, language: str) -> None:
    person.language = language
