"""Open311 GeoReport v2 (read): every field in JSON and XML, filters, defaults, errors, and
nothing personal in any answer."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import insert, select
from starlette.applications import Starlette

from bot.services.privacy.erasure import erase_person
from bot.services.reporting import open311 as open311_service
from bot.services.reporting.open311 import REQUEST_FIELDS, SERVICE_FIELDS
from bot.storage.db import session_scope
from bot.storage.models import Case, CaseEvent, CasePhoto, Person
from bot.web.server import build_web_app
from tests.conftest import START, BotEnv

TOKEN = "7654321:AAH-super_secret_bot_token_0123456789ab"
DAY = timedelta(days=1)
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")

# Everything personal the seeded cases carry; none of it may appear in any answer.
PERSONAL = {
    "first_name": "Hildegard",
    "telegram_id": "777000111",
    "contact": "hildegard.kowalski@example.org",
    "phone": "0511 9876543",
    "description": "Müll vor Hausnummer 12 bei Familie Kowalski",
    "address_text": "Limmerstraße 12",
    "latitude": "52.3712345",
    "longitude": "9.7123456",
    "actor_name": "Kleingartenverein Sonnenschein",
    "photo": "AgACAgIAAxkBAAIBsecretPhotoFileId",
    "photo_url": "https://api.telegram.org/file/bot",
    "next_step": "Rückruf bei Frau Kowalski",
    "event_text": "Frau Kowalski ist montags erreichbar",
    "token": TOKEN,
    "token_id": "7654321",
}


@pytest.fixture
def web(env: BotEnv) -> Starlette:
    settings = env.settings.model_copy(
        update={
            "webhook_url": "https://bot.example.org",
            "webhook_secret": SecretStr("s" * 32),
            "telegram_bot_token": SecretStr(TOKEN),
        }
    )
    assert env.app is not None
    return build_web_app(settings, env.services, env.app)


@pytest.fixture
async def client(web: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
        yield http


async def seed(env: BotEnv) -> dict[str, Case]:
    """Cases of a resident with every kind of personal detail, in every status."""
    now = START
    async with session_scope(env.services.session_maker) as session:
        resident = Person(
            telegram_id=int(PERSONAL["telegram_id"]),
            first_name=PERSONAL["first_name"],
            language="de",
            created_at=now,
        )
        session.add(resident)
        await session.flush()

        def case(
            reference: str,
            *,
            age: timedelta,
            status: str,
            topic: str = "public_space",
            **extra: Any,
        ) -> Case:
            created = now - age
            values: dict[str, Any] = {
                "reference": reference,
                "district_number": "10",
                "quarter": "Linden-Süd",
                "address_text": PERSONAL["address_text"],
                "latitude": float(PERSONAL["latitude"]),
                "longitude": float(PERSONAL["longitude"]),
                "topic": topic,
                "description": PERSONAL["description"],
                "contact": f"{PERSONAL['contact']}, {PERSONAL['phone']}",
                "actor_kind": "club",
                "actor_name": PERSONAL["actor_name"],
                "resident_id": resident.id,
                "status": status,
                "next_step": PERSONAL["next_step"],
                "created_at": created,
                "updated_at": created + timedelta(hours=2),
            }
            values.update(extra)
            row = Case(**values)
            row.photos = [CasePhoto(file_id=PERSONAL["photo"], created_at=created)]
            session.add(row)
            return row

        cases = {
            "new": case("10-2026-0001", age=DAY, status="new"),
            "in_progress": case(
                "10-2026-0002",
                age=3 * DAY,
                status="in_progress",
                mode="kuemmerer",
                next_step_due=now + 7 * DAY,
                topic="culture_leisure",
            ),
            "waiting": case("10-2026-0003", age=10 * DAY, status="waiting"),
            "referred": case(
                "10-2026-0004",
                age=20 * DAY,
                status="referred",
                mode="lotse",
                referral_key="easter_fire",
                closed_at=now - 19 * DAY,
                topic="permits",
            ),
            "resolved": case(
                "10-2026-0005",
                age=40 * DAY,
                status="resolved",
                closed_at=now - 30 * DAY,
                quarter=None,
            ),
            "merged": case(
                "05-2026-0001",
                age=50 * DAY,
                status="merged",
                district_number="05",
                quarter="Anderten",
            ),
            "old": case("10-2025-0099", age=100 * DAY, status="resolved"),
        }
        await session.flush()
        session.add(
            CaseEvent(
                case_id=cases["new"].id,
                kind="note",
                actor_id=resident.id,
                text=PERSONAL["event_text"],
                created_at=now,
            )
        )
    return cases


async def get(http: httpx.AsyncClient, path: str, **params: str) -> httpx.Response:
    return await http.get("/open311/v2/" + path, params=params)


def xml_items(response: httpx.Response, root: str, item: str) -> list[dict[str, str | None]]:
    assert response.headers["content-type"].startswith("text/xml")
    tree = ET.fromstring(response.content)  # raises unless well-formed
    assert tree.tag == root
    items = []
    for element in tree:
        assert element.tag == item
        items.append({child.tag: child.text for child in element})
    return items


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [str(r["service_request_id"]) for r in records]


# --- services --------------------------------------------------------------------------------
async def test_services_json_and_xml(env: BotEnv, client: httpx.AsyncClient) -> None:
    response = await get(client, "services.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    services = response.json()
    topics = env.services.reference.topics
    assert [s["service_code"] for s in services] == [t.code for t in topics]
    for service, topic in zip(services, topics, strict=True):
        assert tuple(service) == SERVICE_FIELDS
        assert service["service_name"] == topic.label_de
        assert service["metadata"] is False and service["type"] == "realtime"
        assert service["description"] and service["group"] and service["keywords"]
    from_xml = xml_items(await get(client, "services.xml"), "services", "service")
    assert len(from_xml) == len(services)
    for element, service in zip(from_xml, services, strict=True):
        assert tuple(element) == SERVICE_FIELDS
        assert element["metadata"] == "false" and element["type"] == "realtime"
        assert element["service_code"] == service["service_code"]
        assert element["service_name"] == service["service_name"]


# --- requests: fields --------------------------------------------------------------------------
async def test_every_field_of_a_request_in_json_and_xml(
    env: BotEnv, client: httpx.AsyncClient
) -> None:
    await seed(env)
    records = (await get(client, "requests.json")).json()
    assert ids(records) == [
        "10-2026-0001",
        "10-2026-0002",
        "10-2026-0003",
        "10-2026-0004",
        "10-2026-0005",
        "05-2026-0001",
    ]  # newest first, not the old one
    elements = xml_items(await get(client, "requests.xml"), "service_requests", "request")
    assert len(elements) == len(records)
    for record, element in zip(records, elements, strict=True):
        assert tuple(record) == REQUEST_FIELDS  # every field of the standard, in its order
        assert tuple(element) == REQUEST_FIELDS
        for key in REQUEST_FIELDS:  # the same content; None is an empty element
            assert element[key] == (None if record[key] is None else str(record[key])), key
        assert record["status"] in ("open", "closed")
        assert record["service_code"] and record["service_name"]
        assert record["agency_responsible"] and record["address"].endswith(", Hannover")
        for key in ("requested_datetime", "updated_datetime"):
            assert DATETIME.match(record[key]), record[key]
        for key in ("description", "address_id", "zipcode", "lat", "long", "media_url"):
            assert record[key] is None, key

    by_id = {r["service_request_id"]: r for r in records}
    new = by_id["10-2026-0001"]
    assert new["status"] == "open" and new["status_notes"] is None
    assert new["service_code"] == "public_space" and new["service_name"] == "Öffentlicher Raum"
    assert new["agency_responsible"] == "Stadtbezirksmanagement Linden-Limmer"
    assert new["service_notice"] is None
    assert new["address"] == "Linden-Süd, Stadtbezirk Linden-Limmer, Hannover"
    # 2026-03-10 09:00 UTC is 10:00 in Hannover (winter time, +01:00)
    assert new["requested_datetime"] == "2026-03-10T10:00:00+01:00"
    assert new["updated_datetime"] == "2026-03-10T12:00:00+01:00"
    assert new["expected_datetime"] is None

    taken_on = by_id["10-2026-0002"]
    assert taken_on["status"] == "open" and taken_on["service_code"] == "culture_leisure"
    assert taken_on["expected_datetime"] == "2026-03-18T10:00:00+01:00"

    referred = by_id["10-2026-0004"]
    contact = env.services.reference.referral("easter_fire")
    assert referred["status"] == "closed"
    assert referred["agency_responsible"] == contact.responsible
    assert referred["service_notice"] == contact.name_de
    assert referred["status_notes"]
    assert by_id["10-2026-0005"]["address"] == "Stadtbezirk Linden-Limmer, Hannover"
    merged = by_id["05-2026-0001"]
    assert merged["status"] == "closed"
    assert merged["address"] == "Anderten, Stadtbezirk Misburg-Anderten, Hannover"
    assert merged["agency_responsible"] == "Stadtbezirksmanagement Misburg-Anderten"


async def test_one_request_by_id(env: BotEnv, client: httpx.AsyncClient) -> None:
    await seed(env)
    response = await get(client, "requests/10-2025-0099.json")  # old: found by its id anyway
    assert response.status_code == 200
    [record] = response.json()
    assert record["service_request_id"] == "10-2025-0099" and tuple(record) == REQUEST_FIELDS
    [element] = xml_items(
        await get(client, "requests/10-2026-0004.xml"), "service_requests", "request"
    )
    assert element["service_request_id"] == "10-2026-0004" and element["status"] == "closed"


# --- filters and defaults --------------------------------------------------------------------
async def test_filters(env: BotEnv, client: httpx.AsyncClient) -> None:
    await seed(env)

    async def found(**params: str) -> list[str]:
        response = await get(client, "requests.json", **params)
        assert response.status_code == 200, response.text
        from_xml = xml_items(
            await get(client, "requests.xml", **params), "service_requests", "request"
        )
        assert ids(from_xml) == ids(response.json())
        return ids(response.json())

    assert await found(status="open") == ["10-2026-0001", "10-2026-0002", "10-2026-0003"]
    assert await found(status="closed") == ["10-2026-0004", "10-2026-0005", "05-2026-0001"]
    assert len(await found(status="open,closed")) == 6
    assert await found(service_code="permits") == ["10-2026-0004"]
    assert await found(service_code="permits,culture_leisure") == ["10-2026-0002", "10-2026-0004"]
    assert await found(service_code="public_space", status="closed") == [
        "10-2026-0005",
        "05-2026-0001",
    ]
    # a range: from 15 to 45 days ago (with offsets and with Z)
    start = (START - 45 * DAY).isoformat()
    end = (START - 15 * DAY).astimezone(env.settings.tz).isoformat()
    assert await found(start_date=start, end_date=end) == ["10-2026-0004", "10-2026-0005"]
    assert await found(start_date="2026-01-30T00:00:00Z", end_date="2026-02-20T00:00:00Z") == [
        "10-2026-0004",
        "10-2026-0005",
    ]
    # only a start: 90 days from it; only an end: 90 days up to it
    assert await found(start_date=(START - 5 * DAY).isoformat()) == [
        "10-2026-0001",
        "10-2026-0002",
    ]
    assert await found(end_date=(START - 30 * DAY).isoformat()) == [
        "10-2026-0005",
        "05-2026-0001",
        "10-2025-0099",
    ]
    # a date alone is a whole local day
    assert await found(start_date="2026-03-08", end_date="2026-03-08") == ["10-2026-0002"]
    # ids override every other filter, the 90 days included; unknown ids are left out
    assert await found(
        service_request_id="10-2025-0099, 10-2026-0001,99-2026-0001",
        status="closed",
        service_code="permits",
    ) == ["10-2026-0001", "10-2025-0099"]


async def test_default_is_the_last_90_days(env: BotEnv, client: httpx.AsyncClient) -> None:
    await seed(env)
    found = ids((await get(client, "requests.json")).json())
    assert "10-2025-0099" not in found and len(found) == 6
    env.clock.advance(days=55)  # the window moves with the clock
    found = ids((await get(client, "requests.json")).json())
    assert found == ["10-2026-0001", "10-2026-0002", "10-2026-0003", "10-2026-0004"]


async def test_at_most_1000_requests_newest_first(env: BotEnv, client: httpx.AsyncClient) -> None:
    rows = [
        {
            "reference": f"01-2026-{i:04d}",
            "district_number": "01",
            "topic": "other",
            "status": "new",
            "language": "de",
            "priority": 0,
            "created_at": START - timedelta(minutes=i),
            "updated_at": START - timedelta(minutes=i),
        }
        for i in range(1, 1002)
    ]
    async with session_scope(env.services.session_maker) as session:
        await session.execute(insert(Case), rows)
    records = (await get(client, "requests.json")).json()
    assert len(records) == 1000
    assert records[0]["service_request_id"] == "01-2026-0001"
    assert records[-1]["service_request_id"] == "01-2026-1000"
    elements = xml_items(await get(client, "requests.xml"), "service_requests", "request")
    assert len(elements) == 1000


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"status": "pending"}, "status"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-01T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-03-01T00:00:00"}, "time zone"),
        ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}, "before"),
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "90 days"),
        # out of range: these overflowed the 90-day arithmetic into an HTTP 500 before
        ({"start_date": "9999-12-31T00:00:00Z"}, "start_date"),
        ({"end_date": "0001-01-01T00:00:00Z"}, "end_date"),
        ({"start_date": "9999-12-31"}, "start_date"),
        ({"end_date": "0001-01-01"}, "end_date"),
        ({"start_date": "9999-12-31T23:59:59-23:59"}, "start_date"),
        ({"start_date": "1969-12-31T23:59:59Z"}, "1970"),
        ({"start_date": "2026-03-01T00:00:00+25:00"}, "start_date"),
        ({"start_date": "２０２６-03-01"}, "start_date"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "zehn"}, "limit"),
        ({"service_code": "public_space,potholes"}, "service_code"),
        ({"service_request_id": "abc"}, "service_request_id"),
        ({"service_request_id": "10-2026-0001,10-2026-0002'--"}, "service_request_id"),
        ({"status": "open,offen"}, "status"),
    ],
)
async def test_bad_parameters_answer_400_in_the_standard_format(
    env: BotEnv, client: httpx.AsyncClient, params: dict[str, str], fragment: str
) -> None:
    response = await get(client, "requests.json", **params)
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == 400 and fragment in error["description"]
    response = await get(client, "requests.xml", **params)
    assert response.status_code == 400
    [error_xml] = xml_items(response, "errors", "error")
    assert error_xml == {"code": "400", "description": error["description"]}


async def test_unknown_request_answers_404_in_the_standard_format(
    env: BotEnv, client: httpx.AsyncClient
) -> None:
    await seed(env)
    response = await get(client, "requests/10-2026-9999.json")
    assert response.status_code == 404
    [error] = response.json()
    assert error["code"] == 404 and "10-2026-9999" in error["description"]
    response = await get(client, "requests/10-2026-9999.xml")
    assert response.status_code == 404
    [error_xml] = xml_items(response, "errors", "error")
    assert error_xml["code"] == "404"


@pytest.mark.parametrize(
    "path", ["requests.csv", "services.html", "requests/10-2026-0001.txt", "requests.json.gz"]
)
async def test_an_unknown_format_answers_400_in_json(
    env: BotEnv, client: httpx.AsyncClient, path: str
) -> None:
    await seed(env)
    response = await get(client, path)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()
    assert error["code"] == 400 and ".json or .xml" in error["description"]


@pytest.mark.parametrize("request_id", ["abc", "10-2026-1", "10_2026_0001", "1O-2026-0001"])
async def test_a_malformed_request_id_in_the_path_answers_400(
    env: BotEnv, client: httpx.AsyncClient, request_id: str
) -> None:
    await seed(env)
    response = await get(client, f"requests/{request_id}.json")
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == 400 and "10-2026-0001" in error["description"]
    response = await get(client, f"requests/{request_id}.xml")
    assert response.status_code == 400
    [error_xml] = xml_items(response, "errors", "error")
    assert error_xml["code"] == "400"


async def test_an_unknown_path_answers_404_in_the_standard_format(
    client: httpx.AsyncClient,
) -> None:
    response = await get(client, "discovery.json")
    assert response.status_code == 404 and response.json()[0]["code"] == 404
    response = await get(client, "requests/10-2026-0001/notes.xml")
    assert response.status_code == 404
    [error_xml] = xml_items(response, "errors", "error")
    assert error_xml["code"] == "404"


async def test_limit_returns_the_newest(env: BotEnv, client: httpx.AsyncClient) -> None:
    await seed(env)
    newest = ids((await get(client, "requests.json")).json())
    assert ids((await get(client, "requests.json", limit="2")).json()) == newest[:2]
    one = await get(client, "requests.xml", limit="1")
    assert len(xml_items(one, "service_requests", "request")) == 1
    two_codes = await get(client, "requests.json", service_code="public_space,culture_leisure")
    both = ids(two_codes.json())
    assert "10-2026-0002" in both and "10-2026-0001" in both


async def test_our_own_failure_is_a_500_in_the_standard_format(
    env: BotEnv, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> list[dict[str, Any]]:
        raise RuntimeError("database went away")

    monkeypatch.setattr(open311_service, "find_requests", broken)
    response = await get(client, "requests.xml")
    assert response.status_code == 500
    [error_xml] = xml_items(response, "errors", "error")
    assert error_xml["code"] == "500" and "database" not in str(error_xml["description"])
    monkeypatch.undo()
    assert (await get(client, "requests.json")).status_code == 200


# --- privacy ---------------------------------------------------------------------------------
async def test_nothing_personal_in_any_answer(env: BotEnv, client: httpx.AsyncClient) -> None:
    cases = await seed(env)
    paths = ["services.json", "services.xml", "requests.json", "requests.xml"]
    paths += [f"requests/{c.reference}.{fmt}" for c in cases.values() for fmt in ("json", "xml")]
    queries = [
        {},
        {"status": "closed"},
        {"service_request_id": ",".join(c.reference for c in cases.values())},
    ]
    bodies = []
    for path in paths:
        for params in queries if path.startswith("requests.") else [{}]:
            response = await get(client, path, **params)
            assert response.status_code == 200, path
            bodies.append(response.text)
            if path.endswith(".json"):
                bodies.append(json.dumps(response.json(), ensure_ascii=True))
    assert env.app is not None
    secrets = {**PERSONAL, "app_token": env.app.bot.token}
    checked = 0
    for body in bodies:
        for name, value in secrets.items():
            assert value not in body, f"{name} leaked"
        assert "Kowalski" not in body and "Hildegard" not in body
        assert "api.telegram.org" not in body and "file_id" not in body
        checked += 1
    assert checked >= 30


# --- the resident's text, where they agreed to its publication ------------------------------
PUBLISHABLE = "Der Brunnen am Lindener Marktplatz ist seit April trocken und voller Laub."


async def _publish(env: BotEnv, reference: str, description: str) -> None:
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        case.publication_consent, case.description = True, description


async def _descriptions(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each request's description by id, from requests.json and from requests.xml."""
    from_json = {
        r["service_request_id"]: r["description"]
        for r in (await get(client, "requests.json")).json()
    }
    from_xml = {
        e["service_request_id"]: e["description"]
        for e in xml_items(await get(client, "requests.xml"), "service_requests", "request")
    }
    return from_json, from_xml


