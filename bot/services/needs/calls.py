"""Calls for proposals: the manager opens one per district (fields of action, who may take
part, until when); participants join through the call's link (actors), or, in a call open
to everyone, from the list of open calls (residents). Callers check that the sender may
manage the district before opening a call."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Roles
from bot.services.basics.env import ServiceEnv
from bot.services.messaging import outbox
from bot.services.needs.notices import CallInvitation
from bot.storage.models import NeedCall, NeedParticipant, Person

AUDIENCES = ("actors", "all")  # labels: bot/messages/needs.py
PAYLOAD_PREFIX = "need-"
MAX_TITLE = 200


class NeedError(ValueError):
    """Not possible in this state (call closed, unknown input, already done)."""


class NotAllowed(PermissionError):
    """The person may not do this (not a participant, not the district's management)."""


async def open_call(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    district: str,
    title: str,
    topics: Iterable[str],
    audience: str,
    ends_at: datetime,
    created_by: Person,
    now: datetime,
) -> NeedCall:
    chosen = [t for t in dict.fromkeys(topics) if env.reference.has_topic(t)]
    title = title.strip()
    if (
        not env.reference.has_district(district)
        or not chosen
        or audience not in AUDIENCES
        or ends_at <= now
        or not title
        or len(title) > MAX_TITLE
    ):
        raise NeedError("input")
    call = NeedCall(
        district_number=district,
        title=title,
        fields={"topics": chosen},
        audience=audience,
        token=secrets.token_urlsafe(12),
        ends_at=ends_at,
        created_by_id=created_by.id,
        created_at=now,
    )
    session.add(call)
    await session.flush()
    await invite_actors(session, call=call, now=now)
    return call


def is_open(call: NeedCall, now: datetime) -> bool:
    return call.closed_at is None and now < call.ends_at


def topics_of(call: NeedCall) -> list[str]:
    return list((call.fields or {}).get("topics") or [])


async def _add_participant(
    session: AsyncSession, call: NeedCall, person: Person, kind: str, now: datetime
) -> NeedParticipant:
    found = await participant(session, call_id=call.id, person_id=person.id)
    if found is not None:
        return found
    row = NeedParticipant(call_id=call.id, person_id=person.id, kind=kind, created_at=now)
    try:
        async with session.begin_nested():  # two taps at once: the unique pair keeps one
            session.add(row)
    except IntegrityError:
        again = await participant(session, call_id=call.id, person_id=person.id)
        assert again is not None
        return again
    return row


async def join_by_token(
    session: AsyncSession, *, token: str, person: Person, now: datetime
) -> NeedCall:
    """The call's link: whoever opens it takes part as an actor while the call is open."""
    call = await session.scalar(select(NeedCall).where(NeedCall.token == token))
    if call is None or not is_open(call, now):
        raise NeedError("closed")
    await _add_participant(session, call, person, "actor", now)
    return call


async def join_open_call(
    session: AsyncSession, *, call_id: int, person: Person, now: datetime
) -> NeedCall:
    """A resident joins a call open to everyone; a known actor of the district (invited in
    the chat) joins any call of it."""
    call = await session.get(NeedCall, call_id)
    if call is None:
        raise NotAllowed
    actor = person.id in await actors_of(session, district=call.district_number)
    if call.audience != "all" and not actor:
        raise NotAllowed
    if not is_open(call, now):
        raise NeedError("closed")
    await _add_participant(session, call, person, "actor" if actor else "resident", now)
    return call


async def actors_of(session: AsyncSession, *, district: str) -> set[int]:
    """The district's actors: who joined one of its calls by link, or whom the manager
    marked as actor."""
    rows = await session.scalars(
        select(NeedParticipant.person_id)
        .join(NeedCall, NeedCall.id == NeedParticipant.call_id)
        .where(NeedCall.district_number == district, NeedParticipant.kind == "actor")
    )
    return set(rows)


async def mark_actor(
    session: AsyncSession, *, call_id: int, person_id: int, roles: Roles
) -> NeedParticipant:
    """The manager marks a participant (e.g. a resident who proposed) as an actor of the
    district: invited to its next calls in the chat."""
    call = await session.get(NeedCall, call_id)
    if call is None or not roles.can_manage_district(call.district_number):
        raise NotAllowed
    found = await participant(session, call_id=call_id, person_id=person_id)
    if found is None:
        raise NeedError("input")
    found.kind = "actor"
    return found


async def invite_actors(session: AsyncSession, *, call: NeedCall, now: datetime) -> int:
    """Tell the district's known actors about a new call (with a button to join)."""
    told = 0
    for person_id in sorted(await actors_of(session, district=call.district_number)):
        person = await session.get(Person, person_id)
        if person is None or not person.telegram_id or person.erased_at is not None:
            continue
        outbox.tell(
            session,
            chat_id=person.telegram_id,
            intent=CallInvitation(call.id, call.district_number, call.title, call.ends_at),
            now=now,
            person_id=person.id,
            language=person.language,
            kind="need",
        )
        told += 1
    return told


async def participant(
    session: AsyncSession, *, call_id: int, person_id: int | None
) -> NeedParticipant | None:
    if person_id is None:
        return None
    found: NeedParticipant | None = await session.scalar(
        select(NeedParticipant).where(
            NeedParticipant.call_id == call_id, NeedParticipant.person_id == person_id
        )
    )
    return found


async def call_access(
    session: AsyncSession, *, call_id: int, person: Person, roles: Roles
) -> tuple[NeedCall, bool]:
    """The call and whether the sender manages it; refused unless participant or manager."""
    call = await session.get(NeedCall, call_id)
    if call is None:
        raise NotAllowed
    manages = roles.can_manage_district(call.district_number)
    if not manages and await participant(session, call_id=call.id, person_id=person.id) is None:
        raise NotAllowed
    return call, manages


async def close_call(
    session: AsyncSession, *, call_id: int, roles: Roles, now: datetime
) -> NeedCall:
    """End a call early (its ranking opens then)."""
    call = await session.get(NeedCall, call_id)
    if call is None or not roles.can_manage_district(call.district_number):
        raise NotAllowed
    if call.closed_at is None:
        call.closed_at = now
    return call


async def calls_of_person(session: AsyncSession, *, person: Person) -> list[NeedCall]:
    """The calls someone takes part in, newest first."""
    rows = await session.scalars(
        select(NeedCall)
        .join(NeedParticipant, NeedParticipant.call_id == NeedCall.id)
        .where(NeedParticipant.person_id == person.id)
        .order_by(NeedCall.id.desc())
    )
    return list(rows)


async def calls_of_district(session: AsyncSession, *, district: str) -> list[NeedCall]:
    rows = await session.scalars(
        select(NeedCall).where(NeedCall.district_number == district).order_by(NeedCall.id.desc())
    )
    return list(rows)


async def open_to_everyone(session: AsyncSession, *, now: datetime) -> list[NeedCall]:
    rows = await session.scalars(
        select(NeedCall)
        .where(NeedCall.audience == "all", NeedCall.closed_at.is_(None), NeedCall.ends_at > now)
        .order_by(NeedCall.id)
    )
    return list(rows)


async def took_part_in_district(session: AsyncSession, *, district: str, person: Person) -> bool:
    found = await session.scalar(
        select(NeedParticipant.id)
        .join(NeedCall, NeedCall.id == NeedParticipant.call_id)
        .where(NeedCall.district_number == district, NeedParticipant.person_id == person.id)
        .limit(1)
    )
    return found is not None
