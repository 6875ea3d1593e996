"""`bezirksbot reminders`: the coming nudges, follow-ups and escalations, printed."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta

from bot.config import Settings


def cmd_reminders(settings: Settings, args: argparse.Namespace) -> int:
    """The coming nudges, follow-ups and escalations, in German, in the city's time zone."""
    return asyncio.run(_reminders(settings, args))


async def _reminders(settings: Settings, args: argparse.Namespace) -> int:

    from bot.app import open_storage
    from bot.i18n import Translations
    from bot.messages.reminders import heading, line
    from bot.services.basics.reference import load_reference_data
    from bot.services.messaging import reminders
    from bot.storage.db import session_scope

    reference = load_reference_data(settings.data_dir)
    if args.district is not None and not reference.has_district(args.district):
        print(f"Unknown district {args.district!r} (give its number 01-13).", file=sys.stderr)
        return 2
    if args.days < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 2
    districts = None if args.district is None else [reference.district(args.district).number]
    now = datetime.now(UTC)
    engine, maker = await open_storage(settings)  # migrates, as `bezirksbot migrate` does
    try:
        async with session_scope(maker) as session:
            items = await reminders.upcoming(
                session, now=now, until=now + timedelta(days=args.days), districts=districts
            )
    finally:
        await engine.dispose()
    t = Translations("de").get("de")
    print(heading(t, args.days, len(items)))
    for item in items:
        district = f"[{item.district}] " if item.district else ""
        print(f"  {district}{line(t, reference, item, settings.tz)}")
    return 0
