"""The evaluation report on a hand-made dataset: key figures and targets met or missed
exactly, the change against the previous period, the generated sentences, the 13 districts
on the overview page, and no personal data in any byte of the PDF or DOCX."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import cli
from bot.app import open_storage
from bot.i18n import Translations
from bot.messages.evaluation import summary_sentences
from bot.messages.evaluation_labels import evaluation_text
from bot.services.basics.periods import parse_period
from bot.services.reporting import evaluation, evaluation_files
from bot.services.reporting.evaluation_measures import key_figures, overview
from bot.services.reporting.targets import Targets
from bot.storage.db import session_scope
from bot.storage.models import Agreement, Case, Conference, Person, Verdict
from tests.conftest import BotEnv, make_settings
from tests.test_report_files import pdf_text, pdf_words

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 10, tzinfo=TZ)
GERMAN = Translations().get("de")
ENGLISH = Translations().get("en")
PERSONAL = ["Zacharias", "Quxwell", "987654321", "Quxwellweg 17", "10-2026-0001",
            "Frau Müller war nett"]  # fmt: skip
QUOTE = "Schnelle und freundliche Hilfe"


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=TZ)


async def seed(session: Any) -> None:
    """2026: 10 concerns in Linden-Limmer (9 answered the same day, one after five working
    days; 6 Kümmerer, 4 Lotse), 5 agreements (4 on time, 1 late), 2 conferences there and 1
    in Kirchrode, 3 verdicts (5, 4, 3). 2025: 5 concerns (4 in time), 2 agreements (1 on time),
    2 of them in November (the previous quarter of 2026-Q1)."""
    person = Person(telegram_id=987654321, first_name="Zacharias", language="de",
                    created_at=at(2025, 1, 2))  # fmt: skip
    session.add(person)
    await session.flush()
    monday = at(2026, 3, 2)
    for i in range(10):
        case = Case(reference=f"10-2026-{i + 1:04d}", district_number="10", topic="public_space",
                    description="Lärm an der Quxwellweg 17", contact="987654321",
                    resident_id=person.id, status="resolved",
                    mode="kuemmerer" if i < 6 else "lotse", created_at=monday,
                    updated_at=monday,
                    first_response_at=monday + timedelta(days=7 if i == 0 else 0),
                    closed_at=monday + timedelta(days=8))  # fmt: skip
        session.add(case)
        await session.flush()
        if i < 3:
            session.add(Verdict(case_id=case.id, district_number="10", topic="public_space",
                                mode=case.mode, closed_at=case.closed_at,
                                asked_at=case.closed_at, answered_at=case.closed_at,
                                score=5 - i, reason=[QUOTE, "Frau Müller war nett", None][i],
                                quotable=i == 0))  # fmt: skip
    for i, (day, late) in enumerate([(at(2025, 3, 3), True)] + [(at(2025, 3, 3), False)] * 2
                                    + [(at(2025, 11, 3), False)] * 2):  # fmt: skip
        session.add(Case(reference=f"10-2025-{i + 1:04d}", district_number="10",
                         topic="public_space", status="resolved", mode="kuemmerer",
                         created_at=day, updated_at=day,
                         first_response_at=day + timedelta(days=6 if late else 1)))  # fmt: skip
    for i, (due, done) in enumerate(
        [(at(2026, 4, 15), at(2026, 4, 14))] * 4 + [(at(2026, 4, 15), at(2026, 4, 20))]
        + [(at(2025, 4, 15), at(2025, 4, 15)), (at(2025, 4, 15), at(2025, 5, 2))]
    ):  # fmt: skip
        session.add(Agreement(district_number="10", department_number="61",
                              measure=f"Maßnahme {i}", due_at=due, status="done", done_at=done,
                              created_at=due - timedelta(days=30), updated_at=done))  # fmt: skip
    for d, day in (("10", at(2026, 3, 10)), ("10", at(2026, 9, 10)), ("06", at(2026, 5, 5))):
        session.add(Conference(district_number=d, kind="conference", starts_at=day,
                               status="held", held_at=day, created_at=day))  # fmt: skip


async def _evaluate(env: BotEnv, key: str = "2026") -> evaluation.Evaluation:
    async with session_scope(env.services.session_maker) as session:
        await seed(session)
    async with session_scope(env.services.session_maker) as session:
        period = parse_period(key, now=NOW, tz=TZ)
        districts = [d.number for d in env.services.reference.districts]
        return await evaluation.compute(
            session, districts=districts, period=period, now=NOW, targets=Targets()
        )


async def test_targets_met_and_missed_exactly(env: BotEnv) -> None:
    ev = await _evaluate(env)
    found = {f.key: f for f in key_figures(ev)}
    assert (found["cases"].value, found["cases"].previous) == (10, 5)
    assert found["cases"].change(found["cases"].previous) == 1.0  # +100 %
    assert found["kuemmerer"].value == 0.6 and found["kuemmerer"].assessment is None
    first = found["first_response"]
    assert (first.value, first.year_before, first.target, first.assessment) == (
        0.9, 0.8, 0.9, "met")  # fmt: skip
    assert (first.part, first.whole) == (9, 10)
    kept = found["kept"]
    assert (kept.value, kept.previous, kept.assessment) == (0.8, 0.5, "met")
    conferences = found["conferences"]
    assert (conferences.part, conferences.whole, conferences.assessment) == (1, 13, "missed")
    satisfaction = found["satisfaction"]
    assert (satisfaction.value, satisfaction.previous, satisfaction.assessment) == (
        4.0, None, "met")  # fmt: skip
    assert ev.verdicts.by_score == {5: 1, 4: 1, 3: 1} and ev.verdicts.reasons == 2
    assert ev.verdicts.quotes == [QUOTE]  # the unquotable sentence is only counted

    stricter = Targets(first_response_share=0.95, satisfaction=4.5, kept_share=0.81)
    ev = evaluation.Evaluation(**{**ev.__dict__, "targets": stricter})
    found = {f.key: f for f in key_figures(ev)}
    assert [found[k].assessment for k in ("first_response", "kept", "satisfaction")] == [
        "missed", "missed", "missed"]  # fmt: skip


async def test_trend_against_the_previous_quarter(env: BotEnv) -> None:
    ev = await _evaluate(env, "2026-Q1")
    assert ev.previous.key == "2025-Q4" and ev.year_before.key == "2025-Q1"
    found = {f.key: f for f in key_figures(ev)}
    assert (found["cases"].value, found["cases"].previous, found["cases"].year_before) == (
        10, 2, 3)  # fmt: skip
    assert found["cases"].change(found["cases"].previous) == 4.0
    assert found["first_response"].previous == 1.0
    assert found["first_response"].year_before == 2 / 3
    assert len(ev.series) == 24 and ev.series[0] == "2024-04" and ev.series[-1] == "2026-03"
    rows = evaluation_text(GERMAN, ev, env.services.reference).tables["key"]
    cases_row = rows[1]
    assert cases_row[:2] == ["Anliegen eingegangen", "10"]
    assert cases_row[4:] == ["2", "+400\xa0%", "3", "+233\xa0%"]
    first_row = rows[3]
    assert first_row[1:6] == ["90\xa0%", "90\xa0%", "erfüllt", "100\xa0%", "−10 Pp."]


async def test_the_sentences_match_the_figures_in_german_and_english(env: BotEnv) -> None:
    ev = await _evaluate(env)
    german = summary_sentences(GERMAN, ev)
    assert german[0] == (
        "Im Zeitraum 2026 erreichten 10 Anliegen das Stadtbezirksmanagement (Vorjahr 5)."
    )
    assert (
        "Die erste Reaktion kam in 90\xa0% der Fälle innerhalb von 2 Arbeitstagen "
        "(Ziel 90\xa0%, Vorjahr 80\xa0%). Ziel erreicht."
    ) in german
    assert (
        "Die Fachbereiche hielten 80\xa0% der fälligen Vereinbarungen pünktlich ein "
        "(Ziel 80\xa0%, Vorjahr 50\xa0%). Ziel erreicht."
    ) in german
    assert (
        "In 1 von 13 Bezirken fanden mindestens 2 Stadtbezirkskonferenzen statt "
        "(Ziel: alle Bezirke, Vorjahr 0). Ziel verfehlt."
    ) in german
    assert (
        "Die Einwohnerinnen und Einwohner bewerteten die Bearbeitung ihrer Anliegen im Schnitt "
        "mit 4,0 auf einer Skala von 1 bis 5 (3 Antworten; Ziel 4,0, Vorjahr –). Ziel erreicht."
    ) in german
    assert german[-1] == "3 von 4 Zielen wurden erreicht."
    english = summary_sentences(ENGLISH, ev)
    assert (
        "The first response came within 2 working days in 90% of the cases "
        "(target 90%, previous year 80%). Target met."
    ) in english


async def test_pdf_overview_shows_all_13_districts_and_no_personal_data(env: BotEnv) -> None:
    ev = await _evaluate(env)
    reference = env.services.reference
    text = evaluation_text(GERMAN, ev, reference)
    name, data = evaluation_files.render("pdf", ev, text)
    assert name == "evaluation_2026_alle.pdf" and data.startswith(b"%PDF-")
    words = pdf_words(data)
    pages = words.split("Die Stadtbezirke im Vergleich")
    assert len(pages) >= 2  # the overview page's title
    for district in reference.districts:
        assert f"{district.number} {district.name}" in words
    rows = overview(ev)
    assert len(rows) == 13 and rows[0].district == "01"
    # Linden-Limmer's ten concerns stand out among twelve districts without any
    marked = {r.district: r.outliers for r in rows if r.outliers}
    assert marked == {"06": {"conferences_held": "high"},
                      "10": {"cases": "high", "conferences_held": "high"}}  # fmt: skip
    assert "10 Linden-Limmer" in words and "10 ▲" in words
    assert "Zusammenfassung" in words and "Ziel erreicht." in words
    assert QUOTE in words
    everything = pdf_text(data)
    for secret in PERSONAL:
        assert secret.encode() not in everything, secret
        assert secret not in words, secret


async def test_docx_has_text_alternatives_and_no_personal_data(env: BotEnv) -> None:
    ev = await _evaluate(env)
    text = evaluation_text(GERMAN, ev, env.services.reference)
    name, data = evaluation_files.render("docx", ev, text)
    assert name == "evaluation_2026_alle.docx"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = b"\n".join(archive.read(n) for n in archive.namelist()).decode("utf-8", "ignore")
    assert xml.count('descr="') == 3  # every chart has its text alternative
    assert 'descr="Balkendiagramme, eines je Kennzahl' in xml
    assert 'descr="Liniendiagramme der monatlichen Kennzahlen' in xml
    assert 'descr="Balkendiagramm der Antworten nach Bewertung (1 bis 5): 1: 0, 2: 0, 3: 1' in xml
    assert "Die erste Reaktion kam in 90" in xml
    for district in env.services.reference.districts:
        assert district.name in xml
    for secret in PERSONAL:
        assert secret not in xml, secret


async def test_conferences_and_projects_against_the_concepts_rules(env: BotEnv) -> None:
    ev = await _evaluate(env)
    rows = evaluation_text(GERMAN, ev, env.services.reference).tables["conferences"]
    by_district = {row[0]: row[1:] for row in rows[1:]}
    assert by_district["10 Linden-Limmer"] == ["2", "2", "erfüllt", "0", "1", "verfehlt"]
    assert by_district["06 Kirchrode-Bemerode-Wülferode"][:3] == ["1", "2", "verfehlt"]


def test_every_word_of_the_evaluation_files_comes_from_the_message_layer() -> None:
    from bot.messages.evaluation_labels import TEXTS
    from bot.services.reporting.evaluation_text import TEXT_KEYS

    assert set(TEXT_KEYS) <= set(TEXTS)


def test_cli_writes_the_evaluation_as_pdf_and_docx(
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
    for fmt in ("pdf", "docx"):
        code = cli.main(["report", "--kind", "evaluation", "--period", "2026", "--since", "2025",
                         "--format", fmt, "--output", str(tmp_path)])  # fmt: skip
        assert code == 0
        path = Path(capsys.readouterr().out.strip().splitlines()[-1])
        assert path == tmp_path / f"evaluation_2026_alle.{fmt}"
        data = path.read_bytes()
        assert data.startswith(b"%PDF-" if fmt == "pdf" else b"PK")
    words = pdf_words((tmp_path / "evaluation_2026_alle.pdf").read_bytes())
    assert "Die erste Reaktion kam in 90" in words  # the default language: German
    assert "Jan 25" in words  # the trends start at --since
    args = ["report", "--kind", "evaluation", "--format", "pdf", "--period"]
    assert cli.main([*args, "1.3.2026 - 15.3.2026"]) == 2  # not whole months
    assert cli.main(["report", "--period", "2026", "--format", "docx"]) == 2
    assert cli.main([*args, "2026", "--district", "99"]) == 2
