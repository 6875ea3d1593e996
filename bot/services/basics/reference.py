"""Editable reference data: districts, quarters, postcodes, departments, topics, referrals.

The files live in ``bot/data`` (or a folder from the settings); the city edits them without
touching code. Everything is validated on load; a problem raises :class:`ReferenceDataError`
naming the file. Lookups by number or code raise ``KeyError`` (check with ``has_*`` first);
lookups by a typed name return ``None``. Keys starting with ``_`` in the JSON files are notes.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SEARCH_MIN_SCORE = 82.0  # rapidfuzz ratio for a referral keyword to count as found
_DIGRAPH = re.compile(r"([aou])e")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


class ReferenceDataError(ValueError):
    """A reference data file is missing or invalid; the message names file and problem."""

    def __init__(self, file: Path | str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file, self.problem = Path(file), problem


def fold(text: str) -> str:
    """Normalise for matching: case, ß→ss, umlauts and ae/oe/ue → a/o/u, punctuation → space."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_ALNUM.split(_DIGRAPH.sub(r"\1", text))).strip()


def _pick(lang: str, de: str, en: str) -> str:
    return en if lang.lower().startswith("en") and en else de


@dataclass(frozen=True)
class Quarter:
    name: str
    district_number: str


@dataclass(frozen=True)
class District:
    number: str
    name: str
    quarters: tuple[str, ...]
    confidence: str | None = None


@dataclass(frozen=True)
class Postcode:
    code: str
    district_numbers: tuple[str, ...]
    quarter_hints: tuple[str, ...]
    confidence: str | None = None


@dataclass(frozen=True)
class Department:
    number: str
    name_de: str | None
    verified: bool
    invited_to_conferences: bool
    confidence: str | None = None

    def label(self, lang: str = "de") -> str:
        """'Fachbereich 61 – Planen und Stadtentwicklung', or 'Fachbereich 32' without a name."""
        prefix = _pick(lang, "Fachbereich", "Department")
        return f"{prefix} {self.number}" + (f" – {self.name_de}" if self.name_de else "")


@dataclass(frozen=True)
class Topic:
    code: str
    label_de: str
    label_en: str
    field_of_action: bool = True

    def label(self, lang: str = "de") -> str:
        return _pick(lang, self.label_de, self.label_en)


@dataclass(frozen=True)
class ReferralContact:
    key: str
    name_de: str
    name_en: str
    responsible: str
    department: str | None
    topics: tuple[str, ...]
    keywords_de: tuple[str, ...]
    description_de: str
    description_en: str
    phone: str | None
    email: str | None
    address: str | None
    opening_hours: str | None
    web: str | None
    confidence: str
    keywords_en: tuple[str, ...] = ()

    def name(self, lang: str = "de") -> str:
        return _pick(lang, self.name_de, self.name_en)

    def description(self, lang: str = "de") -> str:
        return _pick(lang, self.description_de, self.description_en)


