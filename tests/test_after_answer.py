"""Work a handler leaves for after its answer: in the background, one transaction for the
updates that left some meanwhile, always before their ids count as processed."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.updates.guard import UpdateLedger, Work
from tests.conftest import BotEnv


def _ledger(env: BotEnv, order: list[object]) -> UpdateLedger:
    ledger = UpdateLedger(env.services.session_maker, env.clock)

    async def record(update_ids: set[int], _now: datetime) -> None:
        if update_ids:
            order.append(("ids", frozenset(update_ids)))

    ledger.record_with_states = record
    return ledger


def _work(order: list[object], name: str, sessions: list[AsyncSession]) -> Work:
    async def work(session: AsyncSession) -> None:
        sessions.append(session)
        order.append(name)

    return work


async def test_work_of_updates_at_once_shares_a_transaction_before_their_ids(
    env: BotEnv,
) -> None:
    order: list[object] = []
    sessions: list[AsyncSession] = []
    ledger = _ledger(env, order)
    updates = [object(), object()]
    for update_id, update in enumerate(updates, start=1):
        assert await ledger.first_time(update_id, update)
    ledger.after_answer(_work(order, "work 1", sessions), then=lambda: order.append("then 1"))
    ledger.after_answer(_work(order, "work 2", sessions), then=lambda: order.append("then 2"))
    ledger.finished(1, updates[0])
    ledger.finished(2, updates[1])
    await ledger.flush()
    assert order == ["work 1", "work 2", "then 1", "then 2", ("ids", frozenset({1, 2}))]
    assert sessions[0] is sessions[1]  # one transaction, one commit


async def test_an_update_finished_during_the_work_waits_for_its_own(env: BotEnv) -> None:
    """Work queued while another batch is being written goes into the next one, and the
    id of its update after it."""
    order: list[object] = []
    sessions: list[AsyncSession] = []
    ledger = _ledger(env, order)
    first, second = object(), object()
    assert await ledger.first_time(1, first)
    assert await ledger.first_time(2, second)

    async def first_work(session: AsyncSession) -> None:
        order.append("work 1")
        # meanwhile the second update leaves its work and finishes
        ledger.after_answer(_work(order, "work 2", sessions))
        ledger.finished(2, second)

    ledger.after_answer(first_work)
    ledger.finished(1, first)
    await ledger.flush()
    assert order.index("work 2") < order.index(("ids", frozenset({2})))
    assert order.index("work 1") < order.index(("ids", frozenset({1})))


async def test_failed_work_is_logged_and_the_ids_still_count(
    env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    """What the work would record is covered elsewhere (the outbox's backups); the update
    itself is done and must not be repeated."""
    order: list[object] = []
    ledger = _ledger(env, order)
    update = object()
    assert await ledger.first_time(7, update)

    async def broken(_session: AsyncSession) -> None:
        raise RuntimeError("disk gone")

    ledger.after_answer(broken, then=lambda: order.append("then"))
    ledger.finished(7, update)
    with caplog.at_level(logging.ERROR):
        await ledger.flush()
    assert order == [("ids", frozenset({7}))]  # no "then" for work that did not commit
    assert "could not do the work left after the answers of 1 updates" in caplog.text
