"""Act as Telegram users against a running Application wired to a FakeBotAPI.

    async with running(app):
        sim = Simulator(app, api)
        erika = sim.user(1001)
        await erika.send("/start")
        await erika.press("Deutsch")
        assert "Willkommen" in erika.last.plain_text

Every awaited action returns once the update and all work it started through the application
(handler tasks, `application.create_task`) has finished; `*_nowait` variants only enqueue and
`await sim.settle()` waits for everything.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import Application, ExtBot

from bot.offline.chats import SimChat, SimGroup, SimUser, text_content
from bot.offline.fake_api import FakeBotAPI, JSONDict, SentMessage

__all__ = ["SimChat", "SimGroup", "SimUser", "Simulator", "running"]


AnyApplication = Application[Any, Any, Any, Any, Any, Any]
App = TypeVar("App", bound=AnyApplication)


@asynccontextmanager
async def running(app: App, *, run_hooks: bool = True) -> AsyncIterator[App]:
    """Initialize and start `app`, then stop and shut it down, like run_polling minus polling."""
    await app.initialize()
    try:
        if run_hooks and app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            yield app
        finally:
            await app.stop()
            if run_hooks and app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if run_hooks and app.post_shutdown:
            await app.post_shutdown(app)


class Simulator:
    """Deliver user updates to `app` and wait until they are fully processed."""

    def __init__(
        self,
        app: AnyApplication,
        api: FakeBotAPI,
        *,
        via_queue: bool = True,
        clock: Callable[[], float] | None = None,
        settle_timeout: float = 10.0,
        ignore_task: Callable[[asyncio.Task[Any]], bool] | None = None,
    ) -> None:
        self.app, self.api = app, api
        # Through the queue updates pass the update processor, as with polling or a webhook.
        self.via_queue = via_queue
        self.clock = clock or api.clock
        self.settle_timeout = settle_timeout
        # Long-lived tasks started with application.create_task would never let settle() end.
        self.ignore_task = ignore_task or (lambda task: False)
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._users: dict[int, SimUser] = {}
        self._direct_tasks: set[asyncio.Task[None]] = set()

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Erika",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "de",
    ) -> SimUser:
        """Return the simulated user `user_id`; its private chat has the same id."""
        if user_id not in self._users:
            data: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
            optional = {"last_name": last_name, "username": username}
            optional["language_code"] = language_code
            data.update({key: value for key, value in optional.items() if value is not None})
            self._users[user_id] = SimUser(self, data)
        return self._users[user_id]

    def group(self, chat_id: int, title: str, *, supergroup: bool | None = None) -> SimGroup:
        """Return a group chat; ids below -10**12 are supergroups, as on Telegram."""
        is_super = chat_id < -(10**12) if supergroup is None else supergroup
        chat = {"id": chat_id, "type": "supergroup" if is_super else "group", "title": title}
        return SimGroup(self, chat)

    async def channel_post(
        self, chat_id: int, text: str, *, title: str = "Kanal"
    ) -> list[SentMessage]:
        """Deliver a post in a channel where the bot is an administrator."""
        channel = SimChat(self, {"id": chat_id, "type": "channel", "title": title})
        message = channel.build_message(None, sender_chat=channel.chat, **text_content(text))
        return await channel.deliver({"channel_post": message})

    # -- delivery -----------------------------------------------------------------------------
    def enqueue(self, payload: JSONDict) -> Update:
        """Turn `payload` (e.g. {"message": ...}) into an Update and hand it over, not waiting."""
        if not self.app.running:
            raise RuntimeError("start the application first, e.g. `async with running(app)`")
        data = {"update_id": next(self._update_ids), **payload}
        update = Update.de_json(data, self.app.bot)
        if isinstance(self.app.bot, ExtBot):  # as Updater does: resolve arbitrary callback data
            self.app.bot.insert_callback_data(update)
        if self.via_queue:
            self.app.update_queue.put_nowait(update)
        else:
            task = asyncio.create_task(self.app.process_update(update))
            self._direct_tasks.add(task)
            task.add_done_callback(self._direct_tasks.discard)
        return update

    async def deliver(self, payload: JSONDict) -> Update:
        update = self.enqueue(payload)
        await self.settle()
        return update

    async def settle(self, within: float | None = None) -> None:
        """Wait until every delivered update and every task it started has finished."""
        limit = self.settle_timeout if within is None else within
        try:
            async with asyncio.timeout(limit):
                while not await self._settled_once():
                    pass
        except TimeoutError:
            names = sorted(task.get_name() for task in self._pending_tasks())
            raise AssertionError(
                f"updates did not settle within {limit}s; queue={self.app.update_queue.qsize()}"
                f", pending tasks={names} (pass ignore_task= for long-lived tasks)"
            ) from None

    async def _settled_once(self) -> bool:
        # task_done() is called after the processor returned, so join() covers blocking handlers
        await self.app.update_queue.join()
        processor_idle = getattr(self.app.update_processor, "idle", None)
        if processor_idle is not None:
            await processor_idle()
        pending = self._pending_tasks()
        if pending:
            await asyncio.wait(pending)
            return False
        await asyncio.sleep(0)  # let callbacks that just finished schedule follow-up work
        in_flight = getattr(self.app.update_processor, "in_flight", 0)
        return not self._pending_tasks() and self.app.update_queue.empty() and not in_flight

    def _pending_tasks(self) -> set[asyncio.Task[Any]]:
        # Application keeps no public handle on create_task tasks (checked with PTB 22.8).
        app_tasks: set[asyncio.Task[Any]] = getattr(
            self.app, "_Application__create_task_tasks", set()
        )
        current = asyncio.current_task()
        return {
            task
            for task in app_tasks | self._direct_tasks
            if not task.done() and task is not current and not self.ignore_task(task)
        }

    def next_query_id(self) -> str:
        return str(9_000_000 + next(self._query_ids))
