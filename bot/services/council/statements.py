"""The administration's statement on an inquiry: the manager assigns departments, each
department's rep drafts their part, the manager edits the merged text and approves it.

Each part is due before the session (`deadlines.statement_due`); its nudges and escalations
are reminders keyed `stmt:<statement id>:<due date>:<kind>:<slot>` (see `statement_nudges`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.agreements.recipients import default_rep
from bot.services.basics.reference import ReferenceData
from bot.services.council import notices
from bot.services.council.access import preparers
from bot.services.council.deadlines import (
    CouncilPolicy,
    key_prefix,
    reminder_key,
    statement_due,
    statement_slots,
)
from bot.services.council.inquiries import MAX_TEXT, InquiryError, card, get
from bot.services.messaging import outbox, reminders
from bot.storage.models import CouncilSession, Inquiry, Person, Statement


def parse_departments(reference: ReferenceData, text: str) -> list[str]:
    """ "66, 67" or "FB 66 und 67" → ["66", "67"]; unknown numbers raise InquiryError."""
    numbers: list[str] = []
    for word in text.replace(",", " ").replace(";", " ").split():
        word = word.upper().removeprefix("FB").strip(".")
        if not word or not word.isdigit():
            continue
        if not reference.has_department(word):
            raise InquiryError("department")
        number = reference.department(word).number
        if number not in numbers:
            numbers.append(number)
    if not numbers:
        raise InquiryError("department")
    return numbers


async def parts(session: AsyncSession, inquiry_id: int) -> list[Statement]:
    rows = await session.scalars(
        select(Statement).where(Statement.inquiry_id == inquiry_id).order_by(Statement.id)
    )
    return list(rows)


async def schedule(
    session: AsyncSession,
    statement: Statement,
    *,
    now: datetime,
    tz: ZoneInfo,
    policy: CouncilPolicy,
) -> None:
    for kind, slot, moment in statement_slots(statement.due_at, now=now, tz=tz, policy=policy):
        await reminders.schedule(
            session,
            key=reminder_key(statement.id, statement.due_at.astimezone(tz), kind, slot),
            kind=kind,
            due_at=moment,
            now=now,
            person_id=statement.rep_id,
            data={"statement_id": statement.id, "due": statement.due_at.isoformat()},
        )


async def assign(
    session: AsyncSession,
    *,
    inquiry_id: int,
    departments: Sequence[str],
    now: datetime,
    tz: ZoneInfo,
    policy: CouncilPolicy,
    admin_ids: Iterable[int],
) -> list[Statement]:
    """Ask each department's rep in the district for their part; a department already
    assigned keeps its part. The caller has checked that the sender manages the district."""
    inquiry, council_session = await get(session, inquiry_id)
    if (
        inquiry.kind != "inquiry"
        or council_session is None
        or inquiry.status
        in (
            "approved",
            "answered",
        )
    ):
        raise InquiryError("state")
    have = {s.department_number for s in await parts(session, inquiry.id)}
    due = statement_due(council_session.starts_at, tz=tz, policy=policy)
    made = []
    for number in departments:
        if number in have:
            continue
        rep = await default_rep(session, district=inquiry.district_number, department=number)
        statement = Statement(
            inquiry_id=inquiry.id,
            department_number=number,
            rep_id=rep.id if rep else None,
            due_at=due,
            escalation_level=0,
            created_at=now,
        )
        session.add(statement)
        await session.flush()
        made.append(statement)
        part_card = card(inquiry, council_session, department=number, due=due)
        if rep is not None and rep.telegram_id:
            outbox.tell(
                session,
                chat_id=rep.telegram_id,
                intent=notices.StatementRequested(
                    card=part_card, text=inquiry.text, statement_id=statement.id
                ),
                now=now,
                person_id=rep.id,
                language=rep.language,
                kind="council",
            )
            await schedule(session, statement, now=now, tz=tz, policy=policy)
        else:
            for chat_id in await preparers(
                session, district=inquiry.district_number, now=now, admin_ids=admin_ids
            ):
                intent = notices.StatementWithoutRep(card=part_card)
                outbox.tell(session, chat_id=chat_id, intent=intent, now=now, kind="council")
    inquiry.status, inquiry.updated_at = "assigned", now
    return made


def merged(statements: Sequence[Statement]) -> str | None:
    """The parts in department order, each under its department; None while one is missing."""
    if not statements or any(s.text is None for s in statements):
        return None
    ordered = sorted(statements, key=lambda s: s.department_number)
    if len(ordered) == 1:
        return ordered[0].text
    return "\n\n".join(f"FB {s.department_number}: {s.text}" for s in ordered)


async def draft(
    session: AsyncSession,
    *,
    statement: Statement,
    rep: Person,
    text: str,
    file_id: str | None,
    now: datetime,
    admin_ids: Iterable[int],
) -> None:
    """Store the rep's part (a new draft replaces the last), stop its nudges and tell the
    preparers, with the merged text once every part is in."""
    inquiry, council_session = await get(session, statement.inquiry_id)
    if inquiry.status in ("approved", "answered"):
        raise InquiryError("state")
    if not text.strip() or len(text) > MAX_TEXT:
        raise InquiryError("text")
    statement.text, statement.file_id = text.strip(), file_id or statement.file_id
    statement.submitted_at = statement.submitted_at or now
    await reminders.cancel(session, key_prefix=key_prefix(statement.id), now=now)
    everything = await parts(session, inquiry.id)
    missing = [s.department_number for s in everything if s.text is None]
    intent = notices.StatementDrafted(
        card=card(inquiry, council_session, department=statement.department_number),
        rep=rep.first_name,
        missing=missing,
        merged=merged(everything),
        file_of=statement.id if statement.file_id else None,
    )
    for chat_id in await preparers(
        session, district=inquiry.district_number, now=now, admin_ids=admin_ids
    ):
        outbox.tell(session, chat_id=chat_id, intent=intent, now=now, kind="council")


async def edit(session: AsyncSession, *, inquiry: Inquiry, text: str, now: datetime) -> None:
    """The manager's own wording of the answer (it replaces the merged parts)."""
    if inquiry.kind != "inquiry" or inquiry.status in ("approved", "answered"):
        raise InquiryError("state")
    if not text.strip() or len(text) > MAX_TEXT:
        raise InquiryError("text")
    inquiry.answer, inquiry.updated_at = text.strip(), now


async def approve(session: AsyncSession, *, inquiry: Inquiry, now: datetime) -> str:
    """Approve the edited answer, or the merged parts when every part is in."""
    if inquiry.kind != "inquiry" or inquiry.status in ("approved", "answered"):
        raise InquiryError("state")
    answer = inquiry.answer or merged(await parts(session, inquiry.id))
    if not answer:
        raise InquiryError("missing")
    for statement in await parts(session, inquiry.id):
        await reminders.cancel(session, key_prefix=key_prefix(statement.id), now=now)
    inquiry.answer, inquiry.status = answer, "approved"
    inquiry.approved_at = inquiry.updated_at = now
    return answer


async def for_session(session: AsyncSession, council_session: CouncilSession) -> list[Statement]:
    rows = await session.scalars(
        select(Statement)
        .join(Inquiry, Inquiry.id == Statement.inquiry_id)
        .where(Inquiry.session_id == council_session.id)
    )
    return list(rows)
