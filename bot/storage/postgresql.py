"""What the code needs of SQLAlchemy's PostgreSQL dialect, imported when first used.

The dialect package (types, ranges, every driver's module) weighs ~2 MiB; a bot on SQLite
never needs it, yet `from sqlalchemy.dialects import postgresql` at the top of a module, or a
`postgresql_*` option on a model, loaded it in every process. `insert` stands in for the
dialect's; options only PostgreSQL reads are declared in an index's `info` and added by
`declare_model_options` when a PostgreSQL engine is made (`bot.storage.db.create_engine`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert

OPTION_PREFIX = "postgresql_"


def insert(table: Any) -> Insert:
    """`sqlalchemy.dialects.postgresql.insert`: INSERT … ON CONFLICT."""
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    return postgresql_insert(table)


def declare_model_options() -> None:
    """Move each index's `info["postgresql_…"]` into its PostgreSQL options (idempotent)."""
    from bot.storage.models import Base

    for table in Base.metadata.tables.values():
        for index in table.indexes:
            for key, value in index.info.items():
                if key.startswith(OPTION_PREFIX):
                    index.dialect_options["postgresql"][key.removeprefix(OPTION_PREFIX)] = value
