"""What the council's handler modules share: the policy from the settings, the sender's roles
with the district an inquiry or session belongs to, and the typed date-and-place parser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from telegram import Update

from bot.config import Settings
from bot.context import BotContext
from bot.handlers.common import actor_roles, refuse
from bot.services.access.roles import Roles
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.services.council.deadlines import CouncilPolicy
from bot.services.council.inquiries import InquiryError, get
from bot.services.council.sessions import SessionError
from bot.storage.db import session_scope
from bot.storage.models import CouncilSession, Person


def council_policy(settings: Settings) -> CouncilPolicy:
    return CouncilPolicy(
        inquiry_deadline_working_days=settings.council_inquiry_deadline_working_days,
        statement_working_days=settings.council_statement_working_days,
        nudge_working_days=tuple(settings.council_nudge_working_days),
        work_start=time(settings.working_hours_start),
        work_end=time(settings.working_hours_end),
    )


def policy_of(context: BotContext) -> CouncilPolicy:
    return council_policy(context.services.settings)


@dataclass(frozen=True)
class Actor:
    person: Person
    roles: Roles


async def actor(update: Update, context: BotContext) -> Actor:
    person, roles = await actor_roles(update, context)
    return Actor(person, roles)


async def inquiry_district(context: BotContext, inquiry_id: int) -> str | None:
    """The district of an inquiry, or None for an unknown id (a forged button)."""
    async with session_scope(context.services.session_maker) as session:
        try:
            inquiry, _ = await get(session, inquiry_id)
        except InquiryError:
            return None
        return inquiry.district_number


async def session_row(context: BotContext, session_id: int) -> CouncilSession | None:
    async with session_scope(context.services.session_maker) as session:
        return await session.get(CouncilSession, session_id)


async def refused(update: Update, context: BotContext) -> None:
    await refuse(update, context)


def parse_when_where(text: str, *, now: datetime, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """ "12.3.2026 18 Uhr, Freizeitheim Linden" → the moment and the place. A date without a
    time raises SessionError("date"), a past one SessionError("past")."""
    moment, _, place = text.partition(",")
    try:
        parsed = parse_german_date(moment, now=now, tz=tz)
    except DateParseError as error:
        raise SessionError("past" if error.reason == "past" else "date") from None
    if not parsed.has_time:
        raise SessionError("date")
    return parsed.value, place.strip() or None
