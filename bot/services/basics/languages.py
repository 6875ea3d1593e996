"""The languages the bot speaks: whatever catalogues `locales/` ships, read in one place.

German, the city's language and the default, comes first; a pseudo-locale for tests (its
folder name starts with `x`) is never offered to people.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

LOCALES_DIR = Path(__file__).resolve().parents[3] / "locales"
DOMAIN = "bot"
DEFAULT = "de"


@lru_cache(maxsize=8)
def available_languages(locales_dir: Path = LOCALES_DIR) -> tuple[str, ...]:
    found = sorted(
        folder.name
        for folder in locales_dir.iterdir()
        if (folder / "LC_MESSAGES" / f"{DOMAIN}.po").is_file() and not folder.name.startswith("x")
    )
    return tuple(sorted(found, key=lambda code: (code != DEFAULT, code)))


def normalise(code: str | None, languages: tuple[str, ...] | None = None) -> str | None:
    """`de-AT` -> `de`; None for a language the bot does not speak."""
    if not code:
        return None
    short = code.split("-")[0].split("_")[0].lower()
    return short if short in (languages or available_languages()) else None