async def test_description_only_where_the_resident_agreed(
    env: BotEnv, client: httpx.AsyncClient
) -> None:
    await seed(env)
    typed = (
        f"{PUBLISHABLE} Rückfragen gern an {PERSONAL['contact']} oder "
        f"Tel. {PERSONAL['phone']}, auch +49 (511) 123 45 67."
    )
    await _publish(env, "10-2026-0003", typed)
    from_json, from_xml = await _descriptions(client)
    expected = f"{PUBLISHABLE} Rückfragen gern an […] oder Tel. […], auch […]."
    assert from_json["10-2026-0003"] == from_xml["10-2026-0003"] == expected
    for reference in set(from_json) - {"10-2026-0003"}:  # not agreed: no text at all
        assert from_json[reference] is None and from_xml[reference] is None, reference
    [one] = (await get(client, "requests/10-2026-0003.json")).json()
    assert one["description"] == expected
    bodies = [
        (await get(client, path)).text
        for path in (
            "requests.json",
            "requests.xml",
            "requests/10-2026-0001.json",
            "requests/10-2026-0001.xml",
            "requests/10-2026-0003.xml",
        )
    ]
    for body in bodies:
        assert PERSONAL["description"] not in body and "Kowalski" not in body
        assert PERSONAL["phone"] not in body and "9876543" not in body
        assert "123 45 67" not in body and "@" not in body


