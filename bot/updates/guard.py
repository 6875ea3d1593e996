"""Before every other handler: each update once, sound updates only, a fair share per user,
no oversized files.

Group -1000 drops updates whose fields have the wrong types (only a broken or forged sender
produces them; see SoundUpdates), group -20 updates already processed (the same `update_id`
again, e.g. after a crash before Telegram saw the new offset), group -15 applies flood control
per user and the upload size limit. The group guard for non-private chats follows at -10
(fallback.py).

An update counts as processed once it has finished and the conversation states it changed
are written (see UpdateLedger); one killed before is replayed from the inbox at the next
start (bot.updates.inbox). A handler error does not make it unprocessed: it is not repeated.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, func, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import BotApplication, BotContext
from bot.handlers.common import translator
from bot.services.access.roles import holds_a_role
from bot.services.basics.clock import Clock
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import ProcessedUpdate
from bot.storage.processed import insert_ids
from bot.updates.flood import FloodControl
from bot.updates.processor import ChatOrderedUpdateProcessor
from bot.updates.sound import SoundUpdates

log = logging.getLogger(__name__)
Work = Callable[[AsyncSession], Awaitable[None]]  # statements run in a transaction

GROUP_SOUND, GROUP_ONCE, GROUP_LIMITS = -1000, -20, -15
GUARD_KEY = "guard"  # bot_data: the Guard, so tests and jobs reach its state
RECENT_IDS = 4096  # in-memory ids in front of the table: a redelivery is usually recent
KEEP_PROCESSED = timedelta(days=3)  # Telegram keeps undelivered updates for 24 hours
PRUNE_EVERY = timedelta(hours=6)
MEGABYTE = 1024 * 1024
ATTACHMENTS = ("document", "video", "audio", "voice", "video_note", "animation", "sticker")


# --- each update once -----------------------------------------------------------------------
class UpdateLedger:
    """Remember processed update ids: a small LRU in memory, the table behind it.

    An id is claimed in memory when its update starts (a copy arriving meanwhile stops there)
    and written to the table once the update is finished (`finished`, called by the update
    processor), in the transaction that writes the states it changed (`record_with_states`). An
    update killed before that is not in the table: the inbox replays it at the next start.
    Ids finishing together are written in one transaction.

    Work a handler leaves for after its answer (`after_answer`) is written first, in one
    transaction for all the updates that left some meanwhile: never after the update's id,
    so a replayed update finds it done or does it again.
    """

    def __init__(
        self, session_maker: SessionMaker, clock: Clock, *, recent: int = RECENT_IDS
    ) -> None:
        self._maker, self._clock, self._size = session_maker, clock, recent
        self._recent: OrderedDict[int, None] = OrderedDict()
        # Ids above the highest one an earlier run recorded cannot be redeliveries from it:
        # they need no look-up in the table.
        self._high_water: int | None = None
        self._owners: dict[int, int] = {}  # update_id -> id() of the Update that claimed it
        self._finished: set[int] = set()
        self._again = False
        self._recorder: asyncio.Task[None] | None = None
        # Writes the changed conversation states and the finished ids in one transaction
        # (persistence.py): an update counts as processed exactly when its states are stored
        self.record_with_states: Callable[[set[int], datetime], Awaitable[None]] | None = None
        # Starts the background write; the application's create_task (register()) lets a
        # stop, and the simulator's settle, wait for it
        self.spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]] = asyncio.create_task
        self._work: list[tuple[Work, Callable[[], None] | None]] = []

    async def first_time(self, update_id: int, owner: object | None = None) -> bool:
        """Claim `update_id`; False if it was claimed in this run or recorded by an earlier
        one. `owner` (the Update) is the one whose `finished` records the id."""
        if update_id in self._recent:
            self._recent.move_to_end(update_id)
            return False
        # Claimed before the first await: a copy arriving meanwhile stops at the LRU.
        self._recent[update_id] = None
        if len(self._recent) > self._size:
            self._recent.popitem(last=False)
        if owner is not None:
            self._owners[update_id] = id(owner)
        if self._high_water is None:
            async with session_scope(self._maker) as session:
                self._high_water = int(
                    await session.scalar(select(func.max(ProcessedUpdate.update_id))) or 0
                )
        if update_id > self._high_water:
            return True
        async with session_scope(self._maker) as session:
            found = await session.scalar(
                select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
            )
        if found is not None:
            self._owners.pop(update_id, None)
        return found is None

    def finished(self, update_id: int, owner: object) -> None:
        """The update that claimed `update_id` is done: record it (in the background)."""
        if self._owners.get(update_id) != id(owner):
            return  # a copy that was skipped, or never claimed
        del self._owners[update_id]
        self._finished.add(update_id)
        self.kick()

    def kick(self) -> None:
        """Write the states and the finished ids now (also after updates handled without the
        update processor)."""
        self._again = True
        if self._recorder is None or self._recorder.done():
            self._recorder = self.spawn(self._record())

    def after_answer(self, work: Work, *, then: Callable[[], None] | None = None) -> None:
        """Do `work` (a transaction's statements) in the background, together with the work
        other updates leave meanwhile, before this update's id is recorded; `then` runs after
        its commit. For what the user does not wait for: their answer goes out first, and 50
        updates at once share one commit."""
        self._work.append((work, then))
        self.kick()

    async def _record(self) -> None:
        while self._again:
            self._again = False
            # ids first: an update finished by now left its work before, so it is done here
            batch, self._finished = self._finished, set()
            if self._work:
                await self._do_work()
            try:
                if self.record_with_states is not None:
                    await self.record_with_states(batch, self._clock.now())
                elif batch:
                    async with session_scope(self._maker) as session:
                        await insert_ids(session, batch, self._clock.now())
            except Exception:  # not recorded: replayed at the next start
                log.exception("could not record %s processed updates", len(batch))

    async def _do_work(self) -> None:
        work, self._work = self._work, []
        try:
            async with session_scope(self._maker) as session:
                for statements, _then in work:
                    await statements(session)
        except Exception:  # what it would have recorded is covered by the outbox's backups
            log.exception("could not do the work left after the answers of %s updates", len(work))
            return
        for _statements, then in work:
            if then is not None:
                try:
                    then()
                except Exception:  # the others' follow-ups and the ids still go ahead
                    log.exception("a follow-up of the work after an answer failed")

    async def flush(self) -> None:
        """Record the ids still waiting (at a clean stop)."""
        while self._recorder is not None and not self._recorder.done():
            await asyncio.gather(self._recorder, return_exceptions=True)
        if self._finished or self._work:
            self.kick()
            assert self._recorder is not None
            await asyncio.gather(self._recorder, return_exceptions=True)

    async def prune(self, *, older_than: timedelta = KEEP_PROCESSED) -> int:
        """Delete rows older than `older_than`; Telegram never redelivers that late."""
        cutoff = self._clock.now() - older_than
        async with session_scope(self._maker) as session:
            result = await session.execute(
                delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
            )
        return int(cast("CursorResult[Any]", result).rowcount or 0)  # a DELETE's result


# --- upload size ----------------------------------------------------------------------------
def upload_size(message: Message) -> int:
    """The size Telegram reports for the message's file (the largest photo size), else 0."""
    sizes = [p.file_size for p in message.photo or () if p.file_size]
    for name in ATTACHMENTS:
        attachment = getattr(message, name, None)
        if attachment is not None and attachment.file_size:
            sizes.append(attachment.file_size)
    return max(sizes, default=0)


# --- the handlers ---------------------------------------------------------------------------
class Guard:
    """The guard's state (ledger, flood windows, upload limit) and its two callbacks."""

    def __init__(
        self, ledger: UpdateLedger, flood: FloodControl, *, max_upload_bytes: int
    ) -> None:
        self.ledger, self.flood, self.max_upload_bytes = ledger, flood, max_upload_bytes

    async def once(self, update: Update, context: BotContext) -> None:
        """Drop updates already processed."""
        if not await self.ledger.first_time(update.update_id, update):
            log.info("update %s was already processed; skipped", update.update_id)
            raise ApplicationHandlerStop

    def finished(self, update: object) -> None:
        """The update processor is done with `update`: its id goes to the ledger."""
        if isinstance(update, Update):
            self.ledger.finished(update.update_id, update)

    async def limits(self, update: Update, context: BotContext) -> None:
        """Flood control per user, then the upload size limit (private chats)."""
        user, chat = update.effective_user, update.effective_chat
        if user is None:
            return
        verdict = await self.flood.check(user.id)
        if verdict != "ok":
            # Dropped before any handler: a form stays at its step and nothing typed is
            # taken, so the sender only has to send it again.
            log.info("update %s dropped: flood control (%s)", update.update_id, verdict)
            if verdict == "warn" and chat is not None and chat.type == "private":
                t = translator(update, context)
                seconds = self.flood.wait_seconds(user.id)
                await _tell(
                    update,
                    t.plural(  # also a button's alert: at most 200 characters
                        "You are writing very fast. Please slow down: I did not take that "
                        "in. Try again in {count} second; what you were filling in is kept.",
                        "You are writing very fast. Please slow down: I did not take that "
                        "in. Try again in {count} seconds; what you were filling in is kept.",
                        seconds,
                    ),
                )
            raise ApplicationHandlerStop
        message = update.effective_message
        if chat is None or chat.type != "private" or message is None:
            return
        size = upload_size(message)
        if size > self.max_upload_bytes > 0:
            t = translator(update, context)
            limit = max(1, self.max_upload_bytes // MEGABYTE)
            log.info("update %s dropped: upload of %s bytes too large", update.update_id, size)
            await _tell(
                update,
                t(
                    "This file is too large. Please send files of at most "
                    "{limit} MB, for example a photo instead of the original "
                    "file.",
                    limit=limit,
                ),
            )
            raise ApplicationHandlerStop

    async def prune_job(self, context: BotContext) -> None:
        removed = await self.ledger.prune()
        if removed:
            log.info("forgot %s processed update ids", removed)


async def _tell(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_chat is not None:
        await update.effective_chat.send_message(text)


def guard_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Guard:
    guard: Guard = app.bot_data[GUARD_KEY]
    return guard


def register(app: BotApplication) -> None:
    """First of all handlers: -1000 (malformed updates), then -20 and -15, before the group
    guard at -10."""
    services = app.bot_data.services
    assert services is not None, "build_application() sets the services first"
    settings = services.settings
    admins = frozenset(settings.admin_telegram_ids)

    async def is_staff(user_id: int) -> bool:
        if user_id in admins:
            return True
        async with session_scope(services.session_maker) as session:
            return await holds_a_role(session, telegram_id=user_id)

    guard = Guard(
        UpdateLedger(services.session_maker, services.clock),
        FloodControl(
            settings.flood_messages_per_minute,
            staff_limit=settings.flood_staff_messages_per_minute,
            is_staff=is_staff,
        ),
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.bot_data[GUARD_KEY] = guard

    def spawn(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        if app.running:
            return app.create_task(coroutine, name="update-ledger")
        return asyncio.create_task(coroutine, name="update-ledger")

    guard.ledger.spawn = spawn
    app.add_handler(SoundUpdates(), group=GROUP_SOUND)
    app.add_handler(TypeHandler(Update, guard.once), group=GROUP_ONCE)
    app.add_handler(TypeHandler(Update, guard.limits), group=GROUP_LIMITS)
    processor = app.update_processor
    if isinstance(processor, ChatOrderedUpdateProcessor):  # it tells when an update is done
        processor.on_finished = guard.finished
