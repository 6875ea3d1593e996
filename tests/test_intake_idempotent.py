"""Confirming the same draft twice (a redelivered update after a crash) files one case."""

from __future__ import annotations

from bot.services.access import people
from bot.services.cases import intake
from bot.services.cases.records import Draft
from bot.storage.db import session_scope
from tests.conftest import BotEnv
from tests.helpers import count_cases


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
