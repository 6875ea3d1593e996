"""Translations from the gettext catalogues in `locales/`, chosen per update and passed explicitly.

Catalogues are read from the `.po` files with Babel at start, so no compile step is needed
before running; `scripts/i18n` extracts new messages and updates the catalogues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

from bot.services.basics.languages import DOMAIN, LOCALES_DIR, available_languages


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


@dataclass(frozen=True)
class Translator:
    language: str
    catalog: dict[str, str] = field(default_factory=dict, repr=False)

    def gettext(self, message: str) -> str:
        return self.catalog.get(message) or message

    def __call__(self, message: str, **params: object) -> str:
        """Translate, then fill named placeholders (never format before translating)."""
        text = self.gettext(message)
        return text.format(**params) if params else text


def load_catalog(language: str, locales_dir: Path = LOCALES_DIR) -> dict[str, str]:
    path = locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


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
            lang: Translator(lang, load_catalog(lang, locales_dir)) for lang in self.languages
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