class ReferenceData:
    """All reference data with lookups; built by :func:`load_reference_data`."""

    def __init__(
        self,
        districts: tuple[District, ...],
        aliases: Mapping[str, tuple[str, ...]],
        postcodes: tuple[Postcode, ...],
        departments: tuple[Department, ...],
        topics: tuple[Topic, ...],
        referrals: tuple[ReferralContact, ...],
    ) -> None:
        self.districts, self.postcodes, self.departments = districts, postcodes, departments
        self.topics, self.referrals, self.aliases = topics, referrals, dict(aliases)
        self.quarters = tuple(Quarter(q, d.number) for d in districts for q in d.quarters)
        self._districts = {d.number: d for d in districts}
        self._district_names = {fold(d.name): d for d in districts}
        self._quarters = {fold(q.name): q for q in self.quarters}
        self._aliases = {
            fold(a): tuple(self._quarters[fold(q)] for q in qs) for a, qs in aliases.items()
        }
        self._postcodes = {p.code: p for p in postcodes}
        self._departments = {d.number: d for d in departments}
        self._topics = {t.code: t for t in topics}
        self._referrals = {r.key: r for r in referrals}
        self._terms = {
            r.key: {fold(t) for t in (r.name_de, r.name_en, *r.keywords_de, *r.keywords_en)} - {""}
            for r in referrals
        }

    @staticmethod
    def _number(number: str | int) -> str:
        return str(int(number)) if str(number).strip().isdigit() else str(number).strip()

    def has_district(self, number: str | int) -> bool:
        return self._number(number).zfill(2) in self._districts

    def district(self, number: str | int) -> District:
        """The district by number ('01', '1' or 1); KeyError when unknown."""
        return self._districts[self._number(number).zfill(2)]

    def district_by_name(self, name: str) -> District | None:
        return self._district_names.get(fold(name))

    def quarter(self, name: str) -> Quarter | None:
        """The quarter by its name, ignoring case, umlaut spelling and hyphens."""
        return self._quarters.get(fold(name))

    def alias(self, name: str) -> tuple[Quarter, ...]:
        """The quarters an alias stands for ('Roderbruch' → Groß-Buchholz); () when unknown."""
        return self._aliases.get(fold(name), ())

    def quarters_of(self, number: str | int) -> tuple[Quarter, ...]:
        district = self.district(number)
        return tuple(Quarter(q, district.number) for q in district.quarters)

    def postcode(self, code: str) -> Postcode | None:
        return self._postcodes.get(code.strip())

    def has_department(self, number: str | int) -> bool:
        return self._number(number) in self._departments

    def department(self, number: str | int) -> Department:
        return self._departments[self._number(number)]

    def has_topic(self, code: str) -> bool:
        return code in self._topics

    def topic(self, code: str) -> Topic:
        return self._topics[code]

    def referral(self, key: str) -> ReferralContact:
        return self._referrals[key]

    def referrals_for_topic(self, code: str) -> tuple[ReferralContact, ...]:
        return tuple(r for r in self.referrals if code in r.topics)

    def search_referrals(self, text: str, limit: int = 5) -> list[tuple[ReferralContact, float]]:
        """Referrals whose names or keywords occur (fuzzily) in text, best first, with score."""
        words = fold(text).split()[:60]
        ranked = []
        for index, ref in enumerate(self.referrals):
            scores = [
                s
                for s in (_term_score(t, words) for t in self._terms[ref.key])
                if s >= SEARCH_MIN_SCORE
            ]
            if scores:
                ranked.append((-max(scores), -len(scores), index, ref))
        ranked.sort(key=lambda item: item[:3])
        return [(ref, -best) for best, _, _, ref in ranked[:limit]]


def _term_score(term: str, words: list[str]) -> float:
    size = term.count(" ") + 1
    best = 0.0
    for i in range(max(len(words) - size + 1, 0)):
        best = max(best, fuzz.ratio(term, " ".join(words[i : i + size])))
    if size == 1 and len(term) >= 6 and any(term in w for w in words):
        best = max(best, 90.0)  # part of a compound: "Osterfeuergenehmigung"
    return best


def load_reference_data(path: Path | str | None = None) -> ReferenceData:
    """Load and validate all files from a folder (default: the package's ``bot/data``)."""
    folder = Path(path) if path is not None else DATA_DIR
    districts, aliases = _load_districts(folder / "districts.json")
    known = {fold(q): q for d in districts for q in d.quarters}
    postcodes = _load_postcodes(folder / "postcodes.csv", {d.number for d in districts}, known)
    departments = _load_departments(folder / "departments.json")
    topics = _load_topics(folder / "topics.json")
    referrals = _load_referrals(
        folder / "referrals.json", {t.code for t in topics}, {d.number for d in departments}
    )
    return ReferenceData(districts, aliases, postcodes, departments, topics, referrals)


# --- loading helpers -----------------------------------------------------------------------
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


def _load_districts(path: Path) -> tuple[tuple[District, ...], dict[str, tuple[str, ...]]]:
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


def _load_postcodes(
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


def _load_departments(path: Path) -> tuple[Department, ...]:
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


def _load_topics(path: Path) -> tuple[Topic, ...]:
    seen: dict[str, str] = {}
    topics = []
    for i, item in enumerate(_objects(path, _read_json(path), "topics"), start=1):
        code = _str(path, item, "code", f"topic #{i}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
            raise ReferenceDataError(path, f"topic #{i}: code {code!r} must be snake_case")
        _unique(path, seen, code, f"topic code {code!r}", f"topic #{i}")
        de, en = _str(path, item, "label_de", code), _str(path, item, "label_en", code)
        topics.append(Topic(code, de, en, _bool(path, item, "field_of_action", code, True)))
    return tuple(topics)


def _load_referrals(
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
            for k in (
                "name_de",
                "name_en",
                "responsible",
                "description_de",
                "description_en",
                "confidence",
            )
        }
        contact = {
            k: _str(path, item, k, where, optional=True)
            for k in ("phone", "email", "address", "opening_hours", "web")
        }
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
