"""The directory's rules without the chat: channel validation, fuzzy search and its ranking,
what staff type after /netzwerk, and the dialogue's steps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.basics.reference import load_reference_data
from bot.services.network import channels, form, queries
from bot.services.network.channels import InvalidValue
from bot.services.network.entries import EntryData, resident_channels
from bot.services.network.search import DirectoryIndex
from bot.storage.models import NetworkEntry

REFERENCE = load_reference_data()
NOW = datetime(2026, 3, 11, tzinfo=UTC)


def _entry(i: int, name: str, **values: object) -> NetworkEntry:
    fields: dict[str, object] = {
        "districts": ["10"], "quarters": [], "topics": ["public_space"], "keywords": [],
        "visibility": "residents", "resident_channels": [], "kind": "office",
    }  # fmt: skip
    fields.update(values)
    return NetworkEntry(id=i, key=f"k{i}", name=name, created_at=NOW, **fields)


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (channels.phone, "0511 168-0"),
        (channels.phone, "+49 511 1234567"),
        (channels.email, "Ordnungsdienst@hannover-stadt.de"),
        (channels.web, "www.hannover.de/linden"),
        (channels.web, "https://serviceportal.hannover-stadt.de – Dienstleistung „Osterfeuer“"),
        (channels.office_hours, "Di 10–12 Uhr, Do 14:00-16:00"),
        (channels.office_hours, "nach Vereinbarung"),
        (channels.address, "Theodor-Lessing-Platz 1, 30159 Hannover"),
    ],
)
def test_good_channels_are_kept(check: object, value: str) -> None:
    assert callable(check) and check(value)


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (channels.phone, "12345"),
        (channels.phone, "ruf mich an"),
        (channels.email, "linden@example"),
        (channels.web, "hannover"),
        (channels.web, "ftp//x"),
        (channels.office_hours, "immer"),
        (channels.office_hours, "Dienstag"),
        (channels.address, "Linden"),
    ],
)
def test_bad_channels_are_refused_with_their_reason(check: object, value: str) -> None:
    assert callable(check)
    with pytest.raises(InvalidValue):
        check(value)


def test_fuzzy_search_finds_typos_compounds_and_beginnings() -> None:
    index = DirectoryIndex(
        [
            _entry(1, "Spielplatzbüro Linden", keywords=["Schaukel"]),
            _entry(2, "Ordnungsdienst", keywords=["Osterfeuer"]),
            _entry(3, "Quartiersmanagement Mühlenberg", role="Quartiersmanagerin"),
        ]
    )
    assert [h.entry.id for h in index.search("Spielpaltzbuero")] == [1]
    assert [h.entry.id for h in index.search("Osterfeuergenehmigung")] == [2]
    assert [h.entry.id for h in index.search("Quartiersm")] == [3]
    assert index.search("Xylophon") == []


def test_the_cases_topic_and_quarter_come_first() -> None:
    index = DirectoryIndex(
        [
            _entry(1, "Stadtweit", districts=[], topics=["family"]),
            _entry(2, "Linden-Nord", quarters=["Linden-Nord"]),
            _entry(3, "Linden-Süd", quarters=["Linden-Süd"]),
            _entry(4, "Bezirk", topics=["public_space"]),
        ]
    )
    found = index.search(topic="public_space", quarter="Linden-Süd", district="10")
    assert [h.entry.id for h in found] == [3, 2, 4, 1]
    picked = index.search(topic="public_space", district="10", require_topic=True)
    assert 1 not in [h.entry.id for h in picked]


def test_staff_type_words_topic_and_quarter_in_any_order() -> None:
    query = queries.parse(REFERENCE, "Linden-Süd Öffentlicher Raum Spielplatz")
    assert query == queries.Query("spielplatz", "public_space", "Linden-Süd")
    assert queries.parse(REFERENCE, "Familie").topic == "family"
    assert queries.parse(REFERENCE, "").empty


def test_residents_get_marked_channels_and_private_persons_only_with_consent() -> None:
    office = _entry(1, "Amt", phone="0511 1", email="a@b.de", resident_channels=["phone"])
    assert resident_channels(office) == {"phone": "0511 1"}
    person = _entry(2, "Hanna", kind="person", legal_basis="consent", phone="0511 2",
                    resident_channels=["phone"])  # fmt: skip
    assert resident_channels(person) == {}
    person.consent_at = NOW
    assert resident_channels(person) == {"phone": "0511 2"}
    mayor = _entry(3, "Bezirksbürgermeisterin", kind="person", legal_basis="public_office",
                   phone="0511 3", resident_channels=["phone"])  # fmt: skip
    assert resident_channels(mayor) == {"phone": "0511 3"}
    mayor.visibility = "staff"
    assert resident_channels(mayor) == {}


def test_the_dialogue_steps_ask_the_legal_basis_only_for_persons() -> None:
    office, person = EntryData(kind="office"), EntryData(kind="person")
    assert form.next_step("visibility", office) == "notes"
    assert form.next_step("visibility", person) == "basis"
    data = form.typed("where", "Linden-Süd, Limmer", office, REFERENCE, {"10"})
    assert data.districts == ["10"] and data.quarters == ["Linden-Süd", "Limmer"]
    with pytest.raises(InvalidValue) as refused:
        form.typed("where", "Kirchrode", office, REFERENCE, {"10"})
    assert refused.value.reason == "outside"
    assert form.typed("where", "-", office, REFERENCE, None).districts == []  # city-wide
