"""Test helpers that read like a chat."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.roles import Role, assign_role
from bot.storage.db import session_scope
from bot.storage.models import Case
from tests.conftest import BotEnv


async def bind_role(
    env: BotEnv,
    telegram_id: int,
    role: Role,
    *,
    district: str | None = None,
    department: str | None = None,
    first_name: str = "Staff",
    language: str = "en",
) -> None:
    """Give a Telegram account a role directly (the invitation flow has its own tests)."""
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_or_create_person(
            session,
            telegram_id=telegram_id,
            first_name=first_name,
            language="en",
            now=env.clock.now(),
        )
        person.language = person.language or language  # messages the bot sends on its own
        await assign_role(
            session,
            person=person,
            role=role,
            now=env.clock.now(),
            district_number=district,
            department_number=department,
        )


async def consent(user: SimUser) -> None:
    await user.send("/start")
    await user.press("I agree")


async def file_concern(
    user: SimUser,
    *,
    place: str = "linden sued",
    topic: str = "Public space",
    text: str = "The square at the corner is full of rubbish every weekend.",
) -> str:
    """Walk a consented user through a whole intake; returns the reference number."""
    await to_review(user, place=place, topic=topic, text=text)
    await user.press("Send")
    return reference_in(user.last.plain_text)


async def to_review(
    user: SimUser,
    *,
    place: str = "linden sued",
    topic: str = "Public space",
    text: str = "The square at the corner is full of rubbish every weekend.",
) -> None:
    """Walk a consented user through an intake up to its review (privately, no photo)."""
    await user.send("/neu")
    await user.send(place)
    await user.press("Yes")
    await user.press(topic)
    await user.send(text)
    await user.press("Continue without more photos")
    await user.press("Skip")
    await user.press("No, privately")


def reference_in(text: str) -> str:
    import re

    match = re.search(r"\b\d{2}-\d{4}-\d{4}\b", text)
    assert match, f"no reference number in: {text!r}"
    return match.group(0)


async def count_cases(env: BotEnv) -> int:
    async with session_scope(env.services.session_maker) as session:
        return int(await session.scalar(select(func.count(Case.id))) or 0)


async def invite_and_bind(coordinator: SimUser, invitee: SimUser, args: str) -> str:
    """A coordinator creates an invitation in chat; the invitee opens the deep link."""
    import re

    await coordinator.send(f"/einladen {args}")
    match = re.search(r"\?start=(inv-[A-Za-z0-9_-]+)", coordinator.last.plain_text)
    assert match, coordinator.last.plain_text
    await invitee.send(f"/start {match.group(1)}")
    return invitee.last.plain_text
