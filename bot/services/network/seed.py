"""The first import at start: an empty directory gets the shipped referral data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.services.basics.reference import load_reference_data
from bot.services.network.files import seed_shipped


async def seed_directory(engine: AsyncEngine, data_dir: Path | None) -> int:
    """How many entries were imported (0 when the directory has entries already, or when a
    second instance starting at the same moment imported them first)."""
    reference = load_reference_data(data_dir)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with maker() as session, session.begin():
            return await seed_shipped(session, reference, datetime.now(UTC))
    except IntegrityError:  # the other instance's rows: their keys are taken
        return 0
