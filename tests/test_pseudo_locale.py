"""Every text a person reads comes from the catalogues: the bot runs in a pseudo-locale whose
every translation is wrapped in ⟦…⟧, the main flows of every role are walked end to end, and
every message text, caption, button label, callback answer and command description the bot
sent must consist of marked pieces only (data excepted by rule: see tests/pseudo.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import make_services, open_storage
from bot.handlers.command_menus import refresh_menus
from bot.jobs import run_sweep
from bot.offline.fake_api import ApiCall, FakeBotAPI
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.agreements import workflow as agreements
from bot.services.basics.clock import FakeClock
from bot.storage.db import session_scope
from bot.storage.models import OutboxMessage
from tests import pseudo
from tests.conftest import ADMIN_ID, START, BotEnv, make_settings
from tests.helpers import bind_role

RESIDENT, MANAGER, REP, COORDINATOR = 760_001, 760_010, 760_066, ADMIN_ID
COUNCIL = 760_100  # a district council member (issue 14)
TYPED: list[str] = []
REACHED = {
    "case.new",
    "case.confirmed",
    "triage.status_changed",
    "triage.from_management",
    "triage.from_resident",
    "triage.referred",
    "triage.referral_followup",
    "triage.reopened",
    "conference.invitation",
    "agreement.nudge",
    "agreement.overdue",
    "agreement.escalated_manager",
    "agreement.escalated_coordinators",
    "council.inquiry_received",
    "council.info_requested",
    "council.info_answered",
    "council.statement_requested",
    "council.statement_drafted",
    "council.answer_given",
    "council.followup_agreed",
}  # everything the users typed: data, not language


@dataclass
class Seen:
    """A piece of text the bot sent, and where."""

    where: str
    text: str
    problems: list[str] = field(default_factory=list)


@pytest.fixture
async def pseudo_env(tmp_path: Path) -> AsyncIterator[BotEnv]:
    settings = make_settings(tmp_path)
    engine, maker = await open_storage(settings)
    clock = FakeClock(START)
    services = make_services(settings, maker, clock=clock)
    services.translations = pseudo.pseudo_translations(tmp_path / "locales")
    bot_env = BotEnv(settings, engine, services, clock, FakeBotAPI())
    await bot_env.start()
    try:
        yield bot_env
    finally:
        await bot_env.stop()
        await engine.dispose()


def _texts_of(call: ApiCall) -> list[tuple[str, str]]:
    """(where, text) for every piece of a Bot API call that a person reads."""
    params = call.params
    found: list[tuple[str, str]] = []
    for key in ("text", "caption"):
        if isinstance(params.get(key), str):
            found.append((f"{call.method}.{key}", params[key]))
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        import json

        markup = json.loads(markup)
    if isinstance(markup, dict):
        for row in markup.get("inline_keyboard") or []:
            found += [(f"{call.method}.button", b.get("text", "")) for b in row]
        for row in markup.get("keyboard") or []:
            found += [
                (f"{call.method}.keyboard", b if isinstance(b, str) else b.get("text", ""))
                for b in row
            ]
    if call.method == "setMyCommands":
        commands = params.get("commands")
        if isinstance(commands, str):
            import json

            commands = json.loads(commands)
        found += [("setMyCommands", c.get("description", "")) for c in commands or []]
    return found


def _check(env: BotEnv, data: set[str]) -> list[Seen]:
    seen = []
    for call in env.api.calls:
        for where, text in _texts_of(call):
            words = pseudo.unmarked(text, data)
            if words:
                seen.append(Seen(where, text, words))
    return seen


def _data(env: BotEnv) -> set[str]:
    from bot.messages.formatting import language_name

    names = {"Erika", "Jonas", "Maria", "Ralf", "Carla", "Staff"}
    languages = {language_name(code) for code in ("de", "en")}
    return pseudo.official_names(env.services.reference) | set(TYPED) | names | languages


async def _say(user: Any, text: str) -> None:
    TYPED.append(text)
    await user.send(text)


async def _resident_files_a_concern(env: BotEnv) -> Any:
    assert env.sim is not None
    erika = env.sim.user(RESIDENT, first_name="Erika", language_code="de")
    await erika.send("/start")
    await erika.press("I agree")
    await erika.send("/hilfe")
    await erika.send("/neu")
    await _say(erika, "linden sued")
    await erika.press("Yes")
    await erika.press(erika.buttons()[0])
    await _say(erika, "The square at the corner is full of rubbish every weekend.")
    await erika.press("Continue without more photos")
    await erika.press("Skip")
    await erika.press("No, privately")
    await erika.press("Send")
    await erika.send("/meine")
    return erika


async def _manager_works_the_case(env: BotEnv, erika: Any) -> None:
    assert env.sim is not None
    manager = env.sim.user(MANAGER, first_name="Maria", language_code="de")
    await manager.press("Kümmerer")
    reference = re.search(r"\d{2}-\d{4}-\d{4}", erika.messages[-1].text or "")
    ref = reference.group(0) if reference else ""
    await manager.send(f"/fall {ref}")
    await manager.send("/faelle")
    TYPED.append("Since when have you noticed this?")
    await manager.send(f"/antwort {ref} Since when have you noticed this?")
    await erika.reply_to(erika.last, "For about three weeks.")
    TYPED.append("For about three weeks.")
    for action, text in (("note", "Spoke with FB 32."), ("step", "Site visit")):
        buttons = [b for b in manager.last.inline_buttons if f"tr:{action}:" in b["callback_data"]]
        if buttons:
            await manager.press_data(buttons[0]["callback_data"])
            await _say(manager, text)
    await manager.send("/vorlagen")
    await manager.send("/abbrechen")
    await manager.send(f"/fall {ref}")


async def _lotse_with_feedback(env: BotEnv) -> None:
    """A second resident's concern handed over as Lotse; days later: did it help?"""
    assert env.sim is not None
    jonas = env.sim.user(RESIDENT + 1, first_name="Jonas", language_code="de")
    manager = env.sim.user(MANAGER, first_name="Maria", language_code="de")
    await jonas.send("/start")
    await jonas.press("I agree")
    await jonas.send("/neu")
    await _say(jonas, "linden sued")
    await jonas.press("Yes")
    await jonas.press(jonas.buttons()[-1])
    await _say(jonas, "May our club hold an Easter fire?")
    await jonas.press("Continue without more photos")
    await jonas.press("Skip")
    await jonas.press("Club or association")
    await _say(jonas, "TSV Linden")
    await jonas.press("Send")
    await manager.press("Lotse")
    await manager.press("Search the directory")
    await _say(manager, "Osterfeuer")
    await manager.press(manager.buttons()[0])
    await _say(manager, "Please apply at least four weeks ahead.")
    env.clock.advance(days=5, hours=2)
    await run_sweep(env.app)
    await jonas.press("No")


