"""What the evaluation report says about the counts: the key figures with their targets,
the previous period and the year before; the districts side by side with outliers; the
monthly series. Pure functions of an `Evaluation` (no database, no words)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from bot.services.basics.periods import Period
from bot.services.reporting.evaluation import Evaluation, MonthRow, month_keys
from bot.services.reporting.figures import share
from bot.services.reporting.targets import assess

# key, kind: "n" a count, "share" 0..1, "score" 1–5
KEYS = ("cases", "kuemmerer", "first_response", "kept", "conferences", "satisfaction", "helped")
KINDS = {"cases": "n", "kuemmerer": "share", "first_response": "share", "kept": "share",
         "conferences": "share", "satisfaction": "score", "helped": "share"}  # fmt: skip
OVERVIEW = ("cases", "kuemmerer", "first_response", "satisfaction", "kept", "conferences_held")


def _avg(total: int, n: int) -> float | None:
    return total / n if n else None


ROW_MEASURES: dict[str, Callable[[MonthRow], float | None]] = {
    "cases": lambda r: float(r.received),
    "kuemmerer": lambda r: share(r.kuemmerer, r.lotse + r.kuemmerer),
    "first_response": lambda r: share(r.in_time, r.judged),
    "kept": lambda r: share(r.on_time, r.on_time + r.late + r.overdue),
    "satisfaction": lambda r: _avg(r.score_sum, r.answers),
    "helped": lambda r: share(r.helped_yes, r.helped_yes + r.helped_no),
    "conferences_held": lambda r: float(r.conferences),
}


def conferences_needed(ev: Evaluation, period: Period) -> int:
    """Conferences a district must hold in ``period``: the yearly target, pro rata."""
    return math.ceil(ev.targets.conferences_per_year * len(period.months()) / 12)


def districts_meeting(ev: Evaluation, period: Period) -> tuple[int, int]:
    """(districts that held enough conferences in ``period``, districts)."""
    needed = conferences_needed(ev, period)
    met = sum(ev.total(period, (d,)).conferences >= needed for d in ev.districts)
    return met, len(ev.districts)


def value(ev: Evaluation, key: str, period: Period) -> float | None:
    """A key figure of all districts in ``period``."""
    if key == "conferences":
        met, n = districts_meeting(ev, period)
        return share(met, n)
    return ROW_MEASURES[key](ev.total(period))


def target(ev: Evaluation, key: str) -> float | None:
    t = ev.targets
    return {"first_response": t.first_response_share, "kept": t.kept_share,
            "conferences": 1.0, "satisfaction": t.satisfaction}.get(key)  # fmt: skip


@dataclass(frozen=True)
class KeyFigure:
    key: str
    kind: str
    value: float | None
    previous: float | None
    year_before: float | None
    target: float | None
    assessment: str | None  # met / missed / None
    # counts behind a share or average (for the sentences): part and whole of this period
    part: int = 0
    whole: int = 0

    def change(self, other: float | None) -> float | None:
        """Change against ``other``: percentage points (shares), points (score), or the
        relative change of a count."""
        if self.value is None or other is None:
            return None
        if self.kind == "n":
            return (self.value - other) / other if other else None
        return self.value - other


def _counts(ev: Evaluation, key: str) -> tuple[int, int]:
    r = ev.total(ev.period)
    return {
        "cases": (r.received, r.received),
        "kuemmerer": (r.kuemmerer, r.lotse + r.kuemmerer),
        "first_response": (r.in_time, r.judged),
        "kept": (r.on_time, r.on_time + r.late + r.overdue),
        "conferences": districts_meeting(ev, ev.period),
        "satisfaction": (r.score_sum, r.answers),
        "helped": (r.helped_yes, r.helped_yes + r.helped_no),
    }[key]


def key_figures(ev: Evaluation) -> list[KeyFigure]:
    out = []
    for key in KEYS:
        now = value(ev, key, ev.period)
        goal = target(ev, key)
        part, whole = _counts(ev, key)
        out.append(KeyFigure(key, KINDS[key], now, value(ev, key, ev.previous),
                             value(ev, key, ev.year_before), goal, assess(now, goal), part,
                             whole))  # fmt: skip
    return out


@dataclass(frozen=True)
class DistrictRow:
    district: str
    values: dict[str, float | None]
    outliers: dict[str, str]  # key -> "high" / "low"


def _fences(values: list[float]) -> tuple[float, float] | None:
    """Tukey's fences (1.5 × the interquartile range); None with fewer than four values.
    With most districts alike the range is empty and every different value stands out."""
    if len(values) < 4:
        return None
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    spread = q3 - q1
    return q1 - 1.5 * spread, q3 + 1.5 * spread


def overview(ev: Evaluation) -> list[DistrictRow]:
    """Every district's figures of the period, values outside Tukey's fences marked."""
    table = {d: {k: ROW_MEASURES[k](ev.total(ev.period, (d,))) for k in OVERVIEW}
             for d in ev.districts}  # fmt: skip
    marks: dict[str, dict[str, str]] = {d: {} for d in ev.districts}
    for key in OVERVIEW:
        present = [v for v in (table[d][key] for d in ev.districts) if v is not None]
        fences = _fences(present)
        if fences is None or min(present) == max(present):
            continue  # too few districts to compare, or all alike
        for d in ev.districts:
            v = table[d][key]
            if v is not None and (v < fences[0] or v > fences[1]):
                marks[d][key] = "low" if v < fences[0] else "high"
    return [DistrictRow(d, table[d], marks[d]) for d in ev.districts]


def monthly(ev: Evaluation, key: str) -> list[float | None]:
    """One value per month of the series (all districts together)."""
    return [ROW_MEASURES[key](ev.total([m])) for m in ev.series]


def conference_rows(ev: Evaluation) -> list[tuple[str, int, int, str, int, int, str]]:
    """Per district, against the concept's rules: conferences held, needed and the
    assessment; projects, needed (one per year begun in the period) and the assessment."""
    needed = conferences_needed(ev, ev.period)
    years = sorted({int(m[:4]) for m in month_keys(ev.period)})
    wanted = ev.targets.projects_per_year * len(years)
    out = []
    for d in ev.districts:
        held = ev.total(ev.period, (d,)).conferences
        projects = sum(ev.projects[(d, y)] for y in years)
        out.append((d, held, needed, "met" if held >= needed else "missed", projects, wanted,
                    "met" if projects >= wanted else "missed"))  # fmt: skip
    return out
