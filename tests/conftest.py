"""Shared fixtures: a real Application over a temporary database and the offline Bot API."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_application, make_services, open_storage
from bot.config import Settings
from bot.context import BotApplication, Services
from bot.offline.fake_api import FakeBotAPI
from bot.offline.simulator import Simulator, running
from bot.services.basics.clock import FakeClock
from tests import pg

# Every run replays the same examples, so a red build is reproducible and never a matter of
# luck; HYPOTHESIS_PROFILE=explore (like FUZZ_SEED=random for the fuzz test) looks for new ones.
hypothesis_settings.register_profile("replay", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "replay"))

ADMIN_ID = 900_001
START = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Hannover


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": (
            pg.database_url(tmp_path)
            if pg.enabled()  # TEST_DATABASE_URL
            else f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        ),
        "admin_telegram_ids": [ADMIN_ID],
        "telegram_bot_token": None,
        "outbox_interval_seconds": 3600,  # tests flush explicitly; no timer races
        # scripted users type faster than people; flood control has its own tests
        "flood_messages_per_minute": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class BotEnv:
    """One bot over one database; `restart()` builds a new application on the same data."""

    settings: Settings
    engine: AsyncEngine
    services: Services
    clock: FakeClock
    api: FakeBotAPI
    app: BotApplication | None = None
    sim: Simulator | None = None
    _stack: list[Any] = field(default_factory=list)

    async def start(self) -> Simulator:
        self.app = build_application(
            self.settings, self.services, request=self.api, rate_limit=False
        )
        ctx = running(self.app)
        await ctx.__aenter__()
        self._stack.append(ctx)
        self.sim = Simulator(self.app, self.api, clock=lambda: self.clock.now().timestamp())
        return self.sim

    async def stop(self) -> None:
        while self._stack:
            await self._stack.pop().__aexit__(None, None, None)

    async def restart(self) -> Simulator:
        """A clean stop and start, as after a deployment; the simulated users keep their chats."""
        old = self.sim
        await self.stop()
        sim = await self.start()
        if old is not None:
            sim._users = old._users  # the same people keep talking
            sim._update_ids, sim._query_ids = old._update_ids, old._query_ids
            for user in sim._users.values():
                user.sim = sim
        return sim


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[BotEnv]:
    settings = make_settings(tmp_path)
    engine, maker = await open_storage(settings)
    clock = FakeClock(START)
    services = make_services(settings, maker, clock=clock)
    bot_env = BotEnv(settings, engine, services, clock, FakeBotAPI())
    await bot_env.start()
    try:
        yield bot_env
    finally:
        await bot_env.stop()
        await engine.dispose()


CRASH_COUNTS = "crash_counts"  # a test's record_property: repeated in the terminal summary


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The crash test's counts at the end of the output, where CI logs keep them in view."""
    lines = [
        str(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == CRASH_COUNTS
    ]
    if lines:
        terminalreporter.section("crash test counts")
        for line in lines:
            terminalreporter.write_line(line)
