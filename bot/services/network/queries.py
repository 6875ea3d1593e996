"""What staff type after /netzwerk: words, a topic (by its label or code) and a quarter
(by name or alias), in any order ("Linden-Süd Spielplatz", "Öffentlicher Raum Schlagloch")."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.reference import ReferenceData, fold
from bot.services.network import entries
from bot.services.network.search import DirectoryIndex
from bot.storage.models import NetworkEntry


@dataclass(frozen=True)
class Query:
    words: str = ""
    topic: str | None = None
    quarter: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.words or self.topic or self.quarter)


def parse(reference: ReferenceData, text: str) -> Query:
    folded = f" {fold(text)} "
    topic = None
    for item in reference.topics:
        for label in (item.label_de, item.label_en or "", item.code.replace("_", " ")):
            if label and f" {fold(label)} " in folded:
                topic, folded = item.code, folded.replace(f" {fold(label)} ", " ")
                break
        if topic:
            break
    quarter, rest = None, []
    for token in folded.split():
        found = reference.quarter(token) or next(iter(reference.alias(token)), None)
        if found is not None and quarter is None:
            quarter = found.name
        else:
            rest.append(token)
    if quarter is None:  # a quarter of two words after folding: "linden sud"
        for q in reference.quarters:
            if f" {fold(q.name)} " in f" {' '.join(rest)} ":
                quarter = q.name
                rest = f" {' '.join(rest)} ".replace(f" {fold(q.name)} ", " ").split()
                break
    return Query(" ".join(rest), topic, quarter)


def matching(found: list[NetworkEntry], query: Query, limit: int) -> list[NetworkEntry]:
    """Entries of the query: words fuzzy; topic and quarter as filters."""
    chosen = [
        e
        for e in found
        if (query.topic is None or query.topic in (e.topics or ()))
        and (query.quarter is None or not e.quarters or query.quarter in e.quarters)
    ]
    hits = DirectoryIndex(chosen).search(
        query.words, topic=query.topic, quarter=query.quarter, limit=limit
    )
    return [h.entry for h in hits]


async def staff_search(
    session: AsyncSession, districts: Collection[str] | None, query: Query, limit: int = 1000
) -> list[NetworkEntry]:
    """Active entries the person keeps or may use (theirs and city-wide), matching the query."""
    found = await entries.active(session, districts)
    return found if query.empty else matching(found, query, limit)
