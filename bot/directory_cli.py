"""`bezirksbot directory import FILE.csv|.xlsx [--skip-bad]` and `bezirksbot directory export
FILE.csv|.xlsx`: the network directory as a file (the city's existing lists load this way).

An import checks every row first and names each bad one by its line and reason; then it
imports nothing, unless --skip-bad imports the good rows."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings

REASONS = {
    "name": "name missing or longer than 200 characters",
    "kind": "kind must be office, external, organisation or person",
    "role": "role longer than 200 characters",
    "district": "unknown district",
    "quarter": "unknown quarter",
    "topic": "unknown topic code",
    "phone": "not a valid phone number",
    "email": "not a valid e-mail address",
    "web": "not a web address",
    "address": "address needs a street and number",
    "office_hours": "office hours need days and times, or 'nach Vereinbarung'",
    "languages": "languages must be codes such as 'de; en'",
    "visibility": "visibility must be residents or staff",
    "legal_basis": "a person needs legal_basis consent or public_office",
    "key": "key repeated, too long or not letters, digits, - and _",
    "staff_notes": "staff notes longer than 4000 characters",
    "description": "description longer than 4000 characters",
    "source": "source longer than 300 characters",
    "telegram_id": "telegram_id must be digits",
}


def add_parser(sub: Any) -> None:
    """Register `directory` with its `import` and `export` subcommands."""
    directory = sub.add_parser("directory", help="import or export the network directory")
    actions = directory.add_subparsers(dest="directory_action", required=True)
    load = actions.add_parser("import", help="load entries from a CSV or XLSX file")
    load.add_argument("file", type=Path)
    load.add_argument("--skip-bad", action="store_true", help="import the good rows anyway")
    save = actions.add_parser("export", help="write every entry to a CSV or XLSX file")
    save.add_argument("file", type=Path)


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.directory_action == "import":
        from bot.services.network.files import read_rows

        path: Path = args.file
        if path.suffix.lower() not in (".csv", ".xlsx") or not path.is_file():
            print(f"{path}: give an existing .csv or .xlsx file.", file=sys.stderr)
            return 2
        return asyncio.run(_import(settings, read_rows(path), skip_bad=args.skip_bad))
    return asyncio.run(_export(settings, args.file))


async def _import(
    settings: Settings, rows: list[tuple[int, dict[str, str]]], *, skip_bad: bool
) -> int:
    from bot.app import open_storage
    from bot.services.basics.reference import load_reference_data
    from bot.services.network.files import import_rows
    from bot.storage.db import session_scope

    engine, maker = await open_storage(settings)
    try:
        async with session_scope(maker) as session:
            result = await import_rows(
                session,
                rows,
                load_reference_data(settings.data_dir),
                now=_now(),
                skip_bad=skip_bad,
            )
    finally:
        await engine.dispose()
    for bad in result.bad:
        reason = REASONS.get(bad.reason, bad.reason)
        print(f"line {bad.line}: {reason}" + (f": {bad.value!r}" if bad.value else ""))
    if not result.imported:
        print(f"Nothing imported: {len(result.bad)} bad row(s). Fix them or use --skip-bad.")
        return 1
    print(f"Imported: {result.created} new, {result.updated} updated, {len(result.bad)} skipped.")
    return 0


async def _export(settings: Settings, path: Path) -> int:
    from sqlalchemy import select

    from bot.app import open_storage
    from bot.services.network.files import export_rows, write_rows
    from bot.storage.db import session_scope
    from bot.storage.models import NetworkEntry, Person

    if path.suffix.lower() not in (".csv", ".xlsx"):
        print(f"{path}: the file must end in .csv or .xlsx.", file=sys.stderr)
        return 2
    engine, maker = await open_storage(settings)
    try:
        async with session_scope(maker) as session:
            found = list(await session.scalars(select(NetworkEntry).order_by(NetworkEntry.id)))
            linked = select(Person.id, Person.telegram_id).where(
                Person.id.in_([e.person_id for e in found if e.person_id])
            )
            accounts = {pid: tid for pid, tid in (await session.execute(linked)).all() if tid}
            rows = export_rows(found, accounts)
    finally:
        await engine.dispose()
    write_rows(path, rows)
    print(f"Exported {len(rows)} entries to {path}.")
    return 0


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
