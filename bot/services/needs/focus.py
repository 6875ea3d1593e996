"""Focus areas (Handlungsschwerpunkte): agreed at a district conference, each grouping needs
and carrying the agreements of its action plan (the agreement engine); the coordinator
records the Dezernentenkonferenz's decision, and proposers and supporters are told. Progress
comes from the agreements: kept, late, open."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Roles
from bot.services.agreements.action_plans import create_action_plan
from bot.services.agreements.status import AgreementStatus
from bot.services.messaging import outbox
from bot.services.needs.calls import NeedError, NotAllowed
from bot.services.needs.notices import FocusDecided
from bot.services.needs.proposals import supporters
from bot.storage.models import Agreement, Conference, FocusArea, Need, Person

DECISIONS = ("decided", "changed", "not_adopted")  # labels: bot/messages/needs.py
KEPT = (AgreementStatus.DONE, AgreementStatus.DONE_REPORTED)


@dataclass(frozen=True)
class Progress:
    focus: FocusArea
    needs: list[Need]
    kept: int
    late: int
    open: int

    @property
    def total(self) -> int:
        return self.kept + self.late + self.open


async def agree_focus(
    session: AsyncSession,
    *,
    conference_id: int,
    title: str,
    need_ids: Iterable[int],
    roles: Roles,
    now: datetime,
) -> FocusArea:
    """The conference agrees a focus area over needs on its agenda; its action plan (same
    title) is what the agreements implementing it are filed under."""
    conference = await session.get(Conference, conference_id)
    if conference is None or not roles.can_manage_district(conference.district_number):
        raise NotAllowed
    needs = [
        n
        for n in await session.scalars(select(Need).where(Need.id.in_(list(need_ids))))
        if n.district_number == conference.district_number and n.status == "on_agenda"
    ]
    title = title.strip()
    if not needs or not title or len(title) > 200:
        raise NeedError("input")
    plan = await create_action_plan(
        session,
        district=conference.district_number,
        title=title,
        topic=needs[0].topic,
        now=now,
        conference_id=conference.id,
    )
    focus = FocusArea(
        district_number=conference.district_number,
        title=title,
        conference_id=conference.id,
        action_plan_id=plan.id,
        created_at=now,
    )
    session.add(focus)
    await session.flush()
    for need in needs:
        need.status, need.focus_area_id, need.updated_at = "agreed_focus", focus.id, now
    return focus


async def focus_areas_of(session: AsyncSession, *, district: str) -> list[FocusArea]:
    rows = await session.scalars(
        select(FocusArea).where(FocusArea.district_number == district).order_by(FocusArea.id)
    )
    return list(rows)


async def record_decision(
    session: AsyncSession,
    *,
    focus_id: int,
    roles: Roles,
    decision: str,
    decided_on: date,
    note: str | None,
    person: Person,
    now: datetime,
) -> tuple[FocusArea, int]:
    """The Dezernentenkonferenz's decision (coordinators only); returns the focus area and
    how many proposers and supporters are told."""
    focus = await session.get(FocusArea, focus_id)
    if focus is None or not roles.is_coordinator:
        raise NotAllowed
    if decision not in DECISIONS:
        raise NeedError("input")
    focus.decision, focus.decided_on = decision, decided_on
    focus.decision_note, focus.decided_by_id = (note or "").strip() or None, person.id
    needs = list(await session.scalars(select(Need).where(Need.focus_area_id == focus.id)))
    merged = list(
        await session.scalars(select(Need).where(Need.merged_into_id.in_([n.id for n in needs])))
    )
    for need in needs:
        need.status = "rejected" if decision == "not_adopted" else "decided"
        need.updated_at = now
    people = {p.id: p for p in await supporters(session, [n.id for n in needs])}
    proposer_ids = {n.proposer_id for n in [*needs, *merged] if n.proposer_id}
    for proposer_id in proposer_ids - set(people):
        found = await session.get(Person, proposer_id)
        if found is not None:
            people[found.id] = found
    told = FocusDecided(
        focus.district_number, focus.title, decision, decided_on, focus.decision_note
    )
    count = 0
    for someone in people.values():
        if someone.telegram_id:
            count += 1
            outbox.tell(
                session,
                chat_id=someone.telegram_id,
                intent=told,
                now=now,
                person_id=someone.id,
                language=someone.language,
                kind="need",
            )
    return focus, count


def _classify(agreement: Agreement, now: datetime) -> str:
    if agreement.status in KEPT:
        return "kept"
    return "late" if agreement.due_at < now else "open"


async def progress(
    session: AsyncSession, *, districts: Iterable[str], now: datetime
) -> list[Progress]:
    """Each focus area of the districts with its needs and its agreements counted as kept
    (done or reported done), late (past due) and open; cancelled ones do not count. Three
    queries however many areas there are. The needs' status follows their area's agreements
    (decided → in progress → done); it is brought up to date here, where it is shown."""
    areas = list(
        await session.scalars(
            select(FocusArea)
            .where(FocusArea.district_number.in_(list(districts)))
            .order_by(FocusArea.district_number, FocusArea.id)
        )
    )
    if not areas:
        return []
    counts: dict[int, dict[str, int]] = {}
    for agreement in await session.scalars(
        select(Agreement).where(
            Agreement.action_plan_id.in_([a.action_plan_id for a in areas]),
            Agreement.status != AgreementStatus.CANCELLED,
        )
    ):
        if agreement.action_plan_id is not None:
            plan = counts.setdefault(agreement.action_plan_id, {"kept": 0, "late": 0, "open": 0})
            plan[_classify(agreement, now)] += 1
    needs_of: dict[int, list[Need]] = {a.id: [] for a in areas}
    for need in await session.scalars(
        select(Need).where(Need.focus_area_id.in_(list(needs_of))).order_by(Need.id)
    ):
        if need.focus_area_id is not None:
            needs_of[need.focus_area_id].append(need)
    found: list[Progress] = []
    for area in areas:
        plan = counts.get(area.action_plan_id, {"kept": 0, "late": 0, "open": 0})
        if any(plan.values()):
            done = plan["late"] == 0 and plan["open"] == 0
            for need in needs_of[area.id]:
                if need.status in ("decided", "in_progress", "done"):
                    need.status = "done" if done else "in_progress"
        found.append(Progress(area, needs_of[area.id], plan["kept"], plan["late"], plan["open"]))
    return found


async def progress_totals(
    session: AsyncSession, *, districts: Iterable[str], now: datetime
) -> tuple[int, int, int, int]:
    """For the reports, reading only: focus areas, and their agreements kept, late, open."""
    areas = list(
        await session.scalars(
            select(FocusArea).where(FocusArea.district_number.in_(list(districts)))
        )
    )
    counts = {"kept": 0, "late": 0, "open": 0}
    plans = [a.action_plan_id for a in areas if a.action_plan_id is not None]
    if plans:
        for agreement in await session.scalars(
            select(Agreement).where(
                Agreement.action_plan_id.in_(plans),
                Agreement.status != AgreementStatus.CANCELLED,
            )
        ):
            counts[_classify(agreement, now)] += 1
    return len(areas), counts["kept"], counts["late"], counts["open"]