async def test_erasure_withdraws_the_publication(env: BotEnv, client: httpx.AsyncClient) -> None:
    cases = await seed(env)
    await _publish(env, "10-2026-0002", PUBLISHABLE)
    from_json, from_xml = await _descriptions(client)
    assert from_json["10-2026-0002"] == from_xml["10-2026-0002"] == PUBLISHABLE

    async with session_scope(env.services.session_maker) as session:
        resident = await session.get(Person, cases["new"].resident_id)
        assert resident is not None
        await erase_person(session, person=resident, now=env.clock.now())
    from_json, from_xml = await _descriptions(client)
    assert from_json["10-2026-0002"] is None and from_xml["10-2026-0002"] is None
    for path in ("requests.json", "requests.xml", "requests/10-2026-0002.xml"):
        assert "Brunnen" not in (await get(client, path)).text
    async with session_scope(env.services.session_maker) as session:
        consents = set(await session.scalars(select(Case.publication_consent)))
    assert consents == {False}


# --- every query: never a 5xx, always a well-formed body in the requested format ---------------
_MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.one_of(
        st.none(), st.just(UTC), st.builds(timezone, st.timedeltas(
            min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
        ).map(lambda d: timedelta(minutes=d // timedelta(minutes=1)))),
    ),
)  # fmt: skip
_VALUES = st.one_of(
    _MOMENTS.map(datetime.isoformat),
    _MOMENTS.map(lambda m: m.date().isoformat()),
    st.sampled_from(
        [
            "9999-12-31T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "2026-03-01T00:00:00Z",
            "open",
            "closed,OPEN",
            "public_space",
            "public_space,other",
            "10-2026-0001",
            "10-2026-0001,10-2026-0003",
            "0",
            "1",
            "1000",
            "99999999999999999999",
            "",
            ",",
        ]
    ),
    st.integers().map(str),
    st.text(max_size=30),
)
_KEYS = st.sampled_from(
    [
        "service_request_id",
        "service_code",
        "status",
        "start_date",
        "end_date",
        "limit",
        "jurisdiction_id",
        "page",
    ]
)
_FORMATS = st.one_of(st.sampled_from(["json", "xml", "JSON", "Xml"]), st.text(max_size=6))


def _path(endpoint: str, request_id: str, fmt: str) -> str:
    name = f"requests/{quote(request_id, safe='')}" if endpoint == "one" else endpoint
    return f"{name}.{quote(fmt, safe='')}"


@pytest.fixture
async def seeded(env: BotEnv) -> dict[str, Case]:
    return await seed(env)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.sampled_from(["services", "requests", "one"]),
    request_id=st.one_of(st.sampled_from(["10-2026-0001", "10-2026-9999"]), st.text(max_size=20)),
    fmt=_FORMATS,
    params=st.dictionaries(st.one_of(_KEYS, st.text(max_size=8)), _VALUES, max_size=4),
)
async def test_no_query_answers_5xx_and_every_body_is_well_formed(
    seeded: dict[str, Case],
    client: httpx.AsyncClient,
    endpoint: str,
    request_id: str,
    fmt: str,
    params: dict[str, str],
) -> None:
    response = await get(client, _path(endpoint, request_id, fmt), **params)
    assert response.status_code < 500, response.text
    as_xml = fmt.lower() == "xml" or (
        response.status_code == 404 and response.url.path.lower().endswith(".xml")
    )
    if response.status_code >= 400:
        if as_xml:
            errors: list[dict[str, Any]] = xml_items(response, "errors", "error")
        else:
            assert response.headers["content-type"].startswith("application/json")
            errors = response.json()
        [error] = errors
        assert int(error["code"]) == response.status_code and error["description"]
        return
    assert response.status_code == 200
    root, item, fields = (
        ("services", "service", SERVICE_FIELDS)
        if endpoint == "services"
        else ("service_requests", "request", REQUEST_FIELDS)
    )
    records = xml_items(response, root, item) if as_xml else response.json()
    assert isinstance(records, list)
    assert all(tuple(record) == fields for record in records)


# --- a real server: a bad request leaves the connection usable ---------------------------------
async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
    body = await reader.readexactly(int(headers["content-length"]))
    return int(head[0].split()[1]), headers, body


async def test_the_server_keeps_serving_on_the_same_connection(
    env: BotEnv, client: httpx.AsyncClient
) -> None:
    await seed(env)
    app = client._transport.app  # type: ignore[attr-defined]  # the ASGITransport's app
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not serving.done()
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        base = "/open311/v2/requests"
        for path, status in [
            (base + ".json?start_date=9999-12-31T00:00:00Z", 400),
            (base + ".xml?end_date=0001-01-01T00:00:00Z", 400),
            (base + ".json?limit=x", 400),
            (base + "/10-2026-0001.json", 200),
        ]:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: bot.test\r\n\r\n".encode())
            await writer.drain()
            got, headers, body = await asyncio.wait_for(_read_response(reader), 10)
            assert got == status, body
            assert headers.get("connection") != "close"
        assert json.loads(body)[0]["service_request_id"] == "10-2026-0001"
        writer.close()
    finally:
        server.should_exit = True
        await serving
        sock.close()
