"""Run the bot for real: migrate, build, poll."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot.app import build_application, make_services, prepare_schema
from bot.config import Settings
from bot.storage.db import create_engine, create_session_maker

log = logging.getLogger(__name__)


def run_polling(settings: Settings) -> None:
    """Long polling until Ctrl-C or SIGTERM; the schema is upgraded first."""
    asyncio.run(prepare_schema(settings))
    # The engine connects lazily, so its connections belong to run_polling's event loop.
    engine = create_engine(settings.database_url)
    services = make_services(settings, create_session_maker(engine))
    app = build_application(settings, services)

    async def _dispose(_app: object) -> None:
        await engine.dispose()

    app.post_shutdown = _dispose  # type: ignore[assignment]
    log.info("Bezirksbot starts polling")
    app.run_polling(allowed_updates=Update.ALL_TYPES)
