"""The rules of agreements: who may act, which input counts, which state a step needs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from bot.services.access.roles import Role, Roles
from bot.services.agreements.status import ACTIVE_STATUSES, AgreementStatus
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.services.basics.env import ServiceEnv
from bot.services.basics.workdays import holidays_in_year
from bot.storage.models import Agreement

MAX_MEASURE = 2000


class AgreementError(ValueError):
    """Input or a decision that cannot be used; `reason` tells the caller which answer to give.

    Reasons: district, department, topic, measure, past, unparseable, empty, not_later,
    state, level.
    """

    def __init__(self, reason: str, value: datetime | None = None) -> None:
        self.reason, self.value = reason, value
        super().__init__(reason)


# ------------------------------------------------------------------------ authorisation


def rep_may_act(roles: Roles, agreement: Agreement) -> bool:
    """The named rep, or a rep of the agreement's department for the agreement's district."""
    if roles.person_id is not None and roles.person_id == agreement.rep_id:
        return True
    return any(
        a.role == Role.REP
        and a.department_number == agreement.department_number
        and a.district_number == agreement.district_number
        for a in roles.assignments
    )


def manager_may_act(roles: Roles, agreement: Agreement) -> bool:
    return roles.can_manage_district(agreement.district_number)


# --------------------------------------------------------------------------- validation


def department_number(number: str) -> str:
    number = number.strip()
    return str(int(number)) if number.isdigit() else number


def checked_terms(
    env: ServiceEnv, *, district: str, department: str, measure: str, topic: str | None
) -> tuple[str, str, str]:
    """District number, department number and measure as stored; `AgreementError` if any
    (or the topic) is unknown or empty."""
    if not env.reference.has_district(district):
        raise AgreementError("district")
    if not env.reference.has_department(department):
        raise AgreementError("department")
    if topic is not None and not env.reference.has_topic(topic):
        raise AgreementError("topic")
    measure = measure.strip()
    if not measure or len(measure) > MAX_MEASURE:
        raise AgreementError("measure")
    return env.reference.district(district).number, department_number(department), measure


def check_due(env: ServiceEnv, due: datetime, now: datetime) -> None:
    if due.tzinfo is None:
        raise ValueError("an aware datetime is required")
    if due.astimezone(env.tz).date() < now.astimezone(env.tz).date():
        raise AgreementError("past", due)


def parse_due(text: str, *, env: ServiceEnv, now: datetime) -> datetime:
    """A due date typed in German (the same parser as everywhere); past dates are refused."""
    try:
        return parse_german_date(text, now=now, tz=env.tz).value
    except DateParseError as error:
        raise AgreementError(error.reason, error.value) from None


def require_status(agreement: Agreement, *statuses: str) -> None:
    if agreement.status not in statuses:
        raise AgreementError("state")


# What each step of the rep's and the manager's dialogues needs the agreement to be.
CAN = {
    "report_done": (
        AgreementStatus.OPEN,
        AgreementStatus.EXTENSION_REQUESTED,
        AgreementStatus.PROBLEM,
    ),
    "request_extension": (AgreementStatus.OPEN, AgreementStatus.PROBLEM),
    "report_problem": (AgreementStatus.OPEN, AgreementStatus.PROBLEM),
    "change_due": ACTIVE_STATUSES,
}


def check_can(agreement: Agreement, step: str) -> None:
    """Before asking for input: raise `AgreementError("state")` unless `step` (a key of
    `CAN`) fits the agreement's status, so a stale button is answered at once."""
    require_status(agreement, *CAN[step])


DayOff = Literal["saturday", "sunday", "holiday"]


def day_off(day: date) -> DayOff | None:
    """Why a due date is no working day (a weekend or a public holiday of Lower Saxony),
    so the dialogue can ask whether it is meant; None for a working day."""
    if day.weekday() == 6:
        return "sunday"
    if day.weekday() == 5:
        return "saturday"
    return "holiday" if day in holidays_in_year(day.year) else None
