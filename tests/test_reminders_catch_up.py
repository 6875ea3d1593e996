"""After downtime, no burst and nothing lost: the issue's case (stopped after 7 January 2027,
started again on Friday 22 January at 10:00, ten working days later) with the controllable
clock; and `bezirksbot reminders --at`, which shows that sweep before it happens."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import cli
from bot.i18n import Translations
from bot.jobs import run_sweep
from bot.reminders_cli import preview_lines, preview_sweep
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.agreements import workflow as agreements
from bot.storage.db import session_scope
from bot.storage.models import Reminder
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role
from tests.reminder_walk import delivered, last_outbox_id, walk

BERLIN = ZoneInfo("Europe/Berlin")
REP, MANAGER = 700_066, 700_010
STOPPED = datetime(2027, 1, 7, 18, 0, tzinfo=BERLIN)
RESTART = datetime(2027, 1, 22, 10, 0, tzinfo=BERLIN)  # Friday; 8–21 January: 10 working days


async def _german_team(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, REP, Role.REP, district="10", department="66", first_name="Ralf")
    async with session_scope(env.services.session_maker) as session:
        for telegram_id in (REP, MANAGER, ADMIN_ID):
            person = await people.get_person(session, telegram_id=telegram_id)
            if person is not None:
                person.language = "de"


async def _agreement(env: BotEnv, measure: str, due: datetime) -> int:
    async with session_scope(env.services.session_maker) as session:
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        agreement = await agreements.create_agreement(
            session,
            env.services.env,
            district="10",
            department="66",
            measure=measure,
            due=due,
            now=env.clock.now(),
            created_by=manager,
            topic="public_space",
        )
        return agreement.id


async def _reminders(env: BotEnv, agreement_id: int) -> list[Reminder]:
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(
            select(Reminder).where(Reminder.agreement_id == agreement_id).order_by(Reminder.due_at)
        )
        return list(rows)


async def _stopped_over_ten_working_days(env: BotEnv) -> tuple[int, int]:
    env.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN))
    await _german_team(env)
    bins = await _agreement(
        env, "Zwei Abfallbehälter am Küchengartenplatz", datetime(2026, 12, 18, tzinfo=BERLIN)
    )
    bench = await _agreement(
        env, "Bank am Lindener Marktplatz reparieren", datetime(2026, 12, 22, tzinfo=BERLIN)
    )
    await walk(env, STOPPED)  # every nudge until then, at its moment
    await env.stop()
    return bins, bench


async def test_a_bot_stopped_for_ten_working_days_sends_one_true_message_per_agreement(
    env: BotEnv,
) -> None:
    bins, bench = await _stopped_over_ten_working_days(env)
    seen = await last_outbox_id(env)
    await env.start()
    env.clock.set(RESTART)
    await run_sweep(env.app)

    to_rep = await delivered(env, REP, since=seen)
    texts = sorted(message.text("de") for message in to_rep)
    assert texts == [
        # due Tue 22 Dec and Fri 18 Dec: 25 and 26 Dec and 1 Jan are holidays, 24 and 31 Dec
        # working days; the day of the restart counts
        "Diese Vereinbarung ist seit 21 Arbeitstagen überfällig. Bitte melden Sie den Stand.",
        "Diese Vereinbarung ist seit 23 Arbeitstagen überfällig. Bitte melden Sie den Stand.",
    ]
    assert all(message.at == RESTART for message in to_rep)
    assert sorted(m.text("en") for m in to_rep)[0] == (
        "This agreement is overdue by 21 working days. Please report its state."
    )

    # the next sweep, half a minute later, sends nothing (the burst of the issue)
    env.clock.set(RESTART + timedelta(seconds=30))
    await run_sweep(env.app)
    assert await delivered(env, REP, since=seen) == to_rep

    for agreement_id in (bins, bench):
        rows = await _reminders(env, agreement_id)
        missed = [r for r in rows if r.skip_reason == "missed"]
        # the overdue slots of 8–21 January were recorded as skipped, none was sent
        assert missed and all(r.skipped_at is not None for r in missed)
        assert all(STOPPED < r.due_at.astimezone(BERLIN) < RESTART for r in missed)
        pending = [r for r in rows if r.sent_at is None and r.cancelled_at is None]
        # the next overdue nudge follows from now: three working days after the restart
        assert [(r.kind, r.due_at.astimezone(BERLIN)) for r in pending] == [
            ("agr_overdue", datetime(2027, 1, 27, 8, 0, tzinfo=BERLIN))
        ]

    # the coordination: the bench's escalation that fell due meanwhile, once, and one summary
    to_coordinator = [m.text("de") for m in await delivered(env, ADMIN_ID, since=seen)]
    assert len(to_coordinator) == 2
    assert to_coordinator[0].startswith("🚨 Eskalation an die Koordination")
    assert to_coordinator[1].startswith(
        "Der Bot lief von Do, 07.01.2027, 18:00 bis Fr, 22.01.2027, 10:00 nicht."
    )

    # and on: the next overdue nudge on Wednesday, with the count of that day
    await walk(env, datetime(2027, 1, 27, 12, 0, tzinfo=BERLIN))
    later = await delivered(env, REP, since=seen)
    assert [m.at for m in later[2:]] == [datetime(2027, 1, 27, 8, 0, tzinfo=BERLIN)] * 2
    assert "seit 26 Arbeitstagen überfällig" in sorted(m.text("de") for m in later[2:])[1]


async def test_reminders_at_shows_the_restart_sweep_without_sending(
    env: BotEnv,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bins, _ = await _stopped_over_ten_working_days(env)
    seen = await last_outbox_id(env)

    preview = await preview_sweep(env.services, RESTART.astimezone(ZoneInfo("UTC")))
    to_ralf = [p for p in preview.messages if p.name == "Ralf"]
    assert sorted((p.name, p.text.split("\n")[0]) for p in to_ralf) == [
        ("Ralf", "Diese Vereinbarung ist seit 21 Arbeitstagen überfällig. Bitte melden Sie "
         "den Stand."),
        ("Ralf", "Diese Vereinbarung ist seit 23 Arbeitstagen überfällig. Bitte melden Sie "
         "den Stand."),
    ]  # fmt: skip
    assert any(item.skip_reason == "missed" for item in preview.skipped)
    # and the coordinators' summary of the restart
    assert any(
        p.chat_id == ADMIN_ID and p.text.startswith("Der Bot lief von Do, 07.01.2027, 18:00")
        for p in preview.messages
    )
    lines = preview_lines(
        preview, Translations("de").get("de"), env.services.reference, env.services.settings.tz
    )
    assert lines[0] == (
        "Der Erinnerungslauf am Fr, 22.01.2027, 10:00 (nur angezeigt, nichts wird gesendet):"
    )
    # nothing was sent or stored: the slots are still pending
    assert await last_outbox_id(env) == seen
    assert not [r for r in await _reminders(env, bins) if r.skipped_at is not None]

    # the same from the shell
    monkeypatch.setattr(cli, "_settings", lambda: env.settings)
    monkeypatch.setattr(cli, "configure_logging", lambda settings: None)
    code = await asyncio.to_thread(cli.main, ["reminders", "--at", "2027-01-22 10:00"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == lines[0]
    assert "an Ralf (Chat 700066), Fr, 22.01.2027, 10:00: Diese Vereinbarung ist seit 23 " in out
    assert "Grund: fällig geworden, während der Bot nicht lief" in out
    assert await last_outbox_id(env) == seen
    code = await asyncio.to_thread(cli.main, ["reminders", "--at", "22.01.2027"])
    assert code == 2 and "YYYY-MM-DD HH:MM" in capsys.readouterr().err


async def test_a_short_stop_sends_the_due_nudge_but_no_summary(env: BotEnv) -> None:
    env.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN))
    await _german_team(env)
    await _agreement(env, "Bank reparieren", datetime(2026, 12, 18, tzinfo=BERLIN))
    await walk(env, datetime(2026, 12, 11, 7, 0, tzinfo=BERLIN))  # the d7 slot is at 08:00
    seen = await last_outbox_id(env)
    await env.restart()  # down for three hours (the summary setting: four)
    env.clock.set(datetime(2026, 12, 11, 10, 0, tzinfo=BERLIN))
    await run_sweep(env.app)
    [nudge] = await delivered(env, REP, since=seen)
    assert nudge.text("de") == "Erinnerung: Diese Vereinbarung ist in 7 Tagen fällig."
    assert await delivered(env, ADMIN_ID, since=seen) == []


async def test_a_backlog_longer_than_a_page_still_sends_one_message(env: BotEnv) -> None:
    from bot.jobs import catch_up_groups, reminder_renderers
    from bot.services.messaging import sweeping

    env.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN))
    await _german_team(env)
    agreement_id = await _agreement(env, "Bank reparieren", datetime(2026, 12, 18, tzinfo=BERLIN))
    seen = await last_outbox_id(env)
    env.clock.set(RESTART)  # never swept since the creation: five slots due, pages of two
    for _ in range(4):
        async with session_scope(env.services.session_maker) as session:
            await sweeping.sweep(
                session,
                env.services.env,
                now=env.clock.now(),
                renderers=reminder_renderers(env.services.env),
                group_of=catch_up_groups(),
                summary_after=timedelta(hours=4),
                limit=2,
            )
        await env.app.bot_data.outbox.flush(env.app.bot)  # type: ignore[union-attr]
    [message] = await delivered(env, REP, since=seen)
    assert message.text("de").startswith("Diese Vereinbarung ist seit 23 Arbeitstagen überfällig")
    reasons = {r.key.split(":", 3)[-1]: r.skip_reason for r in await _reminders(env, agreement_id)}
    assert reasons["agr_nudge:created"] == reasons["agr_nudge:d7"] == "superseded"
    assert reasons["agr_nudge:due"] == "superseded" and reasons["agr_overdue:1"] is None


def test_the_summary_lists_each_kind_in_german_and_english() -> None:
    from bot.messages.render import OutboxRenderer, render
    from bot.services.basics.reference import load_reference_data
    from bot.services.messaging.catch_up import CaughtUp

    summary = CaughtUp(
        down_since=STOPPED,
        back_at=RESTART,
        late=(("agr_escalate_coordinators", 1), ("agr_overdue", 2)),
        skipped=(("agr_overdue", 9),),
    )
    renderer = OutboxRenderer(Translations(), load_reference_data(), BERLIN)
    german = renderer.context("de")
    assert render(summary, german).text.split("\n")[1:] == [
        "• Eskalationen von Vereinbarungen an die Koordination: 1 nachgeholt, 0 übersprungen",
        "• Hinweise auf überfällige Vereinbarungen: 2 nachgeholt, 9 übersprungen",
    ]
    english = render(summary, renderer.context("en")).text
    assert english.startswith(
        "The bot was not running from Thu, 7 Jan 2027, 18:00 to Fri, 22 Jan 2027, 10:00."
    )
    assert "• Overdue notices of agreements: 2 caught up, 9 skipped" in english
