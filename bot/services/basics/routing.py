"""Route typed places, postcodes, addresses and map pins to a quarter or a district.

Pure service without Telegram or a database; the optional street directory (CSV) and boundary
file (GeoJSON) are read once at construction. A postcode spanning several districts, or a tie
between names, yields ``choices``: the router never guesses silently.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from bot.services.basics.city_files import Boundaries, Hit, load_streets, street_key
from bot.services.basics.reference import (
    District,
    Quarter,
    ReferenceData,
    fold,
)

log = logging.getLogger(__name__)

MIN_NAME_SCORE = 85.0  # rapidfuzz ratio (0–100) for a fuzzy quarter or district name
PARTIAL_SCORE = 90.0  # leading/trailing word of a multi-word name: "Linden", "Misburg"
TIE_MARGIN = 3.0  # fuzzy hits this close to the best one count as a tie
MIN_STREET_SCORE = 90.0  # rapidfuzz ratio for a street of the street directory
MAX_WINDOW, MAX_TOKENS = 4, 40
_FILLER = frozenset({"hannover", "stadtteil", "stadtbezirk", "bezirk"})
# Words never matched on their own: too generic, or a place outside the city (Isernhagen).
_NO_PARTIAL = frozenset({"nord", "sud", "mitte", "hafen", "neustadt", "gross", "isernhagen"})
_POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)")
_HOUSE_NUMBER = re.compile(r"\d+[a-z]?")


class MatchKind(StrEnum):
    QUARTER = "quarter"
    DISTRICT = "district"
    CHOICES = "choices"
    NONE = "none"


@dataclass(frozen=True)
class PlaceMatch:
    """The outcome of routing.

    ``quarter``: one quarter (+ its district) to confirm. ``district``: the district is clear,
    the quarter is not (``quarter_hints`` lists likely ones; the bot still offers all).
    ``choices``: several candidate districts. ``none``: ``reason`` is one of empty, no_match,
    unknown_postcode, outside, no_boundaries, invalid_point.
    """

    kind: MatchKind
    district: District | None = None
    quarter: Quarter | None = None
    choices: tuple[District, ...] = ()
    quarter_hints: tuple[Quarter, ...] = ()
    score: float = 0.0
    source: str | None = None  # name | postcode | street | point
    reason: str | None = None
    postcode: str | None = None

    @property
    def matched(self) -> bool:
        return self.kind != MatchKind.NONE


def _none(reason: str, source: str, postcode: str | None = None) -> PlaceMatch:
    return PlaceMatch(MatchKind.NONE, reason=reason, source=source, postcode=postcode)


class PlaceRouter:
    """Matches text and points against the reference data (and optional city files)."""

    def __init__(
        self,
        reference: ReferenceData,
        *,
        street_csv: Path | str | None = None,
        geojson: Path | str | None = None,
        name_property: str | None = None,
        geojson_crs: str | None = None,
    ) -> None:
        self.reference = reference
        self._names: dict[str, list[Hit]] = {}
        self._partials: dict[str, list[Hit]] = {}
        for q in reference.quarters:
            self._names.setdefault(fold(q.name), []).append(Hit(100.0, (q,)))
        for alias in reference.aliases:
            self._names.setdefault(fold(alias), []).append(Hit(100.0, reference.alias(alias)))
        for d in reference.districts:
            self._names.setdefault(fold(d.name), []).append(Hit(100.0, (), d))
        for key, hits in list(self._names.items()):
            words = key.split()
            for part in {" ".join(words[:i]) for i in range(1, len(words))} | {
                " ".join(words[i:]) for i in range(1, len(words))
            }:
                if part not in self._names and part not in _NO_PARTIAL and len(part) >= 4:
                    self._partials.setdefault(part, []).extend(hits)
        self._keys = list(self._names)
        self._streets = load_streets(Path(street_csv), reference) if street_csv else {}
        self._boundaries = (
            Boundaries(Path(geojson), reference, name_property, geojson_crs) if geojson else None
        )

    @property
    def has_boundaries(self) -> bool:
        return self._boundaries is not None

    # --- text -------------------------------------------------------------------------------
    def match_text(self, text: str) -> PlaceMatch:
        """A quarter or district name (fuzzy), a postcode, or an address."""
        folded = fold(text)
        if not folded:
            return _none("empty", "name")
        codes = _POSTCODE.findall(text)
        words = [w for w in folded.split() if w not in _FILLER][:MAX_TOKENS]
        names = None
        if not codes:
            names = self._resolve(self._whole_name(words) or self._name_hits(words), "name")
            if names.score >= 100.0:
                return names
        if self._streets and (street := self._match_street(text, codes[0] if codes else None)):
            return street
        if codes:
            rest = [w for w in words if not _HOUSE_NUMBER.fullmatch(w)]
            return self._match_postcode(codes[0], rest)
        return names if names is not None else _none("no_match", "name")

    def _whole_name(self, words: Sequence[str]) -> list[Hit]:
        """The hits of a text that is exactly one known name ("linden sud"), as `_name_hits`
        would resolve them: every other window lies inside it and scores below 100. Most
        residents type the name; this spares the fuzzy search of every window (~0.1 ms)."""
        if not 0 < len(words) <= MAX_WINDOW:
            return []
        found = self._names.get(" ".join(words), ())
        return [replace(h, score=100.0, start=0, end=len(words)) for h in found]

    def _name_hits(self, words: Sequence[str], exact: bool = False) -> list[Hit]:
        from rapidfuzz import fuzz, process  # imported where first needed (~3 MiB)

        hits: list[Hit] = []
        for size in range(1, min(MAX_WINDOW, len(words)) + 1):
            for start in range(len(words) - size + 1):
                window = " ".join(words[start : start + size])
                found = process.extract(
                    window,
                    self._keys,
                    scorer=fuzz.ratio,
                    limit=None,
                    score_cutoff=100.0 if exact else MIN_NAME_SCORE,
                )
                for key, score, _ in found:
                    hits += [
                        replace(h, score=score, start=start, end=start + size)
                        for h in self._names[key]
                    ]
                if not exact:
                    hits += [
                        replace(h, score=PARTIAL_SCORE, start=start, end=start + size)
                        for h in self._partials.get(window, ())
                    ]
        return hits

    def _resolve(self, hits: Iterable[Hit], source: str) -> PlaceMatch:
        hits = list(hits)
        if not hits:
            return _none("no_match", source)
        hits = [h for h in hits if not any(_inside(h, other) for other in hits)]
        best = max(h.score for h in hits)
        top = [h for h in hits if h.score >= (best if best >= 100.0 else best - TIE_MARGIN)]
        top.sort(key=lambda h: -h.score)
        quarters = tuple(dict.fromkeys(q for h in top for q in h.quarters))
        districts = tuple(
            dict.fromkeys(
                d
                for h in top
                for d in (
                    [h.district]
                    if h.district
                    else [self.reference.district(q.district_number) for q in h.quarters]
                )
            )
        )
        if len(districts) > 1:
            return PlaceMatch(
                MatchKind.CHOICES,
                choices=districts,
                quarter_hints=quarters,
                score=best,
                source=source,
                reason="ambiguous",
            )
        quarter_score = max((h.score for h in top if h.quarters), default=-1.0)
        district_score = max((h.score for h in top if h.district), default=-1.0)
        if len(quarters) == 1 and quarter_score >= district_score:
            return PlaceMatch(
                MatchKind.QUARTER, districts[0], quarters[0], score=quarter_score, source=source
            )
        return PlaceMatch(
            MatchKind.DISTRICT, districts[0], quarter_hints=quarters, score=best, source=source
        )

    def _match_postcode(self, code: str, rest: Sequence[str]) -> PlaceMatch:
        postcode = self.reference.postcode(code)
        if postcode is None:
            return _none("unknown_postcode", "postcode", code)
        districts = tuple(self.reference.district(n) for n in postcode.district_numbers)
        hints = tuple(q for q in map(self.reference.quarter, postcode.quarter_hints) if q)
        named = self._resolve(self._name_hits(rest, exact=True), "postcode")
        if named.kind in (MatchKind.QUARTER, MatchKind.DISTRICT) and named.district is not None:
            if named.district in districts:  # "30453 Davenstedt": the name narrows the postcode
                return replace(named, postcode=code)
            districts = (*districts, named.district)  # contradiction: let the resident choose
            return PlaceMatch(
                MatchKind.CHOICES,
                choices=districts,
                score=100.0,
                source="postcode",
                reason="conflict",
                postcode=code,
            )
        if len(districts) == 1:
            return PlaceMatch(
                MatchKind.DISTRICT,
                districts[0],
                quarter_hints=hints,
                score=100.0,
                source="postcode",
                postcode=code,
            )
        return PlaceMatch(
            MatchKind.CHOICES,
            choices=districts,
            quarter_hints=hints,
            score=100.0,
            source="postcode",
            reason="postcode",
            postcode=code,
        )

    def _match_street(self, text: str, code: str | None) -> PlaceMatch | None:
        from rapidfuzz import fuzz, process  # imported where first needed (~3 MiB)

        for segment in [*re.split(r"[,;\n]", text), text]:
            words = [
                w
                for w in fold(segment).split()
                if w not in _FILLER and not _HOUSE_NUMBER.fullmatch(w)
            ]
            key = street_key(" ".join(words))
            if len(key) < 4:
                continue
            found = process.extractOne(
                key, list(self._streets), scorer=fuzz.ratio, score_cutoff=MIN_STREET_SCORE
            )
            if found:
                rows = self._streets[found[0]]
                rows = [r for r in rows if code and r[1] == code] or rows
                match = self._resolve((Hit(found[1], (q,)) for q, _ in rows), "street")
                return replace(match, postcode=code)
        return None

    # --- points -----------------------------------------------------------------------------
    def locate(self, lat: float, lon: float) -> PlaceMatch:
        """The quarter (or district) whose boundary contains the WGS84 point."""
        if self._boundaries is None:
            return _none("no_boundaries", "point")
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            return _none("invalid_point", "point")
        hits = self._boundaries.hits(lat, lon)
        return self._resolve(hits, "point") if hits else _none("outside", "point")


def _inside(hit: Hit, other: Hit) -> bool:
    """The hit's words lie strictly within the other's ('Mitte' inside 'Linden-Mitte')."""
    return (
        other.start <= hit.start
        and hit.end <= other.end
        and other.end - other.start > hit.end - hit.start
    )


def is_street_address(text: str, match: PlaceMatch) -> bool:
    """Whether the typed place is a street address, not just a quarter, district or postcode.

    A street of the street directory counts, and so do words with a house number beside them
    ("Limmerstraße 5, 30449"); "Linden-Süd" or "30449" alone do not.
    """
    if match.source == "street":
        return True
    words = fold(_POSTCODE.sub(" ", text)).split()
    numbers = [w for w in words if _HOUSE_NUMBER.fullmatch(w)]
    names = [w for w in words if not _HOUSE_NUMBER.fullmatch(w) and w not in _FILLER]
    return bool(numbers) and bool(names)
