"""The shipped reference data loads, is consistent, and broken edits fail with clear errors."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import Translations
from bot.messages.reference import department_label, topic_label
from bot.messages.referrals import referral_description, referral_name
from bot.services.basics.reference import (
    DATA_DIR,
    ReferenceData,
    ReferenceDataError,
    ReferralContact,
    Topic,
    fold,
    load_reference_data,
)

SHARED = Path("/work/shared/data/districts.json")
CONFERENCE_DEPARTMENTS = {
    "15",
    "18",
    "19",
    "23",
    "32",
    "42",
    "43",
    "50",
    "51",
    "52",
    "57",
    "61",
    "66",
    "67",
}
TOPIC_CODES = {
    "integration",
    "civic_engagement",
    "family",
    "seniors",
    "public_space",
    "health_environment",
    "education",
    "culture_leisure",
    "local_economy",
    "permits",
    "other",
}


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return load_reference_data()


def test_data_files_ship_inside_the_package() -> None:
    assert DATA_DIR == Path(__file__).resolve().parent.parent / "bot" / "data"
    for name in (
        "districts.json",
        "postcodes.csv",
        "departments.json",
        "topics.json",
        "referrals.json",
    ):
        assert (DATA_DIR / name).is_file(), name
    pyproject = tomllib.loads((DATA_DIR.parent.parent / "pyproject.toml").read_text("utf-8"))
    assert "data/*" in pyproject["tool"]["setuptools"]["package-data"]["bot"]


def test_districts_and_quarters(ref: ReferenceData) -> None:
    assert [d.number for d in ref.districts] == [f"{n:02d}" for n in range(1, 14)]
    assert len(ref.quarters) == 51
    assert len({q.name for q in ref.quarters}) == 51
    assert ref.district("10").name == "Linden-Limmer"
    assert ref.district(6).name == "Kirchrode-Bemerode-Wülferode"
    assert ref.district("1").quarters == ("Mitte", "Calenberger Neustadt", "Oststadt", "Zoo")
    assert ref.has_district("13") and not ref.has_district("14")
    with pytest.raises(KeyError):
        ref.district("14")
    assert ref.district_by_name("linden limmer") == ref.district("10")
    assert ref.district_by_name("Atlantis") is None
    assert ref.quarter("Gross-Buchholz").district_number == "04"  # type: ignore[union-attr]
    assert ref.quarter("doehren").name == "Döhren"  # type: ignore[union-attr]
    assert ref.quarter("Roderbruch") is None
    assert [q.name for q in ref.alias("roderbruch")] == ["Groß-Buchholz"]
    assert [q.name for q in ref.alias("Kronsrode")] == ["Bemerode"]
    assert [q.name for q in ref.alias("Ledeburg/Nordhafen")] == ["Ledeburg", "Nordhafen"]
    assert [q.name for q in ref.quarters_of("07")] == ["Südstadt", "Bult"]


def test_each_quarter_in_exactly_one_district(ref: ReferenceData) -> None:
    owners: dict[str, list[str]] = {}
    for district in ref.districts:
        for quarter in district.quarters:
            owners.setdefault(quarter, []).append(district.number)
    assert all(len(numbers) == 1 for numbers in owners.values())
    assert {q.name: q.district_number for q in ref.quarters} == {
        name: numbers[0] for name, numbers in owners.items()
    }


def test_districts_match_the_shared_source(ref: ReferenceData) -> None:
    if not SHARED.is_file():
        pytest.skip(f"{SHARED} not available")
    shared = json.loads(SHARED.read_text(encoding="utf-8"))
    assert [(d.number, d.name, d.quarters) for d in ref.districts] == [
        (d["number"], d["name"], tuple(d["quarters"])) for d in shared["districts"]
    ]
    assert ref.aliases == {k: tuple(v) for k, v in shared["aliases"].items()}
    assert all(d.confidence for d in ref.districts)


def test_postcodes(ref: ReferenceData) -> None:
    assert len(ref.postcodes) == 28
    assert ref.postcode("30453").district_numbers == ("10", "11", "09")  # type: ignore[union-attr]
    assert ref.postcode("30449").district_numbers == ("10",)  # type: ignore[union-attr]
    assert ref.postcode("30159").quarter_hints == ("Mitte",)  # type: ignore[union-attr]
    assert ref.postcode("10115") is None
    assert all(p.confidence for p in ref.postcodes)


def test_departments(ref: ReferenceData) -> None:
    assert {d.number for d in ref.departments} == CONFERENCE_DEPARTMENTS
    # the number-to-name pairs evidenced in ../shared/data/departments.md, no more
    verified = {d.number: d.name_de for d in ref.departments if d.verified}
    assert verified == {
        "15": "Büro Oberbürgermeister",
        "18": "Personal und Organisation",
        "19": "Gebäudemanagement",
        "50": "Soziales",
        "51": "Jugend und Familie",
        "57": "Senioren",
        "61": "Planen und Stadtentwicklung",
        "67": "Umwelt und Stadtgrün",
    }
    probable = {d.number: d.name_de for d in ref.departments if d.unconfirmed_name}
    assert probable == {
        "23": "Wirtschaft",
        "32": "Öffentliche Ordnung",
        "52": "Sport und Bäder",
        "66": "Tiefbau",
    }
    assert {d.number for d in ref.departments if not d.name_de} == {"42", "43"}
    assert all(d.invited_to_conferences and d.confidence for d in ref.departments)
    de, en = Translations().get("de"), Translations().get("en")
    assert department_label(de, ref.department("66")) == "Fachbereich 66 (Tiefbau?)"
    assert department_label(de, ref.department("42")) == "Fachbereich 42"
    assert department_label(de, ref.department("67")) == "Fachbereich 67 – Umwelt und Stadtgrün"
    assert department_label(en, ref.department("61")) == (
        "Department 61 – Planen und Stadtentwicklung"
    )
    assert ref.has_department("15") and not ref.has_department("99")


def test_topics(ref: ReferenceData) -> None:
    assert {t.code for t in ref.topics} == TOPIC_CODES
    de, en = Translations().get("de"), Translations().get("en-GB")
    assert topic_label(de, ref.topic("local_economy")) == "Lokale Ökonomie und Image"
    assert topic_label(de, ref.topic("civic_engagement")) == "Bürgerschaftliches Engagement"
    assert topic_label(en, ref.topic("health_environment")) == "Health and environment"
    assert topic_label(en, ref.topic("other")) == "Other"
    assert ref.has_topic("permits") and not ref.has_topic("weather")


def test_referrals_are_consistent_and_invent_no_contacts(ref: ReferenceData) -> None:
    keys = {r.key for r in ref.referrals}
    assert {
        "easter_fire",
        "green_space_use",
        "large_event",
        "street_special_use",
        "street_damage",
        "street_lighting",
        "green_spaces",
        "waste_cleaning",
        "schools",
        "youth_family",
        "seniors",
        "general_115",
    } <= keys
    for referral in ref.referrals:
        assert set(referral.topics) <= TOPIC_CODES
        assert referral.department is None or ref.has_department(referral.department)
        assert referral.keywords_de and referral.confidence
        assert referral.opening_hours is None
        assert "vermutlich" not in referral.responsible + referral.description_de
    # only the evidenced channels (departments.md): the switchboard, the Easter-fire service
    assert {r.key: r.phone for r in ref.referrals if r.phone} == {
        "general_115": "0511 168-0",
        "public_order_service": "0511 168-55555",
    }
    assert {r.key: r.email for r in ref.referrals if r.email} == {
        "public_order_service": "Ordnungsdienst@hannover-stadt.de"
    }
    assert {r.key: r.web for r in ref.referrals if r.web} == {
        "easter_fire": "serviceportal.hannover-stadt.de – Dienstleistung „Brauchtumsfeuer / "
        "Osterfeuer“ (1088-0)"
    }
    assert ref.general is not None
    assert (ref.general.phone, ref.general.web) == (
        "0511 168-0",
        "serviceportal.hannover-stadt.de",
    )
    assert {r.key: r.address for r in ref.referrals if r.address} == {
        "district_management": "Theodor-Lessing-Platz 1, 30159 Hannover"
    }
    assert ref.referral("street_lighting").responsible.startswith("enercity")
    assert ref.referral("waste_cleaning").responsible.startswith("aha")
    en, de = Translations().get("en"), Translations().get("de")
    assert referral_name(en, ref.referral("large_event")) == "Large events"
    assert "SOG-VO" in referral_description(de, ref.referral("easter_fire"))


def test_referrals_for_topic(ref: ReferenceData) -> None:
    permits = [r.key for r in ref.referrals_for_topic("permits")]
    assert permits[:2] == ["easter_fire", "green_space_use"]
    assert "large_event" in permits and "street_special_use" in permits
    assert [r.key for r in ref.referrals_for_topic("seniors")] == ["seniors"]
    assert ref.referrals_for_topic("weather") == ()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Osterfeuer", "easter_fire"),
        ("Wir möchten ein Brauchtumsfeuer anmelden", "easter_fire"),
        ("Osterfeuergenehmigung", "easter_fire"),
        ("Schlagloch vor dem Haus", "street_damage"),
        ("Schlaglöcher", "street_damage"),
        ("there is a pothole", "street_damage"),
        ("Die Straßenlaterne ist kaputt", "street_lighting"),
        ("Sperrmüll auf dem Gehweg", "waste_cleaning"),
        ("Spielplatz", "green_spaces"),
        ("Großveranstaltung", "large_event"),
        ("Außengastronomie", "street_special_use"),
        ("Behördennummer", "general_115"),
    ],
)
def test_search_referrals(ref: ReferenceData, text: str, key: str) -> None:
    hits = ref.search_referrals(text)
    assert hits and hits[0][0].key == key
    assert hits[0][1] >= 82


def test_search_referrals_finds_nothing_for_junk(ref: ReferenceData) -> None:
    assert ref.search_referrals("asdf qwertz") == []
    assert ref.search_referrals("") == []
    assert ref.search_referrals("Parkplatz") == []  # not "Park"


def test_fold() -> None:
    assert fold("Groß-Buchholz") == fold("gross buchholz") == "gross buchholz"
    assert fold("Linden-Süd") == fold("linden sued") == fold("LINDEN SUD") == "linden sud"
    assert fold("Döhren") == fold("Doehren") == "dohren"


# --- validation -----------------------------------------------------------------------------
@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


def _edit(folder: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_copy_of_the_data_loads(data_copy: Path) -> None:
    assert len(load_reference_data(data_copy).quarters) == 51


def test_quarter_in_two_districts_is_rejected(data_copy: Path) -> None:
    _edit(data_copy, "districts.json", lambda d: d["districts"][10]["quarters"].append("Limmer"))
    with pytest.raises(ReferenceDataError, match=r"districts\.json.*'Limmer'.*10.*11") as info:
        load_reference_data(data_copy)
    assert info.value.file.name == "districts.json"


def test_duplicate_district_number_is_rejected(data_copy: Path) -> None:
    _edit(data_copy, "districts.json", lambda d: d["districts"][1].update(number="01"))
    with pytest.raises(ReferenceDataError, match=r"districts\.json: number 01"):
        load_reference_data(data_copy)


def test_alias_to_unknown_quarter_is_rejected(data_copy: Path) -> None:
    _edit(data_copy, "districts.json", lambda d: d["aliases"].update(Expo=["Expo-Park"]))
    with pytest.raises(ReferenceDataError, match=r"districts\.json: alias 'Expo'.*Expo-Park"):
        load_reference_data(data_copy)


def test_referral_with_unknown_topic_is_rejected(data_copy: Path) -> None:
    _edit(data_copy, "referrals.json", lambda d: d["referrals"][0].update(topics=["weather"]))
    with pytest.raises(
        ReferenceDataError,
        match=r"referrals\.json: referral 'easter_fire'.*"
        r"weather",
    ):
        load_reference_data(data_copy)


def test_referral_with_unknown_department_is_rejected(data_copy: Path) -> None:
    _edit(data_copy, "referrals.json", lambda d: d["referrals"][0].update(department="99"))
    with pytest.raises(ReferenceDataError, match=r"referrals\.json: .*unknown department '99'"):
        load_reference_data(data_copy)


def test_verified_department_needs_a_name(data_copy: Path) -> None:
    _edit(
        data_copy,
        "departments.json",
        lambda d: d["departments"][3].update(verified=True, name_de=None),
    )
    with pytest.raises(ReferenceDataError, match=r"departments\.json: department 23: verified"):
        load_reference_data(data_copy)


def test_postcode_with_unknown_district_is_rejected(data_copy: Path) -> None:
    path = data_copy / "postcodes.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("30449,10,", "30449,14,"), encoding="utf-8"
    )
    with pytest.raises(ReferenceDataError, match=r"postcodes\.csv: line \d+: .*'14'"):
        load_reference_data(data_copy)


def test_general_contact_needs_a_channel(data_copy: Path) -> None:
    _edit(data_copy, "referrals.json", lambda d: d["general_contact"].update(phone=None, web=None))
    with pytest.raises(ReferenceDataError, match=r"general_contact: needs a phone or a web page"):
        load_reference_data(data_copy)


def test_broken_json_and_missing_file_are_reported(data_copy: Path) -> None:
    (data_copy / "topics.json").write_text('{"topics": [', encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"topics\.json: invalid JSON at line 1"):
        load_reference_data(data_copy)
    (data_copy / "topics.json").unlink()
    with pytest.raises(ReferenceDataError, match=r"topics\.json: file is missing"):
        load_reference_data(data_copy)


def test_every_topic_has_a_catalogue_label_in_every_language() -> None:
    """Topic labels come from the catalogues (keyed by code); a code the city adds shows its
    German label from the file until a translation is added."""
    from bot.i18n import Translations
    from bot.messages.reference import TOPIC_LABELS, topic_label

    reference = load_reference_data()
    assert {topic.code for topic in reference.topics} <= set(TOPIC_LABELS)
    translations = Translations()
    for language in translations.languages:
        t = translations.get(language)
        for topic in reference.topics:
            assert t.catalog.get(TOPIC_LABELS[topic.code]), (language, topic.code)
    german, english = translations.get("de"), translations.get("en")
    public_space = reference.topic("public_space")
    assert topic_label(german, public_space) == "Öffentlicher Raum"
    assert topic_label(english, public_space) == "Public space"
    added = Topic("playgrounds", "Spielplätze")
    assert topic_label(english, added) == "Spielplätze"


def test_referral_texts_come_from_the_catalogues() -> None:
    """Names and descriptions of the directory read in the reader's language; the catalogue
    holds what the file says, and a key the city adds shows the file's German."""
    from bot.i18n import Translations
    from bot.messages.referrals import DESCRIPTIONS, NAMES, referral_description, referral_name

    reference = load_reference_data()
    assert {r.key for r in reference.referrals} == set(NAMES) == set(DESCRIPTIONS)
    german, english = Translations().get("de"), Translations().get("en")
    for contact in reference.referrals:
        assert referral_name(german, contact) == contact.name_de
        assert referral_description(german, contact) == contact.description_de
        assert referral_name(english, contact) == contact.name_en
        assert referral_description(english, contact) == contact.description_en
    fire = reference.referral("easter_fire")
    added = ReferralContact(**{**fire.__dict__, "key": "new_office", "name_en": None})
    assert referral_name(english, added) == fire.name_de
