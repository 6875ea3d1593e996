"""The words and number forms of one report's charts and files, chosen by the message layer.

The charts and files draw and tabulate the figures; which language their titles, headings
and axis labels speak, and how a number or share is written, is decided in
`bot/messages/reports.py` (`report_labels`). Here only the keys: stable identifiers, no text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportLabels:
    """`text` maps a key (e.g. `"chart.months"`) to its text in the reader's language; texts
    may hold named placeholders (`labels("district", name=...)`)."""

    text: Mapping[str, str]
    period: str  # the period's name, e.g. "2. Quartal 2026"
    period_range: str  # its first and last day
    made: str  # the moment the figures were computed
    month: Callable[[str], str]  # "2026-04" -> "Apr 26"
    topic: Callable[[str], str]  # a topic code -> its name
    number: Callable[[float], str]
    share: Callable[[float], str]
    days: Callable[[float], str]  # a duration with its unit: "2 Arbeitstage"

    def __call__(self, key: str, **params: object) -> str:
        text = self.text[key]
        return text.format(**params) if params else text


# Keys the charts and files use; the message layer must give a text for each (tested).
CHART_KEYS = (
    "chart.months", "chart.departments", "chart.districts", "axis.concerns",
    "axis.agreements_due", "other_topics", "no_data", "sender.resident", "sender.actor",
    "sender.council", "series.on_time", "series.late", "series.overdue", "series.pending",
    "district", "districts", "department",
)  # fmt: skip
