"""The residents' verdict end to end: cases closed → asked after the configured working days
(moved clock) → answers stored and counted; one reminder at most; an erased resident is never
asked; a referred case is not asked on the day of its "did it help?"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.handlers.verdicts import run_verdict_survey
from bot.jobs import run_sweep
from bot.offline.chats import SimUser
from bot.services.access.roles import Role
from bot.services.basics.periods import parse_period
from bot.services.reporting import evaluation
from bot.storage.db import session_scope
from bot.storage.models import Case, CaseEvent, Person, Verdict
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern, reference_in

MANAGER = 700_310


async def _case(env: BotEnv, reference: str) -> Case:
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


async def _verdict(env: BotEnv, case_id: int) -> Verdict | None:
    async with session_scope(env.services.session_maker) as session:
        return await session.scalar(select(Verdict).where(Verdict.case_id == case_id))


async def _resolve(manager: SimUser, case_id: int, *, german: bool = False) -> None:
    await manager.press_data(f"tr:resolve:{case_id}")
    await manager.send("Der Platz wird gereinigt." if german else "The square is cleaned.")
    await manager.press("Ja, erledigen" if german else "Yes, resolve")


async def _file_german(
    user: SimUser, topic: str = "Öffentlicher Raum", text: str = "Am Küchengarten liegt Müll."
) -> str:
    """A German resident agrees to the notice (once) and files a concern; its reference."""
    if not user.messages:
        await user.send("/start")
        await user.press("Ich stimme zu")
    await user.send("/neu")
    await user.send("linden sued")
    await user.press("Ja")
    await user.press(topic)
    await user.send(text)
    await user.press("Ohne weitere Fotos fortfahren")
    await user.press("Überspringen")
    await user.press("Nein, privat")
    await user.press("Senden")
    return reference_in(user.last.plain_text)


async def _history(manager: SimUser, reference: str, *, german: bool = False) -> str:
    await manager.send(f"/fall {reference}")
    await manager.press("📜 Verlauf" if german else "📜 History")
    return "\n".join(m.plain_text for m in manager.messages[-3:])


async def _german_manager(env: BotEnv) -> SimUser:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    async with session_scope(env.services.session_maker) as session:
        await session.execute(
            update(Person).where(Person.telegram_id == MANAGER).values(language="de")
        )
    assert env.sim is not None
    return env.sim.user(MANAGER, language_code="de")


async def _survey(env: BotEnv) -> int:
    assert env.app is not None
    return await run_verdict_survey(env.app)


async def test_resolved_case_is_asked_after_five_working_days_and_counted(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    assert env.sim is not None
    erika, manager = (
        env.sim.user(1701, language_code="en"),
        env.sim.user(MANAGER, language_code="en"),
    )
    await consent(erika)
    reference = await file_concern(erika)
    await manager.press("Kümmerer")
    case_id = (await _case(env, reference)).id
    await _resolve(manager, case_id)
    await erika.press("Yes, settled")
    # closed Wednesday 11 March 2026; five working days later: Wednesday 18 March
    env.clock.advance(days=6)  # Tuesday 17th: not yet
    assert await _survey(env) == 0
    env.clock.advance(days=1, minutes=-30)  # Wednesday 9:30: not before ten
    assert await _survey(env) == 0
    env.clock.advance(minutes=40)
    assert await _survey(env) == 1
    question = erika.last
    assert reference in question.plain_text and "How satisfied" in question.plain_text
    assert erika.buttons(question) == [
        "1 – not at all satisfied", "2", "3", "4", "5 – very satisfied"
    ]  # fmt: skip
    assert await _survey(env) == 0  # asked once

    await erika.press("4", message=question)
    assert "in one sentence" in erika.last.plain_text
    await erika.send("Quick and friendly, but it took two weeks.")
    assert "quote" in erika.last.plain_text
    await erika.press("Yes, it may be quoted")
    verdict = await _verdict(env, case_id)
    assert verdict is not None and verdict.score == 4 and verdict.quotable
    assert verdict.reason == "Quick and friendly, but it took two weeks."
    again = await erika.press_data(f"vd:s:{case_id}:1", message=question)
    assert verdict.score == 4 and (await _verdict(env, case_id)).score == 4  # type: ignore[union-attr]
    assert again is None or "already" in (again.text or "") or "already" in erika.last.plain_text

    # the manager sees it in the history
    history = await _history(manager, reference)
    assert "the resident's verdict: 4 of 5" in history
    await manager.send(f"/fall {reference}")
    assert "Resident's verdict: 4 of 5" in manager.last.plain_text  # on the card too
    assert "Quick and friendly" in history
    assert "quoting the reason in reports: allowed" in history

    # a forged press for somebody else's case changes nothing
    mallory = env.sim.user(1702, language_code="en")
    await consent(mallory)
    await mallory.press_data(f"vd:s:{case_id}:1", message=question)
    assert (await _verdict(env, case_id)).score == 4  # type: ignore[union-attr]

    # counted per district, topic, mode and month
    async with session_scope(env.services.session_maker) as session:
        period = parse_period("2026-03", now=env.clock.now(), tz=env.settings.tz)
        counts = await evaluation.verdict_counts(session, period=period, districts=["10"])
    assert counts.answers == 1 and counts.score_sum == 4 and counts.reasons == 1
    assert counts.by_key[("10", "public_space", "kuemmerer", "2026-03")] == (1, 4)
    assert counts.quotes == ["Quick and friendly, but it took two weeks."]


async def test_one_reminder_at_most_and_never_an_erased_resident(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    assert env.sim is not None
    manager = env.sim.user(MANAGER, language_code="en")
    silent, leaving = (
        env.sim.user(1711, language_code="en"),
        env.sim.user(1712, language_code="en"),
    )
    ids = {}
    for user in (silent, leaving):
        await consent(user)
        reference = await file_concern(user)
        await manager.press("Kümmerer")
        ids[user.user_id] = (await _case(env, reference)).id
        await _resolve(manager, ids[user.user_id])
    await leaving.send("/loeschen")
    await leaving.press("Yes, erase")
    assert "has been erased" in leaving.last.plain_text
    heard = len(leaving.messages)

    env.clock.advance(days=7, minutes=10)  # Wednesday 18 March, 10:10
    assert await _survey(env) == 1
    assert "How satisfied" in silent.last.plain_text
    assert await _verdict(env, ids[leaving.user_id]) is None
    env.clock.advance(days=2)  # Friday: two working days, no reminder yet
    assert await _survey(env) == 0
    env.clock.advance(days=3)  # Monday 23rd: three working days later, the one reminder
    assert await _survey(env) == 1
    assert "A short reminder" in silent.last.plain_text
    for _ in range(10):
        env.clock.advance(days=1)
        assert await _survey(env) == 0
    assert len(leaving.messages) == heard  # the erased resident heard nothing


async def test_a_referred_case_is_not_asked_on_the_day_of_its_followup(env: BotEnv) -> None:
    env.settings.verdict_working_days = 3  # the same day as the Lotse follow-up
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    assert env.sim is not None
    erika, manager = (
        env.sim.user(1721, language_code="en"),
        env.sim.user(MANAGER, language_code="en"),
    )
    await consent(erika)
    reference = await file_concern(
        erika, topic="Permits", text="May our club hold an Easter fire?"
    )
    await manager.press("Lotse")
    await manager.press("Search the directory")
    await manager.send("Osterfeuer")
    await manager.press(manager.buttons()[0])
    await manager.send("Please apply early.")
    case_id = (await _case(env, reference)).id
    env.clock.advance(days=5, hours=1)  # Monday 16 March, 11:00: both are due
    assert await _survey(env) == 0  # the follow-up is still pending
    assert env.app is not None
    assert await run_sweep(env.app) == 1
    assert "Did it help?" in erika.last.plain_text
    assert await _survey(env) == 0  # not twice on one day
    await erika.press("Yes, it helped")
    env.clock.advance(days=1)
    assert await _survey(env) == 1
    assert "How satisfied" in erika.last.plain_text and reference in erika.last.plain_text
    await erika.press("5 – very satisfied")
    await erika.press("Skip")
    assert "Thank you for your answer" in erika.last.plain_text
    verdict = await _verdict(env, case_id)
    assert verdict is not None and verdict.score == 5 and verdict.reason is None
    assert verdict.mode == "lotse"


async def test_german_resident_answers_in_german(env: BotEnv) -> None:
    manager = await _german_manager(env)
    assert env.sim is not None
    erika = env.sim.user(1731, first_name="Erika", language_code="de")
    reference = await _file_german(erika)
    await manager.press("Kümmerer")
    case_id = (await _case(env, reference)).id
    await _resolve(manager, case_id, german=True)
    await erika.press("Ja, geklärt")
    env.clock.advance(days=7, minutes=10)
    assert await _survey(env) == 1
    question = erika.last
    assert "Wie zufrieden" in question.plain_text and reference in question.plain_text
    assert erika.buttons(question)[0] == "1 – gar nicht zufrieden"
    await erika.press("2", message=question)
    assert "einem Satz" in erika.last.plain_text
    await erika.send("Es hat zu lange gedauert.")
    await erika.press("Nein, nur zählen")
    assert "Vielen Dank für Ihre Antwort" in erika.last.plain_text
    verdict = await _verdict(env, case_id)
    assert verdict is not None and verdict.score == 2 and not verdict.quotable
    events = []
    async with session_scope(env.services.session_maker) as session:
        events = list(
            await session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id))
        )
    assert events[-3:] == ["verdict", "verdict_reason", "verdict_quoting"]
    history = await _history(manager, reference, german=True)
    assert "Urteil der Einwohnerin/des Einwohners: 2 von 5" in history


async def test_german_reminder_and_erased_resident(env: BotEnv) -> None:
    """German wording of the reminder; the erased German resident is never asked."""
    env.settings.verdict_reminder_working_days = 1
    manager = await _german_manager(env)
    assert env.sim is not None
    people = [env.sim.user(n, language_code="de") for n in (1741, 1742)]
    ids = []
    for user in people:
        reference = await _file_german(user)
        await manager.press("Kümmerer")
        ids.append((await _case(env, reference)).id)
        await _resolve(manager, ids[-1], german=True)
    quiet, leaving = people
    await leaving.send("/loeschen")
    await leaving.press_data("priv:erase:yes", message=leaving.last)
    heard = len(leaving.messages)
    env.clock.advance(days=7, minutes=10)
    assert await _survey(env) == 1
    env.clock.advance(timedelta(days=1))
    assert await _survey(env) == 1
    assert "kurze Erinnerung" in quiet.last.plain_text
    assert len(leaving.messages) == heard
    assert await _verdict(env, ids[1]) is None


async def test_pseudonymised_cases_are_never_asked_and_erasure_removes_the_sentence(
    env: BotEnv,
) -> None:
    """Retention pseudonymises a closed case before its question: never asked. A sentence
    already given is erased with the person (the score stays for the statistics)."""
    from bot.services.privacy.retention import apply_retention

    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    assert env.sim is not None
    manager = env.sim.user(MANAGER, language_code="en")
    early, answering = (
        env.sim.user(1751, language_code="en"),
        env.sim.user(1752, language_code="en"),
    )
    ids = []
    for user in (early, answering):
        await consent(user)
        reference = await file_concern(user)
        await manager.press("Kümmerer")
        ids.append((await _case(env, reference)).id)
        await _resolve(manager, ids[-1])
    async with session_scope(env.services.session_maker) as session:
        pseudonymised = await session.get(Case, ids[0])
        assert pseudonymised is not None
        pseudonymised.closed_at = env.clock.now() - timedelta(days=400)  # long closed ...
        await apply_retention(session, now=env.clock.now(), months=12)
        pseudonymised.closed_at = env.clock.now() - timedelta(minutes=5)  # ... but due today
    env.clock.advance(days=7, minutes=10)
    assert await _survey(env) == 1
    assert await _verdict(env, ids[0]) is None
    await answering.press("3")
    await answering.send("The lamp outside my flat at Quxwellweg 17 is still dark.")
    await answering.press("No, only count it")
    await answering.send("/loeschen")
    await answering.press("Yes, erase")
    verdict = await _verdict(env, ids[1])
    assert verdict is not None and verdict.score == 3 and verdict.reason is None


async def test_verweis_wird_nicht_am_tag_der_nachfrage_bewertet(env: BotEnv) -> None:
    """German: the Lotse follow-up and the verdict never on the same day."""
    env.settings.verdict_working_days = 3
    manager = await _german_manager(env)
    assert env.sim is not None
    erika = env.sim.user(1761, language_code="de")
    reference = await _file_german(erika, "Genehmigungen", "Dürfen wir ein Osterfeuer machen?")
    await manager.press("Lotse")
    await manager.press("🔎 Im Verzeichnis suchen")
    await manager.send("Osterfeuer")
    await manager.press(manager.buttons()[0])
    await manager.send("Bitte früh beantragen.")
    case_id = (await _case(env, reference)).id
    env.clock.advance(days=5, hours=1)  # Montag, 16. März, 11 Uhr: beides wäre fällig
    assert await _survey(env) == 0
    assert env.app is not None
    assert await run_sweep(env.app) == 1
    assert "Hat Ihnen das geholfen?" in erika.last.plain_text
    assert await _survey(env) == 0
    await erika.press("Ja, das hat geholfen")
    env.clock.advance(days=1)
    assert await _survey(env) == 1
    assert "Wie zufrieden" in erika.last.plain_text
    await erika.press("5 – sehr zufrieden")
    await erika.press("Überspringen")
    assert "Vielen Dank für Ihre Antwort" in erika.last.plain_text
    verdict = await _verdict(env, case_id)
    assert verdict is not None and (verdict.score, verdict.mode) == (5, "lotse")


async def test_loeschen_entfernt_den_satz_und_behaelt_die_bewertung(env: BotEnv) -> None:
    """German: a sentence not to be quoted is only counted, and erasure removes it."""
    manager = await _german_manager(env)
    assert env.sim is not None
    erika = env.sim.user(1771, language_code="de")
    reference = await _file_german(erika)
    await manager.press("Kümmerer")
    case_id = (await _case(env, reference)).id
    await _resolve(manager, case_id, german=True)
    env.clock.advance(days=7, minutes=10)
    assert await _survey(env) == 1
    await erika.press("3")
    await erika.send("Die Laterne vor meiner Wohnung im Quxwellweg 17 ist noch dunkel.")
    await erika.press("Nein, nur zählen")
    async with session_scope(env.services.session_maker) as session:
        period = parse_period("2026-03", now=env.clock.now(), tz=env.settings.tz)
        counts = await evaluation.verdict_counts(session, period=period, districts=["10"])
    assert (counts.answers, counts.reasons, counts.quotes) == (1, 1, [])
    await erika.send("/loeschen")
    await erika.press("Ja, löschen")
    verdict = await _verdict(env, case_id)
    assert verdict is not None and verdict.score == 3 and verdict.reason is None


async def test_zwei_anliegen_einer_einwohnerin_an_zwei_tagen(env: BotEnv) -> None:
    """German: one question a day per resident; her second case is asked the next day."""
    manager = await _german_manager(env)
    assert env.sim is not None
    erika = env.sim.user(1781, language_code="de")
    ids = []
    for text in ("Die Bank an der Ecke ist kaputt.", "Der Brunnen hat kein Wasser."):
        reference = await _file_german(erika, text=text)
        await manager.press("Kümmerer")
        ids.append((await _case(env, reference)).id)
        await _resolve(manager, ids[-1], german=True)
    env.clock.advance(days=7, minutes=10)
    assert await _survey(env) == 1
    assert "Wie zufrieden" in erika.last.plain_text
    assert await _survey(env) == 0  # eine Frage am Tag
    env.clock.advance(days=1)
    assert await _survey(env) == 1
    assert all([await _verdict(env, case_id) for case_id in ids])
