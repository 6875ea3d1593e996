"""Charts of the figures, drawn with matplotlib's object API and the Agg canvas (no pyplot:
no figure registry, no display; works headless and in a worker thread).

Made for a phone: 1080×720 px at 150 dpi, 11–14 pt text, horizontal bars where the labels
are long, the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies). Every word on a chart comes from the `ReportLabels` the message layer
chose (the reader's language). Each chart keeps the numbers it plotted (`categories`,
`series`), so tests check what is drawn.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.services.basics.reference import ReferenceData
from bot.services.reporting.figures import Figures
from bot.services.reporting.labels import ReportLabels

if TYPE_CHECKING:  # matplotlib (with numpy, ~50 MiB) is imported when the first chart is drawn
    from matplotlib.figure import Figure

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")  # fmt: skip
OTHER_COLOUR = "#999999"
PHONE_SIZE = (7.2, 4.8)  # inches; × DPI = 1080 × 720 px
A4_LANDSCAPE = (11.69, 8.27)
DPI = 150
MAX_TOPICS = len(OKABE_ITO) - 1  # the rest become "other topics"
SENDERS = ("resident", "actor", "council")
AGREEMENT_SERIES = ("on_time", "late", "overdue", "pending")


# matplotlib's settings are process-wide and the PDF changes its fonts while it draws; one
# drawing at a time keeps a chart rendered in a worker thread from picking them up.
RENDER_LOCK = threading.RLock()


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    categories: list[str]  # one bar (group) each
    series: dict[str, list[int]]  # legend label → one value per category
    figure: Figure

    @property
    def empty(self) -> bool:
        """Nothing to draw: the chart shows only its title and "no data"."""
        return not any(any(values) for values in self.series.values())

    def png(self) -> bytes:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        buffer = io.BytesIO()
        FigureCanvasAgg(self.figure)
        with RENDER_LOCK:  # zlib level 1: a fraction of the encoding time, a slightly larger file
            self.figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
        return buffer.getvalue()


def department_label(reference: ReferenceData, number: str, labels: ReportLabels) -> str:
    known = reference.has_department(number)
    return labels("department", number=reference.department(number).number if known else number)


def district_label(reference: ReferenceData, number: str) -> str:
    if reference.has_district(number):
        return f"{number} {reference.district(number).name}"
    return number


def _layout(figure: Figure, labels: list[str], *, horizontal: bool, legend_rows: int) -> None:
    """Fixed margins from the label lengths: constrained layout would double the drawing time.

    11 pt DejaVu Sans averages about 0.09 in per character.
    """
    width, height = figure.get_size_inches()
    longest = max((len(label) for label in labels), default=4) * 0.09
    legend = 0.1 + 0.22 * legend_rows
    if horizontal:  # tick labels and the axis label below, the category labels at the left
        figure.subplots_adjust(left=min(0.55, (longest + 0.25) / width), right=0.96, top=0.86,
                               bottom=(legend + 0.6) / height)  # fmt: skip
    else:  # month labels are rotated by 45°, so they need height instead of width
        figure.subplots_adjust(left=0.1, right=0.97, top=0.86,
                               bottom=(legend + 0.2 + longest * 0.72) / height)  # fmt: skip


def _stacked(
    name: str,
    title: str,
    categories: list[str],
    series: dict[str, list[int]],
    colours: list[str],
    *,
    horizontal: bool,
    axis_label: str,
    size: tuple[float, float],
    subtitle: str,
    labels: ReportLabels,
) -> Chart:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=size, dpi=DPI)
    ax = figure.add_subplot()
    base = [0] * len(categories)
    positions = list(range(len(categories)))
    for (label, values), colour in zip(series.items(), colours, strict=True):
        if horizontal:
            ax.barh(positions, values, left=base, label=label, color=colour, edgecolor="white")
        else:
            ax.bar(positions, values, bottom=base, label=label, color=colour, edgecolor="white")
        base = [a + b for a, b in zip(base, values, strict=True)]
    if horizontal:
        ax.set_yticks(positions, categories, fontsize=11)
        ax.set_xlabel(axis_label, fontsize=12)
        ax.invert_yaxis()
    else:
        ax.set_xticks(positions, categories, fontsize=11, rotation=45, ha="right")
        ax.set_ylabel(axis_label, fontsize=12)
    ax.tick_params(labelsize=11)
    value_axis = ax.xaxis if horizontal else ax.yaxis
    value_axis.set_major_locator(MaxNLocator(integer=True))
    value_axis.set_major_formatter(FuncFormatter(lambda value, _: labels.number(value)))
    ax.grid(axis="x" if horizontal else "y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    figure.suptitle(title, fontsize=14, fontweight="bold")
    ax.set_title(subtitle, fontsize=11)
    columns = min(len(series), 3) or 1
    rows = -(-len(series) // columns)
    if not any(base):  # no empty axes (they would count from -0.045 to 0.045): say so instead
        ax.set_axis_off()
        ax.text(0.5, 0.5, labels("no_data"), transform=ax.transAxes, ha="center",
                va="center", fontsize=13, color="#555555")  # fmt: skip
        rows = 0
    elif series:  # below the bars: on a phone the width is worth more than height
        figure.legend(loc="lower center", ncol=columns, fontsize=10, frameon=False,
                      bbox_to_anchor=(0.5, 0.0))  # fmt: skip
    _layout(figure, categories, horizontal=horizontal, legend_rows=rows)
    return Chart(name, title, categories, series, figure)


def concerns_per_month(
    figures: Figures,
    reference: ReferenceData,
    labels: ReportLabels,
    size: tuple[float, float] = PHONE_SIZE,
) -> Chart:
    """Stacked bars: concerns received per month, by topic (the largest topics by name)."""
    months = figures.months()
    counts = figures.total.by_month_topic
    ranked = [topic for topic, _ in figures.total.by_topic.most_common()]
    shown = ranked if len(ranked) <= MAX_TOPICS + 1 else ranked[:MAX_TOPICS]
    series = {labels.topic(topic): [counts[(m, topic)] for m in months] for topic in shown}
    rest = [t for t in ranked if t not in shown]
    if rest:
        series[labels("other_topics")] = [sum(counts[(m, t)] for t in rest) for m in months]
    colours = [*OKABE_ITO[: len(shown)], *([OTHER_COLOUR] if rest else [])]
    return _stacked(
        "anliegen_monate", labels("chart.months"),
        [labels.month(m) for m in months], series, colours, horizontal=False,
        axis_label=labels("axis.concerns"), size=size,
        subtitle=_subtitle(figures, reference, labels), labels=labels,
    )  # fmt: skip


def agreements_per_department(
    figures: Figures,
    reference: ReferenceData,
    labels: ReportLabels,
    size: tuple[float, float] = PHONE_SIZE,
) -> Chart:
    """Horizontal stacked bars per department: kept on time, late, overdue, not yet due."""
    merged: dict[str, dict[str, int]] = {}
    for f in figures.per_district.values():
        for dep, c in f.agreements.items():
            row = merged.setdefault(dep, dict.fromkeys(AGREEMENT_SERIES, 0))
            row["on_time"] += c["on_time"]
            row["late"] += c["late"]
            row["overdue"] += c["overdue"]
            row["pending"] += c["open"] - c["overdue"]
    order = sorted(merged, key=lambda d: (-sum(merged[d].values()), d.zfill(4)))
    series = {labels(f"series.{key}"): [merged[d][key] for d in order]
              for key in AGREEMENT_SERIES}  # fmt: skip
    colours = [OKABE_ITO[2], OKABE_ITO[0], OKABE_ITO[5], OKABE_ITO[1]]
    return _stacked(
        "vereinbarungen_fachbereiche", labels("chart.departments"),
        [department_label(reference, d, labels) for d in order], series, colours,
        horizontal=True, axis_label=labels("axis.agreements_due"), size=size,
        subtitle=_subtitle(figures, reference, labels), labels=labels,
    )  # fmt: skip


def districts_side_by_side(
    figures: Figures,
    reference: ReferenceData,
    labels: ReportLabels,
    size: tuple[float, float] = PHONE_SIZE,
) -> Chart:
    """Horizontal stacked bars per district: concerns by sender (residents, actors, council)."""
    order = list(figures.districts)
    series = {
        labels(f"sender.{key}"): [figures.per_district[d].by_sender[key] for d in order]
        for key in SENDERS
    }
    return _stacked(
        "bezirke_vergleich", labels("chart.districts"),
        [district_label(reference, d) for d in order], series, list(OKABE_ITO[4:7]),
        horizontal=True, axis_label=labels("axis.concerns"), size=size,
        subtitle=_subtitle(figures, reference, labels), labels=labels,
    )  # fmt: skip


def report_charts(
    figures: Figures,
    reference: ReferenceData,
    labels: ReportLabels,
    size: tuple[float, float] = PHONE_SIZE,
) -> list[Chart]:
    """The charts of a report; the district comparison only when there is more than one."""
    with RENDER_LOCK:  # built with the settings of the moment: not while a PDF changes them
        charts = [concerns_per_month(figures, reference, labels, size),
                  agreements_per_department(figures, reference, labels, size)]  # fmt: skip
        if len(figures.districts) > 1:
            charts.append(districts_side_by_side(figures, reference, labels, size))
    return charts


def scope_label(figures: Figures, reference: ReferenceData, labels: ReportLabels) -> str:
    """ "District 10 Linden-Limmer" or "13 districts"."""
    if len(figures.districts) == 1:
        return labels("district", name=district_label(reference, figures.districts[0]))
    return labels("districts", count=len(figures.districts))


def _subtitle(figures: Figures, reference: ReferenceData, labels: ReportLabels) -> str:
    return f"{labels.period} · {scope_label(figures, reference, labels)}"


def focus_progress(
    areas: list[tuple[str, int, int, int]],
    labels: ReportLabels,
    size: tuple[float, float] = PHONE_SIZE,
) -> Chart:
    """Stacked bars: each focus area's agreements kept, late and open (`areas`: title, kept,
    late, open). Texts: `focus.title`, `focus.subtitle`, `focus.axis`, `focus.kept`,
    `focus.late`, `focus.open`, `no_data`."""
    series = {
        labels("focus.kept"): [kept for _, kept, _, _ in areas],
        labels("focus.late"): [late for _, _, late, _ in areas],
        labels("focus.open"): [open_ for _, _, _, open_ in areas],
    }
    colours = [OKABE_ITO[2], OKABE_ITO[5], OKABE_ITO[1]]
    return _stacked("focus", labels("focus.title"), [title for title, *_ in areas], series,
                    colours, horizontal=True, axis_label=labels("focus.axis"), size=size,
                    subtitle=labels("focus.subtitle"), labels=labels)  # fmt: skip
