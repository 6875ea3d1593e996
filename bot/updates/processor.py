"""Process updates of different chats concurrently and each chat's updates in arrival order.

Wire it with ``ApplicationBuilder().concurrent_updates(ChatOrderedUpdateProcessor(64))``.
Only updates that pass ``application.update_queue`` (polling, webhook, the simulator) go
through it; ``application.process_update()`` called directly bypasses every processor.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseUpdateProcessor

from bot import newest


def chat_key(update: object) -> Hashable | None:
    """Return the ordering key of an update: its chat, else its user, else None (unordered).

    A private chat's id equals its user's id, so a user's chat-less updates (inline queries,
    poll answers) queue behind that user's own private messages; group ids are negative and
    never collide with user ids.
    """
    if not isinstance(update, Update):
        return None
    # Ids come from the client side of the wire: only a real int is trusted as a key.
    if update.effective_chat is not None and type(update.effective_chat.id) is int:
        return update.effective_chat.id
    if update.effective_user is not None and type(update.effective_user.id) is int:
        return update.effective_user.id
    return None


def _note_typed(message: Message) -> None:
    """Runs before the sound-update check (bot.updates.sound): a forged update may carry
    anything, so only well-typed ids are noted."""
    chat = getattr(message, "chat", None)
    if chat is None or type(chat.id) is not int or type(message.message_id) is not int:
        return
    with contextlib.suppress(RuntimeError):  # an update built without a bot
        newest.note(message.get_bot(), chat.id, message.message_id)


class _ChatLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # asyncio.Lock wakes waiters first in, first out
        self.users = 0  # updates of this chat waiting for or holding the lock


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Run up to `max_concurrent_updates` chats at once, one update per chat at a time."""

    __slots__ = ("_chats", "_idle_waiters", "_in_flight", "_key", "on_finished")

    def __init__(
        self,
        max_concurrent_updates: int,
        *,
        key: Callable[[object], Hashable | None] = chat_key,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._key = key
        self._chats: dict[Hashable, _ChatLock] = {}
        self._in_flight = 0
        self._idle_waiters: list[asyncio.Future[None]] = []
        # told about each update whose handling ended (not one cancelled at a stop)
        self.on_finished: Callable[[object], None] | None = None

    @property
    def in_flight(self) -> int:
        """Updates accepted and not yet finished, whether waiting for their turn or running."""
        return self._in_flight

    @property
    def active_chats(self) -> int:
        """Chats that hold a lock entry; zero once everything has been processed."""
        return len(self._chats)

    async def idle(self) -> None:
        """Wait until no update is waiting or running in this processor."""
        if self._in_flight == 0:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._idle_waiters.append(waiter)
        await waiter

    # BaseUpdateProcessor.process_update is marked @final, but it takes the global slot
    # before do_process_update could take the chat lock; then a chat flooding with 40 updates
    # holds 40 slots while they wait on each other and starves every other chat. So the chat
    # lock comes first here and the slot second. Application tasks are started in arrival
    # order and reach the lock before their first suspension, which keeps the order.
    async def process_update(  # type: ignore[misc]  # overrides a @final method on purpose
        self,
        update: object,
        coroutine: Awaitable[Any],
    ) -> None:
        """Process `update` after all earlier updates of its chat, within the global limit."""
        key = self._key(update)
        self._in_flight += 1
        try:
            if key is None:
                async with self._semaphore:
                    await self.do_process_update(update, coroutine)
                return
            entry = self._chats.get(key)
            if entry is None:
                entry = self._chats[key] = _ChatLock()
            entry.users += 1
            try:
                async with entry.lock, self._semaphore:
                    await self.do_process_update(update, coroutine)
            finally:
                entry.users -= 1
                if entry.users == 0 and self._chats.get(key) is entry:
                    del self._chats[key]
        finally:
            # Cancelled while waiting for its turn: close the coroutine to avoid a
            # "coroutine was never awaited" warning.
            if inspect.iscoroutine(coroutine) and (
                inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED
            ):
                coroutine.close()
            self._in_flight -= 1
            if self._in_flight == 0:
                self._wake_idle_waiters()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers; the caller already holds the chat lock and a slot."""
        message = update.message if isinstance(update, Update) else None
        if message is not None:  # a typed message: buttons above it are no longer the newest
            _note_typed(message)
        await coroutine
        if self.on_finished is not None:
            self.on_finished(update)

    async def initialize(self) -> None:
        """Nothing to allocate: locks are created per chat on demand."""

    async def shutdown(self) -> None:
        """Release anyone waiting for idleness; Application.stop() has awaited the updates."""
        self._wake_idle_waiters()

    def _wake_idle_waiters(self) -> None:
        waiters, self._idle_waiters = self._idle_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
