"""`bezirksbot reminders`: the coming nudges, follow-ups and escalations, printed; with
`--at "2027-01-22 10:00"` what the sweep would send at that moment and which slots it would
skip, without sending anything (the sweep runs in a transaction that is rolled back)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.config import Settings

if TYPE_CHECKING:
    from bot.context import Services
    from bot.i18n import Translator
    from bot.services.basics.reference import ReferenceData
    from bot.services.messaging.reminders import Upcoming


def cmd_reminders(settings: Settings, args: argparse.Namespace) -> int:
    """The coming nudges, follow-ups and escalations, in German, in the city's time zone."""
    if args.at is not None:
        try:
            at = parse_at(args.at, settings.tz)
        except ValueError:
            print(f"--at {args.at!r}: give it as YYYY-MM-DD HH:MM.", file=sys.stderr)
            return 2
        return asyncio.run(_preview(settings, at))
    return asyncio.run(_reminders(settings, args))


def parse_at(text: str, tz: ZoneInfo) -> datetime:
    """A moment typed as "2027-01-22 10:00" (or a date alone, 00:00), in the city's zone."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


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


@dataclass(frozen=True)
class Planned:
    """A message the sweep would write: to whom, from when, its text in their language."""

    chat_id: int
    name: str | None
    sends_at: datetime
    text: str


@dataclass(frozen=True)
class Preview:
    at: datetime
    handled: int
    messages: list[Planned]
    skipped: list[Upcoming]


async def preview_sweep(services: Services, at: datetime) -> Preview:
    """Run the sweep at `at` and roll it back: what it would send and skip. Nothing is sent
    and nothing is stored (the reminders stay pending)."""
    from sqlalchemy import and_, func, or_, select

    from bot.jobs import write_sweep
    from bot.messages.render import OutboxRenderer
    from bot.services.messaging import reminders
    from bot.storage.models import OutboxMessage, Person

    renderer = OutboxRenderer(services.translations, services.reference, services.settings.tz)
    async with services.session_maker() as session:
        try:
            before = await session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))
            handled = await write_sweep(services, session, at)
            await session.flush()
            rows = await session.execute(
                select(OutboxMessage, Person)
                .outerjoin(  # staff messages carry no person: found by their chat
                    Person,
                    or_(
                        Person.id == OutboxMessage.person_id,
                        and_(
                            OutboxMessage.person_id.is_(None),
                            Person.telegram_id == OutboxMessage.chat_id,
                        ),
                    ),
                )
                .where(OutboxMessage.id > before)
                .order_by(OutboxMessage.id)
            )
            messages = []
            for message, person in rows.tuples():
                language = person.language if person is not None else None
                payload = renderer.payload(
                    message.intent, message.params, message.payload, language, message.language
                )
                messages.append(
                    Planned(
                        chat_id=message.chat_id,
                        name=person.first_name if person is not None else None,
                        sends_at=max(message.next_attempt_at, at),
                        text=_plain(str(payload.get("text", ""))),
                    )
                )
            skipped = await reminders.skipped(session, at=at)
        finally:
            await session.rollback()
    return Preview(at=at, handled=handled, messages=messages, skipped=skipped)


def _plain(html: str) -> str:
    import re
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html))


def preview_lines(
    preview: Preview, t: Translator, reference: ReferenceData, tz: ZoneInfo
) -> list[str]:
    """The preview in plain text, in `t`'s language: the messages (first line of each), then
    the skipped slots with the reason."""
    from bot.i18n import N_
    from bot.messages.formatting import format_moment
    from bot.messages.reminders import line

    reasons = {
        "superseded": N_("a later slot of the same subject is due at the same time"),
        "missed": N_("fell due while the bot was not running"),
        "too_late": N_("what it reminds of is over"),
        "rescheduled": N_("replaced by the message now; the next one follows from now"),
    }
    out = [
        t(
            "The reminder sweep at {moment} (shown only, nothing is sent):",
            moment=format_moment(preview.at, tz, lang=t.language),
        ),
        t.plural(
            "It would send {count} message:",
            "It would send {count} messages:",
            len(preview.messages),
        ),
    ]
    for planned in preview.messages:
        who = planned.name or str(planned.chat_id)
        first = planned.text.split("\n", 1)[0]
        when = format_moment(planned.sends_at, tz, lang=t.language)
        out.append(
            "  "
            + t(
                "to {who} (chat {chat}), {when}: {text}",
                who=who,
                chat=planned.chat_id,
                when=when,
                text=first,
            )
        )
    out.append(
        t.plural(
            "It would skip {count} slot:", "It would skip {count} slots:", len(preview.skipped)
        )
    )
    for item in preview.skipped:
        reason = t(reasons.get(item.skip_reason or "", reasons["superseded"]))
        out.append(
            "  " + t("{slot} – reason: {reason}", slot=line(t, reference, item, tz), reason=reason)
        )
    return out


async def _preview(settings: Settings, at: datetime) -> int:
    from bot.app import make_services, open_storage
    from bot.services.basics.clock import FakeClock

    engine, maker = await open_storage(settings)
    try:
        services = make_services(settings, maker, clock=FakeClock(at))
        preview = await preview_sweep(services, at)
    finally:
        await engine.dispose()
    t = services.translations.get("de")
    for text in preview_lines(preview, t, services.reference, settings.tz):
        print(text)
    return 0
