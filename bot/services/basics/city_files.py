"""The city files the router may read: the street directory (CSV) and the boundaries of quarters
or districts (GeoJSON), and the hit both produce: a scored set of quarters or a district."""

from __future__ import annotations

import csv
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.services.basics.reference import (
    District,
    Quarter,
    ReferenceData,
    ReferenceDataError,
    fold,
)

if TYPE_CHECKING:  # imported where first needed: they weigh ~40 MiB and most cities need none
    from pyproj import CRS

log = logging.getLogger(__name__)

_QUARTER_KEYS = ("stadtteil", "stadtteilname", "stadtteil_name", "quarter", "stt_name")
_DISTRICT_KEYS = (
    "stadtbezirk",
    "stadtbezirksname",
    "stadtbezirk_name",
    "bezirk",
    "district",
    "stadtbezirksnummer",
    "stadtbezirk_nr",
    "stbz_nr",
    "bezirk_nr",
    "district_number",
)
_GENERIC_KEYS = ("name", "bezeichnung", "label")
_NUMBER_KEYS = ("nummer", "number", "nr")


@dataclass(frozen=True)
class Hit:
    score: float
    quarters: tuple[Quarter, ...]
    district: District | None = None  # set when a district itself was named
    start: int = 0
    end: int = 1


def street_key(name: str) -> str:
    """'Limmerstraße', 'Limmer Str.' and 'limmerstrasse' all give 'limmerstr'."""
    return re.sub(r"strasse\b", "str", fold(name)).replace(" ", "")


def load_streets(path: Path, ref: ReferenceData) -> dict[str, list[tuple[Quarter, str | None]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ReferenceDataError(path, "file is missing") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    fields = {(f or "").strip().lower() for f in reader.fieldnames or ()}
    if not {"street", "quarter"} <= fields:
        raise ReferenceDataError(path, "needs the columns 'street,quarter' (optional 'postcode')")
    streets: dict[str, list[tuple[Quarter, str | None]]] = {}
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        quarter = ref.quarter(row["quarter"])
        if quarter is None or not street_key(row["street"]):
            raise ReferenceDataError(path, f"line {line}: unknown quarter or empty street")
        streets.setdefault(street_key(row["street"]), []).append(
            (quarter, row.get("postcode") or None)
        )
    return streets


class Boundaries:
    """Polygons of quarters or districts in an STRtree, queried with a transformed point."""

    def __init__(self, path: Path, ref: ReferenceData, prop: str | None, crs: str | None) -> None:
        import shapely
        from pyproj import CRS, Transformer
        from shapely.errors import ShapelyError
        from shapely.geometry import shape

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReferenceDataError(path, f"cannot read GeoJSON: {exc}") from None
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise ReferenceDataError(path, "expected a GeoJSON FeatureCollection")
        features = [f for f in data.get("features") or [] if isinstance(f, dict)]
        target = parse_crs(crs or data.get("crs"), path)
        wgs84 = target is None or target.equals(CRS.from_epsg(4326), ignore_axis_order=True)
        self._transformer = (
            None if wgs84 else Transformer.from_crs(CRS.from_epsg(4326), target, always_xy=True)
        )
        self._ref = ref
        generic = "district" if self._generic_names_are_districts(features) else "any"
        geometries, self._hits, skipped = [], [], []
        for index, feature in enumerate(features):
            props = feature.get("properties") or {}
            hit = self._target(props, prop, generic)
            if hit is None or not feature.get("geometry"):
                skipped.append(props)
                continue
            try:
                geometry = shape(feature["geometry"])
            except (ShapelyError, ValueError, TypeError, KeyError, AttributeError) as exc:
                problem = f"feature #{index + 1}: bad geometry: {exc}"
                raise ReferenceDataError(path, problem) from None
            geometries.append(geometry if geometry.is_valid else shapely.make_valid(geometry))
            self._hits.append(hit)
        if not geometries:
            keys = prop or ", ".join(_QUARTER_KEYS + _GENERIC_KEYS + _DISTRICT_KEYS + _NUMBER_KEYS)
            raise ReferenceDataError(
                path, f"no feature names a known quarter or district (properties: {keys})"
            )
        if skipped:
            log.warning(
                "%s: skipped %d feature(s) without a known quarter or district, e.g. %s",
                path,
                len(skipped),
                skipped[:3],
            )
        self._tree = shapely.STRtree(geometries)

    def hits(self, lat: float, lon: float) -> list[Hit]:
        from shapely.geometry import Point

        x, y = self._transformer.transform(lon, lat) if self._transformer else (lon, lat)
        found = self._tree.query(Point(x, y), predicate="intersects")
        return [self._hits[i] for i in sorted(found)]

    def _value_hit(self, value: Any, mode: str) -> Hit | None:
        """Resolve a property value; mode: quarter (names), district (names, numbers), any."""
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            return None
        if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
            number = str(int(value)).zfill(2)
            known = mode != "quarter" and self._ref.has_district(number)
            return Hit(100.0, (), self._ref.district(number)) if known else None
        if not isinstance(value, str):
            return None
        if mode != "district":
            quarter = self._ref.quarter(value)
            quarters = (quarter,) if quarter else self._ref.alias(value)
            if quarters:
                return Hit(100.0, quarters)
        district = self._ref.district_by_name(value) if mode != "quarter" else None
        return Hit(100.0, (), district) if district else None

    def _target(self, props: dict[str, Any], prop: str | None, generic: str) -> Hit | None:
        lower = {str(k).lower(): v for k, v in props.items()}
        if prop:
            return self._value_hit(props.get(prop, lower.get(prop.lower())), "any")
        groups = (
            (_QUARTER_KEYS, "quarter"),
            (_GENERIC_KEYS, generic),
            (_DISTRICT_KEYS, "district"),
            (_NUMBER_KEYS, "district"),
        )
        for keys, mode in groups:
            for key in keys:
                if key in lower and (hit := self._value_hit(lower[key], mode)):
                    return hit
        return None

    def _generic_names_are_districts(self, features: list[dict[str, Any]]) -> bool:
        """A layer whose 'name' holds e.g. 'Linden-Limmer' is a district layer throughout."""
        quarter_only = district_only = 0
        for feature in features:
            props = {str(k).lower(): v for k, v in (feature.get("properties") or {}).items()}
            value = next((props[k] for k in _GENERIC_KEYS if isinstance(props.get(k), str)), None)
            if value is None:
                continue
            is_quarter = bool(self._ref.quarter(value) or self._ref.alias(value))
            is_district = self._ref.district_by_name(value) is not None
            quarter_only += is_quarter and not is_district
            district_only += is_district and not is_quarter
        return district_only > 0 and quarter_only == 0


def parse_crs(value: Any, path: Path) -> CRS | None:
    """The GeoJSON 'crs' member ({"type": "name", ...} or EPSG code) or a user string."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if isinstance(value, dict):
        props = value.get("properties") or {}
        value = props.get("name") or (f"EPSG:{props['code']}" if "code" in props else None)
    if value is None:
        return None
    try:
        return CRS.from_user_input(value)
    except CRSError as exc:
        raise ReferenceDataError(path, f"unknown coordinate system {value!r}: {exc}") from None
