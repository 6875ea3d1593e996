"""Evaluation report benchmark: a year of 100,000 cases (and the year before, for the
comparisons and the 24-month trends), the whole PDF and DOCX evaluation report.

    .venv/bin/python bench/evaluation_bench.py [--db FILE] [--cases-per-year 100000]
        [--repeat 3] [--keep]

Without --db (or when the file does not exist) a synthetic history for 2025 and 2026 is
generated with bench/synth.py, plus verdicts for about a third of the closed cases. Prints
the figures' computation, PDF and DOCX times (first, best, median) and the machine's echo
baseline (a fixed pure-Python loop) so that runs on a busy machine can be compared by
ratio. The target: PDF (figures included) under 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.i18n import Translations
from bot.messages.evaluation_labels import evaluation_text
from bot.services.basics.periods import parse_period
from bot.services.basics.reference import load_reference_data
from bot.services.reporting import evaluation, evaluation_files
from bot.services.reporting.targets import Targets
from bot.storage.db import create_engine, create_session_maker, session_scope
from bot.storage.models import Case

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is a folder, not a package
from synth import generate

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 10, tzinfo=TZ).astimezone(UTC)
TARGET = 10.0
VERDICTS = """
INSERT INTO verdicts (case_id, district_number, topic, mode, closed_at, asked_at, score,
                      answered_at, quotable)
SELECT id, district_number, topic, mode, closed_at, closed_at,
       CASE WHEN id % 3 = 0 THEN 1 + (id * 7) % 5 END, closed_at, 0
FROM cases WHERE closed_at IS NOT NULL AND status IN ('resolved', 'referred')
"""


def echo_baseline() -> float:
    """A fixed pure-Python loop: how fast this machine is right now."""
    began = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return time.perf_counter() - began


async def timed(label: str, runs: int, work: Callable[[], Awaitable[Any]]) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    print(f"{label:>10}: first {times[0]:.2f} s, best {min(times):.2f} s, "
          f"median {statistics.median(times):.2f} s")  # fmt: skip
    return times


async def run(db: Path, repeat: int) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    maker = create_session_maker(engine)
    reference = load_reference_data()
    period = parse_period("2026", now=NOW, tz=TZ)
    t = Translations("de").get("de")
    async with session_scope(maker) as session:
        cases = await session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.created_at >= period.start_utc, Case.created_at < period.end_utc)
        )
    print(f"cases in 2026: {cases}")

    async def compute() -> evaluation.Evaluation:
        async with session_scope(maker) as session:
            return await evaluation.compute(session, districts=[d.number for d in
                                            reference.districts], period=period, now=NOW,
                                            targets=Targets())  # fmt: skip

    async def pdf() -> None:
        ev = await compute()
        evaluation_files.render("pdf", ev, evaluation_text(t, ev, reference))

    async def docx() -> None:
        ev = await compute()
        evaluation_files.render("docx", ev, evaluation_text(t, ev, reference))

    print(f"echo baseline: {echo_baseline():.2f} s")
    await timed("figures", repeat, compute)
    times = await timed("PDF", repeat, pdf)
    await timed("DOCX", repeat, docx)
    print(f"echo baseline: {echo_baseline():.2f} s")
    verdict = "under" if statistics.median(times) < TARGET else "OVER"
    print(f"PDF median {statistics.median(times):.2f} s: {verdict} the {TARGET:.0f} s target")
    await engine.dispose()


async def prepare(db: Path, per_year: int) -> None:
    until = datetime(2026, 12, 31, 18, tzinfo=TZ).astimezone(UTC)
    began = time.perf_counter()
    await generate(db, cases=2 * per_year, agreements=per_year // 5, first_year=2025, until=until)
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    async with engine.begin() as conn:
        await conn.exec_driver_sql(VERDICTS)
        await conn.exec_driver_sql("ANALYZE")
    await engine.dispose()
    print(f"generated {2 * per_year} cases (2025–2026) in {time.perf_counter() - began:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--cases-per-year", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    folder = None
    db = args.db
    if db is None:
        folder = tempfile.mkdtemp(prefix="evaluation-bench-")
        db = Path(folder) / "bench.sqlite3"
    if not db.exists():
        asyncio.run(prepare(db, args.cases_per_year))
    asyncio.run(run(db, args.repeat))
    if folder is not None and not args.keep:
        for file in Path(folder).iterdir():
            file.unlink()
        Path(folder).rmdir()


if __name__ == "__main__":
    main()
