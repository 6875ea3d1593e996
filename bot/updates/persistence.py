"""python-telegram-bot persistence kept in the bot's own database (not a pickle beside it).

Conversation states and per-user data are stored as JSON rows (`bot.storage.persistence`), so
an intake survives a restart and two instances share it. Only JSON-friendly values may be put
into `user_data`; the intake keeps its draft as a plain dict for that reason.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from telegram.ext import Application, BasePersistence, PersistenceInput

from bot.storage.db import SessionMaker
from bot.storage.persistence import Row, load_rows, write_rows
from bot.updates.guard import guard_of

UserData = dict[Any, Any]
# The shapes of python-telegram-bot's persistence API, spelled out here because the library
# names them only in a private module (telegram.ext._utils.types).
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


async def wait_for_drain(app: Any) -> None:
    """Let a background state write finish (called when the application stops)."""
    await guard_of(app).ledger.flush()


def persist_after_each_update(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Write changed conversation states and user data after each update, not only every
    `update_interval` seconds: an instance that dies between two updates then leaves the
    latest state for the one that takes over (python-telegram-bot writes in intervals).

    The write runs beside the next updates instead of inside this one, in the update
    ledger's background task (bot.updates.guard), which the update processor starts when an
    update is done: the changed states and the ids of the updates finished meanwhile in one
    transaction, so an update counts as processed exactly when its state is written (one
    killed before is replayed from the inbox). Writes of updates that finish together are
    folded into one commit, and no update waits for the disk."""
    persistence = app.persistence
    assert isinstance(persistence, DatabasePersistence)

    async def record(update_ids: set[int], now: datetime) -> None:
        await persistence.write_with(app, update_ids, now)

    guard_of(app).ledger.record_with_states = record


class DatabasePersistence(BasePersistence[UserData, dict[Any, Any], dict[Any, Any]]):
    def __init__(self, session_maker: SessionMaker, *, update_interval: float = 2.0) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._maker = session_maker
        self._written: dict[Row, str] = {}
        # Rows changed in one round of update_persistence() (python-telegram-bot gathers the
        # calls) are written together in one transaction: one commit per update, not per row.
        self._pending: dict[Row, str | None] = {}
        # Ids of finished updates: staged until the next row is queued (python-telegram-bot
        # writes their changed states after them), then they ride with that batch
        self._staged: set[int] = set()
        self._processed: set[int] = set()
        self._processed_at: datetime | None = None
        self._writer: asyncio.Task[None] | None = None

    async def write_with(self, app: Any, update_ids: set[int], now: datetime) -> None:
        """Write the states changed since the last write together with `update_ids` (the
        finished updates that changed them) in one transaction; the ids alone if nothing
        changed. Ids never commit before the states: they join a batch only when a row is
        queued after them, and the batches are written one after the other."""
        if update_ids:
            self._staged |= update_ids
            self._processed_at = now
        await app.update_persistence()  # python-telegram-bot calls _store for what changed
        if self._staged:  # no state changed (or another round took the rows)
            self._processed |= self._staged
            self._staged = set()
            self._start_writer()
        if self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _load(self, kind: str) -> dict[str, Any]:
        result = await load_rows(self._maker, kind)
        for key, data in result.items():
            self._written[(kind, key)] = json.dumps(data, sort_keys=True)
        return result

    async def _store(self, kind: str, key: str, data: Any) -> None:
        encoded = json.dumps(data, sort_keys=True, default=str)
        if self._written.get((kind, key)) == encoded and (kind, key) not in self._pending:
            return  # unchanged since the last write: skip the round trip
        await self._queue((kind, key), encoded)

    async def _drop(self, kind: str, key: str) -> None:
        await self._queue((kind, key), None)

    async def _queue(self, row: Row, encoded: str | None) -> None:
        """Hand the row to the batch writer and wait until it is committed."""
        self._pending[row] = encoded
        if self._staged:
            self._processed |= self._staged
            self._staged = set()
        self._start_writer()
        await asyncio.shield(self._writer)  # type: ignore[arg-type]  # just started

    def _start_writer(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="persistence")

    async def _write_batches(self) -> None:
        await asyncio.sleep(0)  # let the other calls of this round join the batch
        while self._pending or self._processed:
            batch, self._pending = self._pending, {}
            processed, self._processed = self._processed, set()
            await write_rows(
                self._maker,
                {
                    row: None if encoded is None else json.loads(encoded)
                    for row, encoded in batch.items()
                },
                processed=processed,
                processed_at=self._processed_at,
            )
            for row, encoded in batch.items():
                if encoded is None:
                    self._written.pop(row, None)
                else:
                    self._written[row] = encoded

    # user data -------------------------------------------------------------------------
    async def get_user_data(self) -> dict[int, UserData]:
        return {int(key): dict(value or {}) for key, value in (await self._load("user")).items()}

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        if isinstance(user_id, int):  # a forged update may carry any JSON value as user id
            await self._store("user", str(user_id), data)

    async def drop_user_data(self, user_id: int) -> None:
        if isinstance(user_id, int):
            await self._drop("user", str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        return None

    # conversations ---------------------------------------------------------------------
    async def get_conversations(self, name: str) -> ConversationDict:
        stored = await self._load(f"conv:{name}")
        return {tuple(json.loads(key)): value for key, value in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = json.dumps(list(key))
        if new_state is None:
            await self._drop(f"conv:{name}", encoded_key)
        else:
            await self._store(f"conv:{name}", encoded_key, new_state)

    # not stored: chat data, bot data and arbitrary callback data ------------------------
    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return defaultdict(dict)

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        """At shutdown: wait for a batch still being written, before the engine goes away."""
        writer = self._writer
        if writer is not None and not writer.done():
            await writer
