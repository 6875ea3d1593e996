"""Charts, PDF, XLSX and CSV of the hand-made dataset; and no personal data in any of them."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import struct
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import cli
from bot.app import open_storage
from bot.i18n import Translations
from bot.messages.report_labels import report_labels
from bot.services.basics.periods import parse_period
from bot.services.basics.reference import ReferenceData
from bot.services.reporting import charts, figures, report_files
from bot.services.reporting.figures import Figures
from bot.services.reporting.labels import ReportLabels
from bot.storage.db import session_scope
from bot.storage.models import Case, CaseEvent, Person
from tests.conftest import BotEnv, make_settings
from tests.test_figures import NOW, TZ, at, compute, seed

PERSONAL = ["Zacharias", "Quxwell", "987654321", "0511 4242 999", "zq.quxwell@example.org",
            "Quxwellweg 17", "Hundegebell", "10-2026-0099"]  # fmt: skip


GERMAN = Translations().get("de")


def german(fig: Figures, reference: ReferenceData) -> ReportLabels:
    """The files in the German UI read as the city's documents always did."""
    return report_labels(GERMAN, fig, reference)


async def figures_of(env: BotEnv, *, plant: bool = False) -> tuple[Figures, ReferenceData]:
    async with session_scope(env.services.session_maker) as session:
        await seed(session)
        if plant:
            await plant_resident(session)
    return await compute(env), env.services.reference


async def plant_resident(session: object) -> None:
    """A resident with everything personal the bot may store, and their concern."""
    person = Person(telegram_id=987654321, first_name="Zacharias", language="de",
                    created_at=at(2026, 4, 20, 9))  # fmt: skip
    session.add(person)  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    case = Case(reference="10-2026-0099", district_number="10", quarter="Linden-Mitte",
                topic="public_space", resident_id=person.id, actor_kind="club",
                actor_name="Freunde von Zacharias Quxwell",
                description="Zacharias Quxwell: Hundegebell jede Nacht im Hof.",
                contact="0511 4242 999, zq.quxwell@example.org", address_text="Quxwellweg 17",
                created_at=at(2026, 4, 20, 9), updated_at=at(2026, 4, 20, 9))  # fmt: skip
    session.add(case)  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    session.add(CaseEvent(case_id=case.id, kind="message", actor_id=person.id,  # type: ignore[attr-defined]
                          actor_role="resident", text="Ich bin Zacharias Quxwell.",
                          created_at=at(2026, 4, 21, 9)))  # fmt: skip


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _streams(data: bytes) -> list[bytes]:
    parts = []
    for match in re.finditer(rb"stream\n(.*?)endstream", data, re.DOTALL):
        try:  # a decompressor object ignores the line break after the data
            parts.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            pass
    return parts


def _literal(raw: bytes) -> bytes:
    """A PDF literal string's bytes, its escapes resolved."""
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    return re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit()
        else escapes.get(m.group(1), m.group(1)),
        raw, flags=re.DOTALL,
    )  # fmt: skip


def _inflate(body: bytes) -> bytes:
    found = re.search(rb"stream\n(.*?)endstream", body, re.DOTALL)
    return zlib.decompressobj().decompress(found.group(1)) if found else b""


