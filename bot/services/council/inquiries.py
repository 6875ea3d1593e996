"""Inquiries and information requests: submitted by a member for their district, numbered
per district, marked late (never refused) after the deadline, and listed with their status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.council import notices
from bot.services.council.access import preparers
from bot.services.council.deadlines import CouncilPolicy, is_late
from bot.services.messaging import outbox
from bot.storage.models import CouncilSession, Inquiry, Person

MAX_TITLE = 200
MAX_TEXT = 4000
OPEN_INFO = "open"


class InquiryError(ValueError):
    """Input that cannot be stored; `code` says why (the handler asks again)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def ref(inquiry: Inquiry) -> str:
    """The number the member quotes: "A10-7" (district 10, the 7th of the district)."""
    return f"A{inquiry.district_number}-{inquiry.number}"


def card(
    inquiry: Inquiry, council_session: CouncilSession | None, **extra: object
) -> notices.InquiryCard:
    return notices.InquiryCard(
        inquiry_id=inquiry.id,
        ref=ref(inquiry),
        district=inquiry.district_number,
        title=inquiry.title,
        fraction=inquiry.fraction,
        session_start=council_session.starts_at if council_session else None,
        late=inquiry.late,
        **extra,  # type: ignore[arg-type]  # department/due for a rep's card
    )


async def _next_number(session: AsyncSession, district: str) -> int:
    last = await session.scalar(
        select(func.max(Inquiry.number)).where(Inquiry.district_number == district)
    )
    return int(last or 0) + 1


@dataclass(frozen=True)
class Draft:
    district: str
    title: str
    text: str
    session_id: int | None = None  # None: an information request
    file_id: str | None = None
    file_name: str | None = None
    fraction: str | None = None


def check_text(title: str, text: str) -> None:
    if not title.strip() or len(title) > MAX_TITLE:
        raise InquiryError("title")
    if not text.strip() or len(text) > MAX_TEXT:
        raise InquiryError("text")


async def submit(
    session: AsyncSession,
    *,
    draft: Draft,
    member: Person,
    now: datetime,
    tz: ZoneInfo,
    policy: CouncilPolicy,
    admin_ids: Iterable[int],
) -> Inquiry:
    """Store the inquiry (or information request) and tell the district's preparers.
    The caller has checked that the member sits on this district's council."""
    check_text(draft.title, draft.text)
    council_session = None
    if draft.session_id is not None:
        council_session = await session.get(CouncilSession, draft.session_id)
        if council_session is None or council_session.district_number != draft.district:
            raise InquiryError("session")
        if council_session.status != "planned" or council_session.starts_at <= now:
            raise InquiryError("session")
    inquiry = Inquiry(
        district_number=draft.district,
        number=await _next_number(session, draft.district),
        kind="inquiry" if council_session else "info",
        session_id=council_session.id if council_session else None,
        member_id=member.id,
        fraction=draft.fraction,
        title=draft.title.strip(),
        text=draft.text.strip(),
        file_id=draft.file_id,
        file_name=draft.file_name,
        late=bool(council_session)
        and is_late(council_session.starts_at, now=now, tz=tz, policy=policy),  # type: ignore[union-attr]
        status="submitted" if council_session else OPEN_INFO,
        created_at=now,
        updated_at=now,
    )
    session.add(inquiry)
    await session.flush()
    the_card = card(inquiry, council_session)
    intent: notices.InquiryReceived | notices.InfoRequested
    if council_session is not None:
        intent = notices.InquiryReceived(
            card=the_card,
            text=inquiry.text,
            member=member.first_name,
            with_file=bool(draft.file_id),
        )
    else:
        intent = notices.InfoRequested(card=the_card, text=inquiry.text, member=member.first_name)
    for chat_id in await preparers(session, district=draft.district, now=now, admin_ids=admin_ids):
        outbox.tell(session, chat_id=chat_id, intent=intent, now=now, kind="council")
    return inquiry


async def answer_info(
    session: AsyncSession, *, inquiry: Inquiry, answer: str, now: datetime
) -> None:
    """The manager's answer to an information request, recorded and sent to the member."""
    if inquiry.kind != "info" or inquiry.status != OPEN_INFO:
        raise InquiryError("state")
    if not answer.strip() or len(answer) > MAX_TEXT:
        raise InquiryError("text")
    inquiry.answer, inquiry.status = answer.strip(), "answered"
    inquiry.answered_at = inquiry.updated_at = now
    member = await session.get(Person, inquiry.member_id)
    if member is not None and member.telegram_id:
        outbox.tell(
            session,
            chat_id=member.telegram_id,
            intent=notices.InfoAnswered(card=card(inquiry, None), answer=inquiry.answer),
            now=now,
            person_id=member.id,
            language=member.language,
            kind="council",
        )


async def of_member(
    session: AsyncSession, member: Person
) -> list[tuple[Inquiry, CouncilSession | None]]:
    rows = await session.execute(
        select(Inquiry, CouncilSession)
        .outerjoin(CouncilSession, CouncilSession.id == Inquiry.session_id)
        .where(Inquiry.member_id == member.id)
        .order_by(Inquiry.id.desc())
        .limit(20)
    )
    return [(i, s) for i, s in rows.all()]


async def of_district(
    session: AsyncSession, district: str, *, now: datetime
) -> list[tuple[Inquiry, CouncilSession | None]]:
    """The district's inquiries not yet answered, and those of sessions still ahead."""
    rows = await session.execute(
        select(Inquiry, CouncilSession)
        .outerjoin(CouncilSession, CouncilSession.id == Inquiry.session_id)
        .where(Inquiry.district_number == district, Inquiry.status != "answered")
        .order_by(CouncilSession.starts_at, Inquiry.late, Inquiry.number)
        .limit(30)
    )
    return [(i, s) for i, s in rows.all()]


async def get(session: AsyncSession, inquiry_id: int) -> tuple[Inquiry, CouncilSession | None]:
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise InquiryError("unknown")
    council_session = (
        await session.get(CouncilSession, inquiry.session_id) if inquiry.session_id else None
    )
    return inquiry, council_session
