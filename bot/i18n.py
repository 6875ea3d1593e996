"""Translations from the gettext catalogues in `locales/`, chosen per update and passed explicitly.

Catalogues are read from the `.po` files, so no compile step is needed before running;
`scripts/i18n` extracts new messages and updates the catalogues. Parsing a `.po` file with
Babel takes ~25 ms and leaves garbage behind, so its messages are kept in a compiled cache
beside it (`__pycache__/bot.<python>.marshal`, or in the user's cache folder when the
installation is read-only; rebuilt when the `.po` file's content changes). The default
language and English are loaded at start, the others when first used (1-4 ms from the cache).
"""

from __future__ import annotations

import gettext
import hashlib
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.services.basics.languages import DOMAIN, LOCALES_DIR, available_languages

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"  # the msgids' language


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
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        return Catalogue()
    digest = hashlib.blake2b(source, digest_size=16).digest()
    places = _cache_places(path, language)
    compiled = next(filter(None, (_read_cache(place, digest) for place in places)), None)
    if compiled is None:
        compiled = _parse_po(source, language)
        any(_write_cache(place, (CACHE_FORMAT, digest, *compiled)) for place in places)
    messages, plurals, plural_expr = compiled
    rule = gettext.c2py(plural_expr) if plurals and plural_expr else _germanic
    return Catalogue(messages, plurals, rule)


CACHE_FORMAT = 1
Compiled = tuple[dict[str, str], dict[str, tuple[str, ...]], str]


def _cache_places(po: Path, language: str) -> list[Path]:
    """Beside the .po file; else (an installation the bot's user may not write to) in the
    user's cache folder (XDG_CACHE_HOME or ~/.cache)."""
    name = f"{DOMAIN}.{sys.implementation.cache_tag}.marshal"
    places = [po.parent / "__pycache__" / name]
    try:
        user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except (RuntimeError, KeyError):  # no home folder
        return places
    return [*places, user_cache / "bezirksbot" / "catalogues" / f"{language}.{name}"]


def _parse_po(source: bytes, language: str) -> Compiled:
    """Babel's parser, imported only when a catalogue is not in the cache."""
    from io import BytesIO

    from babel.messages.pofile import read_po

    catalog = read_po(BytesIO(source), locale=language)
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            plurals[str(message.id[0])] = tuple(str(form) for form in message.string)
        else:
            messages[str(message.id)] = str(message.string)
    return messages, plurals, str(catalog.plural_expr) if plurals else ""


def _read_cache(cache: Path, digest: bytes) -> Compiled | None:
    try:
        data: Any = marshal.loads(cache.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(data, tuple) and len(data) == 5 and data[:2] == (CACHE_FORMAT, digest)):
        return None  # another format, or the .po file changed since
    return data[2], data[3], data[4]


def _write_cache(cache: Path, data: Any) -> bool:
    """Written whole under a temporary name, then renamed: a reader never sees half a file.
    False when the folder cannot be written to."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache.parent, prefix=cache.name)
        try:
            with os.fdopen(handle, "wb") as output:
                marshal.dump(data, output)
            os.replace(temporary, cache)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:  # a read-only installation: the next place, or parse each time
        log.debug("catalogue cache %s not written: %s", cache, error)
        return False
    return True


def load_catalog(language: str, locales_dir: Path = LOCALES_DIR) -> dict[str, str]:
    """The plain messages of a language (the plural ones: `load_catalogue`)."""
    return load_catalogue(language, locales_dir).messages


class Translations:
    """All shipped languages. The default language and English are loaded at once, the others
    when first asked for; `forget_rare` drops those again (`bot.app` does so after start, once
    every language's command menu and menu labels are taken)."""

    def __init__(
        self,
        default_language: str = "de",
        locales_dir: Path = LOCALES_DIR,
        languages: tuple[str, ...] | None = None,
    ) -> None:
        self.default_language = default_language
        self.languages = languages or available_languages(locales_dir)
        self._locales_dir = locales_dir
        self._translators: dict[str, Translator] = {}
        for language in self._kept():
            self._load(language)

    def get(self, language: str | None) -> Translator:
        code = self.pick(language)
        return self._translators.get(code) or self._load(code)

    def pick(self, *candidates: str | None) -> str:
        """The first supported language among stored preference and Telegram's language_code."""
        for candidate in candidates:
            if candidate:
                code = candidate.split("-")[0].lower()
                if code in self.languages:
                    return code
        return self.default_language

    @property
    def loaded(self) -> tuple[str, ...]:
        """The languages whose catalogues are in memory now."""
        return tuple(self._translators)

    def forget_rare(self) -> None:
        """Keep only the default language and English in memory (~0.3 MiB per other one)."""
        kept = self._kept()
        for language in [code for code in self._translators if code not in kept]:
            del self._translators[language]

    def _kept(self) -> tuple[str, ...]:
        return tuple(
            code for code in self.languages if code in (self.default_language, SOURCE_LANGUAGE)
        )

    def _load(self, language: str) -> Translator:
        translator = _translator(language, load_catalogue(language, self._locales_dir))
        self._translators[language] = translator
        return translator


def _translator(language: str, catalogue: Catalogue) -> Translator:
    return Translator(language, catalogue.messages, catalogue.plurals, catalogue.plural_index)
