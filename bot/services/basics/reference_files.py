"""Readers of the data files in ``bot/data``: each validates its file and raises
:class:`ReferenceDataError` naming the file and the problem. Keys starting with ``_`` are
notes for editors."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from bot.services.basics.reference_items import (
    Department,
    District,
    GeneralContact,
    Postcode,
    ReferenceDataError,
    ReferralContact,
    Topic,
    fold,
)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReferenceDataError(path, "file is missing") from None
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(
            path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _objects(path: Path, data: Any, key: str) -> list[dict[str, Any]]:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ReferenceDataError(path, f"expected a list of objects under '{key}'")
    return items


def _str(path: Path, item: dict[str, Any], key: str, where: str, optional: bool = False) -> Any:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ReferenceDataError(path, f"{where}: '{key}' must be a non-empty text")
    return value.strip()


def _strs(path: Path, item: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ReferenceDataError(path, f"{where}: '{key}' must be a list of non-empty texts")
    return tuple(v.strip() for v in value)


def _bool(path: Path, item: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise ReferenceDataError(path, f"{where}: '{key}' must be true or false")
    return value


def _unique(path: Path, seen: dict[str, str], key: str, what: str, where: str) -> None:
    if key in seen:
        raise ReferenceDataError(path, f"{what} is listed in {seen[key]} and in {where}")
    seen[key] = where


def load_districts(path: Path) -> tuple[tuple[District, ...], dict[str, tuple[str, ...]]]:
    data = _read_json(path)
    districts: list[District] = []
    numbers: dict[str, str] = {}
    names: dict[str, str] = {}
    quarters: dict[str, str] = {}
    for i, item in enumerate(_objects(path, data, "districts"), start=1):
        number = _str(path, item, "number", f"district #{i}")
        if not re.fullmatch(r"\d{2}", number):
            raise ReferenceDataError(path, f"district #{i}: number {number!r} must be two digits")
        where = f"district {number}"
        _unique(path, numbers, number, f"number {number}", f"district #{i}")
        name = _str(path, item, "name", where)
        _unique(path, names, fold(name), f"district name {name!r}", where)
        own = _strs(path, item, "quarters", where)
        if not own:
            raise ReferenceDataError(path, f"{where}: has no quarters")
        for quarter in own:
            _unique(path, quarters, fold(quarter), f"quarter {quarter!r}", where)
        confidence = _str(path, item, "confidence", where, optional=True)
        districts.append(District(number, name, own, confidence))
    raw = data.get("aliases", {})
    if not isinstance(raw, dict):
        raise ReferenceDataError(path, "'aliases' must be an object: alias → list of quarters")
    aliases: dict[str, tuple[str, ...]] = {}
    for alias in raw:
        if alias.startswith("_"):
            continue
        if fold(alias) in quarters:
            raise ReferenceDataError(path, f"alias {alias!r} is also a quarter name")
        aliases[alias] = _strs(path, raw, alias, f"alias {alias!r}")
        unknown = [q for q in aliases[alias] if fold(q) not in quarters]
        if unknown or not aliases[alias]:
            raise ReferenceDataError(path, f"alias {alias!r} points to unknown quarter {unknown}")
    return tuple(districts), aliases


def load_postcodes(
    path: Path, districts: set[str], quarters: dict[str, str]
) -> tuple[Postcode, ...]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise ReferenceDataError(path, "file is missing") from None
    result: dict[str, Postcode] = {}
    for line, row in enumerate(rows, start=2):
        code = (row.get("postcode") or "").strip()
        if not re.fullmatch(r"\d{5}", code) or code in result:
            raise ReferenceDataError(path, f"line {line}: postcode {code!r} missing or repeated")
        numbers = tuple(n.strip() for n in (row.get("districts") or "").split(";") if n.strip())
        unknown = [n for n in numbers if n not in districts]
        if unknown or not numbers:
            raise ReferenceDataError(path, f"line {line}: unknown or no districts {unknown}")
        hints = []
        for part in re.sub(r"\([^)]*\)", "", row.get("quarters_hint") or "").split(","):
            if part.strip() and fold(part) not in quarters:
                raise ReferenceDataError(path, f"line {line}: unknown quarter {part.strip()!r}")
            hints += [quarters[fold(part)]] if part.strip() else []
        confidence = (row.get("confidence") or "").strip() or None
        result[code] = Postcode(code, numbers, tuple(hints), confidence)
    return tuple(result.values())


def load_departments(path: Path) -> tuple[Department, ...]:
    result: dict[str, str] = {}
    departments = []
    for i, item in enumerate(_objects(path, _read_json(path), "departments"), start=1):
        number = _str(path, item, "number", f"department #{i}")
        where = f"department {number}"
        if not number.isdigit():
            raise ReferenceDataError(path, f"{where}: number must be digits")
        _unique(path, result, str(int(number)), f"number {number}", f"department #{i}")
        name = _str(path, item, "name_de", where, optional=True)
        verified = _bool(path, item, "verified", where, False)
        if verified and not name:
            raise ReferenceDataError(path, f"{where}: verified needs a name_de")
        invited = _bool(path, item, "invited_to_conferences", where, False)
        confidence = _str(path, item, "confidence", where, optional=True)
        departments.append(Department(str(int(number)), name, verified, invited, confidence))
    return tuple(departments)


def load_topics(path: Path) -> tuple[Topic, ...]:
    seen: dict[str, str] = {}
    topics = []
    for i, item in enumerate(_objects(path, _read_json(path), "topics"), start=1):
        code = _str(path, item, "code", f"topic #{i}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
            raise ReferenceDataError(path, f"topic #{i}: code {code!r} must be snake_case")
        _unique(path, seen, code, f"topic code {code!r}", f"topic #{i}")
        de = _str(path, item, "label_de", code)
        en = _str(path, item, "label_en", code, optional=True)  # translations: the catalogues
        topics.append(Topic(code, de, en, _bool(path, item, "field_of_action", code, True)))
    return tuple(topics)


OPTIONAL_REFERRAL_FIELDS = (
    "name_en",
    "description_en",
    "phone",
    "email",
    "address",
    "opening_hours",
    "web",
)


def load_referrals(
    path: Path, topics: set[str], departments: set[str]
) -> tuple[ReferralContact, ...]:
    seen: dict[str, str] = {}
    referrals = []
    for i, item in enumerate(_objects(path, _read_json(path), "referrals"), start=1):
        key = _str(path, item, "key", f"referral #{i}")
        _unique(path, seen, key, f"referral key {key!r}", f"referral #{i}")
        where = f"referral {key!r}"
        department = item.get("department")
        if department is not None and (
            not str(department).isdigit() or str(int(department)) not in departments
        ):
            raise ReferenceDataError(path, f"{where}: unknown department {department!r}")
        codes = _strs(path, item, "topics", where)
        unknown = [c for c in codes if c not in topics]
        if unknown or not codes:
            raise ReferenceDataError(path, f"{where}: unknown or no topics {unknown}")
        text = {
            k: _str(path, item, k, where)
            for k in ("name_de", "responsible", "description_de", "confidence")
        }
        # Translations of name and description live in the catalogues (messages/referrals.py);
        # the file's English is optional and only feeds the search.
        contact = {k: _str(path, item, k, where, optional=True) for k in OPTIONAL_REFERRAL_FIELDS}
        keywords = _strs(path, item, "keywords_de", where)
        if not keywords:
            raise ReferenceDataError(path, f"{where}: needs at least one keyword in keywords_de")
        referrals.append(
            ReferralContact(
                key=key,
                department=None if department is None else str(int(department)),
                topics=codes,
                keywords_de=keywords,
                keywords_en=_strs(path, item, "keywords_en", where),
                **text,
                **contact,
            )
        )
    return tuple(referrals)


def load_general_contact(path: Path) -> GeneralContact:
    """The city's general channels (`general_contact` in referrals.json): a phone or a web page."""
    item = _read_json(path).get("general_contact")
    if not isinstance(item, dict):
        raise ReferenceDataError(path, "expected an object under 'general_contact'")
    phone = _str(path, item, "phone", "general_contact", optional=True)
    web = _str(path, item, "web", "general_contact", optional=True)
    if not phone and not web:
        raise ReferenceDataError(path, "general_contact: needs a phone or a web page")
    return GeneralContact(phone, web, _str(path, item, "confidence", "general_contact"))
