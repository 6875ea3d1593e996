"""A lean "Send": six SQL statements until the receipt goes out, fourteen in all (after the
answer, in the update ledger's background: its record and the similar cases, then the card's
delivery and the ledger); the district's card waits for the similar-case search, and goes
anyway (without it) if the process dies before that search."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event

import bot.handlers.intake as intake_handlers
from bot.delivery import flush_outbox
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.cases import intake
from bot.services.cases.records import Draft
from bot.services.messaging import outbox
from bot.storage.db import session_scope
from tests import pg
from tests.conftest import BotEnv
from tests.helpers import bind_role

MANAGER = 700_010


def _label(statement: str) -> str:
    """INSERT/UPDATE with their table; a SELECT as such."""
    words = statement.split()
    return {"INSERT": f"INSERT {words[2]}", "UPDATE": f"UPDATE {words[1]}"}.get(words[0], words[0])


async def test_german_send_writes_six_statements_before_the_receipt_fourteen_in_all(
    env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    erika = env.sim.user(1301, language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press("Ja")
    await erika.press("Öffentlicher Raum")
    await erika.send("Der Platz an der Ecke ist jedes Wochenende vermüllt.")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")

    statements: list[str] = []
    at_receipt: list[int] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "ptb_persistence" not in statement:  # conversation states: written for every update
            statements.append(_label(statement))

    send_now = intake_handlers.send_now

    async def noted(*args: Any, **kwargs: Any) -> Any:
        at_receipt.append(len(statements))
        return await send_now(*args, **kwargs)

    monkeypatch.setattr(intake_handlers, "send_now", noted)
    event.listen(env.engine.sync_engine, "before_cursor_execute", count)
    try:
        await erika.press("Senden")
    finally:
        event.remove(env.engine.sync_engine, "before_cursor_execute", count)
    assert erika.last.plain_text.startswith("Vielen Dank! Ihr Anliegen hat die Nummer 10-2026-")
    assert at_receipt == [6]
    assert statements[:6] == [
        "SELECT",  # the resident, a council seat, an earlier filing of this intake
        "SELECT",  # the district's recipients with their absences
        "INSERT reference_counters",  # the number, taken last
        "INSERT cases",
        "INSERT case_events",  # both events
        "INSERT outbox",  # the card and the receipt
    ]
    assert statements[6:10] == [
        "UPDATE outbox",  # the receipt went out
        "INSERT case_messages",  # and belongs to the case
        "SELECT",  # similar cases for the card
        "UPDATE outbox",  # the card, due now
    ]
    # the card's delivery (due rows with their languages, sent, its message) and the ledger;
    # on PostgreSQL the due rows are claimed first (several instances share the outbox)
    claimed = ["UPDATE outbox"] if pg.enabled() else []
    assert Counter(statements[10:]) == Counter(
        ["SELECT", "UPDATE outbox", "INSERT case_messages", "INSERT processed_updates", *claimed]
    )
    manager = env.sim.user(MANAGER)
    assert "10-2026-0001" in manager.last.plain_text  # the card, after the answer


async def test_german_held_card_goes_after_its_hold_when_the_search_never_ran(
    env: BotEnv,
) -> None:
    """The process dies between the commit and the similar-case search: the card is sent
    when its hold runs out, without the hint, as the receipt would be."""
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    draft = Draft(district_number="10", quarter="Linden-Süd", topic="public_space",
                  description="Müll am Platz.", key="h" * 32)  # fmt: skip
    async with session_scope(env.services.session_maker) as session:
        resident = await people.get_or_create_person(
            session, telegram_id=1302, first_name="Erika", language="de", now=env.clock.now()
        )
        facts = await intake.read_sender(session, telegram_id=1302, intake_key=draft.key)
        assert facts is not None and facts.filed_case_id is None
        submitted = await intake.submit(
            session, env.services.env, draft=draft, resident=resident, chat_id=1302,
            language="de", now=env.clock.now(), facts=facts, hold_cards=True,
        )  # fmt: skip
    assert len(submitted.cards) == 1
    assert env.app is not None
    manager = env.sim.user(MANAGER, language_code="de")
    await flush_outbox(env.app)
    assert manager.messages == []  # held for the search after the answer
    env.clock.advance(seconds=outbox.BACKUP_SECONDS + 1)
    await flush_outbox(env.app)
    assert submitted.case.reference in manager.last.plain_text
    # the search that comes too late leaves the sent card alone
    async with session_scope(env.services.session_maker) as session:
        await intake.release_cards(session, submitted, now=env.clock.now())
    await flush_outbox(env.app)
    assert len([m for m in manager.messages if submitted.case.reference in m.plain_text]) == 1
