"""Translations from the gettext catalogues in `locales/`, chosen per update and passed explicitly.

Catalogues are read from the `.po` files with Babel at start, so no compile step is needed
before running; `scripts/i18n` extracts new messages and updates the catalogues.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

from bot.services.basics.languages import DOMAIN, LOCALES_DIR, available_languages


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


RTL_LANGUAGES = frozenset({"ar"})
# Unicode isolates: a value inside a right-to-left sentence (a reference number, a date, a
# phone number, a German name) keeps its own direction and order.
FSI, PDI = "\u2068", "\u2069"


def _germanic(count: int) -> int:
    return int(count != 1)


@dataclass(frozen=True)
class Catalogue:
    """One language's messages: plain ones, plural ones (by singular msgid) and the rule that
    picks a plural form (the catalogue's own Plural-Forms, as gettext evaluates it)."""

    messages: dict[str, str] = field(default_factory=dict)
    plurals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plural_index: Callable[[int], int] = _germanic


@dataclass(frozen=True)
class Translator:
    language: str
    catalog: dict[str, str] = field(default_factory=dict, repr=False)
    plurals: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    plural_index: Callable[[int], int] = field(default=_germanic, repr=False)

    @property
    def rtl(self) -> bool:
        return self.language in RTL_LANGUAGES

    def gettext(self, message: str) -> str:
        return self.catalog.get(message) or message

    def __call__(self, message: str, **params: object) -> str:
        """Translate, then fill named placeholders (never format before translating)."""
        return self._fill(self.gettext(message), params)

    def plural(self, singular: str, plural: str, count: int, **params: object) -> str:
        """The form for `count` ("1 Tag", "2 дня", "5 дней"); `{count}` is filled with it."""
        forms = self.plurals.get(singular, ())
        index = self.plural_index(count)
        if index < len(forms) and forms[index]:
            text = forms[index]
        else:
            text = singular if count == 1 else plural
        return self._fill(text, {"count": count, **params})

    def _fill(self, text: str, params: dict[str, object]) -> str:
        if not params:
            return text
        if self.rtl:
            params = {key: f"{FSI}{value}{PDI}" for key, value in params.items()}
        return text.format(**params)


def load_catalogue(language: str, locales_dir: Path = LOCALES_DIR) -> Catalogue:
    path = locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return Catalogue()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            plurals[str(message.id[0])] = tuple(str(form) for form in message.string)
        else:
            messages[str(message.id)] = str(message.string)
    rule = gettext.c2py(catalog.plural_expr) if plurals else _germanic
    return Catalogue(messages, plurals, rule)


def load_catalog(language: str, locales_dir: Path = LOCALES_DIR) -> dict[str, str]:
    """The plain messages of a language (the plural ones: `load_catalogue`)."""
    return load_catalogue(language, locales_dir).messages


class Translations:
    """All shipped languages, loaded once."""

    def __init__(
        self,
        default_language: str = "de",
        locales_dir: Path = LOCALES_DIR,
        languages: tuple[str, ...] | None = None,
    ) -> None:
        self.default_language = default_language
        self.languages = languages or available_languages(locales_dir)
        self._translators = {
            lang: _translator(lang, load_catalogue(lang, locales_dir)) for lang in self.languages
        }

    def get(self, language: str | None) -> Translator:
        return self._translators.get(self.pick(language), self._translators[self.default_language])

    def pick(self, *candidates: str | None) -> str:
        """The first supported language among stored preference and Telegram's language_code."""
        for candidate in candidates:
            if candidate:
                code = candidate.split("-")[0].lower()
                if code in self._translators:
                    return code
        return self.default_language


def _translator(language: str, catalogue: Catalogue) -> Translator:
    return Translator(language, catalogue.messages, catalogue.plurals, catalogue.plural_index)