async def _agreement_escalates(env: BotEnv) -> None:
    """An agreement nobody keeps: nudges to the rep, escalation to manager and coordination."""
    async with session_scope(env.services.session_maker) as session:
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        await agreements.create_agreement(
            session,
            env.services.env,
            district="10",
            department="66",
            measure="Two more waste bins",
            due=env.clock.now() + timedelta(days=9),
            now=env.clock.now(),
            created_by=manager,
            topic="public_space",
        )
    TYPED.append("Two more waste bins")
    assert env.sim is not None
    rep = env.sim.user(REP, first_name="Ralf", language_code="de")
    for _ in range(40):  # every working morning for eight weeks
        env.clock.advance(days=1)
        await run_sweep(env.app)
    await rep.send("/vereinbarungen")
    buttons = [b["text"] for b in rep.last.inline_buttons]
    if buttons:
        await rep.press(buttons[0])
    # the day's overviews and the cards their buttons open
    manager = env.sim.user(MANAGER, first_name="Maria", language_code="de")
    for user in (manager, rep):
        await user.send("/heute")
        opens = [b for b in user.last.inline_buttons if b["callback_data"].startswith("ag:open")]
        assert opens, user.last.text
        await user.press_data(opens[0]["callback_data"])


async def _errors(env: BotEnv, erika: Any) -> None:
    await erika.send("/gibtsnicht")
    await erika.send("x" * 5000)
    await erika.press_data("tr:kue:999999")
    await erika.press_data("zz:forged")


async def _reports_and_invitations(env: BotEnv) -> None:
    assert env.sim is not None
    coordinator = env.sim.user(COORDINATOR, first_name="Carla", language_code="de")
    await coordinator.send("/start")
    await coordinator.send("/bericht 2026-Q1")
    await coordinator.send('/einladen manager --district "Linden-Limmer"')
    await coordinator.send("/einladungen")
    await coordinator.send("/eskalationen")


