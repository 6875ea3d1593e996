"""A realistic synthetic history for the report benchmark, in a fresh SQLite file.

    .venv/bin/python bench/synth.py [--cases 100000] [--agreements 20000] [--from-year 2022]
        [--until 2026-03-11] [--out data/bench.sqlite3] [--seed 7]

The schema comes from the real migrations; rows go in with Core executemany in chunks.
All 13 districts (weighted roughly by population), the fields of action, residents /
actors / district council, Lotse and Kümmerer with answers, reopenings, first responses and
resolutions in working days (Lower Saxony holidays), agreements of the conference
departments (on time, late, overdue, escalated, cancelled), conferences and projects. Texts
are placeholders; no person rows (the figures never read them).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.basics.reference import ReferenceData, load_reference_data
from bot.services.basics.workdays import add_working_days
from bot.storage import migrate
from bot.storage.db import create_engine
from bot.storage.models import (
    Agreement,
    Case,
    CaseEvent,
    Conference,
    Project,
)

TZ = ZoneInfo("Europe/Berlin")
CHUNK = 10_000
# residents of the districts in thousands (rounded), as weights
WEIGHTS = {"01": 37, "02": 45, "03": 28, "04": 57, "05": 34, "06": 41, "07": 26, "08": 44,
           "09": 51, "10": 46, "11": 17, "12": 32, "13": 30}  # fmt: skip
TOPIC_WEIGHTS = (8, 6, 9, 7, 30, 12, 8, 9, 5, 3, 3)


class Synth:
    def __init__(self, reference: ReferenceData, rng: random.Random, until: datetime) -> None:
        self.ref, self.rng, self.until = reference, rng, until
        self.districts = [d.number for d in reference.districts]
        self.weights = [WEIGHTS.get(d, 30) for d in self.districts]
        self.topics = [t.code for t in reference.topics]
        self.topic_weights = [TOPIC_WEIGHTS[i % len(TOPIC_WEIGHTS)]
                              for i in range(len(self.topics))]  # fmt: skip
        self.departments = [d.number for d in reference.departments]
        self._workdays: dict[tuple[date, int], date] = {}
        self._counters: dict[tuple[str, int], int] = defaultdict(int)

    def moment(self, start: datetime, end: datetime) -> datetime:
        return start + timedelta(seconds=self.rng.uniform(0, (end - start).total_seconds()))

    def later(self, moment: datetime, working_days: int) -> datetime:
        """A time of day in office hours, ``working_days`` after ``moment``'s local day."""
        day = moment.astimezone(TZ).date()
        key = (day, working_days)
        if key not in self._workdays:
            self._workdays[key] = add_working_days(day, working_days)
        target = self._workdays[key]
        local = datetime(target.year, target.month, target.day, self.rng.randint(8, 17),
                         self.rng.randint(0, 59), tzinfo=TZ)  # fmt: skip
        result = local.astimezone(UTC)
        return max(result, moment + timedelta(minutes=5))

    def case(self, i: int, start: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        d = rng.choices(self.districts, self.weights)[0]
        created = self.moment(start, self.until)
        year = created.astimezone(TZ).year
        self._counters[(d, year)] += 1
        quarters = self.ref.district(d).quarters
        row: dict[str, Any] = {
            "reference": f"{d}-{year}-{self._counters[(d, year)]:04d}",
            "district_number": d, "quarter": rng.choice(quarters) if rng.random() > 0.1 else None,
            "topic": rng.choices(self.topics, self.topic_weights)[0],
            "description": f"Synthetisches Anliegen {i}", "contact": None,
            "actor_kind": rng.choices([None, "club", "initiative", "other", "council"],
                                      [82, 5, 4, 3, 6])[0],
            "language": "de", "status": "new", "mode": None, "priority": 0,
            "created_at": created, "updated_at": created, "first_response_at": None,
            "closed_at": None, "referral_helped": None, "settled": None,
        }  # fmt: skip
        events = [{"kind": "submitted", "created_at": created, "actor_role": "resident"}]
        delay = rng.choices([0, 1, 2, 3, 4, 6, 9], [40, 25, 14, 8, 6, 4, 3])[0]
        answered = self.later(created, delay)
        if answered > self.until:
            return row, events  # not triaged yet
        roll = rng.random()
        row["first_response_at"], row["updated_at"] = answered, answered
        if roll < 0.07:
            row.update(status="merged", closed_at=answered)
        elif roll < 0.62:
            row.update(status="referred", mode="lotse", closed_at=answered)
            if rng.random() < 0.6:
                row["referral_helped"] = rng.random() < 0.78
        else:
            row.update(status="in_progress", mode="kuemmerer")
            effort = rng.choices([1, 3, 5, 10, 20, 40], [15, 25, 25, 20, 10, 5])[0]
            done = self.later(answered, effort)
            if done <= self.until and rng.random() > 0.01:  # 1 % get stuck for good
                row.update(status="resolved", closed_at=done, updated_at=done)
                if rng.random() < 0.5:
                    row["settled"] = rng.random() < 0.85
            elif rng.random() < 0.2:
                row["status"] = "waiting"
        if row["closed_at"] is not None and rng.random() < 0.04:
            reopened = row["closed_at"] + timedelta(days=rng.randint(1, 10))
            if reopened < self.until:
                events.append({"kind": "reopened", "created_at": reopened,
                               "actor_role": "resident"})  # fmt: skip
        return row, events

    def agreement(self, i: int, start: datetime) -> dict[str, Any]:
        rng = self.rng
        due = self.moment(start, self.until + timedelta(days=180))
        due = datetime.combine(due.astimezone(TZ).date(), datetime.min.time(), TZ).astimezone(UTC)
        created = due - timedelta(days=rng.randint(10, 90))
        row: dict[str, Any] = {
            "district_number": rng.choices(self.districts, self.weights)[0],
            "department_number": rng.choice(self.departments), "measure": f"Maßnahme {i}",
            "topic": rng.choice(self.topics), "due_at": due, "status": "open",
            "escalation_level": 0, "created_at": created, "updated_at": created,
            "done_at": None, "confirmed_at": None,
        }  # fmt: skip
        roll = rng.random()
        if roll < 0.05:
            row["status"] = "cancelled"
        elif roll < 0.8:
            done = self.later(due, rng.choice([-8, -3, -1, 0, 0, 0, 2, 6])) if rng.random() > 0.3 \
                else due - timedelta(days=rng.randint(1, 20))  # fmt: skip
            if done < self.until:
                confirmed = rng.random() < 0.9
                row.update(
                    status="done" if confirmed else "done_reported",
                    done_at=done,
                    confirmed_at=done + timedelta(days=1) if confirmed else None,
                )
        if row["status"] == "open" and due < self.until:
            row["status"] = rng.choice(["open", "open", "problem", "extension_requested"])
            overdue_days = (self.until - due).days
            row["escalation_level"] = 2 if overdue_days > 20 else 1 if overdue_days > 7 else 0
        return row

    def conferences_and_projects(self, first_year: int) -> tuple[list[dict[str, Any]], ...]:
        conferences, projects, rng = [], [], self.rng
        for year in range(first_year, self.until.year + 1):
            for d in self.districts:
                for month in rng.sample([3, 5, 9, 11], rng.choice([1, 2, 2, 2, 3])):
                    starts = datetime(year, month, rng.randint(1, 28), 10, tzinfo=TZ)
                    held = starts < self.until and rng.random() < 0.9
                    conferences.append({
                        "district_number": d, "kind": "conference", "starts_at": starts,
                        "status": "held" if held else "planned" if starts > self.until
                        else "cancelled", "held_at": starts if held else None,
                        "created_at": starts - timedelta(days=30),
                    })  # fmt: skip
                for n in range(rng.choice([0, 1, 1, 2, 3])):
                    made = datetime(year, 1, 15, tzinfo=TZ)
                    projects.append({
                        "district_number": d, "year": year, "title": f"Projekt {d}-{year}-{n}",
                        "topic": rng.choice(self.topics), "status": "done",
                        "created_at": made, "updated_at": made,
                    })  # fmt: skip
        return conferences, projects


async def generate(out: Path, *, cases: int, agreements: int, first_year: int, until: datetime,
                   seed: int = 7) -> dict[str, int]:  # fmt: skip
    """Fill a new (absent or empty) SQLite file; returns the row counts."""
    engine = create_engine(f"sqlite+aiosqlite:///{out}")
    await migrate.upgrade(engine)
    synth = Synth(load_reference_data(), random.Random(seed), until)
    start = datetime(first_year, 1, 1, tzinfo=TZ).astimezone(UTC)
    try:
        async with engine.begin() as conn:
            for offset in range(0, cases, CHUNK):
                made = [synth.case(i, start) for i in range(offset, min(cases, offset + CHUNK))]
                await conn.execute(Case.__table__.insert(), [row for row, _ in made])
                first_id = offset + 1  # fresh table: ids are 1, 2, ... in insertion order
                events = [dict(e, case_id=first_id + n) for n, (_, evs) in enumerate(made)
                          for e in evs]  # fmt: skip
                await conn.execute(CaseEvent.__table__.insert(), events)
            rows = [synth.agreement(i, start) for i in range(agreements)]
            for offset in range(0, len(rows), CHUNK):
                await conn.execute(Agreement.__table__.insert(), rows[offset : offset + CHUNK])
            conferences, projects = synth.conferences_and_projects(first_year)
            await conn.execute(Conference.__table__.insert(), conferences)
            await conn.execute(Project.__table__.insert(), projects)
            await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()
    return {"cases": cases, "agreements": agreements, "conferences": len(conferences),
            "projects": len(projects)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--agreements", type=int, default=20_000)
    parser.add_argument("--from-year", type=int, default=2022)
    parser.add_argument("--until", default="2026-03-11", help="the history's 'now' (local date)")
    parser.add_argument("--out", type=Path, default=Path("data/bench.sqlite3"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    until = datetime.combine(date.fromisoformat(args.until), datetime.min.time(), TZ)
    until = (until + timedelta(hours=10)).astimezone(UTC)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.out}{suffix}").unlink(missing_ok=True)
    began = time.perf_counter()
    counts = asyncio.run(
        generate(
            args.out,
            cases=args.cases,
            agreements=args.agreements,
            first_year=args.from_year,
            until=until,
            seed=args.seed,
        )
    )
    took = time.perf_counter() - began
    print(f"{args.out}: " + ", ".join(f"{v} {k}" for k, v in counts.items())
          + f" in {took:.1f} s ({args.out.stat().st_size / 1e6:.1f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
