"""The evaluation report's charts: the districts side by side as small multiples, the monthly
trends, the residents' scores. Accessible: bars carry hatch patterns besides colour (outliers
cross-hatched), lines differ by marker, targets are dashed lines named in the legend; the
message layer writes each chart's text alternative.

Heavy (matplotlib): imported only by the report's builders, never at the bot's start.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bot.services.reporting.evaluation import Evaluation
from bot.services.reporting.evaluation_measures import (
    OVERVIEW,
    conferences_needed,
    monthly,
    overview,
)
from bot.services.reporting.evaluation_text import EvaluationText

BLUE, ORANGE, GREEN, VERMILION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SHARES = ("kuemmerer", "first_response", "kept")
MARKERS = ("o", "s", "^", "D", "v", "P")
Box = tuple[float, float, float, float]  # left, bottom, width, height (figure fractions)
TREND_KEYS = ("cases", "kuemmerer", "first_response", "kept", "satisfaction", "conferences_held")


def _target(ev: Evaluation, key: str) -> float | None:
    t = ev.targets
    return {"first_response": t.first_response_share, "kept": t.kept_share,
            "satisfaction": t.satisfaction,
            "conferences_held": float(conferences_needed(ev, ev.period))}.get(key)  # fmt: skip


def _axis_format(text: EvaluationText, key: str) -> FuncFormatter:
    if key in SHARES:
        return FuncFormatter(lambda v, _: text.share(v))
    return FuncFormatter(lambda v, _: text.number(v))


def overview_panels(figure: Figure, ev: Evaluation, text: EvaluationText, box: Box) -> None:
    """Six small bar charts in a row inside ``box`` (left, bottom, width, height) of the
    figure: one per figure, a bar per district (numbers on the axis, names in the table)."""
    left, bottom, width, height = box
    rows = overview(ev)
    labels = [r.district for r in rows]
    gap = 0.012
    panel = (width - gap * (len(OVERVIEW) - 1)) / len(OVERVIEW)
    for i, key in enumerate(OVERVIEW):
        ax = figure.add_axes((left + i * (panel + gap) + 0.02, bottom, panel - 0.02, height))
        values = [r.values[key] or 0.0 for r in rows]
        outlier = [key in r.outliers for r in rows]
        positions = list(range(len(rows)))
        for pos, value, odd in zip(positions, values, outlier, strict=True):
            ax.barh([pos], [value], color=VERMILION if odd else BLUE, edgecolor="black",
                    linewidth=0.3, hatch="xxx" if odd else "///")  # fmt: skip
        goal = _target(ev, key)
        if goal is not None:
            ax.axvline(goal, color="black", linestyle="--", linewidth=1)
        ax.set_yticks(positions, labels if i == 0 else [""] * len(labels), fontsize=7)
        ax.invert_yaxis()
        ax.set_title(text(f"m.{key}"), fontsize=8)
        ax.tick_params(axis="x", labelsize=6)
        ax.xaxis.set_major_formatter(_axis_format(text, key))
        ax.spines[["top", "right"]].set_visible(False)


def trend_panels(figure: Figure, ev: Evaluation, text: EvaluationText, box: Box) -> None:
    """Six small line charts (2 × 3) of the monthly series inside ``box``."""
    left, bottom, width, height = box
    months = ev.series
    ticks = list(range(0, len(months), max(1, len(months) // 6)))
    for i, key in enumerate(TREND_KEYS):
        col, row = i % 3, i // 3
        x, y = left + col * width / 3 + 0.04, bottom + (1 - row) * height / 2 + 0.05
        ax = figure.add_axes((x, y, width / 3 - 0.06, height / 2 - 0.1))
        values = monthly(ev, key)
        xs = [x for x, v in enumerate(values) if v is not None]
        ys = [v for v in values if v is not None]
        ax.plot(xs, ys, color=BLUE, marker=MARKERS[i], markersize=3, linewidth=1.2)
        goal = _target(ev, key)
        if goal is not None and key != "conferences_held":
            ax.axhline(
                goal, color="black", linestyle="--", linewidth=1, label=text("series.target")
            )
        ax.set_xticks(ticks, [text.month(months[x]) for x in ticks], fontsize=6.5, rotation=45,
                      ha="right")  # fmt: skip
        ax.tick_params(axis="y", labelsize=7)
        ax.yaxis.set_major_formatter(_axis_format(text, key))
        ax.set_title(text(f"m.{key}"), fontsize=9)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)


def scores_chart(figure: Figure, ev: Evaluation, text: EvaluationText, box: Box) -> None:
    """The answers by score, 1 to 5: a hatch pattern per score besides its colour."""
    ax = figure.add_axes(box)
    counts = [ev.verdicts.by_score[s] for s in range(1, 6)]
    colours = (VERMILION, ORANGE, "#F0E442", "#56B4E9", GREEN)
    hatches = ("xx", "\\\\", "..", "//", "oo")
    for score, n, colour, hatch in zip(range(1, 6), counts, colours, hatches, strict=True):
        ax.bar([score], [n], color=colour, hatch=hatch, edgecolor="black", linewidth=0.4)
    ax.set_xticks(range(1, 6), [str(s) for s in range(1, 6)])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: text.number(v)))
    ax.set_title(text("chart.scores"), fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
