"""The words of one evaluation report, made by the message layer (`bot.messages.
evaluation_labels`) in the reader's language: headings, the summary's sentences, every table
as rows of text, the charts' titles and text alternatives, and the number forms of the chart
axes. The files only lay them out; no word is chosen here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EvaluationText:
    text: Mapping[str, str]  # headings, chart titles, legends, notes by key
    sentences: list[str]  # the executive summary
    tables: Mapping[str, list[list[str]]]  # name -> rows, the first the header
    alt: Mapping[str, str]  # chart name -> its text alternative (DOCX, and under the chart)
    month: Callable[[str], str]  # "2026-04" -> "Apr 26"
    district: Callable[[str], str]  # "10" -> "Linden-Limmer"
    number: Callable[[float], str]
    share: Callable[[float], str]

    def __call__(self, key: str, **params: object) -> str:
        text = self.text[key]
        return text.format(**params) if params else text


# Keys of `text` the files use (the message layer must give each; tested).
TEXT_KEYS = (
    "title", "subtitle", "note", "h.summary", "h.key", "h.overview", "h.overview_note",
    "h.trends", "h.lotse", "h.agreements", "h.conferences", "h.verdict", "h.quotes",
    "no_quotes", "outlier_note", "chart.overview", "chart.trends", "chart.scores",
    "axis.month", "series.outlier", "series.district", "series.target",
    "m.cases", "m.kuemmerer", "m.first_response", "m.kept", "m.satisfaction",
    "m.conferences_held", "m.conferences", "m.helped", "document",
)  # fmt: skip
# the tables the message layer makes
TABLES = ("key", "overview", "lotse", "departments", "conferences", "verdict_scores",
          "verdict_topics", "verdict_modes")  # fmt: skip
