"""The outbox: messages that must reach someone, written in the transaction that causes them.

Services write intents (`tell`): what to say as domain data, rendered by the message layer at
delivery in the language the recipient has then. Handlers may queue a reply they rendered
themselves for the user in front of them (`enqueue` with a payload: text, buttons, photos,
location). `bot.delivery` turns either into Bot API calls, so this module stays free of
Telegram and of texts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, case, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.messaging.intents import Intent, to_params
from bot.storage.models import OutboxMessage, Person

Button = dict[str, str]  # {"text": ..., "data": ...} or {"text": ..., "url": ...}
MAX_ATTEMPTS = 12


def payload(
    text: str,
    *,
    buttons: list[list[Button]] | None = None,
    photos: list[str] | None = None,
    location: tuple[float, float] | None = None,
    document: dict[str, Any] | None = None,
    keyboard: list[list[str]] | None = None,
    html: bool = True,
) -> dict[str, Any]:
    """`buttons` are inline buttons; `keyboard` is a reply keyboard (rows of labels, e.g. the
    main menu) for a message without inline buttons; `html` False sends the text as it is."""
    data: dict[str, Any] = {"text": text}
    if buttons:
        data["buttons"] = buttons
    elif keyboard:
        data["keyboard"] = [list(row) for row in keyboard]
    if not html:
        data["html"] = False
    if photos:
        data["photos"] = list(photos)
    if location:
        data["location"] = list(location)
    if document:
        data["document"] = document
    return data


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    data: dict[str, Any],
    now: datetime,
    kind: str = "message",
    case_id: int | None = None,
    person_id: int | None = None,
    backup_for: float | None = None,
) -> OutboxMessage:
    """Queue a message in the caller's transaction.

    With `backup_for` (seconds) the row only backs up a message the caller sends at once
    after the commit (`bot.delivery.deliver_now`, which records it as sent): the sender
    takes it up only when it is still unsent that much later, e.g. because the process died
    between the commit and the send. An answer the user waits for thus goes out at once, yet
    cannot be lost.
    """
    message = OutboxMessage(
        chat_id=chat_id,
        person_id=person_id,
        kind=kind,
        payload=data,
        case_id=case_id,
        created_at=now,
        next_attempt_at=now + timedelta(seconds=backup_for) if backup_for else now,
    )
    session.add(message)
    return message


def tell(
    session: AsyncSession,
    *,
    chat_id: int,
    intent: Intent,
    now: datetime,
    person_id: int | None = None,
    case_id: int | None = None,
    language: str | None = None,
    kind: str = "message",
    backup_for: float | None = None,
    sender_id: int | None = None,
) -> OutboxMessage:
    """Queue an intent for a chat in the caller's transaction; `language` is the fallback
    when the recipient has chosen none (e.g. the language a case was filed in); `sender_id`
    the person who sent it through the bot, told if it fails later (`outcome`)."""
    message = told(
        chat_id=chat_id,
        intent=intent,
        now=now,
        person_id=person_id,
        case_id=case_id,
        language=language,
        kind=kind,
        backup_for=backup_for,
        sender_id=sender_id,
    )
    session.add(message)
    return message


def told(
    *,
    chat_id: int,
    intent: Intent,
    now: datetime,
    person_id: int | None = None,
    case_id: int | None = None,
    language: str | None = None,
    kind: str = "message",
    backup_for: float | None = None,
    sender_id: int | None = None,
) -> OutboxMessage:
    """The row `tell` queues, not yet in a session (for `tell_all`)."""
    return OutboxMessage(
        chat_id=chat_id,
        person_id=person_id,
        kind=kind,
        intent=intent.kind,
        params=to_params(intent),
        language=language,
        payload=None,
        case_id=case_id,
        sender_id=sender_id,
        created_at=now,
        next_attempt_at=now + timedelta(seconds=backup_for) if backup_for else now,
        attempts=0,
    )


# Statements of every delivery, built once: SQLAlchemy reuses their cache key and compiled
# form, and Core statements on the table skip the ORM's work (an ORM UPDATE also looks for
# the rows among the session's objects).
_TABLE: Any = OutboxMessage.__table__
_PERSONS: Any = Person.__table__
_INSERT_ROWS = insert(_TABLE).returning(_TABLE.c.id, _TABLE.c.chat_id, _TABLE.c.kind)
_MARK_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("message_id"))
    .values(
        sent_at=bindparam("now", type_=_TABLE.c.sent_at.type),
        sent_message_id=bindparam("telegram_message_id", type_=_TABLE.c.sent_message_id.type),
    )
)
_LANGUAGES = select(_PERSONS.c.telegram_id, _PERSONS.c.language).where(
    _PERSONS.c.telegram_id.in_(bindparam("chat_ids", expanding=True)),
    _PERSONS.c.language.is_not(None),
)

_ROW = ("chat_id", "person_id", "kind", "intent", "params", "language", "payload", "case_id",
        "sender_id", "created_at", "next_attempt_at", "attempts")  # fmt: skip


async def tell_all(session: AsyncSession, messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Queue rows built by `told` in one INSERT statement (the ORM inserts rows that differ
    in their empty columns one by one); returns them with their ids, in the given order.
    They are stored, but not part of the session."""
    rows = [{name: getattr(message, name) for name in _ROW} for message in messages]
    by_key = {(message.chat_id, message.kind): message for message in messages}
    if len(by_key) < len(messages):  # RETURNING's order is not guaranteed: rows by key
        for message in messages:
            session.add(message)
        await session.flush()
        return messages
    returned = await session.execute(_INSERT_ROWS, rows)
    for message_id, chat_id, kind in returned:
        by_key[(chat_id, kind)].id = message_id
    return messages


