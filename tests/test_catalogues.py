"""Every message the code shows has a translation in every shipped language."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR
from bot.services.basics.languages import available_languages

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _extracted() -> list[str | tuple[str, str]]:
    found = extract_from_dir(
        str(ROOT / "bot"),
        method_map=[("**.py", "python")],
        keywords={"t": None, "N_": None, "plural": (1, 2)},
    )
    return [message for _file, _line, message, _comments, _context in found if message]


def _messages_in_code() -> set[str]:
    """Every msgid; a plural message by its singular."""
    return {m if isinstance(m, str) else m[0] for m in _extracted()}


def _plurals_in_code() -> set[tuple[str, str]]:
    return {tuple(m) for m in _extracted() if not isinstance(m, str)}  # type: ignore[misc]


def _catalog(language: str) -> dict[str, str]:
    """msgid → translation; a plural message by its singular, its forms joined by a tab."""
    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    found = {}
    for m in catalog:
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            forms = [str(f or "") for f in m.string]
            found[str(m.id[0])] = "" if m.fuzzy or not all(forms) else "\t".join(forms)
        else:
            found[str(m.id)] = "" if m.fuzzy else str(m.string or "")
    return found


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
        for form in translated.split("\t") if translated else ():
            assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(form)), (
                f"{language}: placeholders differ in {message!r} -> {form!r}"
            )


TAG = re.compile(r"</?(b|i|u|code|a)\b[^>]*>")
BUTTON_LABEL = 40  # characters that fit a phone's button
TELEGRAM_MESSAGE = 4096


@cache
def _button_labels() -> set[str]:
    """Messages shown on buttons: `Button(t("…"), …)` anywhere in the message layer and the
    handlers, the menu keyboard's labels, and the names shown on choice buttons (referral
    contacts, topics)."""
    labels: set[str] = set()
    for path in _user_facing_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Button":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Call) and getattr(first.func, "id", "") == "t":
                    arg = first.args[0] if first.args else None
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        labels.add(arg.value)
            if isinstance(node, ast.Assign) and any(
                getattr(target, "id", "").startswith("MENU_") for target in node.targets
            ):
                labels |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
    from bot.messages.referrals import NAMES

    return labels | set(NAMES.values())


def _looks_like_label(message: str) -> bool:
    return message in _button_labels()


@pytest.mark.parametrize("language", available_languages())
def test_markup_and_lengths_survive_translation(language: str) -> None:
    """HTML tags the same and in the same order; short texts (button labels) stay short."""
    for message, translated in _catalog(language).items():
        for form in translated.split("\t") if translated else ():
            assert [m.group(0)[:3] for m in TAG.finditer(message)] == [
                m.group(0)[:3] for m in TAG.finditer(form)
            ], f"{language}: tags differ in {message!r} -> {form!r}"
            assert len(form) < TELEGRAM_MESSAGE, f"{language}: too long: {message!r}"
            if _looks_like_label(message):
                assert len(form) <= BUTTON_LABEL, f"{language}: label too long: {form!r}"


@pytest.mark.parametrize("language", available_languages())
def test_plural_forms_follow_the_language(language: str) -> None:
    """The catalogue's plural rule is CLDR's (Babel's), every plural message has all forms,
    and the counts 0, 1, 2, 3, 5, 11, 21, 101 each get a form with the count in it."""
    from babel.messages.plurals import get_plural

    from bot.i18n import Translations

    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    expected = get_plural(language)
    assert catalog.num_plurals == expected.num_plurals, language
    t = Translations(languages=(language,), default_language=language).get(language)
    plurals = _plurals_in_code()
    assert plurals, "no plural message in the code"
    for singular, plural in plurals:
        if language != "en":  # English is the msgid itself; every other needs all its forms
            forms = t.plurals.get(singular, ())
            assert len(forms) == expected.num_plurals and all(forms), (language, singular)
        for count in (0, 1, 2, 3, 5, 11, 21, 101):
            params = {name: count for name in PLACEHOLDER.findall(singular + plural)}
            params.pop("count", None)
            text = t.plural(singular, plural, count, **params)
            assert str(count) in text, f"{language}: {count} missing in {text!r}"


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
MARKED = {"t", "N_", "gettext", "family", "plural"}
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


@pytest.mark.parametrize("language", [lang for lang in available_languages() if lang != "en"])
def test_no_translation_carries_its_source_text(language: str) -> None:
    """A textual merge of two catalogues once left German followed by the English msgid in one
    entry; a translation that contains its own (longer) msgid is such a doubling."""
    doubled = [
        message
        for message, translated in _catalog(language).items()
        if len(message) > 40 and message in translated and not translated.startswith(message)
    ]
    assert not doubled, f"{language}: {doubled[:3]}"
