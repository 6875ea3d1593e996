"""The reminder sweep's due query over 100,000 agreements, beside a full scan of the same table.

    .venv/bin/python bench/sweep_bench.py [--agreements 100000] [--repeat 300] [--keep FILE]

Builds a SQLite file with the real migrations, then 100,000 agreements created over two
years (about 137 a day, due 1–9 weeks later) with their reminder rows as the bot writes
them (`nudge_slots` plus the overdue chain): closed agreements have their reminders sent
or cancelled; open ones keep the future slots pending. Reminders due since 08:00 today
are left pending as a backlog, as after two hours of downtime, so the sweep's page of 200
is full. Prints figures and the query plans; asserts nothing.

Measured in the same run, on the same warm file:
- due query, SQL: the statement of `reminders.due_query(now, 200)`, compiled for SQLite and
  run on a plain sqlite3 connection (fetchall), many times: median and p99;
- due query, ORM: the same through an AsyncSession (aiosqlite, 200 Reminder objects), as
  `reminders.sweep` runs it;
- idle sweep: the same query at 07:59, when nothing is due (the usual case every 30 s);
- full scan: the same statement with `NOT INDEXED`, i.e. without ix_reminders_pending_due.
Target: the due query under 5 ms (median; the p99 shows how noisy the machine was).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import sqlite as sqlite_dialect

from bot.app import open_storage
from bot.config import Settings
from bot.services.agreements.schedule import (
    OVERDUE,
    NudgePolicy,
    nudge_slots,
    overdue_moment,
    reminder_key,
)
from bot.services.messaging import reminders
from bot.storage.db import session_scope

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=TZ)  # Wednesday, 10:00
IDLE = datetime(2026, 3, 11, 7, 59, tzinfo=TZ)
BACKLOG_FROM = datetime(2026, 3, 11, 8, 0, tzinfo=TZ)
LIMIT, TARGET_MS = 200, 5.0
DEPARTMENTS = ("15", "18", "19", "23", "32", "42", "43", "50", "51", "52", "57", "61", "66", "67")
POLICY = NudgePolicy()


def _db_time(moment: datetime) -> str:
    # SQLAlchemy's SQLite DateTime format; UTCDateTime stores UTC without an offset.
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _agreements(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    span = timedelta(days=730)
    start = NOW - span
    for number in range(1, count + 1):
        created = start + span * (number / count) + timedelta(minutes=rng.randint(0, 59))
        created = created.astimezone(TZ)
        due = (created + timedelta(days=rng.randint(7, 63))).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        # Most are done around the due date, a few late; some are cancelled.
        closed = due + timedelta(
            days=rng.choice((-5, -3, -2, -1, 0, 0, 1, 2, 4, 9, 16)), hours=rng.randint(9, 16)
        )
        status = "cancelled" if rng.random() < 0.03 else "done"
        if closed > NOW:
            status, closed = "open", None
        yield {
            "id": number,
            "created": created,
            "due": due,
            "status": status,
            "closed": closed,
            "district": f"{rng.randint(1, 13):02d}",
            "department": rng.choice(DEPARTMENTS),
        }


def _reminder_rows(agreement: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The rows the bot would have written for one agreement, with their state now."""
    aid, due, closed = agreement["id"], agreement["due"], agreement["closed"]
    slots = list(nudge_slots(due, agreement["created"], tz=TZ, policy=POLICY))
    n = 1
    while True:  # the overdue chain: each rendered link scheduled the next
        moment = overdue_moment(due, n, tz=TZ, policy=POLICY)
        if n > 1:
            slots.append((OVERDUE, str(n), moment))
        if moment > (closed or NOW):
            break
        n += 1
    day = due.date().isoformat()
    for kind, slot, moment in slots:
        if closed is not None and moment > closed:
            sent, cancelled = None, closed
        elif moment <= NOW and not (moment >= BACKLOG_FROM and closed is None):
            sent, cancelled = moment, None
        else:
            sent, cancelled = None, None
        data = json.dumps({"agreement_id": aid, "due": day, "slot": slot})
        yield (
            reminder_key(aid, due.date(), kind, slot),
            kind,
            _db_time(moment),
            aid,
            data,
            _db_time(agreement["created"]),
            sent and _db_time(sent),
            cancelled and _db_time(cancelled),
        )