async def _agreement_with_nudges(env: BotEnv) -> None:
    assert env.sim is not None
    manager = env.sim.user(MANAGER, first_name="Maria", language_code="de")
    rep = env.sim.user(REP, first_name="Ralf", language_code="de")
    await rep.send("/start")
    await manager.send("/konferenz")
    await _say(manager, "13.3. um 10 Uhr")  # this week: /heute shows it
    await manager.press("Yes")
    await manager.press("Send invitations")
    await rep.press("Accept")
    for user in (manager, rep):
        await user.send("/heute")
        opens = [b for b in user.last.inline_buttons if b["callback_data"].startswith("cf:open")]
        assert opens, user.last.text
        await user.press_data(opens[0]["callback_data"])
        await user.send("/hilfe")
    await refresh_menus(env.app)  # the staff command menus, in the chats' languages
    assert env.api.chat_menu(MANAGER) and env.api.chat_menu(REP)
    await manager.send("/konferenzen")
    await manager.send("/vereinbarung")
    await manager.send("/abbrechen")
    await manager.send("/vereinbarungen")
    await rep.send("/vereinbarungen")
    for days in (10, 20, 30, 45):
        env.clock.advance(days=days)
        await run_sweep(env.app)


async def _privacy(env: BotEnv, erika: Any) -> None:
    await erika.send("/meine_daten")
    await erika.send("/loeschen")
    await erika.press("No, keep")


async def _needs_and_news(env: BotEnv) -> None:
    """A call open to everyone, a proposal, a support, curation; a subscription and an item."""
    assert env.sim is not None
    manager = env.sim.user(MANAGER, first_name="Maria", language_code="de")
    jonas = env.sim.user(RESIDENT + 1, first_name="Jonas", language_code="de")
    await manager.send("/aufruf 10")
    await _say(manager, "Needs Linden 2026")
    await _say(manager, "30.12.2026")
    await manager.press("Public space")
    await manager.press("Done")
    await manager.press("everyone")
    await jonas.send("/bedarfe")
    await jonas.press("Join")
    await jonas.press("Propose a need")
    await jonas.press("Public space")
    for text in ("Linden-Süd", "A bench by the river", "Older neighbours"):
        await _say(jonas, text)
    await jonas.press("Continue without")
    await jonas.press("Support")
    await jonas.send("/abo 10")
    await jonas.press("Public space")
    await manager.send("/bedarfe 10")
    await manager.press("⚙️")
    await manager.press("Ask back")
    await _say(manager, "Where exactly?")
    await jonas.press("Answer")
    await _say(jonas, "Near the old mill.")
    await manager.press("Open")
    await manager.press("To the conference agenda")
    await manager.send("/schwerpunkt 10")
    await manager.send("/programm 10")
    await manager.send("/nachricht 10")
    await manager.press("Public space")
    await manager.press("Done")
    await _say(manager, "Street party on Saturday.")
    await manager.press("Continue without")
    await manager.press("Send")
    await jonas.press("Unsubscribe")
    coordinator = env.sim.user(COORDINATOR, first_name="Carla", language_code="de")
    await coordinator.send("/beschluss 10")
    async with session_scope(env.services.session_maker) as session:
        said = set(
            await session.scalars(
                select(OutboxMessage.intent).where(OutboxMessage.sent_at.is_not(None))
            )
        )
    assert {"need.proposed", "need.question", "need.answered", "news.item", "news.report"} <= said


async def _network(env: BotEnv, erika: Any) -> None:
    """The directory: list, the entry dialogue (with a refused phone number), the card, the
    review, a meeting, and "who is my district manager?" before and after publishing."""
    from bot.storage.models import NetworkEntry

    assert env.sim is not None
    manager = env.sim.user(MANAGER, first_name="Maria", language_code="de")
    async with session_scope(env.services.session_maker) as session:
        for entry in await session.scalars(select(NetworkEntry)):  # the directory's data
            TYPED.extend([entry.name, entry.role or "", entry.source or ""])
    await manager.send("/netzwerk")
    await manager.press("New entry")
    await manager.press("City office")
    for typed in ("Spielplatzbüro Linden", "-"):
        await _say(manager, typed)
    await manager.press("Public space")
    await manager.press("Done")
    for typed in ("Linden-Süd", "12345", "0511 168-43210", "-", "www.hannover.de/x", "-"):
        await _say(manager, typed)
    await _say(manager, "Di 10–12 Uhr")
    await manager.press("Done")
    await _say(manager, "de, en")
    await manager.press("Residents may get it")
    await _say(manager, "-")
    await manager.press("Save")
    await _say(manager, "/netzwerk Spielplatzbüro")
    await manager.press("Spielplatzbüro Linden")
    assert "0511 168-43210" in manager.last.plain_text  # the card, with what was typed
    await manager.send("/netzwerk pruefen")
    await manager.send("/treffen")
    for typed in ("gestern", "AG der örtlichen Vereine Linden"):
        await _say(manager, typed)
    await manager.press("Spielplatzbüro Linden")
    await manager.press("Done")
    await _say(manager, "-")
    await erika.send("/mein_bezirk")
    await _say(manager, "/mein_bezirk zeigen Maria Muster; Di 10–12 Uhr")
    await manager.send("/mein_bezirk")
    await erika.send("/hilfe")
    await erika.press("district manager")
    assert "Maria Muster" in erika.last.plain_text


