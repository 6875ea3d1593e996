"""`bezirksbot calendar export` and `bezirksbot council pack`: the council's files from the
command line (registered by `bot.cli.build_parser` through `register`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    """Add the `calendar` and `council` subcommands to the main parser's subparsers."""
    calendar = sub.add_parser("calendar", help="the council sessions and conferences as .ics")
    actions = calendar.add_subparsers(dest="calendar_command", required=True)
    export = actions.add_parser("export", help="write an iCalendar file")
    export.add_argument("--district", help="one district (01-13); default: all districts")
    export.add_argument("--output", help="file to write (default: bezirksbot.ics here)")
    council = sub.add_parser("council", help="district council: the session pack")
    steps = council.add_subparsers(dest="council_command", required=True)
    pack = steps.add_parser("pack", help="write a session's pack (inquiries and statements)")
    pack.add_argument("--district", required=True, help="the district (01-13)")
    pack.add_argument("--session", required=True, help="the session's day, e.g. 2026-03-26")
    pack.add_argument("--format", choices=("pdf", "docx"), default="pdf")
    pack.add_argument("--output", help="file or folder to write to (default: this folder)")
    for parser in (calendar, council):
        parser.set_defaults(run_council=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, args))


async def main_council(settings: Settings, argv: Sequence[str]) -> int:
    """Parse and run one of these subcommands inside a running event loop (for tests)."""
    parser = argparse.ArgumentParser(prog="bezirksbot")
    register(parser.add_subparsers(dest="command"))
    return await _run(settings, parser.parse_args(list(argv)))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import open_storage
    from bot.i18n import Translations
    from bot.messages.render import RenderContext
    from bot.services.basics.reference import load_reference_data

    reference = load_reference_data(settings.data_dir)
    district = args.district.zfill(2) if args.district else None
    if district is not None and not reference.has_district(district):
        print(f"Unknown district {args.district!r} (give its number 01-13).", file=sys.stderr)
        return 2
    t = Translations(settings.default_language).get(settings.default_language)
    ctx = RenderContext(t=t, reference=reference, tz=settings.tz)
    engine, maker = await open_storage(settings)  # migrates, as `bezirksbot migrate` does
    try:
        if args.command == "calendar":
            name, content = await _calendar(maker, ctx, district)
        else:
            assert district is not None
            found = await _pack(maker, ctx, district, args.session, args.format)
            if found is None:
                print(f"No session of district {district} on {args.session}.", file=sys.stderr)
                return 2
            name, content = found
    finally:
        await engine.dispose()
    path = Path(args.output) if args.output else Path.cwd() / name
    if path.is_dir():
        path = path / name
    path.write_bytes(content)
    print(path)
    return 0


async def _calendar(maker: Any, ctx: Any, district: str | None) -> tuple[str, bytes]:
    from bot.messages.council_calendar import titles
    from bot.services.council import calendar_sync
    from bot.storage.db import session_scope

    async with session_scope(maker) as session:
        content = await calendar_sync.export(
            session,
            districts=[district] if district else None,
            titles=titles(ctx.t, ctx.reference),
        )
    return f"bezirksrat-{district or 'alle'}.ics", content


async def _pack(
    maker: Any, ctx: Any, district: str, day: str, kind: str
) -> tuple[str, bytes] | None:
    from bot.messages import council_sessions as say
    from bot.services.council import pack, sessions
    from bot.storage.db import session_scope

    async with session_scope(maker) as session:
        row = await sessions.on_day(session, district=district, day=day, tz=ctx.tz)
        if row is None:
            return None
        items = say.pack_items(ctx.t, await pack.agenda(session, row))
    labels = say.pack_labels(ctx, row)
    name = f"bezirksrat-{district}-{day}.{kind}"
    if kind == "pdf":
        return name, pack.pdf(labels, items, made=datetime.now(UTC))
    return name, pack.docx(labels, items)
