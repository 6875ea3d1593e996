"""Open311 GeoReport v2, read side: the services (topics) and the public view of cases.

Only what the city may publish leaves this module: topic, status, district management or the
referral contact's responsible body, the quarter and district, and the dates. Never the
resident (name, Telegram id, contact, organisation), the typed address, the pin, photos or
the case history. The resident's own text is the `description` only where they agreed to its
publication at the intake's review (`Case.publication_consent`), with e-mail addresses and
phone numbers they may have typed into it masked; every other case has no description.
Erasure and retention clear the text and the consent together, so an erased case shows none.

Plain data in, plain data out: no web framework, no Telegram. `bot.web.open311` renders JSON
and XML. The standard: https://wiki.open311.org/GeoReport_v2/
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import null, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.reference import ReferenceData
from bot.services.cases.records import OPEN_STATUSES, CaseStatus
from bot.storage.models import Case

MAX_REQUESTS = 1000  # the standard's default cap on one answer
DEFAULT_WINDOW = timedelta(days=90)  # the standard: the most recent 90 days by default
MAX_WINDOW = timedelta(days=90)  # ... and a range "may not span more than 90 days"
MAX_IDS = 1000

STATUS_OPEN, STATUS_CLOSED = "open", "closed"
CLOSED_STATUSES = (CaseStatus.REFERRED, CaseStatus.RESOLVED, CaseStatus.MERGED)
NOTED_STATUSES = (CaseStatus.REFERRED, CaseStatus.RESOLVED, CaseStatus.MERGED)


@dataclass(frozen=True)
class PublicWords:
    """The interface's words in the city's language, chosen by the message layer
    (`bot/messages/open311.py`); texts hold named placeholders."""

    language: str
    status_notes: Mapping[str, str]  # generic per status: never a manager's or resident's words
    field_service: str  # {topic}
    other_service: str  # {topic}
    group_fields: str
    group_other: str
    agency: str  # {district}
    district: str  # {name}
    city: str
    topic_names: Mapping[str, str]  # code -> name in the city's language
    referral_names: Mapping[str, str]  # key -> name in the city's language


# Every field of a service request, in the standard's order.
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)


class Open311Error(Exception):
    """An answer in the standard's error format: HTTP status code and a description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


@dataclass(frozen=True)
class PublicCase:
    """The columns of a case the public view may read; personal columns are never loaded, the
    description only where the resident agreed to its publication."""

    reference: str
    district_number: str
    quarter: str | None
    topic: str
    status: str
    referral_key: str | None
    created_at: datetime
    updated_at: datetime
    next_step_due: datetime | None
    publication_consent: bool = False
    consented_text: str | None = None  # the description, loaded only where consented


_COLUMNS = (
    Case.reference,
    Case.district_number,
    Case.quarter,
    Case.topic,
    Case.status,
    Case.referral_key,
    Case.created_at,
    Case.updated_at,
    Case.next_step_due,
    Case.publication_consent,
    # the database hands out the text only where the resident agreed to its publication
    sql_case((Case.publication_consent.is_(True), Case.description), else_=null()),
)
# Contact details a resident may have typed into a text they agreed to publish.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+(])[+(]?\d(?:[ /()-]{0,3}\d){6,}(?!\w)")
MASK = "[…]"


@dataclass(frozen=True)
class RequestQuery:
    """The filters of GET requests, validated; `ids` overrides all other filters."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # "open", "closed"
    start: datetime | None = None
    end: datetime | None = None
    limit: int = MAX_REQUESTS


# --- services --------------------------------------------------------------------------------
def services(reference: ReferenceData, words: PublicWords) -> list[dict[str, Any]]:
    """One service per topic: the code residents' cases are stored under."""
    result = []
    for topic in reference.topics:
        name = words.topic_names.get(topic.code, topic.label_de)
        template = words.field_service if topic.field_of_action else words.other_service
        keywords = list(dict.fromkeys([topic.label_de, name]))
        result.append(
            {
                "service_code": topic.code,
                "service_name": name,
                "description": template.format(topic=name),
                "metadata": False,  # no extra attributes: GET service definition is not offered
                "type": "realtime",
                "keywords": ", ".join(k for k in keywords if k),
                "group": words.group_fields if topic.field_of_action else words.group_other,
            }
        )
    return result


