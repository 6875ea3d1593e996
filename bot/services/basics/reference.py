"""Editable reference data: districts, quarters, postcodes, departments, topics, referrals.

The files live in ``bot/data`` (or a folder from the settings); the city edits them without
touching code. Everything is validated on load; a problem raises :class:`ReferenceDataError`
naming the file. Lookups by number or code raise ``KeyError`` (check with ``has_*`` first);
lookups by a typed name return ``None``. Keys starting with ``_`` in the JSON files are notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.services.basics.reference_files import (
    load_departments,
    load_districts,
    load_general_contact,
    load_postcodes,
    load_referrals,
    load_topics,
)
from bot.services.basics.reference_items import (
    Department,
    District,
    GeneralContact,
    Postcode,
    Quarter,
    ReferenceDataError,
    ReferralContact,
    Topic,
    fold,
)

__all__ = [
    "Department",
    "District",
    "GeneralContact",
    "Postcode",
    "Quarter",
    "ReferenceData",
    "ReferenceDataError",
    "ReferralContact",
    "Topic",
    "fold",
    "load_reference_data",
]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SEARCH_MIN_SCORE = 82.0  # rapidfuzz ratio for a referral keyword to count as found


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
        general: GeneralContact | None = None,
    ) -> None:
        self.general = general
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
            r.key: {fold(t) for t in (r.name_de, r.name_en or "", *r.keywords_de, *r.keywords_en)}
            - {""}
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

    def rename_department(self, number: str | int, name: str, *, verified: bool = True) -> None:
        """A coordinator's correction of a department's name (stored in the database)."""
        key = self._number(number)
        old = self._departments[key]
        new = Department(old.number, name, verified, old.invited_to_conferences, old.confidence)
        self._departments[key] = new
        self.departments = tuple(new if d.number == key else d for d in self.departments)

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
    from rapidfuzz import fuzz  # imported where first needed: ~3 MiB the start does not use

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
    districts, aliases = load_districts(folder / "districts.json")
    known = {fold(q): q for d in districts for q in d.quarters}
    postcodes = load_postcodes(folder / "postcodes.csv", {d.number for d in districts}, known)
    departments = load_departments(folder / "departments.json")
    topics = load_topics(folder / "topics.json")
    referrals = load_referrals(
        folder / "referrals.json", {t.code for t in topics}, {d.number for d in departments}
    )
    general = load_general_contact(folder / "referrals.json")
    return ReferenceData(districts, aliases, postcodes, departments, topics, referrals, general)