def build(path: Path, count: int) -> dict[str, int]:
    asyncio.run(_migrate(path))
    rng = random.Random(20260311)
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute(
        "INSERT INTO persons (id, telegram_id, first_name, created_at) "
        "VALUES (1, 1, 'Manager', ?)",
        (_db_time(NOW),),
    )
    agreement_rows, reminder_rows = [], []
    for agreement in _agreements(count, rng):
        agreement_rows.append(
            (
                agreement["id"],
                agreement["district"],
                agreement["department"],
                f"Measure {agreement['id']}",
                _db_time(agreement["due"]),
                agreement["status"],
                0,
                1,
                _db_time(agreement["created"]),
                _db_time(agreement["closed"] or NOW),
                agreement["closed"] and _db_time(agreement["closed"]),
            )
        )
        reminder_rows.extend(_reminder_rows(agreement))
    with db:
        db.executemany(
            "INSERT INTO agreements (id, district_number, department_number, measure, due_at, "
            "status, escalation_level, created_by_id, created_at, updated_at, confirmed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            agreement_rows,
        )
        db.executemany(
            "INSERT INTO reminders (key, kind, due_at, agreement_id, data, created_at, sent_at, "
            "cancelled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            reminder_rows,
        )
    counts = {
        "agreements": count,
        "open agreements": db.execute(
            "SELECT count(*) FROM agreements WHERE status = 'open'"
        ).fetchone()[0],
        "reminders": len(reminder_rows),
        "pending": db.execute(
            "SELECT count(*) FROM reminders WHERE sent_at IS NULL AND cancelled_at IS NULL"
        ).fetchone()[0],
        "pending and due now": db.execute(
            "SELECT count(*) FROM reminders WHERE sent_at IS NULL AND cancelled_at IS NULL "
            "AND due_at <= ?",
            (_db_time(NOW),),
        ).fetchone()[0],
    }
    db.close()
    return counts


async def _migrate(path: Path) -> None:
    engine, _ = await open_storage(_settings(path))
    await engine.dispose()


def _settings(path: Path) -> Settings:
    return Settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{path}", telegram_bot_token=None
    )


def compiled_due_query(now: datetime) -> tuple[str, list[Any]]:
    """The SQL and parameters SQLAlchemy sends for `reminders.due_query(now, LIMIT)`."""
    dialect = sqlite_dialect.dialect(paramstyle="qmark")
    compiled = reminders.due_query(now, LIMIT).compile(dialect=dialect)
    params = compiled.construct_params()
    values = []
    for name in compiled.positiontup or ():
        process = compiled.binds[name].type.bind_processor(dialect)
        values.append(process(params[name]) if process else params[name])
    return str(compiled), values


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    result = run()  # warm-up, and the result to report
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return statistics.median(samples), p99, result


async def time_orm(path: Path, now: datetime, repeat: int) -> tuple[float, float, int]:
    engine, maker = await open_storage(_settings(path))
    samples, rows = [], 0
    try:
        for index in range(repeat + 1):
            async with session_scope(maker) as session:
                started = time.perf_counter()
                rows = len(list(await session.scalars(reminders.due_query(now, LIMIT))))
                elapsed = (time.perf_counter() - started) * 1000
                await session.rollback()  # read only: nothing is marked sent
            if index:
                samples.append(elapsed)
    finally:
        await engine.dispose()
    samples.sort()
    return statistics.median(samples), samples[round(0.99 * (len(samples) - 1))], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="build (or reuse) this file and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "sweep_bench.sqlite3"
        started = time.perf_counter()
        if args.keep and path.exists():
            print(f"reusing {path} ({path.stat().st_size / 1e6:.0f} MB)")
        else:
            counts = build(path, args.agreements)
            print(
                f"built {path.name} in {time.perf_counter() - started:.1f} s, "
                f"{path.stat().st_size / 1e6:.0f} MB: "
                + ", ".join(f"{name} {value:,}" for name, value in counts.items())
            )

        sql, params = compiled_due_query(NOW)
        scan_sql = sql.replace("FROM reminders", "FROM reminders NOT INDEXED", 1)
        idle_sql, idle_params = compiled_due_query(IDLE)
        db = sqlite3.connect(path)
        print(
            "\nEXPLAIN QUERY PLAN, due query:\n  "
            + "\n  ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params))
        )
        print(
            "EXPLAIN QUERY PLAN, full scan:\n  "
            + "\n  ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + scan_sql, params))
        )

        rows: list[tuple[str, float, float, object]] = []
        for label, statement, values, repeat in (
            ("due query, SQL (sqlite3)", sql, params, args.repeat),
            ("idle sweep at 07:59, SQL", idle_sql, idle_params, args.repeat),
            ("full scan (NOT INDEXED), SQL", scan_sql, params, max(20, args.repeat // 5)),
        ):
            median, p99, result = timed(
                lambda s=statement, v=values: db.execute(s, v).fetchall(), repeat
            )
            rows.append((label, median, p99, len(result)))  # type: ignore[arg-type]
        db.close()
        median, p99, count = asyncio.run(time_orm(path, NOW, args.repeat))
        rows.insert(1, ("due query, ORM (AsyncSession)", median, p99, count))

        header = f"{'query':<34}{'median ms':>10}{'p99 ms':>10}{'rows':>7}"
        print(f"\n{header}  target < {TARGET_MS} ms")
        for label, median, p99, count in rows:
            # judged by the median; a p99 far above it is the machine, not the query
            verdict = "" if "full scan" in label else ("ok" if median < TARGET_MS else "SLOW")
            print(f"{label:<34}{median:>10.3f}{p99:>10.3f}{count:>7}  {verdict}")
        print(f"\nSQL: {sql}")
        print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
