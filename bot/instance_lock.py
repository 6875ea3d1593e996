"""Only one instance polls Telegram: a leader lock.

Two or more bot processes may run against one PostgreSQL database (for a quick restart or a
second machine). Telegram allows a single `getUpdates` consumer per bot, so the instances
elect a leader: whoever holds `pg_try_advisory_lock(<key>)` polls, the others wait and retry
every `retry_seconds`. The lock lives on a dedicated connection, so it dies with the process
(or its connection): a killed leader's lock is released by the server at once and a waiting
instance takes over within seconds.

Advisory locks are per database and per session. Connect directly (or through a pooler in
session mode); a pooler in transaction mode would hand the session to other clients.

SQLite serves a single instance; an exclusive `flock` on `<database>.lock` keeps a second
process on the same file waiting in the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import NullPool

from bot.config import Settings
from bot.storage.db import create_engine

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0  # how often a waiting instance asks again
CHECK_SECONDS = 5.0  # how often the leader checks that its lock connection is alive


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_advisory_lock(bigint)` from a readable name."""
    digest = hashlib.sha256(f"bezirksbot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class InstanceLock(Protocol):
    async def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        ...

    async def wait_lost(self) -> None:
        """Return when the lock is lost (its connection broke); never returns otherwise."""
        ...

    async def release(self) -> None: ...


async def acquire(
    lock: InstanceLock,
    *,
    stop: asyncio.Event | None = None,
    retry_seconds: float = RETRY_SECONDS,
) -> bool:
    """Wait until `lock` is ours (True) or `stop` is set (False), asking every `retry_seconds`."""
    stop = stop or asyncio.Event()
    waiting_logged = False
    while not stop.is_set():
        try:
            if await lock.try_acquire():
                return True
        except Exception as error:  # the database is unreachable: keep waiting
            log.warning("instance lock: %s; retrying", error.__class__.__name__)
        if not waiting_logged:
            log.info("another instance is polling; waiting to take over")
            waiting_logged = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(retry_seconds):
                await stop.wait()
    return False


class PostgresLock:
    """`pg_try_advisory_lock` held on a connection of its own (not from the bot's pool)."""

    def __init__(
        self,
        url: str,
        key: int,
        *,
        check_seconds: float = CHECK_SECONDS,
        application_name: str | None = None,
    ) -> None:
        connect_args = {}
        if application_name:
            connect_args = {"server_settings": {"application_name": application_name}}
        self._engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
        self._key = key
        self._check_seconds = check_seconds
        self._connection: AsyncConnection | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    async def try_acquire(self) -> bool:
        if self._held:
            return True
        if self._connection is None:
            self._connection = await self._engine.connect()
        try:
            got = await self._connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            )
            await self._connection.commit()  # the lock is the session's; no open transaction
        except Exception:
            await self._close()
            raise
        self._held = bool(got)
        return self._held

    async def wait_lost(self) -> None:
        """Ping the lock's connection; return as soon as it fails (the lock is gone with it)."""
        while self._held and self._connection is not None:
            await asyncio.sleep(self._check_seconds)
            try:
                async with asyncio.timeout(self._check_seconds + 10):
                    await self._connection.scalar(text("SELECT 1"))
                    await self._connection.commit()
            except Exception as error:
                log.error("instance lock lost: %s", error.__class__.__name__)
                self._held = False
                await self._close()
                return
        await asyncio.Event().wait()  # not held: nothing can be lost

    async def release(self) -> None:
        if self._connection is not None and self._held:
            with contextlib.suppress(Exception):
                await self._connection.scalar(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                )
                await self._connection.commit()
        self._held = False
        await self._close()
        await self._engine.dispose()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()


class FileLock:
    """An exclusive `flock` on a file beside the SQLite database (one process at a time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        import fcntl

        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def wait_lost(self) -> None:
        await asyncio.Event().wait()  # a file lock is held until released or the process ends

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock


class NoLock:
    """For an in-memory database or a platform without flock: always ours."""

    async def try_acquire(self) -> bool:
        return True

    async def wait_lost(self) -> None:
        await asyncio.Event().wait()

    async def release(self) -> None:
        return None


def polling_lock(settings: Settings, *, application_name: str | None = None) -> InstanceLock:
    """The leader lock for long polling that fits the configured database."""
    bot_id = (settings.token or "0:").split(":", 1)[0]
    if settings.database_url.startswith("postgresql"):
        return PostgresLock(
            settings.database_url,
            lock_key(f"polling:{bot_id}"),
            application_name=application_name or "bezirksbot-leader-lock",
        )
    path = settings.sqlite_path()
    if path is not None and os.name == "posix":
        return FileLock(path.with_name(path.name + ".lock"))
    return NoLock()
