"""INSERT … ON CONFLICT statements written once as SQL text, the same for SQLite and
PostgreSQL.

SQLAlchemy does not cache its dialects' `on_conflict_do_*` constructs (their cache key is
missing), so each call built and compiled the statement anew: for the persistence row written
after every update that cost more than the write itself. Text statements with typed bind
parameters are compiled once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import TextClause, TextualSelect, bindparam, column, text

from bot.storage.models import CaseMessage, PersistenceEntry, ProcessedUpdate


def _table(model: Any) -> Any:
    return model.__table__


# A conversation state or a user's data (python-telegram-bot persistence), written or replaced.
PERSISTENCE_ROW: TextClause = text(
    'INSERT INTO ptb_persistence (kind, "key", data, updated_at) '
    "VALUES (:kind, :key, :data, :updated_at) "
    'ON CONFLICT (kind, "key") '
    "DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"
).bindparams(
    bindparam("data", type_=_table(PersistenceEntry).c.data.type),
    bindparam("updated_at", type_=_table(PersistenceEntry).c.updated_at.type),
)

# The next reference number of a district and year (`records.next_reference`).
NEXT_REFERENCE: TextualSelect = text(
    "INSERT INTO reference_counters (district_number, year, last_value) "
    "VALUES (:district_number, :year, 1) "
    "ON CONFLICT (district_number, year) "
    "DO UPDATE SET last_value = reference_counters.last_value + 1 "
    "RETURNING last_value"
).columns(column("last_value"))

# Which case a message in a chat belongs to; a message seen before is left as it is.
CASE_MESSAGE: TextClause = text(
    "INSERT INTO case_messages (case_id, chat_id, message_id) "
    "VALUES (:case_id, :chat_id, :message_id) "
    "ON CONFLICT (chat_id, message_id) DO NOTHING"
).bindparams(
    bindparam("chat_id", type_=_table(CaseMessage).c.chat_id.type),
    bindparam("message_id", type_=_table(CaseMessage).c.message_id.type),
)

# An update whose handling is finished (the ledger); one recorded before is left as it is.
PROCESSED_UPDATE: TextClause = text(
    "INSERT INTO processed_updates (update_id, processed_at) "
    "VALUES (:update_id, :processed_at) "
    "ON CONFLICT (update_id) DO NOTHING"
).bindparams(
    bindparam("update_id", type_=_table(ProcessedUpdate).c.update_id.type),
    bindparam("processed_at", type_=_table(ProcessedUpdate).c.processed_at.type),
)