# --- query parameters ------------------------------------------------------------------------
# The moments a query may name: wide enough for any case the bot can hold, narrow enough that
# the 90-day arithmetic and the conversion to UTC stay inside what datetime can represent.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
# A case's reference number: district, year, running number ("10-2026-0001").
REQUEST_ID = re.compile(r"[0-9]{2}-[0-9]{4}-[0-9]{4,9}")
FORMAT_HINT = "an ISO 8601 date-time such as 2026-03-01T00:00:00+01:00"


def _split(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def parse_datetime(value: str, name: str, *, tz: tzinfo, end: bool = False) -> datetime:
    """A W3C/ISO 8601 moment with a zone ("2026-03-01T00:00:00Z", "...+01:00") or a date.

    A date alone means the local day (Europe/Berlin): its start, or for the end of a range
    the start of the next day, so `end_date=2026-03-31` includes the 31st. Moments before
    1970 or from the year 3000 on are refused (400), as is anything else malformed.
    """
    text = value.strip()
    if not text.isascii():
        raise Open311Error(400, f"{name} must be {FORMAT_HINT}")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(0), tzinfo=tz) + timedelta(days=int(end))
        else:
            moment = datetime.fromisoformat(text)
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise Open311Error(400, f"{name} needs a time zone offset, e.g. Z or +01:00")
        inside = EARLIEST <= moment.astimezone(UTC) < LATEST
    except (ValueError, OverflowError):
        raise Open311Error(400, f"{name} must be {FORMAT_HINT}") from None
    if not inside:
        raise Open311Error(400, f"{name} must lie between 1970-01-01 and 2999-12-31")
    return moment


def parse_limit(value: str | None) -> int:
    """The optional `limit`: a whole number from 1 to 1000 (the default)."""
    if value is None:
        return MAX_REQUESTS
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_REQUESTS:
        raise Open311Error(400, f"limit must be a whole number from 1 to {MAX_REQUESTS}")
    return int(text)


def parse_request_id(value: str) -> str:
    """A reference number such as 10-2026-0001; 400 for anything else."""
    text = value.strip()
    if not REQUEST_ID.fullmatch(text):
        raise Open311Error(400, "service_request_id must look like 10-2026-0001")
    return text


