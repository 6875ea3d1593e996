"""A pseudo-locale for tests: every translation wrapped in ⟦…⟧, so a text that reaches a
person without passing through the catalogues stands out.

`pseudo_translations()` builds the catalogue from every message marked in the code (and every
message of the German catalogue); `unmarked(text, data)` returns the words of a text that came
from no catalogue, after removing by rule what is data, not language: reference numbers,
dates, numbers, URLs, commands, e-mail addresses, HTML markup, and the given data strings
(what the users typed, their names, the city's official names).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import LOCALES_DIR, Translations
from bot.services.basics.reference import ReferenceData

PSEUDO = "xx"
OPEN, CLOSE = "⟦", "⟧"
ROOT = Path(__file__).resolve().parent.parent
_INNERMOST = re.compile(rf"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
_RULES = [
    re.compile(r"<[^>]+>"),  # HTML markup
    re.compile(r"https?://\S+|\bt\.me/\S+"),  # links (invitations, web pages)
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),  # e-mail addresses
    re.compile(r"(?<!\w)/[a-z_]+"),  # commands
    re.compile(r"#[\w-]+"),  # template names
    re.compile(r"\b(?:Mo|Di|Mi|Do|Fr|Sa|So), \d{2}\.\d{2}\.\d{4}"),  # dates (German form)
    re.compile(r"\b\d{4}-(?:H[12]|Q[1-4]|\d{2})\b"),  # periods and months
]
_WORD = re.compile(r"[^\W\d_]{2,}")


def messages_in_code() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords={"t": None, "N_": None}
    )
    return {message for _f, _l, message, _c, _x in found if isinstance(message, str) and message}


def _catalogue_ids(language: str) -> set[str]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        return {
            str(m.id) for m in read_po(handle, locale=language) if isinstance(m.id, str) and m.id
        }


def plurals_in_code() -> set[tuple[str, str]]:
    found = extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords={"plural": (1, 2)}
    )
    return {(m[0], m[1]) for _f, _l, m, _c, _x in found if isinstance(m, tuple | list)}


def pseudo_translations(folder: Path) -> Translations:
    """Translations whose only language is the pseudo-locale, written below `folder`."""
    catalog = Catalog(locale="de")  # any valid locale: only the strings matter
    plurals = plurals_in_code()
    for message in sorted(messages_in_code() | _catalogue_ids("de") - {s for s, _ in plurals}):
        catalog.add(message, f"{OPEN}{message}{CLOSE}")
    for singular, plural in sorted(plurals):
        catalog.add((singular, plural), (f"{OPEN}{singular}{CLOSE}", f"{OPEN}{plural}{CLOSE}"))
    target = folder / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "bot.po").open("wb") as handle:
        write_po(handle, catalog)
    return Translations(PSEUDO, locales_dir=folder, languages=(PSEUDO,))


def official_names(reference: ReferenceData) -> set[str]:
    """Names that stay German in every language: districts, quarters, departments."""
    names: set[str] = set()
    for district in reference.districts:
        names.add(district.name)
        names.update(district.quarters)
    for department in reference.departments:
        names.update(str(value) for key, value in vars(department).items() if "name" in key)
    # contact channels of the referral directory and the city's general ones are data too
    channels = ("phone", "email", "address", "opening_hours", "web")
    for holder in (*reference.referrals, reference.general):
        names.update(str(getattr(holder, key, None) or "") for key in channels)
    return {n for n in names if n}


def unmarked(text: str, data: Iterable[str] = ()) -> list[str]:
    """The words of `text` that are neither inside ⟦…⟧ nor data by the rules above."""
    rest = html.unescape(_RULES[0].sub(" ", text))
    while True:
        stripped = _INNERMOST.sub(" ", rest)
        if stripped == rest:
            break
        rest = stripped
    for rule in _RULES[1:]:
        rest = rule.sub(" ", rest)
    for value in sorted({d for d in data if d}, key=len, reverse=True):
        rest = rest.replace(value, " ")
    return _WORD.findall(rest)
