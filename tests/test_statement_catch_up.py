"""A council statement's nudges after downtime, in German: one message that says when the
statement was due, instead of the three missed nudges in a row."""

from __future__ import annotations

from sqlalchemy import select

from bot.i18n import Translations
from bot.jobs import run_sweep
from bot.reminders_cli import preview_lines, preview_sweep
from bot.storage.db import session_scope
from bot.storage.models import Reminder
from tests.conftest import BotEnv
from tests.test_council_e2e import MANAGER, MEMBER, REP66, SESSION_TEXT, SUPPORT, _world, at


async def test_nach_einem_ausfall_eine_erinnerung_mit_dem_wahren_stand(env: BotEnv) -> None:
    users = await _world(env, "de")
    manager, member, rep66, support = users[MANAGER], users[MEMBER], users[REP66], users[SUPPORT]
    await support.send("/sitzung")
    await support.send(SESSION_TEXT)
    await member.send("/anfrage")
    await member.press(member.buttons()[0])
    await member.send("Spielplatz Küchengarten")
    await member.send("Wann wird der Spielplatz am Küchengarten saniert?")
    await member.send_document(b"%PDF-1.4 fotos", file_name="fotos.pdf")
    await manager.press("Fachbereiche beteiligen")
    await manager.send("66")
    assert "bittet Ihren Fachbereich um eine Stellungnahme" in rep66.last.plain_text
    before = len(rep66.messages)

    # down from Friday 13 March until the day after the due day (Thursday 19 March); what
    # the first sweep will do, as `bezirksbot reminders --at "2026-03-20 09:00"` shows it
    preview = await preview_sweep(env.services, at(3, 20, 9))
    lines = preview_lines(
        preview, Translations("de").get("de"), env.services.reference, env.services.settings.tz
    )
    skipped = [line for line in lines if "Erinnerung an eine Stellungnahme (Bezirksrat)" in line]
    assert [line.split(" für ")[0].strip() for line in skipped] == [
        "Mo, 16.03.2026, 08:00: Erinnerung an eine Stellungnahme (Bezirksrat)",
        "Mi, 18.03.2026, 08:00: Erinnerung an eine Stellungnahme (Bezirksrat)",
    ]
    assert all(
        line.endswith("Grund: ein späterer Termin derselben Sache ist zugleich fällig")
        for line in skipped
    )
    await env.restart()
    env.clock.set(at(3, 20, 9))
    await run_sweep(env.app)
    assert len(rep66.messages) == before + 1
    assert rep66.last.plain_text.startswith(
        "Erinnerung: Ihre Stellungnahme war am Donnerstag, 19.03., fällig."
    )
    assert "Eskalation: Die Stellungnahme von Fachbereich 66" in manager.last.plain_text
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(select(Reminder).where(Reminder.kind == "brt_nudge"))
        reasons = {r.key.rsplit(":", 1)[-1]: r.skip_reason for r in rows}
    assert reasons == {"d3": "superseded", "d1": "superseded", "due": None}
    await run_sweep(env.app)
    assert len(rep66.messages) == before + 1
