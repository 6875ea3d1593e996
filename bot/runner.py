"""Run the bot for real: migrate, become the polling leader, poll, stop gracefully.

Several instances may run against one PostgreSQL database; only the holder of the leader lock
(`bot.instance_lock`) polls Telegram, the others wait and take over within seconds when it
dies. An instance initializes its Application (and so reads the conversation states from the
database) only once it leads, so it continues exactly where the previous leader stopped.

Updates fetched are stored in the database before Telegram learns that they arrived, and the
ones a killed leader had not finished are handled first by the next (bot.updates.inbox).

SIGTERM or Ctrl-C stops gracefully: no more updates are fetched (the ones taken are confirmed
to Telegram), the updates in hand and running jobs finish, the conversation states are
written, then the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.request import BaseRequest, HTTPXRequest

from bot import instance_lock
from bot.app import build_application, make_services, prepare_schema
from bot.config import Settings
from bot.context import BotApplication
from bot.services.basics.clock import Clock
from bot.storage.db import create_engine, create_session_maker
from bot.updates.inbox import Inbox, InboxRequest, replay
from bot.updates.inbox import install as install_inbox
from bot.updates.persistence import persist_after_each_update

log = logging.getLogger(__name__)

LOCK_LOST = 3  # exit code when the leader lock was lost: let the supervisor restart us


@dataclass
class Instance:
    """What `serve` runs; tests build two of these against one database."""

    settings: Settings
    request: BaseRequest | None = None  # the Bot API transport (offline stand-in in tests)
    clock: Clock | None = None
    lock: instance_lock.InstanceLock | None = None
    retry_seconds: float = instance_lock.RETRY_SECONDS
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    leading: asyncio.Event = field(default_factory=asyncio.Event)  # set once polling runs
    app: BotApplication | None = None
    engine_options: dict[str, Any] = field(default_factory=dict)


def run_polling(settings: Settings) -> int:
    """Long polling until Ctrl-C or SIGTERM; the schema is upgraded first. Returns the exit
    code (0, or LOCK_LOST when the database connection holding the leader lock broke)."""
    asyncio.run(prepare_schema(settings))
    return asyncio.run(serve(Instance(settings), handle_signals=True))


async def serve(instance: Instance, *, handle_signals: bool = False) -> int:
    """Wait for the leader lock, then poll until `instance.stop` is set (or the lock is lost)."""
    settings = instance.settings
    if handle_signals:
        _install_signal_handlers(instance.stop)
    lock = instance.lock or instance_lock.polling_lock(settings)
    # The engine connects lazily, so its connections belong to this event loop.
    engine = create_engine(settings.database_url, **instance.engine_options)
    try:
        if not await instance_lock.acquire(
            lock, stop=instance.stop, retry_seconds=instance.retry_seconds
        ):
            return 0  # stopped while waiting
        log.info("this instance leads: it polls Telegram")
        services = make_services(settings, create_session_maker(engine), clock=instance.clock)
        inbox = Inbox(services.session_maker, services.clock)
        # getUpdates stores what it fetches before the next call confirms it (the inbox)
        fetch = InboxRequest(instance.request or HTTPXRequest(connection_pool_size=1), inbox)
        app = build_application(
            settings, services, request=instance.request, updates_request=fetch
        )
        instance.app = app
        persist_after_each_update(app)
        install_inbox(app, inbox)
        return await _poll(app, lock, instance, inbox)
    finally:
        await lock.release()
        await engine.dispose()


async def _poll(
    app: BotApplication, lock: instance_lock.InstanceLock, instance: Instance, inbox: Inbox
) -> int:
    """What Application.run_polling does, with our stop event and the lock's watchdog."""
    await app.initialize()  # reads the conversation states: after taking the lock
    try:
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None
        # What the previous leader had fetched and not finished, before anything new: the
        # processor keeps each chat's updates in the order they were queued.
        await replay(app, inbox)
        await app.updater.start_polling(
            allowed_updates=Update.ALL_TYPES, error_callback=_polling_error(app)
        )
        await app.start()
        instance.leading.set()
        stopped = asyncio.create_task(instance.stop.wait())
        lost = asyncio.create_task(lock.wait_lost())
        await asyncio.wait({stopped, lost}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stopped, lost):
            task.cancel()
        code = LOCK_LOST if lost.done() and not lost.cancelled() else 0
        if code:
            log.error("leader lock lost: stopping, so that another instance can take over")
        log.info("stopping: finishing the updates in hand")
        if app.updater.running:
            await app.updater.stop()  # confirms the fetched updates to Telegram
        if app.running:
            await app.stop()  # waits for updates in hand and jobs, writes persistence
            if app.post_stop:
                await app.post_stop(app)
        return code
    finally:
        await app.shutdown()  # writes persistence once more and flushes it
        if app.post_shutdown:
            await app.post_shutdown(app)
        log.info("stopped")


def _polling_error(app: BotApplication) -> Callable[[TelegramError], None]:
    def callback(error: TelegramError) -> None:
        # as run_polling does: hand errors in fetching updates to the error handlers
        app.create_task(app.process_error(error=error, update=None))

    return callback


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # e.g. Windows
            loop.add_signal_handler(sig, _on_signal, loop, stop, sig)


def _on_signal(loop: asyncio.AbstractEventLoop, stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("%s received: stopping gracefully (once more to stop at once)", sig.name)
    stop.set()
    for each in STOP_SIGNALS:  # a second signal gets the default: end the process now
        loop.remove_signal_handler(each)
