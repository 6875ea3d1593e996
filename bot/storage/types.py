"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; SQLite hands back naive values, so re-attach UTC on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class RowId(TypeDecorator[int]):
    """INTEGER for row ids and references to them (the models' plain `Mapped[int]`).

    An id from outside (a forged button, a typed number) may be larger than any row id. SQLite
    merely finds no row; PostgreSQL's int4 refuses the value ("out of int32 range") and the
    statement fails. Such values are bound as -1, an id no row has, so both find nothing.
    """

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if isinstance(value, int) and not INT32_MIN <= value <= INT32_MAX:
            return -1
        return value