async def languages_of(session: AsyncSession, chat_ids: set[int]) -> dict[int, str]:
    """The chosen language of each private chat's person, in one query (chat id = user id)."""
    if not chat_ids:
        return {}
    rows = await session.execute(_LANGUAGES, {"chat_ids": list(chat_ids)})
    return {int(telegram_id): language for telegram_id, language in rows if language}


# Bulk kinds (a news item to thousands of subscribers) go after everything else that is due,
# so a case's or an agreement's message never waits minutes behind them.
BULK_KINDS = ("news",)
BACKUP_SECONDS = 10.0  # a good value for `backup_for`: longer than a send, short for a person
# How long a taken message is reserved for the instance sending it: also how long the messages
# of an instance killed mid-send wait for another. The sender re-claims after half of it.
CLAIM_SECONDS = 30.0


async def due_messages(
    session: AsyncSession, *, now: datetime, limit: int = 50, claim_seconds: float = CLAIM_SECONDS
) -> list[OutboxMessage]:
    """Take the messages due for sending, oldest first.

    On PostgreSQL several instances may send at once: the rows are taken with
    `FOR UPDATE SKIP LOCKED` and claimed by moving `next_attempt_at` to `now + claim_seconds`
    in this (short) transaction, so no other instance takes them after the commit. Sending
    then records sent, retry or failure, each of which replaces the claim; the messages of an
    instance that died while sending are due again when the claim runs out. SQLite serves a
    single instance and takes the rows without claiming them.
    """
    if session.bind is None or session.bind.dialect.name != "postgresql":
        rows = await session.scalars(_due(limit), {"now": now})
        return list(rows)
    pending = (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
    )
    due = (
        select(OutboxMessage.id)
        .where(*pending)
        .order_by(*_order())
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=claim_until(now, claim_seconds))
        .returning(OutboxMessage),
        execution_options={"synchronize_session": False},
    )
    return sorted(claimed, key=lambda message: (message.kind in BULK_KINDS, message.id))


async def due_with_languages(
    session: AsyncSession, *, now: datetime, limit: int = 50
) -> tuple[list[OutboxMessage], dict[int, str]]:
    """`due_messages` and the chosen language of each intent's chat (`languages_of`); on
    SQLite in one query (one statement less in every pass of the sender)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        batch = await due_messages(session, now=now, limit=limit)
        chats = {m.chat_id for m in batch if m.intent is not None}
        return batch, await languages_of(session, chats)
    rows = (await session.execute(_due(limit, with_language=True), {"now": now})).all()
    languages = {m.chat_id: lang for m, lang in rows if lang and m.intent is not None}
    return [m for m, _ in rows], languages


@cache
def _due(limit: int, *, with_language: bool = False) -> Select[Any]:
    """The due rows, oldest first (SQLite: no claim), built once per limit; with the
    language their chat's person chose (chat id = user id of a private chat)."""
    query: Select[Any] = select(OutboxMessage)
    if with_language:
        query = select(OutboxMessage, Person.language).outerjoin(
            Person, Person.telegram_id == OutboxMessage.chat_id
        )
    return (
        query.where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.next_attempt_at <= bindparam("now", type_=_TABLE.c.next_attempt_at.type),
        )
        .order_by(*_order())
        .limit(limit)
    )


def _order() -> tuple[Any, ...]:
    return (case((OutboxMessage.kind.in_(BULK_KINDS), 1), else_=0), OutboxMessage.id)


def claim_until(now: datetime, claim_seconds: float = CLAIM_SECONDS) -> datetime:
    return now + timedelta(seconds=claim_seconds)


async def release(
    session: AsyncSession, *, message_ids: list[int], claimed_until: datetime, now: datetime
) -> None:
    """Give taken but unsent messages back (still claimed by us), due at once."""
    if not message_ids:
        return
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(message_ids),
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.next_attempt_at == claimed_until,
        )
        .values(next_attempt_at=now)
    )


async def mark_sent(
    session: AsyncSession, *, message_id: int, now: datetime, telegram_message_id: int | None
) -> None:
    values = {"message_id": message_id, "now": now, "telegram_message_id": telegram_message_id}
    await session.execute(_MARK_SENT, values)


async def mark_retry(
    session: AsyncSession,
    *,
    message_id: int,
    now: datetime,
    error: str,
    wait_seconds: float | None,
) -> None:
    """Back off exponentially, or wait as long as Telegram told us to."""
    message = await session.get(OutboxMessage, message_id)
    if message is None:
        return
    message.attempts += 1
    message.last_error = error[:256]
    if message.attempts >= MAX_ATTEMPTS:
        message.failed_at = now
        return
    delay = wait_seconds if wait_seconds is not None else min(2**message.attempts, 900)
    message.next_attempt_at = now + timedelta(seconds=delay)


async def mark_failed(
    session: AsyncSession, *, message_id: int, now: datetime, error: str
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(failed_at=now, last_error=error[:256])
    )


async def pending_count(session: AsyncSession) -> int:
    from sqlalchemy import func

    count = await session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
        )
    )
    return int(count or 0)
