"""Routing of typed places, postcodes, addresses and map pins (synthetic geodata only)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from pyproj import Transformer

from bot.services.basics.reference import ReferenceData, ReferenceDataError, load_reference_data
from bot.services.basics.routing import MatchKind, PlaceMatch, PlaceRouter, is_street_address
from bot.services.cases import intake

SHARED = Path("/work/shared/data")
UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}


def _shared_quarters() -> list[Any]:
    """(quarter, district number) from the shared source, the independent truth."""
    path = SHARED / "districts.json"
    if not path.is_file():
        return [pytest.param("", "", marks=pytest.mark.skip(reason=f"{path} not available"))]
    data = json.loads(path.read_text(encoding="utf-8"))
    return [pytest.param(q, d["number"], id=q) for d in data["districts"] for q in d["quarters"]]


def _shared_postcodes() -> list[Any]:
    path = SHARED / "postcodes.csv"
    if not path.is_file():
        return [pytest.param("", "", marks=pytest.mark.skip(reason=f"{path} not available"))]
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            pytest.param(r["postcode"], r["districts"], id=r["postcode"])
            for r in csv.DictReader(handle)
        ]


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return load_reference_data()


@pytest.fixture(scope="module")
def router(ref: ReferenceData) -> PlaceRouter:
    return PlaceRouter(ref)


def _quarter(match: PlaceMatch) -> tuple[str, str]:
    assert match.kind == MatchKind.QUARTER, match
    assert match.quarter is not None and match.district is not None
    assert match.quarter.district_number == match.district.number
    return match.quarter.name, match.district.number


def _numbers(match: PlaceMatch) -> set[str]:
    return {d.number for d in match.choices}


def test_shared_source_has_51_quarters() -> None:
    params = _shared_quarters()
    if params[0].marks:
        pytest.skip("shared source not available")
    assert len(params) == 51


@pytest.mark.parametrize(("quarter", "number"), _shared_quarters())
@pytest.mark.parametrize(
    "spell",
    [
        pytest.param(lambda s: s, id="exact"),
        pytest.param(str.lower, id="lower"),
        pytest.param(str.upper, id="upper"),
        pytest.param(lambda s: "".join(UMLAUTS.get(c, c) for c in s), id="transliterated"),
        pytest.param(lambda s: s.translate(str.maketrans("äöüß", "aous")), id="plain"),
        pytest.param(lambda s: s.replace("-", " "), id="spaces"),
    ],
)
def test_every_quarter_routes_to_its_district(
    router: PlaceRouter, quarter: str, number: str, spell: Any
) -> None:
    match = router.match_text(spell(quarter))
    assert _quarter(match) == (quarter, number)
    assert match.score >= 90 and match.source == "name"


@pytest.mark.parametrize(
    ("text", "quarter", "number"),
    [
        ("linden sued", "Linden-Süd", "10"),
        ("Gross Buchholz", "Groß-Buchholz", "04"),
        ("Grossbuchholz", "Groß-Buchholz", "04"),
        ("Kirchrode", "Kirchrode", "06"),
        ("Doehren", "Döhren", "08"),
        ("Stoecken", "Stöcken", "12"),
        ("roderbruch", "Groß-Buchholz", "04"),
        ("Kronsberg", "Bemerode", "06"),
        ("Kronsrode", "Bemerode", "06"),
        ("Herrenhausn", "Herrenhausen", "12"),
        ("Bothfled", "Bothfeld", "03"),
        ("Lindn Süd", "Linden-Süd", "10"),
        ("Ricklingen", "Ricklingen", "09"),  # quarter and district: prefer the quarter
        ("Mitte", "Mitte", "01"),
        ("Linden-Mitte", "Linden-Mitte", "10"),  # not the quarter Mitte in 01
        ("Misburg Nrod", "Misburg-Nord", "05"),  # not the district Nord
        ("Ich wohne in Linden-Süd.", "Linden-Süd", "10"),
        ("Stadtteil Oststadt, Hannover", "Oststadt", "01"),
    ],
)
def test_names_and_misspellings(router: PlaceRouter, text: str, quarter: str, number: str) -> None:
    assert _quarter(router.match_text(text)) == (quarter, number)


@pytest.mark.parametrize(
    ("text", "number", "hints"),
    [
        ("Linden-Limmer", "10", []),
        ("Stadtbezirk Linden-Limmer", "10", []),
        ("Nord", "13", []),
        ("Herrenhausen-Stöcken", "12", []),
        ("Kirchrode-Bemerode-Wülferode", "06", []),
        ("Linden", "10", ["Linden-Nord", "Linden-Mitte", "Linden-Süd"]),
        ("Misburg", "05", ["Misburg-Nord", "Misburg-Süd"]),
        ("Ledeburg/Nordhafen", "12", ["Ledeburg", "Nordhafen"]),
        ("Vinnhorst/Brink-Hafen", "13", ["Vinnhorst", "Brink-Hafen"]),
    ],
)
def test_district_names_leave_the_quarter_open(
    router: PlaceRouter, text: str, number: str, hints: list[str]
) -> None:
    match = router.match_text(text)
    assert match.kind == MatchKind.DISTRICT and match.quarter is None
    assert match.district is not None and match.district.number == number
    assert [q.name for q in match.quarter_hints] == hints


def test_fuzzy_tie_between_districts_gives_choices(router: PlaceRouter) -> None:
    match = router.match_text("Sutstadt")  # as close to Südstadt (07) as to Oststadt (01)
    assert match.kind == MatchKind.CHOICES and match.reason == "ambiguous"
    assert _numbers(match) == {"01", "07"}
    assert {q.name for q in match.quarter_hints} == {"Oststadt", "Südstadt"}


def test_two_places_in_one_text_give_choices(router: PlaceRouter) -> None:
    match = router.match_text("zwischen Linden-Süd und Ricklingen")
    assert match.kind == MatchKind.CHOICES and _numbers(match) == {"09", "10"}


@pytest.mark.parametrize(
    "text",
    [
        "asdf",
        "Berlin",
        "München",
        "Hamburg",
        "Hannover",
        "Langenhagen",
        "Isernhagen",
        "Wettenberg",
        "Ahlen",
        "Oldenburg",
        "Limmerstraße 12",
        "1234",
    ],
)
def test_unknown_places_are_none(router: PlaceRouter, text: str) -> None:
    match = router.match_text(text)
    assert match.kind == MatchKind.NONE and match.reason == "no_match"
    assert not match.matched and match.district is None and match.choices == ()


@pytest.mark.parametrize("text", ["", "  - ", "!!!"])
def test_empty_text_is_none(router: PlaceRouter, text: str) -> None:
    match = router.match_text(text)
    assert match.kind == MatchKind.NONE and match.reason == "empty"


# --- postcodes ------------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "districts"), _shared_postcodes())
def test_every_postcode(router: PlaceRouter, code: str, districts: str) -> None:
    expected = districts.split(";")
    match = router.match_text(f"{code} Hannover")
    assert match.postcode == code and match.source == "postcode"
    if len(expected) == 1:
        assert match.kind == MatchKind.DISTRICT and match.quarter is None
        assert match.district is not None and match.district.number == expected[0]
    else:
        assert match.kind == MatchKind.CHOICES and match.reason == "postcode"
        assert [d.number for d in match.choices] == expected


def test_ambiguous_postcode_never_guesses(router: PlaceRouter) -> None:
    match = router.match_text("30453")
    assert match.kind == MatchKind.CHOICES and _numbers(match) == {"09", "10", "11"}
    assert match.quarter is None and match.district is None


def test_unambiguous_postcode_leaves_the_quarter_open(router: PlaceRouter) -> None:
    match = router.match_text("30449")
    assert match.kind == MatchKind.DISTRICT and match.quarter is None
    assert match.district is not None and match.district.number == "10"
    assert [q.name for q in match.quarter_hints] == ["Linden-Mitte", "Linden-Süd"]


def test_address_routes_via_its_postcode(router: PlaceRouter) -> None:
    match = router.match_text("Limmerstraße 12, 30451 Hannover")
    assert match.kind == MatchKind.DISTRICT and match.postcode == "30451"
    assert match.district is not None and match.district.number == "10"
    assert [q.name for q in match.quarter_hints] == ["Linden-Nord", "Limmer"]


def test_postcode_and_quarter_name_narrow_down(router: PlaceRouter) -> None:
    match = router.match_text("30453 Davenstedt")
    assert _quarter(match) == ("Davenstedt", "11") and match.postcode == "30453"


def test_postcode_contradicting_the_name_gives_choices(router: PlaceRouter) -> None:
    match = router.match_text("30449 Bothfeld")
    assert match.kind == MatchKind.CHOICES and match.reason == "conflict"
    assert _numbers(match) == {"10", "03"}


@pytest.mark.parametrize("text", ["10115 Berlin", "30851 Langenhagen", "Hauptstr. 1, 30900"])
def test_postcode_outside_hannover_is_none(router: PlaceRouter, text: str) -> None:
    match = router.match_text(text)
    assert match.kind == MatchKind.NONE and match.reason == "unknown_postcode"


# --- street directory -----------------------------------------------------------------------
@pytest.fixture
def street_router(ref: ReferenceData, tmp_path: Path) -> PlaceRouter:
    path = tmp_path / "streets.csv"  # fictional streets
    path.write_text(
        "street,quarter,postcode\n"
        "Beispielweg,Döhren,30519\n"
        "Musterstraße,Linden-Nord,30451\n"
        "Musterstraße,Limmer,30453\n"
        "Querallee,Linden-Süd,30459\n"
        "Querallee,Ricklingen,30459\n",
        encoding="utf-8",
    )
    return PlaceRouter(ref, street_csv=path)


def test_street_directory(street_router: PlaceRouter) -> None:
    assert _quarter(street_router.match_text("Beispielweg 5")) == ("Döhren", "08")
    assert _quarter(street_router.match_text("beispiel weg 5a, Hannover")) == ("Döhren", "08")
    assert street_router.match_text("Beispielweg 5").source == "street"
    one_district = street_router.match_text("Musterstr. 3")
    assert one_district.kind == MatchKind.DISTRICT and one_district.district is not None
    assert one_district.district.number == "10"
    assert [q.name for q in one_district.quarter_hints] == ["Linden-Nord", "Limmer"]
    by_postcode = street_router.match_text("Musterstraße 7, 30453 Hannover")
    assert _quarter(by_postcode) == ("Limmer", "10") and by_postcode.postcode == "30453"
    fuzzy = street_router.match_text("Mustrstrasse 7")
    assert fuzzy.kind == MatchKind.DISTRICT and fuzzy.source == "street"
    assert 90 <= fuzzy.score < 100
    assert _numbers(street_router.match_text("Querallee 1")) == {"09", "10"}


def test_street_directory_falls_back(street_router: PlaceRouter) -> None:
    unknown = street_router.match_text("Unbekannte Gasse 1, 30449 Hannover")
    assert unknown.kind == MatchKind.DISTRICT and unknown.source == "postcode"
    assert _quarter(street_router.match_text("Linden-Süd")) == ("Linden-Süd", "10")


def test_street_directory_semicolon_and_errors(ref: ReferenceData, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("Street;Quarter\nBeispielweg;Bult\n", encoding="utf-8")
    assert _quarter(PlaceRouter(ref, street_csv=good).match_text("Beispielweg")) == ("Bult", "07")
    bad = tmp_path / "bad.csv"
    bad.write_text("street,quarter\nBeispielweg,Atlantis\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"bad\.csv: line 2: unknown quarter"):
        PlaceRouter(ref, street_csv=bad)
    columns = tmp_path / "columns.csv"
    columns.write_text("strasse,stadtteil\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"columns\.csv: needs the columns"):
        PlaceRouter(ref, street_csv=columns)


# --- boundaries (synthetic squares) ---------------------------------------------------------
def _square(x: float, y: float, half: float) -> dict[str, Any]:
    ring = [
        [x - half, y - half],
        [x + half, y - half],
        [x + half, y + half],
        [x - half, y + half],
        [x - half, y - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def _write(
    path: Path, features: list[tuple[dict[str, Any], dict[str, Any]]], crs: Any = None
) -> Path:
    data: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features
        ],
    }
    if crs is not None:
        data["crs"] = crs
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_locate_in_wgs84(ref: ReferenceData, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "quarters.geojson",
        [
            ({"name": "Linden-Süd"}, _square(10.0, 50.0, 0.01)),
            ({"STADTTEIL": "Ricklingen"}, _square(10.02, 50.0, 0.01)),
            ({"stadtteil": "Atlantis"}, _square(10.04, 50.0, 0.01)),  # unknown: skipped
        ],
    )
    router = PlaceRouter(ref, geojson=path)
    assert router.has_boundaries
    inside = router.locate(50.0, 10.0)
    assert _quarter(inside) == ("Linden-Süd", "10") and inside.source == "point"
    assert _quarter(router.locate(50.005, 10.025)) == ("Ricklingen", "09")
    edge = router.locate(50.0, 10.01)  # on the shared edge of both squares
    assert edge.kind == MatchKind.CHOICES and _numbers(edge) == {"09", "10"}
    for lat, lon in [(50.0, 10.04), (52.37, 9.73), (50.0, 9.9)]:
        outside = router.locate(lat, lon)
        assert outside.kind == MatchKind.NONE and outside.reason == "outside"
    assert router.locate(95.0, 10.0).reason == "invalid_point"


def test_locate_in_epsg_25832(ref: ReferenceData, tmp_path: Path) -> None:
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    x, y = to_utm.transform(9.5, 51.5)
    path = _write(
        tmp_path / "utm.geojson",
        [
            ({"stadtteil": "Döhren"}, _square(x, y, 500.0)),
            ({"STADTBEZIRK": 10}, _square(x + 1000.0, y, 500.0)),
        ],
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
    )
    router = PlaceRouter(ref, geojson=path)
    assert _quarter(router.locate(51.5, 9.5)) == ("Döhren", "08")
    east = router.locate(51.5, 9.5145)  # about 1 km east
    assert east.kind == MatchKind.DISTRICT and east.quarter is None
    assert east.district is not None and east.district.number == "10"
    assert router.locate(51.52, 9.5).reason == "outside"  # about 2 km north
    assert router.locate(y, x).reason == "invalid_point"


def test_crs_as_epsg_code_or_override(ref: ReferenceData, tmp_path: Path) -> None:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True).transform(9.5, 51.5)
    features = [({"name": "Bult"}, _square(x, y, 500.0))]
    old_style = _write(
        tmp_path / "a.geojson", features, {"type": "EPSG", "properties": {"code": 25832}}
    )
    assert _quarter(PlaceRouter(ref, geojson=old_style).locate(51.5, 9.5)) == ("Bult", "07")
    no_member = _write(tmp_path / "b.geojson", features)
    router = PlaceRouter(ref, geojson=no_member, geojson_crs="EPSG:25832")
    assert _quarter(router.locate(51.5, 9.5)) == ("Bult", "07")


def test_district_layer_and_property_detection(ref: ReferenceData, tmp_path: Path) -> None:
    districts = _write(
        tmp_path / "districts.geojson",
        [
            ({"name": "Ricklingen"}, _square(10.0, 50.0, 0.01)),
            ({"name": "Linden-Limmer"}, _square(10.02, 50.0, 0.01)),
            ({"nummer": "13"}, _square(10.04, 50.0, 0.01)),
        ],
    )
    router = PlaceRouter(ref, geojson=districts)
    ricklingen = router.locate(50.0, 10.0)  # a district layer: Ricklingen is the district
    assert ricklingen.kind == MatchKind.DISTRICT and ricklingen.district is not None
    assert ricklingen.district.number == "09"
    assert router.locate(50.0, 10.04).district.number == "13"  # type: ignore[union-attr]
    both = _write(
        tmp_path / "both.geojson",
        [  # a quarter layer that also names the district
            ({"name": "Limmer", "stadtbezirk": "Linden-Limmer"}, _square(10, 50, 0.01)),
            ({"Name": "Badenstedt", "STADTBEZIRK": 11, "flag": True}, _square(10.02, 50, 0.01)),
        ],
    )
    both_router = PlaceRouter(ref, geojson=both)
    assert _quarter(both_router.locate(50, 10)) == ("Limmer", "10")
    assert _quarter(both_router.locate(50, 10.02)) == ("Badenstedt", "11")
    custom = _write(tmp_path / "custom.geojson", [({"bez": "Limmer"}, _square(10, 50, 0.01))])
    assert _quarter(PlaceRouter(ref, geojson=custom, name_property="bez").locate(50, 10)) == (
        "Limmer",
        "10",
    )


def test_without_boundaries(router: PlaceRouter) -> None:
    assert not router.has_boundaries
    match = router.locate(52.37, 9.73)
    assert match.kind == MatchKind.NONE and match.reason == "no_boundaries"


def test_broken_boundary_files(ref: ReferenceData, tmp_path: Path) -> None:
    unknown = _write(tmp_path / "unknown.geojson", [({"stadtteil": 5}, _square(10, 50, 0.01))])
    with pytest.raises(ReferenceDataError, match=r"unknown\.geojson: no feature names"):
        PlaceRouter(ref, geojson=unknown)
    crs = _write(
        tmp_path / "crs.geojson",
        [({"name": "Bult"}, _square(10, 50, 0.01))],
        {"type": "name", "properties": {"name": "EPSG:99999999"}},
    )
    with pytest.raises(ReferenceDataError, match=r"crs\.geojson: unknown coordinate system"):
        PlaceRouter(ref, geojson=crs)
    flags = _write(tmp_path / "flags.geojson", [({"nummer": True}, _square(10, 50, 0.01))])
    with pytest.raises(ReferenceDataError, match=r"flags\.geojson: no feature names"):
        PlaceRouter(ref, geojson=flags)
    geometry = _write(tmp_path / "geometry.geojson", [({"name": "Bult"}, {"type": "Blob"})])
    with pytest.raises(ReferenceDataError, match=r"geometry\.geojson: feature #1: bad geometry"):
        PlaceRouter(ref, geojson=geometry)
    single = tmp_path / "single.geojson"
    single.write_text(json.dumps({"type": "Feature"}), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"single\.geojson: expected a GeoJSON"):
        PlaceRouter(ref, geojson=single)


# --- issue 11: a postcode narrows the quarters; an address only when one was typed ----------
def test_a_postcode_narrows_the_quarter_question(router: PlaceRouter) -> None:
    decision = intake.place_decision(router.match_text("30449"))
    assert decision.kind == "choose_quarter" and decision.district == "10"
    assert decision.quarters == ("Linden-Mitte", "Linden-Süd")
    # a district's name is no postcode: all its quarters stay on offer
    assert intake.place_decision(router.match_text("Linden-Limmer")).quarters == ()


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Linden-Süd", False),
        ("linden sued", False),
        ("30449", False),
        ("30449 Linden-Süd", False),
        ("Limmerstraße 5, 30449", True),
        ("Deisterstraße 17", True),
        ("Am Küchengarten 5a", True),
    ],
)
def test_only_a_street_address_counts_as_address(
    router: PlaceRouter, text: str, address: bool
) -> None:
    assert is_street_address(text, router.match_text(text)) is address


# --- issue 11: contact details are checked and normalised -----------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0511 7654321", "+495117654321"),
        ("+49 (0)511 168-0", "+495111680"),
        ("0170 1234567", "+491701234567"),
        ("491701234567", "+491701234567"),  # a shared Telegram contact, without "+"
        ("+44 20 7946 0958", "+442079460958"),
        ("Erika.Muster@Example.ORG", "Erika.Muster@example.org"),
        ("erika@example.org oder 0511 7654321", "erika@example.org, +495117654321"),
    ],
)
def test_valid_contacts_are_normalised(text: str, value: str) -> None:
    assert intake.check_contact(text) == intake.ContactCheck(value=value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("abc", "unclear"),
        ("", "unclear"),
        (",", "unclear"),
        ("12", "invalid_phone"),
        ("0511 12", "invalid_phone"),
        ("erika@localhost", "invalid_email"),
        ("a@b", "invalid_email"),
        ("0511 7654321, abc", "unclear"),
        ("1" * 201, "too_long"),
    ],
)
def test_invalid_contacts_are_refused(text: str, problem: str) -> None:
    assert intake.check_contact(text).problem == problem


@pytest.mark.parametrize("text", ["skip", "Überspringen", "keine", "-"])
def test_a_typed_skip_skips(text: str) -> None:
    assert intake.check_contact(text) == intake.ContactCheck(skip=True)


def test_a_whole_name_is_routed_as_the_fuzzy_search_would(ref: ReferenceData) -> None:
    """The shortcut for a text that is exactly one known name gives the fuzzy search's result,
    for every name and alias, with filler words, case and hyphens."""
    fast, fuzzy = PlaceRouter(ref), PlaceRouter(ref)
    fuzzy._whole_name = lambda words: []  # type: ignore[method-assign]  # the search alone
    names = [*fast._names, *fast._partials]
    texts = [
        variant
        for name in names
        for variant in (name, name.upper(), f"Hannover {name}", name.replace(" ", "-"))
    ]
    assert len(names) > 60
    assert [fast.match_text(t) for t in texts] == [fuzzy.match_text(t) for t in texts]
    assert fast._whole_name(["linden", "sud"])  # the shortcut is taken for a plain name
