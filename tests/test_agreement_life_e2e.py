"""An agreement's whole life against the running bot, walked slot by slot with the clock.

The agreement is created through the service (the chat form has its own tests); nudges,
escalations and deliveries go through the real sweep, outbox and Bot API stand-in.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import deliver_and_observe
from bot.jobs import run_sweep
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.agreements import workflow as agreements
from bot.services.agreements.workflow import AgreementStatus
from bot.services.messaging import reminders
from bot.services.messaging.outcome import Relayed
from bot.services.messaging.unreachable import agreement_of
from bot.storage.db import session_scope
from bot.storage.models import Agreement, AgreementEvent, OutboxMessage, Person, Reminder
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role, consent, file_concern

BERLIN = ZoneInfo("Europe/Berlin")
REP, MANAGER = 700_066, 700_010
DUE = datetime(2026, 3, 27, tzinfo=BERLIN)  # a Friday; created Wed 11 March, 10:00


def at(month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


class Watch:
    """What reached each chat since the last look: the reminder key (or kind) per message."""

    def __init__(self, env: BotEnv) -> None:
        self.env = env
        self.seen: dict[int, int] = {}

    async def new(self, chat_id: int) -> list[str]:
        rows = await _delivered(self.env, chat_id)
        fresh = rows[self.seen.get(chat_id, 0) :]
        self.seen[chat_id] = len(rows)
        return [(m.params or {}).get("reminder_key") or m.kind for m in fresh]


async def _delivered(env: BotEnv, chat_id: int) -> list[OutboxMessage]:
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.sent_at.is_not(None))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def _setup(env: BotEnv, *, rep: bool = True) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    if rep:
        await bind_role(env, REP, Role.REP, district="10", department="66", first_name="Ralf")


async def _create(env: BotEnv, due: datetime = DUE) -> int:
    async with session_scope(env.services.session_maker) as session:
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        agreement = await agreements.create_agreement(
            session,
            env.services.env,
            district="10",
            department="66",
            measure="Two more waste bins at the Küchengarten square",
            due=due,
            now=env.clock.now(),
            created_by=manager,
            topic="public_space",
        )
        return agreement.id


async def _call(env: BotEnv, agreement_id: int, action: str, who: int, **kwargs: object) -> None:
    """A button press as the handlers will do it: one transaction, then deliver."""
    async with session_scope(env.services.session_maker) as session:
        agreement = await session.get(Agreement, agreement_id)
        person = await people.get_person(session, telegram_id=who)
        assert agreement is not None and person is not None
        result = await getattr(agreements, action)(
            session,
            env.services.env,
            agreement,
            now=env.clock.now(),
            **kwargs,
            **{"rep" if who == REP else "manager": person},
        )
    if isinstance(result, Relayed):  # a manager's decision: its message to the rep goes now
        await deliver_and_observe(env.app, result.queued)
    await env.app.bot_data.outbox.flush(env.app.bot)  # type: ignore[union-attr]


async def _agreement(env: BotEnv, agreement_id: int) -> Agreement:
    async with session_scope(env.services.session_maker) as session:
        agreement = await session.get(Agreement, agreement_id)
        assert agreement is not None
        return agreement


async def _sweep_at(env: BotEnv, moment: datetime) -> int:
    env.clock.set(moment)
    return await run_sweep(env.app)


def _buttons(env: BotEnv, chat_id: int) -> list[str]:
    return [b["callback_data"] for b in env.api.messages(chat_id)[-1].inline_buttons]


async def test_an_agreement_from_creation_to_confirmed_done(env: BotEnv) -> None:
    await _setup(env)
    watch = Watch(env)
    agreement_id = await _create(env)
    key = f"agr:{agreement_id}:2026-03-27:"
    rep_buttons = [
        f"ag:done:{agreement_id}",
        f"ag:more:{agreement_id}",
        f"ag:problem:{agreement_id}",
    ]

    # created in working hours: the rep hears of it at the next sweep
    assert await run_sweep(env.app) == 1
    assert await watch.new(REP) == [key + "agr_nudge:created"]
    assert "Küchengarten" in env.api.messages(REP)[-1].plain_text
    assert _buttons(env, REP) == rep_buttons
    assert await run_sweep(env.app) == 0

    # (moment, what the rep receives, what the manager receives, what the coordinators do)
    walk: list[tuple[datetime, list[str], list[str], list[str]]] = [
        (at(3, 11, 20), [], [], []),  # evening
        (at(3, 14, 10), [], [], []),  # Saturday
        (at(3, 20, 7, 59), [], [], []),
        (at(3, 20), [key + "agr_nudge:d7"], [], []),
        (at(3, 26), [key + "agr_nudge:d1"], [], []),
        (at(3, 26, 20), [], [], []),
        (at(3, 27), [key + "agr_nudge:due"], [], []),
        (at(3, 28, 9), [], [], []),  # Saturday
        (at(3, 31, 17), [], [], []),
        (at(4, 1), [key + "agr_overdue:1"], [], []),
        (at(4, 3, 10), [], [], []),  # Good Friday
        (at(4, 6, 10), [], [], []),  # Easter Monday
        (at(4, 7, 17, 59), [], [], []),
        # more than 5 working days overdue: the manager's card, and the second overdue nudge
        (at(4, 8), [key + "agr_overdue:2"], [key + "agr_escalate_manager:1"], []),
        (at(4, 11, 10), [], [], []),  # Saturday
        (at(4, 13), [key + "agr_overdue:3"], [], []),
        # more than 10 working days: the coordinators' escalation list
        (at(4, 15), [], [], [key + "agr_escalate_coordinators:1"]),
        (at(4, 16), [key + "agr_overdue:4"], [], []),
        (at(4, 16, 19), [], [], []),
    ]
    for moment, to_rep, to_manager, to_coordinators in walk:
        await _sweep_at(env, moment)
        assert await watch.new(REP) == to_rep, moment
        assert await watch.new(MANAGER) == to_manager, moment
        assert await watch.new(ADMIN_ID) == to_coordinators, moment
        if to_rep:
            assert _buttons(env, REP) == rep_buttons
        if to_manager:
            assert _buttons(env, MANAGER) == [
                f"ag:nudge:{agreement_id}",
                f"ag:redate:{agreement_id}",
                f"ag:escalate:{agreement_id}",
            ]
            assert (await _agreement(env, agreement_id)).escalation_level == 1
    assert (await _agreement(env, agreement_id)).escalation_level == 2
    assert "Küchengarten" in env.api.messages(ADMIN_ID)[-1].plain_text

    # the rep reports done (the ag:done handler calls this), the manager confirms
    env.clock.set(at(4, 17, 9))
    await _call(env, agreement_id, "report_done", REP, text="Both bins stand since Tuesday.")
    assert await watch.new(MANAGER) == ["to_manager"]
    assert _buttons(env, MANAGER) == [f"ag:confirm:{agreement_id}", f"ag:reopen:{agreement_id}"]
    assert "Both bins stand since Tuesday." in env.api.messages(MANAGER)[-1].plain_text
    await _call(env, agreement_id, "confirm_done", MANAGER)
    assert await watch.new(REP) == ["to_rep"]
    agreement = await _agreement(env, agreement_id)
    assert agreement.status == AgreementStatus.DONE and agreement.confirmed_at is not None

    # nothing more, ever
    for moment in (at(4, 21), at(4, 24), at(5, 4), at(6, 1)):
        await _sweep_at(env, moment)
    assert await watch.new(REP) == [] and await watch.new(MANAGER) == []
    assert await watch.new(ADMIN_ID) == []
    async with session_scope(env.services.session_maker) as session:
        pending = await session.scalars(
            select(Reminder.key).where(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None))
        )
        assert list(pending) == []
        kinds = list(
            await session.scalars(
                select(AgreementEvent.kind)
                .where(AgreementEvent.agreement_id == agreement_id)
                .order_by(AgreementEvent.id)
            )
        )
    assert kinds == ["created", "escalated", "escalated", "done_reported", "confirmed"]
    # one Bot API message per delivered outbox row: nothing sent twice
    assert len(env.api.messages(REP)) == len(await _delivered(env, REP)) == 9


async def test_a_restart_between_sweeps_loses_nothing_and_repeats_nothing(env: BotEnv) -> None:
    await _setup(env)
    watch = Watch(env)
    agreement_id = await _create(env)
    key = f"agr:{agreement_id}:2026-03-27:"
    await run_sweep(env.app)
    assert await watch.new(REP) == [key + "agr_nudge:created"]

    # down from Thursday evening to Friday evening: the d7 nudge fell due meanwhile; the
    # sweep at 20:00 takes it, but it waits for working hours (Monday 08:00)
    await env.restart()
    assert await _sweep_at(env, at(3, 20, 20)) == 1
    assert await watch.new(REP) == []
    await env.restart()
    assert await _sweep_at(env, at(3, 23, 8)) == 0  # the reminder is done; the outbox sends
    assert await watch.new(REP) == [key + "agr_nudge:d7"]

    # a sweep that committed its outbox rows but crashed before delivering them
    env.clock.set(at(3, 26, 9))
    async with session_scope(env.services.session_maker) as session:
        from bot.jobs import reminder_renderers

        assert (
            await reminders.sweep(
                session, now=env.clock.now(), renderers=reminder_renderers(env.services.env)
            )
            == 1
        )
    await env.restart()
    assert await run_sweep(env.app) == 0
    assert await watch.new(REP) == [key + "agr_nudge:d1"]

    # down over two slots: one message tells the current state, the due-day nudge is
    # recorded as skipped; nothing twice
    await env.restart()
    await _sweep_at(env, at(4, 1, 9))
    assert await watch.new(REP) == [key + "agr_overdue:1"]
    for _ in range(2):
        await env.restart()
        assert await run_sweep(env.app) == 0
    assert await watch.new(REP) == []
    async with session_scope(env.services.session_maker) as session:
        skipped = await session.get(Reminder, await _reminder_id(session, key + "agr_nudge:due"))
        assert skipped is not None and skipped.skip_reason == "superseded"

    rows = await _delivered(env, REP)
    keys = Counter((m.params or {}).get("reminder_key") for m in rows)
    assert all(count == 1 for count in keys.values()) and len(keys) == 4
    assert len(env.api.messages(REP)) == 4


async def _reminder_id(session: AsyncSession, key: str) -> int:
    found = await session.scalar(select(Reminder.id).where(Reminder.key == key))
    assert found is not None
    return found


async def test_a_rep_who_blocked_the_bot_is_reported_once(env: BotEnv) -> None:
    await _setup(env)
    watch = Watch(env)
    env.api.blocked.add(REP)
    agreement_id = await _create(env)
    await run_sweep(env.app)
    # the manager hears it in the same delivery run
    assert await watch.new(MANAGER) == ["unreachable"]
    assert "Ralf" in env.api.messages(MANAGER)[-1].plain_text
    async with session_scope(env.services.session_maker) as session:
        rep = await people.get_person(session, telegram_id=REP)
        assert rep is not None and rep.unreachable_since == env.clock.now()
        failed = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == REP))
        )
    assert [(m.failed_at is not None, m.attempts) for m in failed] == [(True, 0)]

    # later nudges are not attempted; the manager pressing "nudge again" is, once more
    await _sweep_at(env, at(3, 20))
    await _call(env, agreement_id, "nudge_again", MANAGER)
    await _sweep_at(env, at(3, 20, 9))
    attempts = [c for c in env.api.calls_to("sendMessage") if c.params.get("chat_id") == REP]
    assert len(attempts) == 2 and all(c.error for c in attempts)
    assert await watch.new(MANAGER) == []  # told once per agreement

    # a second agreement of the same rep is reported again, once
    second = await _create(env, due=at(4, 30, 0))
    await run_sweep(env.app)
    assert await watch.new(MANAGER) == ["unreachable"]
    assert agreement_of((await _delivered(env, MANAGER))[-1]) == second

    # the rep unblocks and writes to the bot: nudges reach them again
    env.api.blocked.discard(REP)
    rep_user = env.sim.user(REP, language_code="de")  # type: ignore[union-attr]
    await rep_user.send("/start")
    async with session_scope(env.services.session_maker) as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == REP))
        assert person is not None and person.unreachable_since is None
    await _sweep_at(env, at(3, 26))
    assert f"agr:{agreement_id}:2026-03-27:agr_nudge:d1" in await watch.new(REP)


async def test_an_unreachable_manager_goes_to_the_coordinators(env: BotEnv) -> None:
    await _setup(env, rep=False)
    watch = Watch(env)
    env.api.blocked.add(MANAGER)
    await _create(env)  # no rep bound: the manager is told, but blocked the bot
    await run_sweep(env.app)
    assert await watch.new(ADMIN_ID) == ["unreachable"]
    assert "Maria" in env.api.messages(ADMIN_ID)[-1].plain_text
    await _create(env)
    await run_sweep(env.app)
    assert await watch.new(ADMIN_ID) == []  # once while unreachable


async def test_an_unreachable_resident_is_reported_to_the_manager(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    watch = Watch(env)
    erika, manager = env.sim.user(1201, language_code="en"), env.sim.user(MANAGER)  # type: ignore[union-attr]
    await consent(erika)
    reference = await file_concern(erika)
    await watch.new(MANAGER)
    env.api.blocked.add(1201)
    await manager.send(f"/antwort {reference} Could you send a photo?")
    # the sender hears it as the outcome of their message, not a second time as a notice
    assert "unreachable" not in await watch.new(MANAGER)
    assert manager.last.plain_text == (
        f"The message on {reference} could not be delivered. The resident has blocked the "
        "bot or deleted the chat with it."
    )
    await manager.send(f"/antwort {reference} Are you still there?")
    assert "unreachable" not in await watch.new(MANAGER)
    assert "could not be delivered" in manager.last.plain_text  # tried again, told again


async def test_nudges_and_escalations_speak_each_readers_language(env: BotEnv) -> None:
    """German rep and manager read German nudges and cards; the English coordinator English,
    each in the language chosen after the messages were queued."""
    await _setup(env)
    await bind_role(env, ADMIN_ID, Role.COORDINATOR)
    agreement_id = await _create(env)
    await run_sweep(env.app)
    async with session_scope(env.services.session_maker) as session:
        for person in await session.scalars(
            select(Person).where(Person.telegram_id.in_([REP, MANAGER]))
        ):
            person.language = "de"
    await _sweep_at(env, at(3, 26, 9))  # the day before the due date
    rep_texts = [m.plain_text for m in env.api.messages(REP)]
    assert rep_texts[0].startswith("A new agreement for your department:")  # still English
    assert rep_texts[-1].startswith("Erinnerung: Diese Vereinbarung ist morgen fällig.")
    assert "Fällig: Fr, 27.03.2026" in rep_texts[-1]
    assert env.api.messages(REP)[-1].inline_buttons[0]["text"] == "✅ Erledigt"

    await _sweep_at(env, at(4, 30, 9))  # long overdue: both escalations
    assert (await _agreement(env, agreement_id)).escalation_level == 2
    card = next(m for m in env.api.messages(MANAGER) if "Eskalation:" in m.plain_text)
    assert "überfällig" in card.plain_text and "Fachbereichsvertreter/in: Ralf" in card.plain_text
    assert "Erneut erinnern" in [b["text"] for b in card.inline_buttons]
    coordinator = env.api.messages(ADMIN_ID)[-1].plain_text
    assert coordinator.startswith("🚨 Escalation to coordination: this agreement is overdue by")
    assert "Representative: Ralf" in coordinator