async def _council(env: BotEnv) -> None:
    """An inquiry through statement, approval, pack, answer and follow-up; an information
    request answered (issue 14)."""
    assert env.sim is not None
    await bind_role(env, COUNCIL, Role.COUNCIL_MEMBER, district="10", first_name="Birgit")
    manager = env.sim.user(MANAGER, first_name="Maria", language_code="de")
    rep = env.sim.user(REP, first_name="Ralf", language_code="de")
    member = env.sim.user(COUNCIL, first_name="Birgit", language_code="de")
    day = env.clock.now() + timedelta(days=14)
    TYPED.extend(["Birgit", "Freizeitheim Linden", "A10-1", "A10-2", "check the signals"])
    await manager.send("/sitzung")
    await _say(manager, f"{day.day}.{day.month}.{day.year} 18 Uhr, Freizeitheim Linden")
    await member.send("/anfrage")
    await member.press(member.buttons()[0])
    await _say(member, "Traffic lights")
    await _say(member, "Why do they stay red so long?")
    await member.press("Without a file")
    await member.send("/auskunft")
    await _say(member, "Who looks after the trees?")
    await manager.press("Assign departments")
    await _say(manager, "66")
    await rep.press("Write the statement")
    await _say(rep, "The signal plan is checked.")
    await rep.press("Without a file")
    await manager.press("Approve")
    await manager.press("Answer")
    await _say(manager, "Department 67 does.")
    await manager.send("/sitzungen")
    await manager.press("Session pack PDF")
    env.clock.advance(days=15)
    await manager.send("/anfragen")
    await manager.press("Answer given in the session")
    await manager.press("Add a follow-up")
    await _say(manager, f"66; {day.day}.{day.month}.{day.year + 1}; check the signals")
    await member.send("/anfragen")


async def test_every_text_in_the_main_flows_comes_from_the_catalogues(pseudo_env: BotEnv) -> None:
    env = pseudo_env
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, REP, Role.REP, district="10", department="66", first_name="Ralf")
    erika = await _resident_files_a_concern(env)
    await _manager_works_the_case(env, erika)
    await _agreement_with_nudges(env)
    await _lotse_with_feedback(env)
    await _agreement_escalates(env)
    await _reports_and_invitations(env)
    await _network(env, erika)
    await _privacy(env, erika)
    await _needs_and_news(env)
    await _council(env)
    await _errors(env, erika)
    env.clock.advance(timedelta(days=1))
    async with session_scope(env.services.session_maker) as session:
        said = set(
            await session.scalars(
                select(OutboxMessage.intent).where(OutboxMessage.sent_at.is_not(None))
            )
        )
    # the flows reached what they are meant to show (so the check below cannot pass by
    # walking past them)
    assert REACHED <= said, REACHED - said
    problems = _check(env, _data(env))
    report = "\n".join(f"{p.where}: {p.problems} in {p.text[:160]!r}" for p in problems)
    assert not problems, f"{len(problems)} texts with unmarked words:\n{report}"


def test_the_check_finds_unmarked_words_and_lets_data_through() -> None:
    marked = "⟦Your concern {ref} is now: ⟦in progress⟧.⟧".replace("{ref}", "10-2026-0001")
    assert pseudo.unmarked(marked) == []
    assert pseudo.unmarked("<b>⟦Where⟧</b>: Linden-Süd", {"Linden-Süd"}) == []
    assert pseudo.unmarked("⟦Due⟧: Fr, 13.03.2026 – /fall 10-2026-0001") == []
    assert pseudo.unmarked("⟦Hello⟧ Erika, ⟦see⟧ https://t.me/x?start=inv-abc", {"Erika"}) == []
    assert pseudo.unmarked("⟦Status⟧: open (1)") == ["open"]
    assert pseudo.unmarked("Nicht markiert ⟦aber das⟧") == ["Nicht", "markiert"]
