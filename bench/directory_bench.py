"""Fuzzy search over a directory of 1,000 entries, beside a plain dict lookup in the same run.

    .venv/bin/python bench/directory_bench.py [--entries 1000] [--queries 400]

Prints figures, asserts nothing. The entries are synthetic but shaped like the city's lists:
offices, organisations and persons with German names, roles, 3-6 keywords each, spread over
the 13 districts' quarters and the topics. Queries mix exact names, typos ("Spielpaltz"),
compounds ("Osterfeuergenehmigung"), beginnings ("Quartiersm") and words no entry has.

What is measured (median and 95th percentile in ms, wall time, per query):
- search: `DirectoryIndex.search(words, topic=..., quarter=..., district=...)` over an index
  built once (the Lotse picker and /netzwerk build it per request from the rows they load;
  building it is measured separately, as "index build");
- picker: the same with the topic/quarter ranking and `require_topic` (what the Lotse sees);
- index build per request: the index built again over the same entries (their folded terms
  are remembered by their texts, so only the lists are put together);
- baseline: a dict lookup of the folded query in a name -> entry dict (exact names only),
  the floor any search is compared with.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime

from bot.services.basics.reference import fold, load_reference_data
from bot.services.network.search import DirectoryIndex
from bot.storage.models import NetworkEntry

STEMS = [
    "Spielplatz", "Stadtteiltreff", "Quartiersmanagement", "Jugendzentrum", "Seniorenbüro",
    "Nachbarschaftsladen", "Gemeinwesenarbeit", "Familienzentrum", "Kulturtreff", "Sportverein",
    "Kirchengemeinde", "Grundschule", "Bürgerverein", "Werbegemeinschaft", "Kleingartenverein",
    "Tafel", "Mietertreff", "Integrationslotsen", "Stadtbibliothek", "Beratungsstelle",
]  # fmt: skip
KEYWORDS = [
    "Osterfeuer", "Sperrmüll", "Schlagloch", "Straßenlaterne", "Baum", "Parkplatz", "Lärm",
    "Hausaufgabenhilfe", "Sprachkurs", "Mittagstisch", "Fahrradständer", "Graffiti",
    "Spielgeräte", "Bank", "Müll", "Nachbarschaftsfest", "Vereinsheim", "Seniorentanz",
]  # fmt: skip
ROLES = ["Quartiersmanagerin", "Gemeinwesenarbeiter", "Vorsitz", "Leitung", "Planerin", None]
QUERIES = [
    "Spielplatz", "Spielpaltz", "Osterfeuergenehmigung", "Quartiersm", "Sperrmüll Linden",
    "Nachbarschaftsladen Limmer", "Hausaufgaben", "Xylophonreparatur", "Seniorenbuero",
    "Gemeinwesenarbeit Vahrenheide", "Tafel", "Graffitti am Spielplatz",
]  # fmt: skip


def synthetic(count: int, seed: int = 13) -> list[NetworkEntry]:
    reference = load_reference_data()
    rng = random.Random(seed)
    quarters = list(reference.quarters)
    topics = [t.code for t in reference.topics]
    now = datetime.now(UTC)
    found = []
    for i in range(count):
        quarter = rng.choice(quarters)
        stem = rng.choice(STEMS)
        found.append(
            NetworkEntry(
                id=i + 1,
                key=f"b{i}",
                name=f"{stem} {quarter.name}" + (f" {i}" if i % 3 else ""),
                kind=rng.choice(["office", "organisation", "person", "external"]),
                role=rng.choice(ROLES),
                districts=[quarter.district_number],
                quarters=[quarter.name],
                topics=rng.sample(topics, 2),
                keywords=rng.sample(KEYWORDS, rng.randint(3, 6)),
                visibility="residents",
                created_at=now,
            )
        )
    return found


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    entries = synthetic(args.entries)
    started = time.perf_counter()
    index = DirectoryIndex(entries)
    cold_ms = (time.perf_counter() - started) * 1000
    builds = []
    for _ in range(20):  # as per request in the bot, the folded terms remembered
        started = time.perf_counter()
        index = DirectoryIndex(entries)
        builds.append((time.perf_counter() - started) * 1000)
    by_name = {fold(e.name): e for e in entries}
    names = [e.name for e in entries]
    rng = random.Random(7)
    searches, pickers, baseline = [], [], []
    for n in range(args.queries):
        words = rng.choice(QUERIES)
        quarter = entries[n % len(entries)].quarters[0]
        district = entries[n % len(entries)].districts[0]
        started = time.perf_counter()
        index.search(words, district=district, limit=8)
        searches.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.search(words, topic="public_space", quarter=quarter, district=district,
                     require_topic=True)  # fmt: skip
        pickers.append((time.perf_counter() - started) * 1000)
        exact = fold(rng.choice(names))
        started = time.perf_counter()
        by_name.get(exact)
        baseline.append((time.perf_counter() - started) * 1000)
    hits = len(index.search("Spielpaltz", limit=1000))
    print(f"directory of {len(entries)} entries, {len(index._terms)} search terms")
    print(f"index build: first {cold_ms:.1f} ms, then (terms remembered) per request:")
    print(f"{'':28}{'median ms':>12}{'p95 ms':>12}")
    for label, samples in (
        ("index build per request", builds),
        ("fuzzy search (words)", searches),
        ("picker (topic, quarter)", pickers),
        ("baseline: dict lookup", baseline),
    ):
        median, p95 = percentiles(samples)
        print(f"{label:28}{median:12.3f}{p95:12.3f}")
    print(f"('Spielpaltz' finds {hits} entries; target: p95 < 20 ms)")


if __name__ == "__main__":
    main()
