"""The manager's list of cases: the open cases of the sender's districts, narrowed by a filter
(new, mine, waiting, overdue, a quarter, a field of action), or a word search over every case.

No Telegram here; the clock is passed in. Every query is limited to the districts the roles
allow (coordinators: all), whatever the filter says, because filters arrive in callback data
that can be forged. One count and one page query per view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from bot.services.access.roles import Roles
from bot.services.basics.reference import Quarter, ReferenceData, fold
from bot.services.cases.records import OPEN_STATUSES, CaseStatus
from bot.storage.models import Case, CaseEvent

MAX_WORDS = 8
MAX_WORD_LENGTH = 64
_QUOTES = "\"'„“”‚‘’«»‹›.,;:!?()"
# Upper-case umlauts folded in SQL too: SQLite's lower() changes ASCII letters only.
_UPPER_UMLAUTS = (("Ä", "ä"), ("Ö", "ö"), ("Ü", "ü"))


class ListKind(StrEnum):
    ALL = "all"
    NEW = "new"
    MINE = "mine"
    WAITING = "wait"
    OVERDUE = "late"
    QUARTER = "quarter"
    TOPIC = "topic"
    SEARCH = "search"


# What may follow /faelle to choose a filter, in German and English; compared folded, so
# "Überfällig", "ueberfaellig" and "uberfallig" are the same word.
KEYWORDS = {
    fold(word): kind
    for word, kind in (
        ("neu", ListKind.NEW),
        ("new", ListKind.NEW),
        ("meine", ListKind.MINE),
        ("mine", ListKind.MINE),
        ("wartend", ListKind.WAITING),
        ("waiting", ListKind.WAITING),
        ("überfällig", ListKind.OVERDUE),
        ("overdue", ListKind.OVERDUE),
        ("alle", ListKind.ALL),
        ("all", ListKind.ALL),
        ("offen", ListKind.ALL),
        ("open", ListKind.ALL),
    )
}


@dataclass(frozen=True)
class CaseFilter:
    """Which cases a list shows. A quarter or topic filter whose value is unknown (stale or
    forged data) is kept, and matches nothing."""

    kind: ListKind = ListKind.ALL
    quarter: Quarter | None = None
    topic: str | None = None
    words: tuple[str, ...] = ()

    @property
    def open_only(self) -> bool:
        """Filters narrow the open cases; a search covers open and closed ones."""
        return self.kind != ListKind.SEARCH


@dataclass(frozen=True)
class CasePage:
    """One page of a list; `page` is 0-based and already moved back inside the list."""

    cases: list[Case]
    total: int
    page: int
    pages: int


# ----------------------------------------------------------------------------- typed filters


def search_words(text: str) -> tuple[str, ...]:
    """The words of a search, lower case, without surrounding quotes or punctuation."""
    words = (w.strip(_QUOTES).lower()[:MAX_WORD_LENGTH] for w in text.split())
    return tuple(dict.fromkeys(w for w in words if w))[:MAX_WORDS]


def topic_by_name(reference: ReferenceData, text: str) -> str | None:
    """A field of action by its code or its German or English label (case and umlauts free)."""
    key = fold(text)
    if not key:
        return None
    for topic in reference.topics:
        names = (topic.code.replace("_", " "), topic.label_de, topic.label_en or "")
        if key in {fold(name) for name in names if name}:
            return topic.code
    return None


def quarter_by_name(reference: ReferenceData, text: str) -> Quarter | None:
    """A quarter by its name or an alias standing for one quarter, as routing reads them."""
    quarter = reference.quarter(text)
    if quarter is not None:
        return quarter
    aliased_to = reference.alias(text)
    return aliased_to[0] if len(aliased_to) == 1 else None


def parse_query(reference: ReferenceData, text: str) -> CaseFilter:
    """What follows /faelle: a filter word, a quarter, a field of action, else search words."""
    text = text.strip()
    if not text:
        return CaseFilter()
    kind = KEYWORDS.get(fold(text))
    if kind is not None:
        return CaseFilter(kind)
    quarter = quarter_by_name(reference, text)
    if quarter is not None:
        return CaseFilter(ListKind.QUARTER, quarter=quarter)
    topic = topic_by_name(reference, text)
    if topic is not None:
        return CaseFilter(ListKind.TOPIC, topic=topic)
    words = search_words(text)
    return CaseFilter(ListKind.SEARCH, words=words) if words else CaseFilter()


# ---------------------------------------------------------------------------------- queries


def _districts(roles: Roles) -> ColumnElement[bool] | None:
    """The cases the roles may see at all; None: no district, nothing to see."""
    if roles.is_coordinator:
        return true()
    districts = roles.districts()
    return Case.district_number.in_(sorted(districts)) if districts else None


def _open() -> ColumnElement[bool]:
    return Case.status.in_([str(s) for s in OPEN_STATUSES])


def _folded(column: InstrumentedAttribute[str | None]) -> ColumnElement[str]:
    """lower(), with upper-case umlauts and ß folded the same way on SQLite and PostgreSQL."""
    text: ColumnElement[str] = func.coalesce(column, "")
    for upper, lower in _UPPER_UMLAUTS:
        text = func.replace(text, upper, lower)
    return func.replace(func.lower(text), "ß", "ss")


def _search(words: tuple[str, ...]) -> ColumnElement[bool]:
    """Every word in the reference, the description or the address (wildcards escaped)."""
    if not words:
        return false()
    columns = (Case.reference, Case.description, Case.address_text)
    condition: ColumnElement[bool] = true()
    for word in words:
        needle = word.lower().replace("ß", "ss")
        condition = condition & or_(
            *(_folded(c).contains(needle, autoescape=True) for c in columns)
        )
    return condition


def _mine(person_id: int | None) -> ColumnElement[bool]:
    """Kümmerer cases whose latest "taken on" was by this person (no column names the
    manager; the history does)."""
    if person_id is None:
        return false()
    later = aliased(CaseEvent)
    latest = (
        select(func.max(later.id))
        .where(later.case_id == CaseEvent.case_id, later.kind == "taken_on")
        .scalar_subquery()
    )
    taken = select(CaseEvent.case_id).where(
        CaseEvent.kind == "taken_on", CaseEvent.actor_id == person_id, CaseEvent.id == latest
    )
    return (Case.mode == "kuemmerer") & Case.id.in_(taken)


def _condition(flt: CaseFilter, *, person_id: int | None, now: datetime) -> ColumnElement[bool]:
    if flt.kind == ListKind.SEARCH:
        return _search(flt.words)
    condition = _open()
    if flt.kind == ListKind.NEW:
        return condition & (Case.status == CaseStatus.NEW)
    if flt.kind == ListKind.WAITING:
        return condition & (Case.status == CaseStatus.WAITING)
    if flt.kind == ListKind.OVERDUE:
        return condition & Case.next_step_due.is_not(None) & (Case.next_step_due < now)
    if flt.kind == ListKind.MINE:
        return condition & _mine(person_id)
    if flt.kind == ListKind.QUARTER:
        if flt.quarter is None:
            return false()
        q = flt.quarter
        return condition & (Case.district_number == q.district_number) & (Case.quarter == q.name)
    if flt.kind == ListKind.TOPIC:
        return condition & (Case.topic == flt.topic) if flt.topic else false()
    return condition


def _order(flt: CaseFilter) -> tuple[object, ...]:
    if flt.kind == ListKind.SEARCH:  # newest first: a search looks for something recent
        return (Case.created_at.desc(), Case.id.desc())
    if flt.kind == ListKind.OVERDUE:  # the longest overdue first
        return (Case.next_step_due, Case.id)
    return (Case.priority.desc(), Case.created_at, Case.id)


async def find_cases(
    session: AsyncSession,
    *,
    roles: Roles,
    flt: CaseFilter,
    now: datetime,
    page: int = 0,
    per_page: int = 8,
) -> CasePage:
    """One page of the cases the filter selects among those the roles may see.

    A page beyond the end (cases closed since the buttons were sent) shows the last page.
    """
    scope = _districts(roles)
    if scope is None:
        return CasePage([], 0, 0, 1)
    condition = scope & _condition(flt, person_id=roles.person_id, now=now)
    total = int(await session.scalar(select(func.count(Case.id)).where(condition)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    if total == 0:
        return CasePage([], 0, 0, 1)
    found = await session.scalars(
        select(Case)
        .where(condition)
        .order_by(*_order(flt))  # type: ignore[arg-type]  # columns and their orderings
        .offset(page * per_page)
        .limit(per_page)
    )
    return CasePage(list(found), total, page, pages)


async def quarter_choices(
    session: AsyncSession, *, roles: Roles, reference: ReferenceData
) -> list[tuple[Quarter, int]]:
    """The quarters (of the reference data) that have open cases the roles may see, with
    how many, in the reference data's order."""
    scope = _districts(roles)
    if scope is None:
        return []
    counted = await session.execute(
        select(Case.district_number, Case.quarter, func.count(Case.id))
        .where(scope & _open() & Case.quarter.is_not(None))
        .group_by(Case.district_number, Case.quarter)
    )
    counts = {(d, q): n for d, q, n in counted.tuples()}
    return [
        (q, counts[(q.district_number, q.name)])
        for q in reference.quarters
        if (q.district_number, q.name) in counts
    ]


async def topic_choices(
    session: AsyncSession, *, roles: Roles, reference: ReferenceData
) -> list[tuple[str, int]]:
    """The fields of action with open cases the roles may see, with how many; the reference
    data's order, then codes it no longer has."""
    scope = _districts(roles)
    if scope is None:
        return []
    counted = await session.execute(
        select(Case.topic, func.count(Case.id)).where(scope & _open()).group_by(Case.topic)
    )
    counts = {code: n for code, n in counted.tuples()}  # dict() would take .keys()
    order = {t.code: i for i, t in enumerate(reference.topics)}
    return sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
