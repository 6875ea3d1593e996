"""Report benchmark: the figures of one year over all districts, and the whole PDF report.

    .venv/bin/python bench/report_bench.py [--db FILE] [--cases 100000] [--agreements 20000]
        [--year 2025] [--repeat 5] [--keep]

Without --db (or when the file does not exist) a synthetic history is generated first with
bench/synth.py (cases from 2022 to 11 March 2026 over all 13 districts). Prints, asserts
nothing:
- figures: `figures.compute` for the whole year over the 13 districts, in a fresh session
  each run (first run, best, median); the 1 s target applies to the median;
- PDF: figures + charts + every page + PdfPages, i.e. what `bezirksbot report --format pdf`
  does after opening the database; the 5 s target applies to the median;
- for information the XLSX, CSV and the chat's PNG charts;
- memory: the peak of Python allocations during one PDF run (tracemalloc), and the process's
  peak resident set size (ru_maxrss, includes the interpreter, SQLite cache and matplotlib).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.i18n import Translations
from bot.messages.report_labels import report_labels
from bot.services.basics.periods import year as year_period
from bot.services.basics.reference import load_reference_data
from bot.services.reporting import charts, figures, report_files
from bot.services.reporting.labels import ReportLabels
from bot.storage.db import create_engine, create_session_maker, session_scope
from bot.storage.models import Agreement, Case, CaseEvent, Conference, Project

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is a folder, not a package
from synth import generate

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 11, 10, tzinfo=TZ).astimezone(UTC)  # the synthetic history's "now"
FIGURES_TARGET, PDF_TARGET = 1.0, 5.0


async def timed(label: str, runs: int, work: Callable[[], Awaitable[Any]]) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    print(f"  {label:<34} first {times[0]:6.3f} s   best {min(times):6.3f} s   "
          f"median {statistics.median(times):6.3f} s   ({runs} runs)")  # fmt: skip
    return times


async def run(db: Path, year: int, repeat: int) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    maker = create_session_maker(engine)
    reference = load_reference_data()
    districts = [d.number for d in reference.districts]
    period = year_period(year, TZ)
    async with session_scope(maker) as session:
        counts = {model.__tablename__: await session.scalar(
            select(func.count()).select_from(model))
            for model in (Case, CaseEvent, Agreement, Conference, Project)}  # fmt: skip
    print("rows: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    result: dict[str, figures.Figures] = {}

    async def compute() -> None:
        async with session_scope(maker) as session:
            result["fig"] = await figures.compute(session, districts=districts, period=period,
                                                  now=NOW)  # fmt: skip

    german = Translations().get("de")

    def labels() -> ReportLabels:
        return report_labels(german, result["fig"], reference)

    async def pdf() -> None:
        await compute()
        report_files.to_pdf(result["fig"], reference, labels())

    async def only(fmt: str) -> None:
        report_files.render(fmt, result["fig"], reference, labels())

    async def pngs() -> None:
        for chart in charts.report_charts(result["fig"], reference, labels()):
            chart.png()

    print(f"year {year}, {len(districts)} districts, now = {NOW:%Y-%m-%d %H:%M} UTC")
    fig_times = await timed("figures (SQL + working days)", repeat, compute)
    total = result["fig"].total
    print(f"    → {total.received} concerns, {len(total.first_response)} first responses, "
          f"{len(total.resolution)} resolutions, {len(total.backlog_ages)} open, "
          f"{total.agreement_totals()['due']} agreements due")  # fmt: skip
    pdf_times = await timed("whole PDF (figures included)", max(3, repeat // 2), pdf)
    await timed("XLSX (figures given)", 3, lambda: only("xlsx"))
    await timed("CSV (figures given)", 3, lambda: only("csv"))
    await timed("chat charts, 3 PNG (figures given)", 3, pngs)
    tracemalloc.start()
    await pdf()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    data = report_files.to_pdf(result["fig"], reference, labels())
    fonts = sorted({name.decode() for name in re.findall(rb"/FontName /([\w+-]+)", data)})
    pages = 1 + len(charts.report_charts(result["fig"], reference, labels())) + len(districts)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  PDF: {pages} pages, {len(data) / 1e3:.0f} kB; embedded fonts: {', '.join(fonts)}")
    print(f"  memory: Python peak during one PDF run {peak / 1e6:.1f} MB (tracemalloc); "
          f"process peak RSS {rss:.0f} MB (ru_maxrss)")  # fmt: skip
    for label, times, target in (("figures of one year", fig_times, FIGURES_TARGET),
                                 ("whole PDF report", pdf_times, PDF_TARGET)):  # fmt: skip
        value = statistics.median(times)
        verdict = "OK" if value < target else "MISSED"
        print(f"target {label}: median {value:.3f} s < {target:.0f} s: {verdict}")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing synthetic database (bench/synth.py)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--agreements", type=int, default=20_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep a generated database")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    db, temporary = args.db, None
    if db is None or not db.exists():
        if db is None:
            temporary = tempfile.mkdtemp(prefix="report-bench-")
            db = Path(temporary) / "bench.sqlite3"
        began = time.perf_counter()
        asyncio.run(generate(db, cases=args.cases, agreements=args.agreements, first_year=2022,
                             until=NOW))  # fmt: skip
        print(f"generated {args.cases} cases and {args.agreements} agreements in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
    print(f"database {db} ({db.stat().st_size / 1e6:.1f} MB)")
    asyncio.run(run(db, args.year, args.repeat))
    if temporary and not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.rmdir(temporary)
    elif temporary:
        print(f"kept {db}")


if __name__ == "__main__":
    main()