def _to_unicode(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap: code -> text (bfrange with arrays, as matplotlib writes them)."""
    table: dict[int, str] = {}
    for first, _, targets in re.findall(rb"<([0-9a-f]+)> <([0-9a-f]+)> \[([^\]]*)\]", cmap):
        for offset, target in enumerate(re.findall(rb"<([0-9a-f]+)>", targets)):
            table[int(first, 16) + offset] = bytes.fromhex(target.decode()).decode("utf-16-be")
    return table


def pdf_words(data: bytes) -> str:
    """The text the PDF shows, one line per text object, read from its own content streams.

    No extractor (pdftotext, pypdf) is installed here. Matplotlib embeds DejaVu Sans as CID
    fonts with two-byte codes and a ToUnicode map per font (ligatures such as "ff" and
    characters beyond Latin-1 get codes of their own), so each string is decoded with the map
    of the font selected by the last `Tf`.
    """
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", data, re.DOTALL)}
    maps = {n: _to_unicode(_inflate(objects[int(m)])) for n, body in objects.items()
            for m in re.findall(rb"/ToUnicode (\d+) 0 R", body)}  # fmt: skip
    fonts = {name: maps.get(int(n), {}) for body in objects.values()
             for name, n in re.findall(rb"/(F\d+) (\d+) 0 R", body)}  # fmt: skip
    lines = []
    for body in objects.values():
        stream = _inflate(body) if b"stream" in body else b""
        for block in re.findall(rb"\bBT\b(.*?)\bET\b", stream, re.DOTALL):
            table: dict[int, str] = {}
            line = []
            for font, raw in re.findall(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)", block):
                if font:
                    table = fonts.get(font, {})
                    continue
                codes = _literal(raw)
                for i in range(0, len(codes) - 1, 2):
                    code = int.from_bytes(codes[i : i + 2], "big")
                    line.append(table.get(code, chr(code)))
            lines.append("".join(line))
    return "\n".join(lines)


def pdf_text(data: bytes) -> bytes:
    """The PDF with every compressed stream inflated, and the text it shows (UTF-8)."""
    return b"\n".join([data, *_streams(data), pdf_words(data).encode()])


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def xlsx_text(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist())


async def test_charts_are_phone_sized_pngs_of_the_figures(env: BotEnv) -> None:
    fig, reference = await figures_of(env)
    month, agreements, districts = charts.report_charts(fig, reference, german(fig, reference))
    for chart in (month, agreements, districts):
        assert png_size(chart.png()) == (1080, 720)
    assert month.categories == ["Apr 26", "Mai 26", "Jun 26"]
    assert month.series == {"Öffentlicher Raum": [1, 2, 2], "Senioren": [1, 0, 1],
                            "Familie": [1, 0, 0], "Bildung": [0, 0, 1]}  # fmt: skip
    # what is drawn: the stacked bars reach the month totals (C1 C2 D1 | C3 D2 | C4 C5 D3 D4)
    ax = month.figure.axes[0]
    tops = [max(bar.get_y() + bar.get_height() for bar in column)
            for column in zip(*ax.containers, strict=True)]  # fmt: skip
    assert tops == [3, 2, 4]
    assert [t.get_text() for t in ax.get_xticklabels()] == month.categories
    assert agreements.categories == ["FB 32", "FB 61", "FB 67"]
    assert agreements.series == {"Pünktlich erledigt": [0, 1, 1], "Verspätet erledigt": [0, 1, 1],
                                 "Offen, überfällig": [2, 0, 0],
                                 "Offen, noch nicht fällig": [0, 0, 0]}  # fmt: skip
    assert districts.categories == ["06 Kirchrode-Bemerode-Wülferode", "10 Linden-Limmer"]
    assert districts.series == {"Einwohner/innen": [3, 3], "Akteure": [1, 1],
                                "Bezirksrat": [0, 1]}  # fmt: skip
    ax = districts.figure.axes[0]
    widths = [max(bar.get_x() + bar.get_width() for bar in row)
              for row in zip(*ax.containers, strict=True)]  # fmt: skip
    assert widths == [4, 5]
    assert {"#0072B2", "#D55E00", "#CC79A7"} <= set(charts.OKABE_ITO)
    assert ax.get_xlabel() == "Anliegen"


async def test_one_district_has_no_comparison_chart(env: BotEnv) -> None:
    fig, reference = await figures_of(env)
    fig.districts = ("10",)
    assert [c.name for c in charts.report_charts(fig, reference, german(fig, reference))] == [
        "anliegen_monate",
        "vereinbarungen_fachbereiche",
    ]


async def test_pdf_has_summary_charts_and_a_page_per_district(env: BotEnv) -> None:
    fig, reference = await figures_of(env)
    name, data = report_files.render("pdf", fig, reference, german(fig, reference))
    assert name == "bezirksbericht_2026-Q2_alle.pdf"
    assert data.startswith(b"%PDF-")
    assert pdf_pages(data) == 1 + 3 + 2
    text = pdf_text(data)
    for expected in ("Bezirksbericht Stadtbezirksmanagement", "Stadtbezirk 06 Kirchrode",
                     "Stadtbezirk 10 Linden-Limmer", "Anliegen pro Monat nach Handlungsfeld",
                     "Vereinbarungen nach Fachbereich", "Anliegen je Stadtbezirk"):  # fmt: skip
        assert expected.encode("cp1252") in text, expected


async def test_xlsx_has_a_sheet_per_table_with_the_figures(env: BotEnv) -> None:
    fig, reference = await figures_of(env)
    _, data = report_files.render("xlsx", fig, reference, german(fig, reference))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Übersicht", "Handlungsfelder", "Monate", "Stadtteile", "Status",
                               "Vereinbarungen", "Konferenzen", "Projekte"]  # fmt: skip
    rows = [list(r) for r in book["Übersicht"].iter_rows(values_only=True)]
    header = rows[0]
    assert [r[0] for r in rows[1:]] == ["06 Kirchrode-Bemerode-Wülferode", "10 Linden-Limmer",
                                        "Gesamt"]  # fmt: skip
    value = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert value["10 Linden-Limmer"]["Anliegen eingegangen"] == 5
    assert value["Gesamt"]["Anliegen eingegangen"] == 9
    assert value["Gesamt"]["Erste Reaktion, Median (AT)"] == 0.5
    assert value["Gesamt"]["Erledigung, 90 % (AT)"] == 8
    assert value["Gesamt"]["Offen: ältestes (AT)"] == 61
    assert value["Gesamt"]["Anteil Lotse"] == pytest.approx(3 / 7)
    assert value["Gesamt"]["Quote pünktlich"] == pytest.approx(1 / 3)
    assert book["Übersicht"].cell(2, header.index("Anteil Lotse") + 1).number_format == "0.0%"
    months = list(book["Monate"].iter_rows(values_only=True))
    assert len(months) == 1 + 4 + 5
    assert ("10 Linden-Limmer", "2026-04", "Familie", 1) in months
    agreements = list(book["Vereinbarungen"].iter_rows(values_only=True))
    assert [r[:2] for r in agreements[1:]] == [("06 Kirchrode-Bemerode-Wülferode", "FB 67"),
                                               ("10 Linden-Limmer", "FB 32"),
                                               ("10 Linden-Limmer", "FB 61")]  # fmt: skip
    assert agreements[3][2:9] == (2, 1, 1, 0, 0, 0, 1)
    conferences = list(book["Konferenzen"].iter_rows(values_only=True))
    assert conferences[1:] == [("06 Kirchrode-Bemerode-Wülferode", 2026, 1, 1, 2, "offen"),
                               ("10 Linden-Limmer", 2026, 2, 0, 2, "erfüllt")]  # fmt: skip
    projects = list(book["Projekte"].iter_rows(values_only=True))
    assert projects[1:] == [("06 Kirchrode-Bemerode-Wülferode", 2026, 0, 1, "nicht erfüllt"),
                            ("10 Linden-Limmer", 2026, 2, 1, "erfüllt")]  # fmt: skip


async def test_csv_holds_every_table_in_long_format(env: BotEnv) -> None:
    fig, reference = await figures_of(env)
    _, data = report_files.render("csv", fig, reference, german(fig, reference))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Tabelle", "Stadtbezirk", "Gruppe", "Merkmal", "Wert"]
    assert ["Übersicht", "10 Linden-Limmer", "", "Anliegen eingegangen", "5"] in rows
    assert ["Übersicht", "Gesamt", "", "Anteil Lotse", "0,4286"] in rows
    assert ["Übersicht", "Gesamt", "", "Erste Reaktion, Median (AT)", "0,5"] in rows
    assert ["Monate", "06 Kirchrode-Bemerode-Wülferode", "2026-06 / Senioren", "Anliegen",
            "1"] in rows  # fmt: skip
    assert ["Vereinbarungen", "10 Linden-Limmer", "FB 32", "davon überfällig", "2"] in rows
    assert {r[0] for r in rows[1:]} == {"Übersicht", "Handlungsfelder", "Monate", "Stadtteile",
                                        "Status", "Vereinbarungen", "Konferenzen",
                                        "Projekte"}  # fmt: skip


async def test_exports_contain_no_personal_data_of_residents(env: BotEnv) -> None:
    fig, reference = await figures_of(env, plant=True)
    assert fig.per_district["10"].received == 6  # the planted concern is counted ...
    streams = {
        "pdf": pdf_text(report_files.render("pdf", fig, reference, german(fig, reference))[1]),
        "xlsx": xlsx_text(report_files.render("xlsx", fig, reference, german(fig, reference))[1]),
        "csv": report_files.render("csv", fig, reference, german(fig, reference))[1],
    }
    streams |= {
        c.name: c.png() for c in charts.report_charts(fig, reference, german(fig, reference))
    }
    for name, data in streams.items():
        if not name.startswith(("anliegen", "vereinbarungen", "bezirke")):
            assert "Linden-Limmer".encode("cp1252") in data, name  # the search does see text
        for secret in PERSONAL:  # ... but nothing personal of it leaves the database
            for encoding in ("utf-8", "cp1252", "utf-16-le"):
                assert secret.encode(encoding) not in data, (name, secret)
    assert not any(secret in repr(fig) for secret in PERSONAL)


def test_cli_writes_the_report_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)

    async def prepare() -> None:
        engine, maker = await open_storage(settings)
        async with session_scope(maker) as session:
            await seed(session)
        await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    out = tmp_path / "out"
    out.mkdir()
    code = cli.main(["report", "--period", "2026-Q2", "--district", "10", "--format", "xlsx",
                     "--output", str(out)])  # fmt: skip
    assert code == 0
    path = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert path == out / "bezirksbericht_2026-Q2_bezirk-10.xlsx"
    book = load_workbook(path)
    overview = list(book["Übersicht"].iter_rows(values_only=True))
    assert [r[0] for r in overview[1:]] == ["10 Linden-Limmer", "Gesamt"]
    assert overview[1][1] == 5
    assert cli.main(["report", "--period", "Sommer", "--format", "csv"]) == 2
    assert datetime.now(TZ).year >= 2026


def test_every_word_of_the_charts_and_files_comes_from_the_message_layer() -> None:
    from bot.messages.report_labels import TEXTS
    from bot.services.reporting.labels import CHART_KEYS

    used = {*CHART_KEYS, *report_files.FILE_KEYS, *(key for key, _, _ in report_files.METRICS)}
    used |= {f"a.{key}" for key in report_files.AGREEMENT_COLUMNS}
    used |= {f"pdf.{key}" for key in report_files.PDF_AGREEMENT_COLUMNS}
    used |= {f"series.{key}" for key in charts.AGREEMENT_SERIES}
    used |= {f"sender.{key}" for key in charts.SENDERS}
    assert used <= set(TEXTS), sorted(used - set(TEXTS))


async def figures_for(env: BotEnv, period: str, districts: list[str]) -> Figures:
    async with session_scope(env.services.session_maker) as session:
        await seed(session)
        when = parse_period(period, now=NOW, tz=TZ)
        return await figures.compute(session, districts=districts, period=when, now=NOW)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", ["Öffentlicher Raum", "Stadtbezirk 06 Kirchrode-Bemerode-Wülferode",
                "0,5 Arbeitstage", "1 Arbeitstag", "50,0\xa0%", "noch keine Antworten",
                "Konferenzen geplant", "zusammengeführt", "weitergeleitet (Lotse)"]),
        ("en", ["Public space", "District 06 Kirchrode-Bemerode-Wülferode", "0.5 working days",
                "1 working day", "50.0%", "no answers yet", "Conferences planned", "merged",
                "referred"]),
    ],
)  # fmt: skip
async def test_pdf_embeds_a_font_subset_and_writes_the_readers_numbers_with_units(
    env: BotEnv, language: str, expected: list[str]
) -> None:
    fig, reference = await figures_of(env)
    labels = report_labels(Translations().get(language), fig, reference)
    _, data = report_files.render("pdf", fig, reference, labels)
    fonts = set(re.findall(rb"/FontName /[A-Z]{6}\+(DejaVuSans[-\w]*)", data))  # subset prefix
    assert fonts == {b"DejaVuSans", b"DejaVuSans-Bold"}
    assert b"/FontFile2" in data and b"Helvetica" not in data
    assert len(data) < 150_000  # a subset: the whole DejaVu Sans alone is 750 kB
    words = pdf_words(data)
    for text in expected:
        assert text in words, text
    # the summary's "Kontakt hat geholfen": 1 of 2 answers; 06 had a Lotse case, no answer
    assert not re.search(r"(?<![\d.,])0[.,]0\s?%", words)


@pytest.mark.parametrize(("language", "written"), [("de", "1.234,5"), ("en", "1,234.5")])
async def test_chart_ticks_are_written_in_the_readers_locale(
    env: BotEnv, language: str, written: str
) -> None:
    fig, reference = await figures_of(env)
    labels = report_labels(Translations().get(language), fig, reference)
    month, agreements, _ = charts.report_charts(fig, reference, labels)
    assert month.figure.axes[0].yaxis.get_major_formatter()(1234.5, 0) == written
    assert agreements.figure.axes[0].xaxis.get_major_formatter()(1234.5, 0) == written
    month.figure.canvas.draw()
    ticks = [t.get_text() for t in month.figure.axes[0].get_yticklabels()]
    assert ticks[:3] == ["0", "1", "2"]


@pytest.mark.parametrize(("language", "no_data"), [("de", "Keine Daten im Zeitraum"),
                                                    ("en", "No data in the period")])  # fmt: skip
async def test_an_empty_period_draws_no_axes_and_says_so(
    env: BotEnv, language: str, no_data: str
) -> None:
    fig = await figures_for(env, "2025-Q1", ["10", "06"])
    reference = env.services.reference
    labels = report_labels(Translations().get(language), fig, reference)
    drawn = charts.report_charts(fig, reference, labels)
    assert len(drawn) == 3 and all(chart.empty for chart in drawn)
    for chart in drawn:
        ax = chart.figure.axes[0]
        assert not ax.axison  # no axis from -0.045 to 0.045
        assert [t.get_text() for t in ax.texts] == [no_data]
        assert not chart.figure.legends
    _, data = report_files.render("pdf", fig, reference, labels)
    words = pdf_words(data)
    assert words.count(no_data) == 3
    assert not re.search(r"0[.,]0\d", words) and "?0" not in words and "\u2212" not in words


async def test_the_one_district_pdf_opens_with_its_page_and_repeats_nothing(env: BotEnv) -> None:
    fig = await figures_for(env, "2026-Q2", ["10"])
    reference = env.services.reference
    _, data = report_files.render("pdf", fig, reference, german(fig, reference))
    assert pdf_pages(data) == 1 + 2  # its page (with the title), the two charts
    words = pdf_words(data)
    assert words.count("Bezirksbericht Stadtbezirksmanagement") == 1
    assert words.count("Anliegen eingegangen") == 1  # the figures once, not twice
    assert "Stadtbezirk 10 Linden-Limmer" in words and "Vereinbarungen nach Fachbereich" in words
    labels = report_labels(Translations().get("en"), fig, reference)
    words = pdf_words(report_files.render("pdf", fig, reference, labels)[1])
    assert words.count("District management report") == 1
    assert words.count("Concerns received") == 1


async def test_the_files_break_the_concerns_down_by_status(env: BotEnv) -> None:
    fig, reference = await figures_of(env)
    _, data = report_files.render("xlsx", fig, reference, german(fig, reference))
    sheet = list(load_workbook(io.BytesIO(data))["Status"].iter_rows(values_only=True))
    assert sheet[0] == ("Stadtbezirk", "Status", "Anliegen")
    assert [row[1:] for row in sheet[1:7]] == [("neu", 0), ("in Bearbeitung", 1),
        ("wartet auf Antwort", 0), ("weitergeleitet (Lotse)", 1), ("erledigt", 1),
        ("zusammengeführt", 1)]  # fmt: skip
    conferences = list(load_workbook(io.BytesIO(data))["Konferenzen"].iter_rows(values_only=True))
    assert conferences[0][:4] == ("Stadtbezirk", "Jahr", "Durchgeführt", "Geplant")
    assert conferences[1][:4] == ("06 Kirchrode-Bemerode-Wülferode", 2026, 1, 1)
    labels = report_labels(Translations().get("en"), fig, reference)
    text = report_files.render("csv", fig, reference, labels)[1].decode("utf-8-sig")
    assert "Status;10 Linden-Limmer;referred;Concerns;2\r\n" in text
    assert "Status;10 Linden-Limmer;new;Concerns;1\r\n" in text
