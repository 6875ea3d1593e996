"""The district council end to end through the real Application: a member's inquiry, two
departments' statements with nudges (clock-controlled), the manager's approval, the session
pack, the answer after the session and a tracked follow-up agreement; moving a session; bad
input and the rules (who may submit and draft, a late inquiry is kept and marked)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.council_cli import main_council
from bot.jobs import run_sweep
from bot.offline.simulator import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import (
    Agreement,
    CouncilFollowUp,
    CouncilSession,
    Inquiry,
    Person,
    Reminder,
    Statement,
)
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role, invite_and_bind

BERLIN = ZoneInfo("Europe/Berlin")
MANAGER, SUPPORT, REP66, REP67, MEMBER, STRANGER = (
    730_010,
    730_011,
    730_066,
    730_067,
    730_100,
    730_200,
)
SESSION_TEXT = "26.3.2026 18 Uhr, Freizeitheim Linden"  # Thursday; statements due Thu 19 March


def at(month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


async def _language(env: BotEnv, language: str) -> None:
    async with session_scope(env.services.session_maker) as session:
        await session.execute(update(Person).values(language=language))


async def _world(env: BotEnv, language: str) -> dict[int, SimUser]:
    """A manager, the council support, reps of 66 and 67 in district 10, and a member of the
    council (SPD) bound through an invitation link."""
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, SUPPORT, Role.COUNCIL_SUPPORT, district="10", first_name="Sabine")
    await bind_role(env, REP66, Role.REP, district="10", department="66", first_name="Rolf")
    await bind_role(env, REP67, Role.REP, district="10", department="67", first_name="Greta")
    sim = env.sim
    assert sim is not None
    users = {
        i: sim.user(i, language_code=language)
        for i in (MANAGER, SUPPORT, REP66, REP67, MEMBER, STRANGER, ADMIN_ID)
    }
    welcome = await invite_and_bind(users[ADMIN_ID], users[MEMBER], "bezirksrat 10 SPD")
    assert "SPD" in welcome and "Linden-Limmer" in welcome
    await _language(env, language)
    return users


async def _rows(env: BotEnv, model: type) -> list:  # type: ignore[type-arg]
    async with session_scope(env.services.session_maker) as session:
        return list(await session.scalars(select(model).order_by(model.id)))  # type: ignore[attr-defined]


def _doc(user: SimUser) -> tuple[str, bytes]:
    message = user.last
    assert message.document is not None, user.texts()[-3:]
    return message.document.file_name or "", message.document.content or b""


async def test_inquiry_statements_pack_answer_and_follow_up_in_english(
    env: BotEnv, tmp_path: Path
) -> None:
    users = await _world(env, "en")
    manager, member, rep66, rep67 = users[MANAGER], users[MEMBER], users[REP66], users[REP67]

    await manager.send("/sitzung")
    await manager.send(SESSION_TEXT)
    assert "Session saved" in manager.last.plain_text
    assert "Freizeitheim Linden" in manager.last.plain_text

    # a stranger is no council member; nothing is stored
    await users[STRANGER].send("/anfrage")
    assert "Only members of a district council" in users[STRANGER].last.plain_text

    await member.send("/anfrage")
    await member.press(member.buttons()[0])  # the next session
    await member.send("Traffic lights at Limmerstraße")
    await member.send("Why does the pedestrian light at Limmerstraße 10 stay red so long?")
    await member.press("Without a file")
    receipt = member.last.plain_text
    assert "A10-1" in receipt and "late" not in receipt
    [inquiry] = await _rows(env, Inquiry)
    assert inquiry.fraction == "SPD" and not inquiry.late

    assert "New inquiry from the district council" in manager.last.plain_text
    assert "SPD" in manager.last.plain_text
    await manager.press("Assign departments")
    await manager.send("FB 66 und 67")
    assert "departments 66, 67" in manager.last.plain_text
    assert "asks your department for a statement" in rep66.last.plain_text
    assert "asks your department for a statement" in rep67.last.plain_text

    # nudges in working days before the due date (Thu 19 March, 18:00)
    keys = {r.key for r in await _rows(env, Reminder) if r.key.startswith("stmt:")}
    assert len(keys) == 10  # d3, d1, due, manager, coordinators for each of the two parts
    env.clock.set(at(3, 16, 9))  # Monday: 3 working days before
    await run_sweep(env.app)
    assert "due in 3 working days" in rep66.last.plain_text
    assert "due in 3 working days" in rep67.last.plain_text

    await rep66.press("Write the statement")
    await rep66.send("FB 66: the signal plan is being checked; a shorter cycle follows in May.")
    await rep66.press("Without a file")
    assert "Thank you" in rep66.last.plain_text
    assert "Still missing: departments 67" in manager.last.plain_text

    # another rep cannot draft FB 66's part: the forged button changes nothing
    [part66, _part67] = await _rows(env, Statement)
    answer = await rep67.press_data(f"brt:dr:{part66.id}")
    assert answer is not None and answer.show_alert and "not allowed" in (answer.text or "")
    await rep67.send("I write FB 66's part instead.")  # no dialogue took the text
    assert (await _rows(env, Statement))[0].text.startswith("FB 66: the signal plan")

    env.clock.set(at(3, 18, 9))  # 1 working day before: only FB 67 is nudged
    await run_sweep(env.app)
    assert "due in 1 working day." in rep67.last.plain_text
    assert "due in 1 working day" not in rep66.last.plain_text

    await rep67.press("Write the statement")
    await rep67.send("FB 67: the crossing is part of the 2026 programme.")
    await rep67.send_document(b"%PDF-1.4 plan", file_name="plan.pdf")
    assert "Every part is in" in manager.last.plain_text
    await manager.press("📎 File of department 67")
    assert manager.last.document is not None
    assert manager.last.document.content == b"%PDF-1.4 plan"
    answer = await users[STRANGER].press_data(f"brt:fs:{_part67.id}")  # forged: refused
    assert answer is not None and "not allowed" in (answer.text or "")
    await manager.press("Approve")
    assert "Approved" in manager.last.plain_text

    # the session pack: PDF and DOCX, for the council support too
    support = users[SUPPORT]
    await support.send("/sitzungen")
    await support.press("Session pack DOCX")
    name, content = _doc(support)
    assert name == "bezirksrat-10-2026-03-26.docx"
    xml = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    assert "Traffic lights at Limmerstraße" in xml and "shorter cycle" in xml
    assert "part of the 2026 programme" in xml
    await support.press("Session pack PDF")
    name, content = _doc(support)
    assert name.endswith(".pdf") and content.startswith(b"%PDF")
    # the same pack from the command line
    target = tmp_path / "pack.docx"
    argv = ["council", "pack", "--district", "10", "--session", "2026-03-26", "--format", "docx"]
    assert await main_council(env.settings, [*argv, "--output", str(target)]) == 0
    xml = zipfile.ZipFile(target).read("word/document.xml").decode()
    assert "Traffic lights at Limmerstraße" in xml and "shorter cycle" in xml

    # after the session
    env.clock.set(at(3, 26, 20))
    await manager.send("/anfragen")
    await manager.press("Answer given in the session")
    assert "answered in the session" in member.last.plain_text
    assert "shorter cycle" in member.last.plain_text
    await manager.press("Add a follow-up")
    await manager.send("66; 30.4.2026; check the new signal cycle")
    assert "Follow-up agreed with department 66" in manager.last.plain_text
    assert "department 66 will follow up" in member.last.plain_text
    [agreement] = await _rows(env, Agreement)
    [link] = await _rows(env, CouncilFollowUp)
    assert link.agreement_id == agreement.id and agreement.department_number == "66"
    assert any(r.key.startswith(f"agr:{agreement.id}:") for r in await _rows(env, Reminder))
    await member.send("/anfragen")
    assert "A10-1" in member.last.plain_text and "answered" in member.last.plain_text
    await manager.send("/bericht 2026-Q1")
    summary = next(text for text in manager.texts() if "District council – inquiries" in text)
    assert "inquiries: 1 (late 0)" in summary and "on time before the session: 2 of 2" in summary
    assert "Inquiries per fraction: SPD 1" in summary
    assert "Statements on time per department: FB 66: 1 of 1, FB 67: 1 of 1" in summary


async def test_anfrage_stellungnahmen_mappe_antwort_und_folgeauftrag_auf_deutsch(
    env: BotEnv,
) -> None:
    users = await _world(env, "de")
    manager, member, rep66, rep67 = users[MANAGER], users[MEMBER], users[REP66], users[REP67]
    support = users[SUPPORT]
    await support.send("/sitzung")
    await support.send(SESSION_TEXT)
    assert "Sitzung gespeichert" in support.last.plain_text

    await member.send("/anfrage")
    assert "Für welche Sitzung" in member.last.plain_text
    await member.press(member.buttons()[0])
    await member.send("Spielplatz Küchengarten")
    await member.send("Wann wird der Spielplatz am Küchengarten saniert?")
    await member.send_document(b"%PDF-1.4 fotos", file_name="fotos.pdf")
    assert "Ihre Anfrage hat die Nummer A10-1" in member.last.plain_text

    assert "Neue Anfrage aus dem Bezirksrat" in support.last.plain_text
    await support.press("📎 Datei der Anfrage")
    assert support.last.document is not None
    assert support.last.document.content == b"%PDF-1.4 fotos"
    await manager.press("Fachbereiche beteiligen")
    await manager.send("66, 67")
    assert "Um Stellungnahme gebeten: Fachbereiche 66, 67." in manager.last.plain_text
    assert "bittet Ihren Fachbereich um eine Stellungnahme" in rep66.last.plain_text

    env.clock.set(at(3, 19, 9))  # the due day: both are nudged
    await run_sweep(env.app)
    assert "Ihre Stellungnahme ist heute fällig" in rep66.last.plain_text
    for rep, text in ((rep66, "Sanierung im Herbst."), (rep67, "Mittel sind eingeplant.")):
        await rep.press("Stellungnahme schreiben")
        assert "Bitte schicken Sie die Stellungnahme" in rep.last.plain_text
        await rep.send(text)
        await rep.press("Ohne Datei")
        assert "Vielen Dank" in rep.last.plain_text
    assert "Alle Teile sind da" in manager.last.plain_text
    # the manager rewrites the merged text, then approves it
    await manager.press("Antwort bearbeiten")
    await manager.send("Die Sanierung beginnt im Herbst; die Mittel sind eingeplant (FB 66, 67).")
    await manager.press("Freigeben")
    assert "Freigegeben: Die Antwort auf A10-1" in manager.last.plain_text

    # escalation slots of drafted parts write nothing
    env.clock.set(at(3, 23, 9))
    await run_sweep(env.app)
    assert not any("Eskalation" in text for text in manager.texts())

    await support.send("/sitzungen")
    await support.press("Sitzungsmappe DOCX")
    _, content = _doc(support)
    xml = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    assert "Anfrage A10-1 (SPD): Spielplatz Küchengarten" in xml
    assert "Die Sanierung beginnt im Herbst" in xml and "[fotos.pdf]" in xml

    # before the session the answer cannot be marked as given
    await support.send("/anfragen")
    await support.press("In der Sitzung beantwortet")
    assert "Die Sitzung hat noch nicht begonnen" in support.last.plain_text
    env.clock.set(at(3, 26, 21))
    await support.send("/anfragen")
    await support.press("In der Sitzung beantwortet")
    assert "Ihre Anfrage A10-1 wurde in der Sitzung beantwortet" in member.last.plain_text
    assert "Folgeauftrag anlegen" not in support.buttons()  # follow-ups are the manager's
    await manager.send("/anfragen")
    assert "keine offenen Anfragen" in manager.last.plain_text
    [inquiry] = await _rows(env, Inquiry)
    await manager.press_data(f"brt:fu:{inquiry.id}")
    await manager.send("66; irgendwann; prüfen")
    assert "Bitte schreiben Sie: Fachbereich; Fälligkeit" in manager.last.plain_text
    await manager.send("66; 15.5.2026; Spielgeräte prüfen")
    assert "Folgeauftrag mit Fachbereich 66 vereinbart" in manager.last.plain_text
    assert "kümmert sich Fachbereich 66" in member.last.plain_text
    [agreement] = await _rows(env, Agreement)
    assert agreement.measure == "A10-1: Spielgeräte prüfen"
    env.clock.set(at(3, 27, 9))
    await run_sweep(env.app)  # the agreement engine nudges the rep about the follow-up
    assert "Spielgeräte prüfen" in rep66.last.plain_text


async def test_verspaetete_anfrage_wird_markiert_und_verschobene_sitzung_verschiebt_fristen(
    env: BotEnv,
) -> None:
    users = await _world(env, "de")
    manager, member, rep66, support = users[MANAGER], users[MEMBER], users[REP66], users[SUPPORT]
    await manager.send("/sitzung")
    await manager.send("gestern 18 Uhr")
    assert "schon vorbei" in manager.last.plain_text
    await manager.send("26.3.2026")
    assert "nicht verstanden" in manager.last.plain_text
    await manager.send(SESSION_TEXT)
    # after the statements' due date (no submission deadline is set): accepted, marked late
    env.clock.set(at(3, 20, 10))
    await member.send("/anfrage")
    await member.press(member.buttons()[0])
    await member.send("x" * 201)
    assert "höchstens 200 Zeichen" in member.last.plain_text
    await member.send("Radweg Fössestraße")
    await member.send("Wann wird der Radweg erneuert?")
    await member.send("Und noch etwas")  # text where a file is asked for: asked again
    assert "eine Datei (PDF, Foto) anhängen" in member.last.plain_text
    await member.press("Ohne Datei")
    assert "A10-1" in member.last.plain_text
    assert "nach der Einreichungsfrist eingegangen" in member.last.plain_text
    [inquiry] = await _rows(env, Inquiry)
    assert inquiry.late
    assert "⚠️ Verspätet eingereicht" in manager.last.plain_text

    # another rep, a stranger and the member cannot assign or approve: nothing changes
    for user in (users[REP67], users[STRANGER], member):
        await user.send("/anfragen")
        for data in (f"brt:as:{inquiry.id}", f"brt:ok:{inquiry.id}", f"brt:gv:{inquiry.id}"):
            answer = await user.press_data(data)
            assert answer is not None and "dürfen Sie leider nicht" in (answer.text or ""), data
    assert [i.status for i in await _rows(env, Inquiry)] == ["submitted"]
    await manager.press("Fachbereiche beteiligen")
    await manager.send("99")
    assert "Bitte nennen Sie die Nummern" in manager.last.plain_text
    await manager.send("66")
    [part] = await _rows(env, Statement)
    assert part.due_at == at(3, 19, 18).astimezone(UTC)

    # the council support moves the session by a week: the due date and nudges move along
    await support.send("/sitzungen")
    await support.press("Sitzung verschieben")
    await support.send("2.4.2026 18 Uhr")
    assert "Die Sitzung ist auf" in support.last.plain_text
    assert "verschoben" in rep66.last.plain_text and "jetzt fällig" in rep66.last.plain_text
    assert "verschoben" in member.last.plain_text
    [part] = await _rows(env, Statement)
    assert part.due_at == at(3, 26, 18).astimezone(UTC)
    pending = {
        r.key
        for r in await _rows(env, Reminder)
        if r.key.startswith("stmt:") and r.cancelled_at is None and r.sent_at is None
    }
    assert pending and all(":2026-03-26:" in key for key in pending)
    env.clock.set(at(3, 27, 9))  # the escalation to the manager, a working day after the due day
    await run_sweep(env.app)
    assert "Eskalation: Die Stellungnahme von Fachbereich 66" in manager.last.plain_text
    env.clock.set(at(3, 30, 9))  # the next working day: the coordinators
    await run_sweep(env.app)
    assert "Eskalation: Die Stellungnahme von Fachbereich 66" in users[ADMIN_ID].last.plain_text
    [part] = await _rows(env, Statement)
    assert part.escalation_level == 2
    [session] = await _rows(env, CouncilSession)
    assert session.starts_at == at(4, 2, 18).astimezone(UTC)
