"""The manager's curation: merge duplicates (supports carried over, each person once), ask
back, reject with a reason, set the status, and take needs onto the next conference's
agenda, which the invited departments hear of with the supports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Roles
from bot.services.agreements.conferences import reps_of
from bot.services.agreements.planning import managers_of
from bot.services.basics.env import ServiceEnv
from bot.services.messaging import outbox
from bot.services.needs.calls import NeedError, NotAllowed
from bot.services.needs.notices import (
    NeedAnswered,
    NeedQuestion,
    NeedRejected,
    NeedsOnAgenda,
    NeedStatusChanged,
)
from bot.services.needs.proposals import ACTIVE, MAX_TEXT, support_counts
from bot.storage.models import AgendaItem, Conference, Need, NeedRank, NeedSupport, Person

STATUSES = (
    "proposed",
    "under_review",
    "on_agenda",
    "agreed_focus",
    "decided",
    "in_progress",
    "done",
    "rejected",
)  # labels: bot/messages/needs.py; "merged" is set only by merging


async def managed_need(session: AsyncSession, *, need_id: int, roles: Roles) -> Need:
    need = await session.get(Need, need_id)
    if need is None or not roles.can_manage_district(need.district_number):
        raise NotAllowed
    return need


async def _tell_proposer(
    session: AsyncSession,
    need: Need,
    intent: NeedQuestion | NeedRejected | NeedStatusChanged,
    now: datetime,
) -> None:
    proposer = await session.get(Person, need.proposer_id) if need.proposer_id else None
    if proposer is not None and proposer.telegram_id:
        outbox.tell(
            session,
            chat_id=proposer.telegram_id,
            intent=intent,
            now=now,
            person_id=proposer.id,
            language=proposer.language,
            kind="need",
        )


async def merge(
    session: AsyncSession, *, source_id: int, target_id: int, roles: Roles, now: datetime
) -> Need:
    """Merge a duplicate into another need of the same call; returns the target."""
    source = await managed_need(session, need_id=source_id, roles=roles)
    target = await managed_need(session, need_id=target_id, roles=roles)
    if source.id == target.id or source.call_id != target.call_id:
        raise NeedError("input")
    if source.status not in ACTIVE or target.status not in ACTIVE:
        raise NeedError("status")
    already = set(
        await session.scalars(
            select(NeedSupport.person_id).where(NeedSupport.need_id == target.id)
        )
    )
    for support in list(
        await session.scalars(select(NeedSupport).where(NeedSupport.need_id == source.id))
    ):
        if support.person_id in already:
            await session.delete(support)  # supported both: counts once, on the target
        else:
            support.need_id = target.id
            already.add(support.person_id)
    ranked = set(
        await session.scalars(select(NeedRank.person_id).where(NeedRank.need_id == target.id))
    )
    for row in list(await session.scalars(select(NeedRank).where(NeedRank.need_id == source.id))):
        if row.person_id in ranked:
            await session.delete(row)
        else:
            row.need_id = target.id
    source.status, source.merged_into_id, source.updated_at = "merged", target.id, now
    target.updated_at = now
    await session.flush()
    await _tell_proposer(
        session, source, NeedStatusChanged(source.missing, "merged", into=target.missing), now
    )
    return target


async def ask_back(
    session: AsyncSession, *, need_id: int, roles: Roles, question: str, now: datetime
) -> Need:
    need = await managed_need(session, need_id=need_id, roles=roles)
    question = question.strip()
    if not question or len(question) > MAX_TEXT or need.status in ("merged", "rejected"):
        raise NeedError("input")
    need.status, need.updated_at = "under_review", now
    await _tell_proposer(session, need, NeedQuestion(need.id, need.missing, question), now)
    return need


async def answer(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    need_id: int,
    person: Person,
    text: str,
    now: datetime,
) -> Need:
    """The proposer answers the manager's question; the managers hear it."""
    need = await session.get(Need, need_id)
    if need is None or need.proposer_id != person.id:
        raise NotAllowed
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise NeedError("input")
    told = NeedAnswered(need.id, need.missing, text)
    for chat_id in await managers_of(session, env, need.district_number, now):
        outbox.tell(session, chat_id=chat_id, intent=told, now=now, kind="need")
    return need


async def reject(
    session: AsyncSession, *, need_id: int, roles: Roles, reason: str, now: datetime
) -> Need:
    need = await managed_need(session, need_id=need_id, roles=roles)
    reason = reason.strip()
    if not reason or len(reason) > MAX_TEXT or need.status == "merged":
        raise NeedError("input")
    need.status, need.reason, need.updated_at = "rejected", reason, now
    await session.execute(delete(NeedRank).where(NeedRank.need_id == need.id))
    await _tell_proposer(session, need, NeedRejected(need.missing, reason), now)
    return need


async def set_status(
    session: AsyncSession, *, need_id: int, roles: Roles, status: str, now: datetime
) -> Need:
    need = await managed_need(session, need_id=need_id, roles=roles)
    if status not in STATUSES or status == "rejected" or need.status == "merged":
        raise NeedError("input")  # a rejection needs its reason (`reject`)
    if need.status != status:
        need.status, need.updated_at = status, now
        await _tell_proposer(session, need, NeedStatusChanged(need.missing, status), now)
    return need


async def next_conference(
    session: AsyncSession, *, district: str, now: datetime
) -> Conference | None:
    found: Conference | None = await session.scalar(
        select(Conference)
        .where(
            Conference.district_number == district,
            Conference.status == "planned",
            Conference.kind == "conference",
            Conference.starts_at > now,
        )
        .order_by(Conference.starts_at)
        .limit(1)
    )
    return found


async def to_agenda(
    session: AsyncSession, *, need_id: int, roles: Roles, person: Person, now: datetime
) -> tuple[Need, Conference]:
    """Put the need on the next planned conference's agenda and tell the invited reps."""
    need = await managed_need(session, need_id=need_id, roles=roles)
    if need.status not in (*ACTIVE, "on_agenda"):
        raise NeedError("status")
    conference = await next_conference(session, district=need.district_number, now=now)
    if conference is None:
        raise NeedError("no_conference")
    if need.conference_id == conference.id:
        return need, conference
    supports = (await support_counts(session, [need.id])).get(need.id, 0)
    session.add(
        AgendaItem(
            conference_id=conference.id,
            person_id=person.id,
            text=f"#{need.id} {need.missing} ({need.quarters}) [+{supports}]",
            created_at=now,
        )
    )
    need.status, need.conference_id, need.updated_at = "on_agenda", conference.id, now
    told = NeedsOnAgenda(
        conference.district_number, conference.starts_at, need.missing, need.quarters, supports
    )
    reached: set[int] = set()
    for number in (conference.departments or {}).get("invited") or []:
        for rep in await reps_of(session, district=conference.district_number, department=number):
            if rep.telegram_id and rep.telegram_id not in reached:
                reached.add(rep.telegram_id)
                outbox.tell(
                    session,
                    chat_id=rep.telegram_id,
                    intent=told,
                    now=now,
                    person_id=rep.id,
                    language=rep.language,
                    kind="need",
                )
    await _tell_proposer(session, need, NeedStatusChanged(need.missing, "on_agenda"), now)
    return need, conference


async def needs_of_conference(session: AsyncSession, *, conference_id: int) -> list[Need]:
    rows = await session.scalars(
        select(Need)
        .where(Need.conference_id == conference_id, Need.status != "merged")
        .order_by(Need.id)
    )
    return list(rows)
