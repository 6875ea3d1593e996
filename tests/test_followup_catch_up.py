"""The "did it help?" follow-up after downtime, in German: a bot started again at night
asks the resident once, in the morning, not at 02:00."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.jobs import run_sweep
from tests.conftest import BotEnv
from tests.reminder_walk import delivered, last_outbox_id, walk
from tests.test_triage_e2e import _german_concern

BERLIN = ZoneInfo("Europe/Berlin")


async def test_a_follow_up_missed_while_down_asks_once_in_the_morning(env: BotEnv) -> None:
    erika, manager, reference = await _german_concern(
        env, "Genehmigungen", "Darf unser Verein ein Osterfeuer machen?"
    )
    await manager.press("Lotse")
    await manager.press("Im Verzeichnis suchen")
    await manager.send("Osterfeuer")
    await manager.press("Osterfeuer und andere Brauchtumsfeuer")
    await manager.press("Trotzdem senden, ohne eigenen Satz")
    seen = await last_outbox_id(env)

    # referred on Wednesday 11 March; the follow-up is due Monday 16 March 10:00; the bot
    # was down from Sunday and comes back on Tuesday at 02:00
    await env.restart()
    env.clock.set(datetime(2026, 3, 17, 2, 0, tzinfo=BERLIN))
    assert await run_sweep(env.app) == 1
    assert await delivered(env, erika.user_id, since=seen) == []  # not at night
    await walk(env, datetime(2026, 3, 17, 12, 0, tzinfo=BERLIN))
    [question] = await delivered(env, erika.user_id, since=seen)
    assert question.at == datetime(2026, 3, 17, 8, 0, tzinfo=BERLIN)
    assert erika.last.plain_text.startswith(
        f"Vor einigen Tagen haben wir Ihnen zu Ihrem Anliegen {reference} eine Ansprechstelle"
    )
    assert "Hat Ihnen das geholfen?" in erika.last.plain_text
