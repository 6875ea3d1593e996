"""Agreements at the service level: nudge schedule, authorisation, decisions, due dates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import make_services, open_storage
from bot.i18n import Translations
from bot.messages.render import OutboxRenderer
from bot.services.access import people
from bot.services.access.roles import Role, Roles, assign_role
from bot.services.agreements import workflow as agreements
from bot.services.agreements.schedule import (
    ESCALATE_COORDINATORS,
    ESCALATE_MANAGER,
    NUDGE,
    OVERDUE,
    NudgePolicy,
    nudge_slots,
    overdue_moment,
)
from bot.services.agreements.workflow import AgreementError, AgreementStatus
from bot.services.basics.env import ServiceEnv
from bot.services.basics.reference import load_reference_data
from bot.services.basics.workdays import is_working_hours
from bot.services.messaging.unreachable import agreement_of
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import (
    Agreement,
    AgreementEvent,
    OutboxMessage,
    Person,
    Reminder,
    RoleAssignment,
)
from tests.conftest import ADMIN_ID, make_settings

BERLIN = ZoneInfo("Europe/Berlin")
POLICY = NudgePolicy()
ENV = ServiceEnv(load_reference_data(), BERLIN, (ADMIN_ID,))
REP, OTHER_REP, MANAGER = 700_066, 700_067, 700_010


def at(month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def shown(slots: list[tuple[str, str, datetime]]) -> list[tuple[str, str, str]]:
    return [(k, s, m.astimezone(BERLIN).strftime("%a %m-%d %H:%M")) for k, s, m in slots]


# ------------------------------------------------------------------------- the schedule


def test_slots_of_an_agreement_due_friday_27_march() -> None:
    slots = nudge_slots(at(3, 27, 0), at(3, 11, 10), tz=BERLIN, policy=POLICY)
    assert shown(slots) == [
        (NUDGE, "created", "Wed 03-11 10:00"),
        (NUDGE, "d7", "Fri 03-20 08:00"),
        (NUDGE, "d1", "Thu 03-26 08:00"),
        (NUDGE, "due", "Fri 03-27 08:00"),
        # 3 working days after Friday 27th: Mon, Tue, Wed
        (OVERDUE, "1", "Wed 04-01 08:00"),
        # more than 5 working days overdue: Good Friday and Easter Monday do not count
        (ESCALATE_MANAGER, "1", "Wed 04-08 08:00"),
        (ESCALATE_COORDINATORS, "1", "Wed 04-15 08:00"),
    ]
    chain = [overdue_moment(at(3, 27, 0), n, tz=BERLIN, policy=POLICY) for n in range(1, 6)]
    assert [m.strftime("%a %m-%d %H:%M") for m in chain] == [
        "Wed 04-01 08:00",
        "Wed 04-08 08:00",
        "Mon 04-13 08:00",
        "Thu 04-16 08:00",
        "Tue 04-21 08:00",
    ]
    for moment in [m for _, _, m in slots] + chain:
        assert is_working_hours(moment, tz=BERLIN), moment  # never a weekend or holiday


def test_easter_holidays_move_the_slots() -> None:
    # due Fri 10 April: 7 days before is Good Friday, so that nudge comes a day earlier
    slots = nudge_slots(at(4, 10, 0), at(3, 11, 10), tz=BERLIN, policy=POLICY)
    assert shown(slots)[1:4] == [
        (NUDGE, "d7", "Thu 04-02 08:00"),
        (NUDGE, "d1", "Thu 04-09 08:00"),
        (NUDGE, "due", "Fri 04-10 08:00"),
    ]
    # due on Easter Monday: the day before is a Sunday after Good Friday, so "due tomorrow"
    # comes on Maundy Thursday; the due-day nudge waits for Tuesday morning
    slots = nudge_slots(at(4, 6, 0), at(3, 11, 10), tz=BERLIN, policy=POLICY)
    assert shown(slots)[1:5] == [
        (NUDGE, "d7", "Mon 03-30 08:00"),
        (NUDGE, "d1", "Thu 04-02 08:00"),
        (NUDGE, "due", "Tue 04-07 08:00"),
        (OVERDUE, "1", "Thu 04-09 08:00"),
    ]


def test_the_day_before_a_monday_is_the_friday() -> None:
    slots = nudge_slots(at(3, 30, 0), at(3, 11, 10), tz=BERLIN, policy=POLICY)
    assert shown(slots)[1:4] == [
        (NUDGE, "d7", "Mon 03-23 08:00"),
        (NUDGE, "d1", "Fri 03-27 08:00"),
        (NUDGE, "due", "Mon 03-30 08:00"),
    ]
    # a "day before" that would fall on the day the agreement was made is dropped
    late = nudge_slots(at(3, 30, 0), at(3, 27, 12), tz=BERLIN, policy=POLICY)
    assert [s for k, s, _ in late if k == NUDGE] == ["created", "due"]


def test_a_nudge_computed_at_19_moves_to_8_the_next_working_day() -> None:
    slots = nudge_slots(at(3, 27, 0), at(3, 11, 19), tz=BERLIN, policy=POLICY)
    assert shown(slots)[0] == (NUDGE, "created", "Thu 03-12 08:00")
    # Maundy Thursday evening: over Good Friday, the weekend and Easter Monday
    slots = nudge_slots(at(4, 30, 0), at(4, 2, 19), tz=BERLIN, policy=POLICY)
    assert shown(slots)[0] == (NUDGE, "created", "Tue 04-07 08:00")


def test_slots_before_creation_are_dropped() -> None:
    slots = nudge_slots(at(3, 13, 0), at(3, 11, 10), tz=BERLIN, policy=POLICY)
    assert [s for k, s, _ in slots if k == NUDGE] == ["created", "d1", "due"]
    same_day = nudge_slots(at(3, 11, 0), at(3, 11, 10), tz=BERLIN, policy=POLICY)
    assert [s for k, s, _ in same_day if k == NUDGE] == ["created"]


def test_the_policy_is_configurable(tmp_path: Path) -> None:
    policy = NudgePolicy(
        days_before=(3,),
        overdue_every_working_days=2,
        escalate_manager_after=1,
        escalate_coordinator_after=2,
        work_start=time(9),
        work_end=time(16),
    )
    slots = nudge_slots(at(3, 27, 0), at(3, 11, 17), tz=BERLIN, policy=policy)
    assert shown(slots) == [
        (NUDGE, "created", "Thu 03-12 09:00"),
        (NUDGE, "d3", "Tue 03-24 09:00"),
        (NUDGE, "due", "Fri 03-27 09:00"),
        (OVERDUE, "1", "Tue 03-31 09:00"),
        (ESCALATE_MANAGER, "1", "Tue 03-31 09:00"),
        (ESCALATE_COORDINATORS, "1", "Wed 04-01 09:00"),
    ]
    settings = make_settings(
        tmp_path,
        nudge_days_before="14,2",
        nudge_overdue_every_working_days=4,
        escalate_manager_after_working_days=6,
        escalate_coordinator_after_working_days=12,
        working_hours_start=9,
        working_hours_end=17,
    )
    env = make_services(settings, None).env  # type: ignore[arg-type]
    assert env.policy == NudgePolicy((14, 2), 4, 6, 12, time(9), time(17))
    with pytest.raises(ValueError, match="WORKING_HOURS"):
        make_settings(tmp_path, working_hours_start=18, working_hours_end=8)


# ------------------------------------------------------------------------ authorisation


def _roles(person_id: int, *rows: tuple[str, str | None, str | None]) -> Roles:
    assignments = tuple(
        RoleAssignment(
            person_id=person_id, role=role, district_number=district, department_number=department
        )
        for role, district, department in rows
    )
    return Roles(person_id, assignments)


def test_who_may_act_on_an_agreement() -> None:
    agreement = Agreement(id=1, district_number="10", department_number="66", rep_id=5)
    assert agreements.rep_may_act(_roles(7, ("rep", "10", "66")), agreement)
    assert not agreements.rep_may_act(_roles(7, ("rep", "09", "66")), agreement)  # district
    assert not agreements.rep_may_act(_roles(7, ("rep", "10", "32")), agreement)  # department
    # department 66 in district 09 and department 32 in district 10 is not 66 in 10
    assert not agreements.rep_may_act(
        _roles(7, ("rep", "09", "66"), ("rep", "10", "32")), agreement
    )
    assert not agreements.rep_may_act(_roles(7, ("manager", "10", None)), agreement)
    assert agreements.rep_may_act(_roles(5), agreement)  # the named rep
    assert agreements.manager_may_act(_roles(8, ("manager", "10", None)), agreement)
    assert agreements.manager_may_act(_roles(8, ("deputy", "10", None)), agreement)
    assert not agreements.manager_may_act(_roles(8, ("manager", "09", None)), agreement)
    assert not agreements.manager_may_act(_roles(7, ("rep", "10", "66")), agreement)
    assert agreements.manager_may_act(_roles(9, ("coordinator", None, None)), agreement)
    assert agreements.manager_may_act(Roles(9, (), is_admin=True), agreement)


# ---------------------------------------------------------------------------- database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SessionMaker]:
    engine, maker = await open_storage(make_settings(tmp_path))
    try:
        yield maker
    finally:
        await engine.dispose()


NOW = at(3, 11, 10)


async def _person(
    session: AsyncSession, telegram_id: int, role: Role | None = None, **where: str
) -> Person:
    person = await people.get_or_create_person(
        session, telegram_id=telegram_id, first_name=f"P{telegram_id}", language="en", now=NOW
    )
    if role is not None:
        await assign_role(
            session,
            person=person,
            role=role,
            now=NOW,
            district_number=where.get("district"),
            department_number=where.get("department"),
        )
    return person


async def _setup(maker: SessionMaker, *, with_rep: bool = True) -> None:
    async with session_scope(maker) as session:
        await _person(session, MANAGER, Role.MANAGER, district="10")
        if with_rep:
            await _person(session, REP, Role.REP, district="10", department="66")


async def _create(maker: SessionMaker, due: datetime | None = None) -> int:
    async with session_scope(maker) as session:
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        agreement = await agreements.create_agreement(
            session,
            ENV,
            district="10",
            department="66",
            measure="Two more waste bins",
            due=due or at(3, 27, 0),
            now=NOW,
            created_by=manager,
            topic="public_space",
        )
        return agreement.id


async def _outbox(maker: SessionMaker, chat_id: int) -> list[OutboxMessage]:
    async with session_scope(maker) as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id)
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def _pending_keys(maker: SessionMaker) -> list[str]:
    async with session_scope(maker) as session:
        rows = await session.scalars(
            select(Reminder.key)
            .where(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None))
            .order_by(Reminder.due_at)
        )
        return list(rows)


def _payload(message: OutboxMessage, language: str = "en") -> dict[str, Any]:
    """The queued intent as the recipient would get it, rendered in `language`."""
    renderer = OutboxRenderer(Translations("de"), load_reference_data(), BERLIN)
    return renderer.payload(message.intent, message.params, message.payload, language)


def _data(message: OutboxMessage) -> list[str]:
    return [b["data"] for row in _payload(message).get("buttons", []) for b in row]


async def test_create_schedules_every_slot_for_the_default_rep(db: SessionMaker) -> None:
    await _setup(db)
    async with session_scope(db) as session:
        other = await _person(session, OTHER_REP, Role.REP, district="10", department="66")
        row = await session.scalar(
            select(RoleAssignment).where(RoleAssignment.person_id == other.id)
        )
        assert row is not None
        row.is_default = True  # the department named its default contact for district 10
    agreement_id = await _create(db)
    async with session_scope(db) as session:
        agreement = await session.get(Agreement, agreement_id)
        assert agreement is not None and agreement.rep_id == other.id
        assert agreement.status == AgreementStatus.OPEN and agreement.escalation_level == 0
        reminders = list(await session.scalars(select(Reminder).order_by(Reminder.due_at)))
    prefix = f"agr:{agreement_id}:2026-03-27:"
    assert [r.key for r in reminders] == [
        prefix + s
        for s in (
            "agr_nudge:created",
            "agr_nudge:d7",
            "agr_nudge:d1",
            "agr_nudge:due",
            "agr_overdue:1",
            "agr_escalate_manager:1",
            "agr_escalate_coordinators:1",
        )
    ]
    assert all(r.agreement_id == agreement_id for r in reminders)
    assert await _outbox(db, MANAGER) == []  # nothing to tell: a rep is bound


async def test_without_a_rep_the_agreement_is_stored_and_the_manager_told(
    db: SessionMaker,
) -> None:
    await _setup(db, with_rep=False)
    agreement_id = await _create(db)
    (message,) = await _outbox(db, MANAGER)
    assert agreement_of(message) == agreement_id and message.kind == "to_manager"
    async with session_scope(db) as session:
        agreement = await session.get(Agreement, agreement_id)
        assert agreement is not None and agreement.rep_id is None
        kinds = list(await session.scalars(select(AgreementEvent.kind)))
    assert kinds == ["created", "rep_missing"]


async def test_past_and_nonsense_due_dates_are_refused_and_nothing_stored(
    db: SessionMaker,
) -> None:
    await _setup(db)
    for text, reason in (
        ("gestern", "past"),
        ("1.3.2026", "past"),
        ("Blumenkohl", "unparseable"),
        ("31.2.", "unparseable"),
        ("  ", "empty"),
    ):
        with pytest.raises(AgreementError) as error:
            agreements.parse_due(text, env=ENV, now=NOW)
        assert error.value.reason == reason, text
    assert agreements.parse_due("bis Freitag", env=ENV, now=NOW) == at(3, 13, 0)
    with pytest.raises(AgreementError) as error:
        await _create(db, due=at(3, 10, 0))
    assert error.value.reason == "past"
    async with session_scope(db) as session:
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        for field, value in (("department", "99"), ("district", "77"), ("measure", "  ")):
            values = {"district": "10", "department": "66", "measure": "Bins", field: value}
            with pytest.raises(AgreementError) as error:
                await agreements.create_agreement(
                    session, ENV, due=at(3, 27, 0), now=NOW, created_by=manager, **values
                )
            assert error.value.reason == field
    async with session_scope(db) as session:
        assert await session.scalar(select(func.count(Agreement.id))) == 0
        assert await session.scalar(select(func.count(Reminder.id))) == 0
    # due today is allowed
    assert await _create(db, due=at(3, 11, 0))


async def _act(
    maker: SessionMaker, agreement_id: int, action: str, who: int, **kwargs: object
) -> None:
    async with session_scope(maker) as session:
        agreement = await session.get(Agreement, agreement_id)
        person = await people.get_person(session, telegram_id=who)
        assert agreement is not None and person is not None
        actor = (
            "rep"
            if action in ("report_done", "request_extension", "report_problem")
            else "manager"
        )
        function = getattr(agreements, action)
        if action == "escalate":
            await function(session, ENV, agreement, by=person, now=NOW, **kwargs)
        else:
            await function(session, ENV, agreement, **{actor: person}, now=NOW, **kwargs)


async def _agreement(maker: SessionMaker, agreement_id: int) -> Agreement:
    async with session_scope(maker) as session:
        agreement = await session.get(Agreement, agreement_id)
        assert agreement is not None
        return agreement


async def test_an_approved_extension_moves_every_pending_nudge(db: SessionMaker) -> None:
    await _setup(db)
    agreement_id = await _create(db)
    with pytest.raises(AgreementError, match="not_later"):
        await _act(db, agreement_id, "request_extension", REP, new_due=at(3, 20, 0), reason="x")
    await _act(
        db,
        agreement_id,
        "request_extension",
        REP,
        new_due=at(4, 17, 0),
        reason="The bins are delivered late.",
    )
    agreement = await _agreement(db, agreement_id)
    assert agreement.status == AgreementStatus.EXTENSION_REQUESTED
    request = (await _outbox(db, MANAGER))[-1]
    assert _data(request) == [f"ag:approve:{agreement_id}", f"ag:reject:{agreement_id}"]
    assert "delivered late" in _payload(request)["text"]  # the rep's own words

    await _act(db, agreement_id, "decide_extension", MANAGER, approve=True)
    agreement = await _agreement(db, agreement_id)
    assert agreement.status == AgreementStatus.OPEN and agreement.requested_due_at is None
    assert agreement.due_at == at(4, 17, 0)
    pending = await _pending_keys(db)
    assert all(k.startswith(f"agr:{agreement_id}:2026-04-17:") for k in pending)
    assert {k.split(":", 3)[3] for k in pending} == {
        "agr_nudge:d7",
        "agr_nudge:d1",
        "agr_nudge:due",
        "agr_overdue:1",
        "agr_escalate_manager:1",
        "agr_escalate_coordinators:1",
    }
    told = (await _outbox(db, REP))[-1]
    assert "17.04.2026" in _payload(told, "de")["text"] and "17 Apr 2026" in _payload(told)["text"]


async def test_a_rejected_extension_keeps_the_date_and_its_nudges(db: SessionMaker) -> None:
    await _setup(db)
    agreement_id = await _create(db)
    before = await _pending_keys(db)
    await _act(db, agreement_id, "request_extension", REP, new_due=at(4, 17, 0), reason="late")
    with pytest.raises(AgreementError, match="state"):  # asked once, not twice
        await _act(db, agreement_id, "request_extension", REP, new_due=at(4, 18, 0), reason="x")
    await _act(db, agreement_id, "decide_extension", MANAGER, approve=False)
    agreement = await _agreement(db, agreement_id)
    assert agreement.status == AgreementStatus.OPEN and agreement.due_at == at(3, 27, 0)
    assert await _pending_keys(db) == before
    told = (await _outbox(db, REP))[-1]
    assert _data(told) == [
        f"ag:done:{agreement_id}",
        f"ag:more:{agreement_id}",
        f"ag:problem:{agreement_id}",
    ]
    with pytest.raises(AgreementError, match="state"):  # a stale approve button
        await _act(db, agreement_id, "decide_extension", MANAGER, approve=True)


async def test_done_problem_reopen_confirm_and_the_lists(db: SessionMaker) -> None:
    await _setup(db)
    first, second = await _create(db), await _create(db, due=at(4, 30, 0))
    await _act(db, first, "report_problem", REP, text="The square is a building site.")
    card = (await _outbox(db, MANAGER))[-1]
    assert _data(card) == [f"ag:redate:{first}", f"ag:reopen:{first}", f"ag:escalate:{first}"]
    await _act(db, first, "reopen", MANAGER)
    await _act(db, first, "report_done", REP, text="Installed on Monday.")
    card = (await _outbox(db, MANAGER))[-1]
    assert _data(card) == [f"ag:confirm:{first}", f"ag:reopen:{first}"]
    assert "Installed on Monday." in _payload(card)["text"]
    with pytest.raises(AgreementError, match="state"):
        await _act(db, first, "report_done", REP, text="again")
    async with session_scope(db) as session:
        grouped = await agreements.agreements_for_manager(session, {"10"})
        assert {s: [a.id for a in rows] for s, rows in grouped.items()} == {
            "done_reported": [first],
            "open": [second],
        }
        rep = await people.get_person(session, telegram_id=REP)
        assert rep is not None
        assert [a.id for a in await agreements.open_agreements_for_rep(session, rep)] == [
            first,
            second,
        ]
    await _act(db, second, "escalate", MANAGER, level=2)
    async with session_scope(db) as session:
        assert [a.id for a in await agreements.escalated(session)] == [second]
    escalation = (await _outbox(db, ADMIN_ID))[-1]
    assert escalation.kind == "escalation" and agreement_of(escalation) == second

    await _act(db, first, "confirm_done", MANAGER)
    agreement = await _agreement(db, first)
    assert agreement.status == AgreementStatus.DONE and agreement.confirmed_at == NOW
    assert not [k for k in await _pending_keys(db) if k.startswith(f"agr:{first}:")]
    async with session_scope(db) as session:
        kinds = list(
            await session.scalars(
                select(AgreementEvent.kind)
                .where(AgreementEvent.agreement_id == first)
                .order_by(AgreementEvent.id)
            )
        )
    assert kinds == ["created", "problem_reported", "reopened", "done_reported", "confirmed"]


async def test_change_due_by_the_manager_resets_the_escalation(db: SessionMaker) -> None:
    await _setup(db)
    agreement_id = await _create(db)
    await _act(db, agreement_id, "escalate", MANAGER, level=1)
    assert (await _agreement(db, agreement_id)).escalation_level == 1
    with pytest.raises(AgreementError, match="past"):
        await _act(db, agreement_id, "change_due", MANAGER, due=NOW - timedelta(days=2))
    await _act(db, agreement_id, "change_due", MANAGER, due=at(5, 8, 0))
    agreement = await _agreement(db, agreement_id)
    assert agreement.escalation_level == 0 and agreement.due_at == at(5, 8, 0)
    assert all(":2026-05-08:" in k for k in await _pending_keys(db))
    # and back to the first date: its cancelled slots are pending again
    await _act(db, agreement_id, "change_due", MANAGER, due=at(3, 27, 0))
    pending = await _pending_keys(db)
    assert pending == [
        f"agr:{agreement_id}:2026-03-27:{slot}"
        for slot in (
            "agr_nudge:d7",
            "agr_nudge:d1",
            "agr_nudge:due",
            "agr_overdue:1",
            "agr_escalate_manager:1",
            "agr_escalate_coordinators:1",
        )
    ]
