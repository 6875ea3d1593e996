"""After the session: the approved answer is marked as given and the member hears it; the
follow-ups decided there become agreements, which the agreement engine nudges and escalates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.agreements import workflow
from bot.services.basics.env import ServiceEnv
from bot.services.council import notices
from bot.services.council.inquiries import InquiryError, card, get, ref
from bot.services.messaging import outbox
from bot.services.messaging.intents import Intent
from bot.storage.models import Agreement, CouncilFollowUp, CouncilSession, Inquiry, Person


def _tell_member(
    session: AsyncSession, member: Person | None, intent: Intent, now: datetime
) -> None:
    if member is None or not member.telegram_id:
        return
    outbox.tell(
        session,
        chat_id=member.telegram_id,
        intent=intent,
        now=now,
        person_id=member.id,
        language=member.language,
        kind="council",
    )


async def mark_given(session: AsyncSession, *, inquiry_id: int, now: datetime) -> Inquiry:
    """The answer was given in the session (which has begun): record it, tell the member,
    and mark the session held."""
    inquiry, council_session = await get(session, inquiry_id)
    if inquiry.status != "approved" or council_session is None or inquiry.answer is None:
        raise InquiryError("state")
    if council_session.starts_at > now:
        raise InquiryError("not_yet")
    inquiry.status, inquiry.answered_at, inquiry.updated_at = "answered", now, now
    council_session.status = "held"
    intent = notices.AnswerGiven(card=card(inquiry, council_session), answer=inquiry.answer)
    _tell_member(session, await session.get(Person, inquiry.member_id), intent, now)
    return inquiry


async def add_follow_up(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    inquiry_id: int,
    department: str,
    measure: str,
    due: datetime,
    now: datetime,
    created_by: Person,
) -> Agreement:
    """An agreement decided in the session on this inquiry; the member is told."""
    inquiry, council_session = await get(session, inquiry_id)
    if inquiry.kind != "inquiry" or inquiry.status != "answered":
        raise InquiryError("state")
    agreement = await workflow.create_agreement(
        session,
        env,
        district=inquiry.district_number,
        department=department,
        measure=f"{ref(inquiry)}: {measure}",
        due=due,
        now=now,
        created_by=created_by,
    )
    session.add(CouncilFollowUp(inquiry_id=inquiry.id, agreement_id=agreement.id, created_at=now))
    intent = notices.FollowUpAgreed(
        card=card(inquiry, council_session),
        department=agreement.department_number,
        measure=measure,
        due=due,
    )
    _tell_member(session, await session.get(Person, inquiry.member_id), intent, now)
    return agreement


async def follow_ups(session: AsyncSession, inquiry_id: int) -> list[Agreement]:
    rows = await session.scalars(
        select(Agreement)
        .join(CouncilFollowUp, CouncilFollowUp.agreement_id == Agreement.id)
        .where(CouncilFollowUp.inquiry_id == inquiry_id)
        .order_by(Agreement.id)
    )
    return list(rows)


async def held_sessions(session: AsyncSession, district: str) -> list[CouncilSession]:
    rows = await session.scalars(
        select(CouncilSession).where(
            CouncilSession.district_number == district, CouncilSession.status == "held"
        )
    )
    return list(rows)
