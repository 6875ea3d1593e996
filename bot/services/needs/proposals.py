"""Proposing a need, supporting it, ranking the top three, and the current order.

A support is a row per (need, person) under a unique constraint, so it counts once however
often (or however forged) the button is pressed; only participants of the need's call (and
the district's management) may support. Counts are always read from these rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Roles
from bot.services.agreements.planning import managers_of
from bot.services.basics.env import ServiceEnv
from bot.services.messaging import outbox
from bot.services.needs.calls import NeedError, NotAllowed, call_access, is_open, topics_of
from bot.services.needs.notices import NeedProposed
from bot.storage.models import Need, NeedCall, NeedRank, NeedSupport, Person

ACTIVE = ("proposed", "under_review")  # supports and ranks are possible in these
HIDDEN = ("merged",)  # merged needs live on in the need they joined
MAX_TEXT = 1000
MAX_QUARTERS = 200
TOP = 3
POINTS = {1: 3, 2: 2, 3: 1}  # a first place weighs three supports' worth in the order


@dataclass(frozen=True)
class Draft:
    topic: str
    quarters: str
    missing: str
    affected: str
    file_id: str | None = None
    file_kind: str | None = None


@dataclass(frozen=True)
class Standing:
    need: Need
    supports: int
    points: int  # from the rankings
    supported_by_me: bool = False


async def propose(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    call_id: int,
    person: Person,
    roles: Roles,
    draft: Draft,
    now: datetime,
) -> Need:
    call, _ = await call_access(session, call_id=call_id, person=person, roles=roles)
    if not is_open(call, now):
        raise NeedError("closed")
    texts = (draft.quarters, draft.missing, draft.affected)
    if (
        draft.topic not in topics_of(call)
        or not all(t.strip() for t in texts)
        or len(draft.quarters) > MAX_QUARTERS
        or max(len(t) for t in texts) > MAX_TEXT
    ):
        raise NeedError("input")
    need = Need(
        call_id=call.id,
        district_number=call.district_number,
        proposer_id=person.id,
        topic=draft.topic,
        quarters=draft.quarters.strip(),
        missing=draft.missing.strip(),
        affected=draft.affected.strip(),
        file_id=draft.file_id,
        file_kind=draft.file_kind,
        status="proposed",
        created_at=now,
        updated_at=now,
    )
    session.add(need)
    await session.flush()
    told = NeedProposed(need.id, call.district_number, need.topic, need.missing)
    for chat_id in await managers_of(session, env, call.district_number, now):
        outbox.tell(session, chat_id=chat_id, intent=told, now=now, kind="need")
    return need


async def need_access(
    session: AsyncSession, *, need_id: int, person: Person, roles: Roles
) -> tuple[Need, NeedCall, bool]:
    """The need, its call and whether the sender manages it; refused unless participant."""
    need = await session.get(Need, need_id)
    if need is None:
        raise NotAllowed
    call, manages = await call_access(session, call_id=need.call_id, person=person, roles=roles)
    return need, call, manages


async def toggle_support(
    session: AsyncSession, *, need_id: int, person: Person, roles: Roles, now: datetime
) -> tuple[Need, bool]:
    """Support the need, or withdraw one's support; returns the need and whether it is now
    supported by the person."""
    need, _, _ = await need_access(session, need_id=need_id, person=person, roles=roles)
    if need.status not in ACTIVE:
        raise NeedError("status")
    removed = await session.execute(
        delete(NeedSupport).where(
            NeedSupport.need_id == need.id, NeedSupport.person_id == person.id
        )
    )
    if getattr(removed, "rowcount", 0):
        return need, False
    try:
        async with session.begin_nested():  # a concurrent press: the unique pair keeps one
            session.add(NeedSupport(need_id=need.id, person_id=person.id, created_at=now))
    except IntegrityError:
        pass
    return need, True


async def rank(
    session: AsyncSession, *, need_id: int, person: Person, roles: Roles, now: datetime
) -> int:
    """Give the need the person's next place (1–3) once the call has ended; returns it."""
    need, call, _ = await need_access(session, need_id=need_id, person=person, roles=roles)
    if is_open(call, now) or need.status not in ACTIVE:
        raise NeedError("not_now")
    mine = list(
        await session.scalars(
            select(NeedRank).where(NeedRank.call_id == call.id, NeedRank.person_id == person.id)
        )
    )
    if any(r.need_id == need.id for r in mine) or len(mine) >= TOP:
        raise NeedError("ranked")
    place = len(mine) + 1
    try:
        async with session.begin_nested():
            session.add(
                NeedRank(
                    call_id=call.id,
                    person_id=person.id,
                    need_id=need.id,
                    place=place,
                    created_at=now,
                )
            )
    except IntegrityError:
        raise NeedError("ranked") from None
    return place


async def clear_ranks(
    session: AsyncSession, *, call_id: int, person: Person, roles: Roles
) -> None:
    await call_access(session, call_id=call_id, person=person, roles=roles)
    await session.execute(
        delete(NeedRank).where(NeedRank.call_id == call_id, NeedRank.person_id == person.id)
    )


async def support_counts(session: AsyncSession, need_ids: Iterable[int]) -> dict[int, int]:
    ids = list(need_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(NeedSupport.need_id, func.count(func.distinct(NeedSupport.person_id)))
        .where(NeedSupport.need_id.in_(ids))
        .group_by(NeedSupport.need_id)
    )
    return {int(n): int(c) for n, c in rows.tuples()}


async def standings(
    session: AsyncSession, *, call_id: int, person: Person | None = None
) -> list[Standing]:
    """The call's visible needs in their current order: rank points, then supports, then
    the earlier proposal."""
    needs = list(
        await session.scalars(
            select(Need).where(Need.call_id == call_id, Need.status.not_in(HIDDEN))
        )
    )
    ids = [n.id for n in needs]
    counts = await support_counts(session, ids)
    points: dict[int, int] = {}
    if ids:
        for need_id, place in (
            await session.execute(
                select(NeedRank.need_id, NeedRank.place).where(NeedRank.need_id.in_(ids))
            )
        ).tuples():
            points[need_id] = points.get(need_id, 0) + POINTS.get(place, 0)
    mine: set[int] = set()
    if person is not None and ids:
        mine = set(
            await session.scalars(
                select(NeedSupport.need_id).where(
                    NeedSupport.need_id.in_(ids), NeedSupport.person_id == person.id
                )
            )
        )
    found = [Standing(n, counts.get(n.id, 0), points.get(n.id, 0), n.id in mine) for n in needs]
    return sorted(found, key=lambda s: (-(s.points + s.supports), s.need.id))


async def supporters(session: AsyncSession, need_ids: Iterable[int]) -> list[Person]:
    ids = list(need_ids)
    if not ids:
        return []
    rows = await session.scalars(
        select(Person)
        .join(NeedSupport, NeedSupport.person_id == Person.id)
        .where(NeedSupport.need_id.in_(ids))
        .order_by(Person.id)
    )
    return list(rows.unique())
