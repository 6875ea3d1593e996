"""The layers: services and storage never import Telegram, translations, `html` or the
message layer; the message layer never imports Telegram; no import cycles between modules of
`bot` at import time; no module over 400 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
FORBIDDEN = {
    "services": (
        "telegram",
        "bot.i18n",
        "bot.messages",
        "html",
        "bot.messages.cases",
        "bot.keyboards",
        "bot.handlers",
        "babel",
    ),
    "storage": (
        "telegram",
        "bot.i18n",
        "bot.messages",
        "html",
        "bot.messages.cases",
        "bot.keyboards",
        "bot.handlers",
        "bot.services",
    ),
    "messages": ("telegram", "bot.handlers", "bot.storage.db"),
}
MAX_LINES = 400


def _modules(folder: Path) -> Iterator[Path]:
    yield from sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, *, top_level_only: bool = False) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    inside = path.is_relative_to(ROOT)
    package = (
        _dotted(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0] if inside else ""
    )
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _hits(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(BOT / layer)
        for name in _imports(path)
        if _hits(name, FORBIDDEN[layer])
    ]
    assert not offenders, "\n".join(offenders)


def test_the_check_finds_a_planted_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from telegram import Bot\n    from html import escape\n")
    found = list(_imports(planted))
    assert _hits("telegram", FORBIDDEN["services"]) and "telegram" in found
    assert any(_hits(name, FORBIDDEN["services"]) for name in found if name.startswith("html"))


def test_no_module_is_longer_than_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules(BOT)
        if (n := len(p.read_text().splitlines())) > MAX_LINES and "migrations" not in p.parts
    }
    assert not long, long


def test_no_import_cycle_at_module_level() -> None:
    """Module-level imports between modules of `bot` form no cycle (imports inside functions,
    made to break a cycle at run time, are not counted)."""
    modules = {_dotted(p): p for p in _modules(BOT) if "migrations" not in p.parts}
    graph = {
        name: {
            target
            for imported in _imports(path, top_level_only=True)
            for target in (imported, imported.rsplit(".", 1)[0])
            if target in modules and target != name
        }
        for name, path in modules.items()
    }
    # a package's __init__ importing its own modules is not a cycle worth reporting
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1 and not node.startswith(nxt + "."):
                cycles.append([*stack[stack.index(nxt) :], node, nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles[:10])
