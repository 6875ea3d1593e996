"""The registry of button families: every callback data the bot builds comes from it, fits
Telegram's 64 bytes, and no module outside the registry spells callback data by hand."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.messages import callbacks
from bot.messages.render import load_all

ROOT = Path(__file__).resolve().parent.parent
try:  # the regex parser's own width computation (private in 3.11, renamed later)
    from re import _parser as sre_parse  # type: ignore[attr-defined]  # no public API for it
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]  # Python < 3.11


def _families() -> list[callbacks.Family]:
    load_all()
    return sorted(callbacks.FAMILIES.values(), key=lambda f: f.prefix)


@pytest.mark.parametrize("family", _families(), ids=lambda f: f.prefix)
def test_no_data_of_a_family_can_exceed_64_bytes(family: callbacks.Family) -> None:
    _, longest = sre_parse.parse(family.pattern).getwidth()
    assert longest <= callbacks.MAX_CALLBACK_BYTES, f"{family.prefix}: up to {longest} chars"
    assert family.pattern.isascii() and r"\w" not in family.pattern  # one byte per char


def test_data_is_checked_against_the_family() -> None:
    assert callbacks.TRIAGE.data("merge", 12, 34) == "tr:merge:12:34"
    assert re.match(callbacks.TRIAGE.pattern, callbacks.TRIAGE.data("kue", 7))
    with pytest.raises(callbacks.CallbackDataError):
        callbacks.TRIAGE.data("kue", "not-a-number")
    with pytest.raises(callbacks.CallbackDataError):
        callbacks.REPORT.data("f", "pdf", "x" * 60, "*")  # too long
    with pytest.raises(callbacks.CallbackDataError):
        callbacks.family("tr", "a second definition", r"x")


def _string_starts(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def test_no_module_spells_callback_data_by_hand() -> None:
    prefixes = "|".join(sorted(re.escape(f.prefix) for f in _families()))
    handmade = re.compile(rf"^\^?(?:{prefixes}):")
    registry = ROOT / "bot" / "messages" / "callbacks.py"
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text[:30]!r}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if path != registry and "migrations" not in path.parts
        for line, text in _string_starts(ast.parse(path.read_text()))
        if handmade.match(text)
    ]
    assert not offenders, "\n".join(offenders)
