"""The catalogues' compiled cache and the languages loaded on first use (bot/i18n.py): a start
reads each catalogue from its cache instead of parsing the .po file with Babel, a changed .po
file is parsed again, and a folder where no cache can be written still works."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot import i18n
from bot.i18n import Translations, load_catalogue


def write_catalogue(folder: Path, language: str, greeting: str) -> Path:
    catalog = Catalog(locale=language)
    catalog.add("Hello", greeting)
    catalog.add(("{count} day", "{count} days"), ("{count} Tag", "{count} Tage"))
    target = folder / language / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "bot.po").open("wb") as handle:
        write_po(handle, catalog)
    return target


def cache_files(target: Path) -> list[Path]:
    return sorted((target / "__pycache__").glob("bot.*.marshal"))


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(source: bytes, language: str) -> i18n.Compiled:
        raise AssertionError(f"{language} was parsed, not read from the cache")

    monkeypatch.setattr(i18n, "_parse_po", refuse)


def test_a_catalogue_is_parsed_once_then_read_from_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write_catalogue(tmp_path, "de", "Guten Tag")
    first = load_catalogue("de", tmp_path)
    assert first.messages == {"Hello": "Guten Tag"}
    assert len(cache_files(target)) == 1
    no_parsing(monkeypatch)
    again = load_catalogue("de", tmp_path)
    assert again.messages == first.messages
    assert again.plurals == {"{count} day": ("{count} Tag", "{count} Tage")}
    assert [again.plural_index(n) for n in (1, 2)] == [0, 1]


def test_a_changed_po_file_is_parsed_again(tmp_path: Path) -> None:
    write_catalogue(tmp_path, "de", "Guten Tag")
    assert load_catalogue("de", tmp_path).messages["Hello"] == "Guten Tag"
    write_catalogue(tmp_path, "de", "Moin")
    assert load_catalogue("de", tmp_path).messages["Hello"] == "Moin"


def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path: Path) -> None:
    target = write_catalogue(tmp_path, "de", "Guten Tag")
    load_catalogue("de", tmp_path)
    (cache,) = cache_files(target)
    cache.write_bytes(b"\x00 not marshal")
    assert load_catalogue("de", tmp_path).messages == {"Hello": "Guten Tag"}
    assert cache.read_bytes() != b"\x00 not marshal"


def test_a_read_only_installation_keeps_its_cache_in_the_users_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write_catalogue(tmp_path / "locales", "de", "Guten Tag")
    (target / "__pycache__").write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    assert load_catalogue("de", tmp_path / "locales").messages == {"Hello": "Guten Tag"}
    assert list((tmp_path / "home-cache" / "bezirksbot" / "catalogues").glob("de.*.marshal"))
    no_parsing(monkeypatch)
    assert load_catalogue("de", tmp_path / "locales").messages == {"Hello": "Guten Tag"}


def test_without_any_writable_cache_folder_the_po_file_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write_catalogue(tmp_path, "de", "Guten Tag")
    (target / "__pycache__").write_text("a file where the cache folder would be")
    (tmp_path / "home-cache").write_text("and where the user's cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    assert load_catalogue("de", tmp_path).messages == {"Hello": "Guten Tag"}
    assert load_catalogue("de", tmp_path).messages == {"Hello": "Guten Tag"}


def test_the_rarer_languages_load_on_first_use_and_can_be_forgotten(tmp_path: Path) -> None:
    for language, greeting in (("de", "Guten Tag"), ("en", "Hello"), ("tr", "Merhaba")):
        write_catalogue(tmp_path, language, greeting)
    translations = Translations("de", locales_dir=tmp_path, languages=("de", "en", "tr"))
    assert sorted(translations.loaded) == ["de", "en"]
    assert translations.get("tr-TR")("Hello") == "Merhaba"
    assert sorted(translations.loaded) == ["de", "en", "tr"]
    translations.forget_rare()
    assert sorted(translations.loaded) == ["de", "en"]
    assert translations.get("tr")("Hello") == "Merhaba"  # loaded again
    assert translations.get("fr")("Hello") == "Guten Tag"  # not shipped: the default


def test_the_shipped_catalogues_read_from_the_cache_equal_babels_parse() -> None:
    for language in Translations().languages:
        load_catalogue(language)  # the cache is written, if it was not yet
        po = i18n.LOCALES_DIR / language / "LC_MESSAGES" / "bot.po"
        messages, plurals, _ = i18n._parse_po(po.read_bytes(), language)
        cached = i18n._read_cache(
            po.parent / "__pycache__" / f"bot.{sys.implementation.cache_tag}.marshal",
            hashlib.blake2b(po.read_bytes(), digest_size=16).digest(),
        )
        assert cached is not None, f"no cache for {language}"
        assert (cached[0], cached[1]) == (messages, plurals)
        assert len(messages) > 1000
