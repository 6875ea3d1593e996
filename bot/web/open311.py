"""Open311 GeoReport v2 (read) over HTTP: services and service requests in JSON and XML.

    GET /open311/v2/services.{json,xml}
    GET /open311/v2/requests.{json,xml}?service_request_id=&service_code=&status=
                                        &start_date=&end_date=&limit=
    GET /open311/v2/requests/{service_request_id}.{json,xml}

Errors come in the standard's format: `[{"code": 400, "description": "..."}]` or
`<errors><error><code>400</code><description>...</description></error></errors>`, for
every bad parameter (400), unknown request (404) and unknown path (404) alike.
`limit` is 1..1000 (default 1000); dates lie between 1970 and 2999; unknown parameters are
ignored (jurisdiction_id among them: the bot serves one city).
What may be published is decided in `bot.services.reporting.open311`; this module only renders it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.context import Services
from bot.messages.open311 import public_words
from bot.services.reporting import open311
from bot.services.reporting.open311 import Open311Error
from bot.storage.db import session_scope

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
FORMATS = ("json", "xml")
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
# Characters XML 1.0 cannot carry even escaped (control characters except tab, CR, LF).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def to_xml(root_tag: str, item_tag: str, items: Iterable[dict[str, Any]]) -> bytes:
    """`<root><item><field>value</field>...</item>...</root>`; None is an empty element."""
    root = Element(root_tag)
    for item in items:
        element = SubElement(root, item_tag)
        for key, value in item.items():
            child = SubElement(element, key)
            if value is not None:
                child.text = _text(value)
    document: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def render(
    fmt: str, root_tag: str, item_tag: str, items: list[dict[str, Any]], status_code: int = 200
) -> Response:
    if fmt == "xml":
        body = to_xml(root_tag, item_tag, items)
        return Response(body, status_code=status_code, media_type=XML_TYPE)
    body = json.dumps(items, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status_code, media_type=JSON_TYPE)


def error_response(fmt: str, error: Open311Error) -> Response:
    item = {"code": error.code, "description": error.description}
    return render(fmt if fmt in FORMATS else "json", "errors", "error", [item], error.code)


def _format(request: Request) -> str:
    fmt = str(request.path_params.get("fmt", "")).lower()
    if fmt not in FORMATS:
        raise Open311Error(400, "unknown format: use .json or .xml")
    return fmt


Endpoint = Callable[[Request, str], Awaitable[Response]]


def guarded(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    """Every answer in the standard's format: a bad parameter is a 400, and a failure of ours
    a 500 that is answered (not raised), so the server keeps the connection and goes on."""

    async def handle(request: Request) -> Response:
        fmt = str(request.path_params.get("fmt", "json")).lower()
        try:
            return await endpoint(request, _format(request))
        except Open311Error as error:
            return error_response(fmt, error)
        except Exception:
            log.exception("open311: %s failed", request.url.path)
            return error_response(fmt, Open311Error(500, "internal error; please try again"))

    return handle


async def unknown_path(request: Request) -> Response:
    fmt = "xml" if request.url.path.lower().endswith(".xml") else "json"
    return error_response(fmt, Open311Error(404, "unknown path: see services.json"))


def routes(services: Services) -> list[BaseRoute]:
    """The three read endpoints, over the bot's database and reference data."""
    reference, maker, tz = services.reference, services.session_maker, services.settings.tz
    codes = frozenset(topic.code for topic in reference.topics)
    # the interface speaks the city's language, whatever a caller's Accept-Language
    words = public_words(
        services.translations.get(services.settings.default_language), services.reference
    )

    async def service_list(_request: Request, fmt: str) -> Response:
        return render(fmt, "services", "service", open311.services(reference, words))

    async def request_list(request: Request, fmt: str) -> Response:
        query = open311.parse_query(
            request.query_params, now=services.clock.now(), tz=tz, service_codes=codes
        )
        async with session_scope(maker) as session:
            records = await open311.find_requests(
                session, query, reference=reference, tz=tz, words=words
            )
        return render(fmt, "service_requests", "request", records)

    async def request_one(request: Request, fmt: str) -> Response:
        request_id = str(request.path_params["request_id"])
        async with session_scope(maker) as session:
            record = await open311.get_request(
                session, request_id, reference=reference, tz=tz, words=words
            )
        return render(fmt, "service_requests", "request", [record])

    return [
        Route(PREFIX + "/services.{fmt}", guarded(service_list), methods=["GET"]),
        Route(PREFIX + "/requests.{fmt}", guarded(request_list), methods=["GET"]),
        Route(PREFIX + "/requests/{request_id}.{fmt}", guarded(request_one), methods=["GET"]),
        Route(PREFIX + "/{rest:path}", unknown_path, methods=["GET"]),
    ]
