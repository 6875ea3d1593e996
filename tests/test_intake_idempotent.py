"""Confirming the same draft twice (a redelivered update after a crash) files one case."""

from __future__ import annotations

import copy
import inspect
from typing import Any

import pytest

import bot.handlers.intake as intake_handlers
from bot.delivery import flush_outbox
from bot.messages import callbacks
from bot.offline.chats import SimUser
from bot.offline.records import SentMessage
from bot.services.access import people
from bot.services.cases import intake
from bot.services.cases.records import Draft
from bot.services.messaging import outbox
from bot.storage.db import session_scope
from tests.conftest import BotEnv
from tests.helpers import consent, count_cases, to_review


async def test_the_same_draft_confirmed_twice_is_one_case(env: BotEnv) -> None:
    draft = Draft(
        district_number="10",
        quarter="Limmer",
        topic="public_space",
        description="Broken bench.",
        key="k" * 32,
    )
    references = []
    for _ in range(2):
        async with session_scope(env.services.session_maker) as session:
            resident = await people.get_or_create_person(
                session, telegram_id=4242, first_name="Erika", language="en", now=env.clock.now()
            )
            case, routed = await intake.confirm_draft(
                session,
                env.services.env,
                draft=draft,
                resident=resident,
                language="en",
                now=env.clock.now(),
            )
            references.append((case.reference, routed))
    assert references[0][0] == references[1][0]
    assert references[1][1] == "already"
    assert await count_cases(env) == 1
    other = Draft(**{**draft.to_dict(), "key": "x" * 32})
    async with session_scope(env.services.session_maker) as session:
        resident = await people.get_person(session, telegram_id=4242)
        case, _ = await intake.confirm_draft(
            session,
            env.services.env,
            draft=other,
            resident=resident,
            language="en",
            now=env.clock.now(),
        )
    assert case.reference != references[0][0] and await count_cases(env) == 2


# --- a replayed "Send" (the update handled again after a crash) -------------------------------
async def _replay_send(
    env: BotEnv, user: SimUser, monkeypatch: pytest.MonkeyPatch, dies_in: str, send: str
) -> SentMessage:
    """Press `send` at the review, the process "dying" in `dies_in` (a name in the handler's
    module); then the same press is handled again with the conversation as it was stored
    before it (what a replay from the inbox does). Returns the review message."""
    assert env.app is not None
    review = user.last
    before = copy.deepcopy(dict(env.app.user_data[user.user_id]))
    real = getattr(intake_handlers, dies_in)

    def killed(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("killed")

    async def killed_awaited(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("killed")

    monkeypatch.setattr(
        intake_handlers, dies_in, killed_awaited if inspect.iscoroutinefunction(real) else killed
    )
    await user.press(send)
    monkeypatch.setattr(intake_handlers, dies_in, real)
    env.app.user_data[user.user_id].update(before)
    await user.press_data(callbacks.INTAKE.data("confirm"), message=review)
    return review


def _receipts(user: SimUser, start: str) -> list[str]:
    return [m.plain_text for m in user.messages if m.plain_text.startswith(start)]


async def test_german_send_replayed_before_its_receipt_went_sends_the_queued_receipt_once(
    env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the commit, before the receipt: the replay sends the receipt queued the
    first time, and the outbox does not send it again when its backup time is up."""
    assert env.sim is not None
    erika = env.sim.user(1401, language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await to_review_de(erika)
    await _replay_send(env, erika, monkeypatch, "send_now", "Senden")
    receipts = _receipts(erika, "Vielen Dank! Ihr Anliegen hat die Nummer 10-2026-0001")
    assert len(receipts) == 1 and await count_cases(env) == 1
    env.clock.advance(seconds=outbox.BACKUP_SECONDS + 1)
    assert env.app is not None
    await flush_outbox(env.app)
    assert len(_receipts(erika, "Vielen Dank!")) == 1


async def test_send_replayed_after_its_receipt_went_sends_no_second_receipt(
    env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the receipt was sent and recorded: the replay files nothing and sends
    nothing (the resident has their number), and nothing is left for the outbox."""
    assert env.sim is not None
    erika = env.sim.user(1402, language_code="en")
    await consent(erika)
    await to_review(erika)
    await _replay_send(env, erika, monkeypatch, "request_delivery", "Send")
    assert len(_receipts(erika, "Thank you! Your concern has the number 10-2026-0001")) == 1
    assert await count_cases(env) == 1
    env.clock.advance(seconds=outbox.BACKUP_SECONDS + 1)
    assert env.app is not None
    await flush_outbox(env.app)
    assert len(_receipts(erika, "Thank you!")) == 1


async def to_review_de(user: SimUser) -> None:
    await user.send("/neu")
    await user.send("linden sued")
    await user.press("Ja")
    await user.press("Öffentlicher Raum")
    await user.send("Der Platz an der Ecke ist jedes Wochenende vermüllt.")
    await user.press("Ohne weitere Fotos fortfahren")
    await user.press("Überspringen")
    await user.press("Nein, privat")
