"""Every message the code shows has a translation in every shipped language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR
from bot.services.basics.languages import available_languages

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _messages_in_code() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "bot"),
        method_map=[("**.py", "python")],
        keywords={"t": None, "N_": None},
    )
    return {message for _file, _line, message, _comments, _context in found if message}


def _catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {str(m.id): ("" if m.fuzzy else str(m.string or "")) for m in catalog if m.id}


def test_code_has_messages() -> None:
    assert len(_messages_in_code()) > 50


@pytest.mark.parametrize("language", available_languages())
def test_catalogue_is_complete(language: str) -> None:
    catalog = _catalog(language)
    missing = sorted(m for m in _messages_in_code() if not catalog.get(m))
    assert not missing, f"{language}: {len(missing)} messages without translation: {missing[:5]}"


@pytest.mark.parametrize("language", available_languages())
def test_placeholders_survive_translation(language: str) -> None:
    for message, translated in _catalog(language).items():
        if translated:
            assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(translated)), (
                f"{language}: placeholders differ in {message!r} -> {translated!r}"
            )


def test_no_message_escapes_extraction() -> None:
    """Messages must be written as t("...") so the extractor finds them."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "bot").rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"translator\([^)]*\)\(\s*[\"']", line)
    ]
    assert not offenders, offenders
