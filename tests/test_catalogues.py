"""Every message the code shows has a translation in every shipped language."""

from __future__ import annotations

import ast
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


# --- text that was never marked ------------------------------------------------------------
# Prose: two words of letters separated by white space. Marked text (t(...), N_(...)),
# docstrings, log calls, exceptions and button-family descriptions are not shown untranslated;
# anything else in the message layer and the handlers would reach a user as it is. A line may
# opt out with a comment giving the reason: `# not translated: <why>`.
PROSE = re.compile(r"\b[A-Za-zÄÖÜäöüß]{3,}\s+[A-Za-zÄÖÜäöüß]{3,}")
NOT_PROSE = re.compile(r"[\\^$]|\(\?|\{\{")  # regexes and format templates of code
MARKED = {"t", "N_", "gettext", "family"}
NOT_SHOWN = {"debug", "info", "warning", "error", "exception", "critical"}
OPT_OUT = "# not translated:"


def _unreachable_strings(tree: ast.AST) -> set[int]:
    """Ids of string constants that never reach a user untranslated."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # a docstring (or a bare expression)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in MARKED or name in NOT_SHOWN:
                skip |= {id(sub) for sub in ast.walk(node)}
        if isinstance(node, ast.Raise):
            skip |= {id(sub) for sub in ast.walk(node)}
    return skip


def unmarked_texts(path: Path) -> list[str]:
    """`file:line: text` of every string in `path` that looks like prose and is not marked."""
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    skip = _unreachable_strings(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if id(node) in skip or not PROSE.search(text) or NOT_PROSE.search(text):
            continue
        if OPT_OUT in lines[node.lineno - 1]:
            continue
        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:60]!r}")
    return found


def _user_facing_modules() -> list[Path]:
    return sorted(
        [*(ROOT / "bot" / "messages").rglob("*.py"), *(ROOT / "bot" / "handlers").rglob("*.py")]
    )


@pytest.mark.parametrize("path", _user_facing_modules(), ids=lambda p: p.stem)
def test_no_text_escapes_translation(path: Path) -> None:
    """The catalogue test above sees only marked messages; this one finds the unmarked ones
    (e.g. prompts or status labels that an English constant would show in every language)."""
    found = unmarked_texts(path)
    assert not found, "text shown without translation:\n" + "\n".join(found)


def test_unmarked_text_is_found(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        '"""Docstring, not shown."""\n'
        'LABELS = {"open": "waiting for an answer"}\n'
        'DONE = N_("Marked and fine")\n'
        'WHY = "shown as is"  # not translated: a test of the opt-out\n'
        'def f(t):\n    log.info("logged only, never shown")\n    return t("Marked too")\n'
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert unmarked_texts(planted) == ["planted.py:2: 'waiting for an answer'"]
    finally:
        ROOT = saved
