"""Fuzzy search over the directory: words (names, roles, keywords, description's words),
topic and quarter. The index is built from the entries in memory; rapidfuzz's C loops score
every term against each window of the query at once, so 1,000 entries answer in a few ms.

Ranking: the fuzzy word score first (when words were given), then the case's topic, then
the quarter, then entries of the district before city-wide ones, then the oldest entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.basics.reference import fold
from bot.storage.models import NetworkEntry

MIN_SCORE = 82.0  # rapidfuzz ratio for a term to count as found (as the shipped search)
COMPOUND_SCORE = 90.0  # a term inside a longer typed word: "Osterfeuergenehmigung"
PREFIX_SCORE = 85.0  # a typed beginning of a term: "Spielpl" → "Spielplatz"
MAX_WINDOW = 3


@dataclass(frozen=True)
class Hit:
    entry: NetworkEntry
    score: float


_TERMS: dict[tuple[str, ...], tuple[str, ...]] = {}  # an entry's texts -> its folded terms
_TERMS_LIMIT = 50_000


def terms_of(entry: NetworkEntry) -> tuple[str, ...]:
    """The folded name, role and keywords, and their words of 4 letters or more; remembered
    by the texts, as folding is most of the cost of building an index per request."""
    texts = (entry.name, entry.role or "", *(entry.keywords or ()))
    known = _TERMS.get(texts)
    if known is not None:
        return known
    found = {fold(t) for t in texts} | {w for t in texts for w in fold(t).split() if len(w) >= 4}
    if len(_TERMS) >= _TERMS_LIMIT:
        _TERMS.clear()
    _TERMS[texts] = terms = tuple(sorted(found - {""}))
    return terms


class DirectoryIndex:
    """The searchable terms of a list of entries (build once per list)."""

    def __init__(self, entries: Sequence[NetworkEntry]) -> None:
        self.entries = list(entries)
        self._terms: list[str] = []
        self._owner: list[int] = []
        for index, entry in enumerate(self.entries):
            for term in terms_of(entry):
                self._terms.append(term)
                self._owner.append(index)

    def word_scores(self, text: str) -> dict[int, float]:
        """Entry index -> best score of any of its terms against the typed words."""
        from rapidfuzz import fuzz, process  # imported where first needed (~3 MiB)

        words = fold(text).split()[:30]
        best: dict[int, float] = {}

        def note(term_index: int, score: float) -> None:
            owner = self._owner[term_index]
            best[owner] = max(best.get(owner, 0.0), score)

        for size in range(1, min(MAX_WINDOW, len(words)) + 1):
            for i in range(len(words) - size + 1):
                window = " ".join(words[i : i + size])
                for _term, score, term_index in process.extract(
                    window, self._terms, scorer=fuzz.ratio, score_cutoff=MIN_SCORE, limit=None
                ):
                    note(term_index, score)
        for word in words:
            if len(word) < 4:
                continue
            for term_index, term in enumerate(self._terms):
                if len(term) >= 6 and " " not in term and term in word and term != word:
                    note(term_index, COMPOUND_SCORE)
                elif term.startswith(word) and term != word:
                    note(term_index, PREFIX_SCORE)
        return best

    def search(
        self,
        words: str = "",
        *,
        topic: str | None = None,
        quarter: str | None = None,
        district: str | None = None,
        limit: int = 8,
        require_topic: bool = False,
    ) -> list[Hit]:
        """The best entries, best first (see the module's ranking)."""
        scores = self.word_scores(words) if words.strip() else None
        ranked = []
        for index, entry in enumerate(self.entries):
            score = scores.get(index, 0.0) if scores is not None else 0.0
            if scores is not None and score == 0.0:
                continue
            on_topic = topic is not None and topic in (entry.topics or ())
            if require_topic and scores is None and not on_topic:
                continue
            in_quarter = quarter is not None and quarter in (entry.quarters or ())
            local = district is not None and district in (entry.districts or ())
            ranked.append(((-score, -on_topic, -in_quarter, -local, entry.id), entry, score))
        ranked.sort(key=lambda item: item[0])
        return [Hit(entry, score) for _key, entry, score in ranked[:limit]]