def _date_range(params: Mapping[str, str], now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    raw_start, raw_end = params.get("start_date"), params.get("end_date")
    start = parse_datetime(raw_start, "start_date", tz=tz) if raw_start else None
    end = parse_datetime(raw_end, "end_date", tz=tz, end=True) if raw_end else None
    if start is None:  # no start: the 90 days up to the end, or up to now
        end = end or now
        start = end - DEFAULT_WINDOW
    elif end is None:
        end = start + DEFAULT_WINDOW
    if end < start:
        raise Open311Error(400, "end_date must not be before start_date")
    if end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return start, end


def parse_query(
    params: Mapping[str, str],
    *,
    now: datetime,
    tz: tzinfo,
    service_codes: Collection[str] | None = None,
) -> RequestQuery:
    """Validate the filters; the date range defaults to the last 90 days and spans at most 90.

    `service_codes` are the known ones: any other code is a 400, as is every malformed value.
    """
    limit = parse_limit(params.get("limit"))
    ids = tuple(parse_request_id(part) for part in _split(params.get("service_request_id")))
    if len(ids) > MAX_IDS:
        raise Open311Error(400, f"at most {MAX_IDS} service_request_id values at once")
    if ids:  # the standard: service_request_id overrides all other arguments
        return RequestQuery(ids=ids, limit=limit)
    statuses = tuple(s.lower() for s in _split(params.get("status")))
    unknown = [s for s in statuses if s not in (STATUS_OPEN, STATUS_CLOSED)]
    if unknown:
        raise Open311Error(400, "status must be open or closed (comma-separated)")
    codes = _split(params.get("service_code"))
    if service_codes is not None and any(code not in service_codes for code in codes):
        raise Open311Error(400, "unknown service_code: see services.json for the codes")
    start, end = _date_range(params, now, tz)
    return RequestQuery(service_codes=codes, statuses=statuses, start=start, end=end, limit=limit)


# --- requests --------------------------------------------------------------------------------
def _iso(moment: datetime | None, tz: tzinfo) -> str | None:
    """ISO 8601 in local time with its offset, to the second: 2026-03-11T10:00:00+01:00."""
    if moment is None:
        return None
    return moment.astimezone(tz).replace(microsecond=0).isoformat()


def public_description(case: PublicCase) -> str | None:
    """The resident's text only where they agreed to its publication, else None.

    The consent is given at the intake's review; erasure and retention blank the text and
    withdraw the consent. E-mail addresses and phone numbers in the text are masked: the
    resident was told that no contact details are published.
    """
    if not case.publication_consent or not case.consented_text:
        return None
    text = EMAIL.sub(MASK, case.consented_text)
    return PHONE.sub(MASK, text).strip() or None


def _agency(
    case: PublicCase, reference: ReferenceData, words: PublicWords
) -> tuple[str, str | None]:
    """(agency_responsible, service_notice): the referral contact for a Lotse hand-over."""
    district = (
        reference.district(case.district_number).name
        if reference.has_district(case.district_number)
        else case.district_number
    )
    agency = words.agency.format(district=district)
    if case.referral_key and case.status == CaseStatus.REFERRED:
        try:
            contact = reference.referral(case.referral_key)
        except KeyError:  # the city removed the entry since: the district still answers
            return agency, None
        return contact.responsible, words.referral_names.get(contact.key, contact.name_de)
    return agency, None


def _address(case: PublicCase, reference: ReferenceData, words: PublicWords) -> str:
    """Quarter and district only: the typed address and the pin can point at a home."""
    parts = []
    if case.quarter:
        parts.append(case.quarter)
    if reference.has_district(case.district_number):
        parts.append(words.district.format(name=reference.district(case.district_number).name))
    parts.append(words.city)
    return ", ".join(parts)


def public_status(case: PublicCase) -> str:
    return STATUS_OPEN if case.status in OPEN_STATUSES else STATUS_CLOSED


def to_record(
    case: PublicCase, reference: ReferenceData, tz: tzinfo, words: PublicWords
) -> dict[str, Any]:
    """The public view of a case with every field of the standard (None where empty)."""
    topic = reference.topic(case.topic) if reference.has_topic(case.topic) else None
    agency, notice = _agency(case, reference, words)
    record: dict[str, Any] = {
        "service_request_id": case.reference,
        "status": public_status(case),
        "status_notes": words.status_notes.get(case.status),
        "service_name": words.topic_names.get(topic.code, topic.label_de) if topic else case.topic,
        "service_code": case.topic,
        "description": public_description(case),
        "agency_responsible": agency,
        "service_notice": notice,
        "requested_datetime": _iso(case.created_at, tz),
        "updated_datetime": _iso(case.updated_at, tz),
        "expected_datetime": _iso(case.next_step_due, tz)
        if public_status(case) == STATUS_OPEN
        else None,
        "address": _address(case, reference, words),
        "address_id": None,
        "zipcode": None,
        "lat": None,  # a resident's pin is personal data; the quarter is the location
        "long": None,
        "media_url": None,  # photos stay internal (a Telegram file URL carries the bot token)
    }
    assert tuple(record) == REQUEST_FIELDS
    return record


async def find_requests(
    session: AsyncSession,
    query: RequestQuery,
    *,
    reference: ReferenceData,
    tz: tzinfo,
    words: PublicWords,
) -> list[dict[str, Any]]:
    """Cases matching the query, newest first, at most `query.limit`."""
    statement = select(*_COLUMNS)
    if query.ids:
        statement = statement.where(Case.reference.in_(query.ids))
    else:
        assert query.start is not None and query.end is not None
        statement = statement.where(Case.created_at >= query.start, Case.created_at <= query.end)
        if query.service_codes:
            statement = statement.where(Case.topic.in_(query.service_codes))
        if query.statuses and set(query.statuses) != {STATUS_OPEN, STATUS_CLOSED}:
            wanted = OPEN_STATUSES if query.statuses[0] == STATUS_OPEN else CLOSED_STATUSES
            statement = statement.where(Case.status.in_([str(s) for s in wanted]))
    statement = statement.order_by(Case.created_at.desc(), Case.id.desc()).limit(query.limit)
    rows = (await session.execute(statement)).all()
    return [to_record(PublicCase(*row), reference, tz, words) for row in rows]


async def get_request(
    session: AsyncSession,
    request_id: str,
    *,
    reference: ReferenceData,
    tz: tzinfo,
    words: PublicWords,
) -> dict[str, Any]:
    """One case by its reference number; Open311Error 400 when malformed, 404 when unknown."""
    query = RequestQuery(ids=(parse_request_id(request_id),), limit=1)
    found = await find_requests(session, query, reference=reference, tz=tz, words=words)
    if not found:
        raise Open311Error(404, f"no service request {query.ids[0]!r}")
    return found[0]
