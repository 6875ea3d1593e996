"""Walking the controllable clock from one reminder (or held message) to the next, sweeping
at each, and reading what was delivered when, in the reader's and in another language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.i18n import Translations
from bot.jobs import run_sweep
from bot.messages.render import OutboxRenderer
from bot.services.basics.reference import load_reference_data
from bot.storage.db import session_scope
from bot.storage.models import OutboxMessage, Reminder
from tests.conftest import BotEnv

BERLIN = ZoneInfo("Europe/Berlin")
_RENDERER = OutboxRenderer(Translations(), load_reference_data(), BERLIN)


@dataclass(frozen=True)
class Delivered:
    """A message that went out: to whom, when (Hannover time), what (kind and params)."""

    chat_id: int
    at: datetime
    intent: str | None
    params: dict[str, object]
    kind: str = "message"

    def text(self, language: str) -> str:
        """Its text rendered in `language`, tags removed, first line only."""
        payload = _RENDERER.payload(self.intent, self.params, None, language)
        first = str(payload["text"]).split("\n", 1)[0]
        for tag in ("<b>", "</b>", "<i>", "</i>"):
            first = first.replace(tag, "")
        return first


async def next_event(env: BotEnv) -> datetime | None:
    """The next moment something is due: a pending reminder or a held outbox message."""
    async with session_scope(env.services.session_maker) as session:
        reminder = await session.scalar(
            select(func.min(Reminder.due_at)).where(
                Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None)
            )
        )
        message = await session.scalar(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
            )
        )
    moments = [m for m in (reminder, message) if m is not None]
    return min(moments) if moments else None


async def walk(env: BotEnv, until: datetime) -> None:
    """Sweep at every moment something falls due, up to `until`, and at `until` itself (the
    running bot sweeps twice a minute; only these sweeps can write anything)."""
    for _ in range(400):
        moment = await next_event(env)
        if moment is None or moment > until:
            break
        env.clock.set(max(moment, env.clock.now()))
        await run_sweep(env.app)
    else:
        raise AssertionError("the walk did not come to an end")
    env.clock.set(until)
    await run_sweep(env.app)


async def delivered(env: BotEnv, chat_id: int, *, since: int = 0) -> list[Delivered]:
    """The messages delivered to `chat_id` (outbox ids above `since`), in order."""
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.sent_at.is_not(None),
                OutboxMessage.id > since,
            )
            .order_by(OutboxMessage.sent_at, OutboxMessage.id)
        )
        return [
            Delivered(
                chat_id=m.chat_id,
                at=m.sent_at.astimezone(BERLIN),  # type: ignore[union-attr]
                intent=m.intent,
                params=dict(m.params or {}),
                kind=m.kind,
            )
            for m in rows
        ]


async def last_outbox_id(env: BotEnv) -> int:
    async with session_scope(env.services.session_maker) as session:
        return int(await session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0))))
