"""Invitations: only an open, one-time link binds a Telegram account to a staff role."""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.app import open_storage
from bot.services.access import invitations, people
from bot.services.access.invitations import InvitationError
from bot.services.access.roles import Role, load_roles
from bot.services.basics.clock import FakeClock
from bot.services.basics.reference import ReferenceData, load_reference_data
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import Invitation, Person, RoleAssignment
from tests.conftest import ADMIN_ID, START, BotEnv, make_settings
from tests.helpers import consent, file_concern

REFERENCE = load_reference_data()
LINK = re.compile(r"https://t\.me/BezirksbotTestBot\?start=(inv-[A-Za-z0-9_-]+)")


# ----------------------------------------------------------------------------- services


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SessionMaker]:
    engine, maker = await open_storage(make_settings(tmp_path))
    try:
        yield maker
    finally:
        await engine.dispose()


async def _person(maker: SessionMaker, telegram_id: int) -> Person:
    async with session_scope(maker) as session:
        return await people.get_or_create_person(
            session, telegram_id=telegram_id, first_name="P", language="en", now=START
        )


async def _invite(
    maker: SessionMaker,
    role: Role,
    *,
    now: datetime = START,
    days: int = 7,
    districts: tuple[str, ...] = (),
    department: str | None = None,
    reference: ReferenceData = REFERENCE,
) -> tuple[Invitation, str]:
    async with session_scope(maker) as session:
        return await invitations.create_invitation(
            session,
            reference=reference,
            role=role,
            now=now,
            days=days,
            districts=districts,
            department=department,
        )


async def _redeem(maker: SessionMaker, token: str, person: Person, now: datetime = START) -> str:
    async with session_scope(maker) as session:
        result = await invitations.redeem(session, token=token, person=person, now=now)
        return result.status


async def _active(maker: SessionMaker, person: Person) -> list[tuple[str, str | None, str | None]]:
    async with session_scope(maker) as session:
        roles = await load_roles(session, person=person, admin_ids=())
    return sorted((a.role, a.district_number, a.department_number) for a in roles.assignments)


async def test_only_the_hash_of_a_random_token_is_stored(db: SessionMaker) -> None:
    invitation, token = await _invite(db, Role.MANAGER, districts=("Linden-Limmer",))
    _, other = await _invite(db, Role.MANAGER, districts=("10",))

    assert len(base64.urlsafe_b64decode(token + "==")) * 8 >= 128
    assert token != other
    payload = invitations.payload_for(token)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)  # a valid Telegram start payload
    assert invitations.token_from_payload(payload) == token
    assert invitation.token_hash == invitations.hash_token(token) != token
    async with session_scope(db) as session:
        rows = (await session.execute(text("SELECT * FROM invitations"))).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert token not in stored and other not in stored
    assert invitation.district_numbers == "10"


@pytest.mark.parametrize(
    "payload", ["", "inv-", "inv-short", "inv-" + "a" * 61, "xyz-" + "a" * 32, "inv-" + "ä" * 32]
)
def test_malformed_payloads_carry_no_token(payload: str) -> None:
    assert invitations.token_from_payload(payload) is None


async def test_an_invitation_binds_once(db: SessionMaker) -> None:
    _, token = await _invite(db, Role.MANAGER, districts=("linden-limmer",))
    first, second = await _person(db, 1), await _person(db, 2)

    assert await _redeem(db, token, first) == "bound"
    assert await _active(db, first) == [("manager", "10", None)]
    assert await _redeem(db, token, second) == "used"
    assert await _redeem(db, token, first) == "used"
    assert await _active(db, second) == []
    async with session_scope(db) as session:
        assert await session.scalar(select(func.count(RoleAssignment.id))) == 1


async def test_two_people_opening_the_link_at_once_bind_one(db: SessionMaker) -> None:
    _, token = await _invite(db, Role.DEPUTY, districts=("10",))
    first, second = await _person(db, 1), await _person(db, 2)
    results = await asyncio.gather(_redeem(db, token, first), _redeem(db, token, second))
    assert sorted(results) == ["bound", "used"]


async def test_an_expired_invitation_binds_nothing(db: SessionMaker) -> None:
    clock = FakeClock(START)
    _, token = await _invite(db, Role.MANAGER, now=clock.now(), districts=("10",))
    _, late = await _invite(db, Role.MANAGER, now=clock.now(), districts=("10",))
    person = await _person(db, 1)

    assert await _redeem(db, late, person, clock.now() + timedelta(days=6, hours=23)) == "bound"
    clock.advance(days=8)
    assert await _redeem(db, token, person, clock.now()) == "expired"
    assert await _redeem(db, token, person, START + timedelta(days=7)) == "expired"  # the edge
    async with session_scope(db) as session:
        assert await invitations.list_open(session, clock.now()) == []


async def test_a_revoked_invitation_binds_nothing(db: SessionMaker) -> None:
    invitation, token = await _invite(db, Role.COORDINATOR)
    person = await _person(db, 1)
    async with session_scope(db) as session:
        assert [i.id for i in await invitations.list_open(session, START)] == [invitation.id]
        assert await invitations.revoke(session, invitation_id=invitation.id, now=START)
        assert not await invitations.revoke(session, invitation_id=invitation.id, now=START)
        assert not await invitations.revoke(session, invitation_id=9999, now=START)
        assert await invitations.list_open(session, START) == []

    assert await _redeem(db, token, person) == "revoked"
    assert await _active(db, person) == []


async def test_a_used_invitation_cannot_be_revoked(db: SessionMaker) -> None:
    invitation, token = await _invite(db, Role.COORDINATOR)
    person = await _person(db, 1)
    assert await _redeem(db, token, person) == "bound"
    async with session_scope(db) as session:
        assert not await invitations.revoke(session, invitation_id=invitation.id, now=START)
    assert await _active(db, person) == [("coordinator", None, None)]


async def test_an_unknown_token_binds_nothing(db: SessionMaker) -> None:
    await _invite(db, Role.ADMIN)
    person = await _person(db, 1)
    assert await _redeem(db, secrets.token_urlsafe(24), person) == "unknown"
    assert await _active(db, person) == []


async def test_a_new_manager_replaces_the_old_and_history_stays(db: SessionMaker) -> None:
    old, new = await _person(db, 1), await _person(db, 2)
    _, first = await _invite(db, Role.MANAGER, districts=("10",))
    assert await _redeem(db, first, old) == "bound"
    _, second = await _invite(db, Role.MANAGER, districts=("Linden-Limmer",))
    later = START + timedelta(days=1)
    assert await _redeem(db, second, new, later) == "bound"

    assert await _active(db, old) == []
    assert await _active(db, new) == [("manager", "10", None)]
    async with session_scope(db) as session:
        rows = list(await session.scalars(select(RoleAssignment).order_by(RoleAssignment.id)))
    assert [(r.person_id, r.ended_at) for r in rows] == [(old.id, later), (new.id, None)]
    assert all(r.invitation_id is not None for r in rows)


async def test_a_rep_is_bound_for_each_district(db: SessionMaker) -> None:
    invitation, token = await _invite(
        db, Role.REP, districts=("10", "Ahlem-Badenstedt-Davenstedt"), department="66"
    )
    assert invitation.district_numbers == "10,11"
    person = await _person(db, 1)
    assert await _redeem(db, token, person) == "bound"
    assert await _active(db, person) == [("rep", "10", "66"), ("rep", "11", "66")]


async def test_a_second_invitation_for_a_held_role_adds_no_duplicate(db: SessionMaker) -> None:
    person = await _person(db, 1)
    for _ in range(2):
        _, token = await _invite(db, Role.DEPUTY, districts=("10",))
        assert await _redeem(db, token, person) == "bound"
    assert await _active(db, person) == [("deputy", "10", None)]


@pytest.mark.parametrize(
    ("role", "districts", "department", "code"),
    [
        (Role.MANAGER, (), None, "one_district"),
        (Role.MANAGER, ("10", "11"), None, "one_district"),
        (Role.DEPUTY, ("10 11",), None, "one_district"),
        (Role.MANAGER, ("Atlantis",), None, "unknown_district"),
        (Role.MANAGER, ("14",), None, "unknown_district"),
        (Role.MANAGER, ("Linden",), None, "unknown_district"),  # no fuzzy matching
        (Role.MANAGER, ("10",), "66", "no_department"),
        (Role.REP, ("10",), None, "department_required"),
        (Role.REP, ("10",), "99", "unknown_department"),
        (Role.REP, (), "66", "district_required"),
        (Role.COORDINATOR, ("10",), None, "no_scope"),
        (Role.ADMIN, (), "66", "no_scope"),
    ],
)
async def test_invalid_invitations_are_refused(
    db: SessionMaker, role: Role, districts: tuple[str, ...], department: str | None, code: str
) -> None:
    with pytest.raises(InvitationError) as caught:
        await _invite(db, role, districts=districts, department=department)
    assert caught.value.code == code
    async with session_scope(db) as session:
        assert await session.scalar(select(func.count(Invitation.id))) == 0


async def test_days_must_be_positive(db: SessionMaker) -> None:
    with pytest.raises(InvitationError) as caught:
        await _invite(db, Role.COORDINATOR, days=0)
    assert caught.value.code == "days"


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("manager", Role.MANAGER),
        ("Stadtbezirksmanager", Role.MANAGER),
        ("vertretung", Role.DEPUTY),
        ("Fachbereich", Role.REP),
        ("rep", Role.REP),
        ("Koordination", Role.COORDINATOR),
        ("coordinator", Role.COORDINATOR),
        ("einwohner", None),
    ],
)
def test_role_names_in_german_and_english(name: str, role: Role | None) -> None:
    assert invitations.parse_role(name) == role


# ------------------------------------------------------------------------ end to end


async def _roles_of(env: BotEnv, telegram_id: int) -> list[tuple[str, str | None]]:
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_person(session, telegram_id=telegram_id)
        roles = await load_roles(session, person=person, admin_ids=())
    return sorted((a.role, a.district_number) for a in roles.assignments)


async def _invitation_count(env: BotEnv) -> int:
    async with session_scope(env.services.session_maker) as session:
        return int(await session.scalar(select(func.count(Invitation.id))) or 0)


async def _create_link(env: BotEnv, command: str) -> tuple[str, int]:
    """As the admin, send `command`; return the start payload and the invitation id."""
    admin = env.sim.user(ADMIN_ID, language_code="en")
    await admin.send(command)
    answer = admin.last.plain_text
    link, number = LINK.search(answer), re.search(r"Invitation (\d+)", answer)
    assert link and number, answer
    return link.group(1), int(number.group(1))


async def test_invitation_binds_and_the_district_reaches_the_new_manager(env: BotEnv) -> None:
    admin = env.sim.user(ADMIN_ID, language_code="en")
    await admin.send("/einladen manager Linden-Limmer")
    answer = admin.last.plain_text
    assert "district manager of Linden-Limmer" in answer
    assert "until Wed, 18 Mar 2026, 10:00" in answer  # seven days, in Hannover time
    payload = LINK.search(answer).group(1)  # type: ignore[union-attr]

    anna = env.sim.user(700_020, first_name="Anna", language_code="en")
    await anna.send(f"/start {payload}")
    assert "You are now the district manager of Linden-Limmer" in anna.last.plain_text
    assert await _roles_of(env, 700_020) == [("manager", "10")]

    erika = env.sim.user(1001, language_code="en")
    await consent(erika)
    reference = await file_concern(erika, place="linden sued")
    assert f"New concern {reference}" in anna.last.plain_text

    # the same link again, by someone else and by Anna herself, binds nothing
    mallory = env.sim.user(700_021, language_code="en")
    await mallory.send(f"/start {payload}")
    assert "already been used" in mallory.last.plain_text
    assert "coordination unit 18.6" in mallory.last.plain_text
    assert await _roles_of(env, 700_021) == []
    await anna.send(f"/start {payload}")
    assert "already been used" in anna.last.plain_text
    assert await _roles_of(env, 700_020) == [("manager", "10")]


async def test_an_expired_link_binds_nothing(env: BotEnv) -> None:
    payload, _ = await _create_link(env, "/einladen deputy 10")
    env.clock.advance(days=8)
    bert = env.sim.user(700_030, language_code="en")
    await bert.send(f"/start {payload}")
    assert "has expired" in bert.last.plain_text
    assert "ask the coordination unit 18.6 for a new invitation" in bert.last.plain_text
    assert await _roles_of(env, 700_030) == []


async def test_a_revoked_link_binds_nothing(env: BotEnv) -> None:
    payload, number = await _create_link(env, "/einladen rep 66 10,11")
    _, kept = await _create_link(env, "/einladen koordination")
    admin = env.sim.user(ADMIN_ID)
    await admin.send("/einladungen")
    assert f"{number}: representative of Department 66 (Tiefbau?)" in admin.last.plain_text
    assert "Linden-Limmer, Ahlem-Badenstedt-Davenstedt" in admin.last.plain_text

    await admin.send(f"/widerrufen {number}")
    assert f"Invitation {number} is revoked" in admin.last.plain_text
    await admin.send(f"/widerrufen {number}")
    assert f"no open invitation {number}" in admin.last.plain_text
    await admin.send("/einladungen")
    assert f"{number}: " not in admin.last.plain_text
    assert f"{kept}: coordination unit 18.6" in admin.last.plain_text

    carla = env.sim.user(700_040, language_code="en")
    await carla.send(f"/start {payload}")
    assert "has been revoked" in carla.last.plain_text
    assert await _roles_of(env, 700_040) == []


async def test_a_forged_link_binds_nothing_and_plain_start_still_greets(env: BotEnv) -> None:
    await _create_link(env, "/einladen manager 10")
    eve = env.sim.user(700_050, language_code="en")
    await eve.send(f"/start inv-{secrets.token_urlsafe(24)}")
    assert "not valid" in eve.last.plain_text
    await eve.send("/start inv-x")
    assert "not valid" in eve.last.plain_text
    assert await _roles_of(env, 700_050) == []
    await eve.send("/start")
    assert "Hello" in eve.last.plain_text


async def test_residents_cannot_invite(env: BotEnv) -> None:
    resident = env.sim.user(1002, language_code="en")
    for command in ("/einladen manager 10", "/einladen admin", "/einladungen", "/widerrufen 1"):
        await resident.send(command)
        assert resident.last.plain_text == "Sorry, you are not allowed to do that."
    assert await _invitation_count(env) == 0


async def test_a_bound_coordinator_invites_but_cannot_make_admins(env: BotEnv) -> None:
    payload, _ = await _create_link(env, "/einladen coordinator")
    dora = env.sim.user(700_060, language_code="en")
    await dora.send(f"/start {payload}")
    assert "coordination unit 18.6" in dora.last.plain_text
    await dora.send("/einladen vertretung Nord")
    assert "deputy for Nord" in dora.last.plain_text and LINK.search(dora.last.plain_text)
    await dora.send("/einladen admin")
    assert dora.last.plain_text == "Sorry, you are not allowed to do that."
    assert await _invitation_count(env) == 2


async def test_bad_invitation_commands_explain_themselves(env: BotEnv) -> None:
    admin = env.sim.user(ADMIN_ID, language_code="en")
    await admin.send("/einladen")
    assert "Usage: /einladen" in admin.last.plain_text
    await admin.send("/einladen kaiser 10")
    assert "Usage: /einladen" in admin.last.plain_text
    await admin.send("/einladen manager Atlantis")
    assert "I do not know the district Atlantis" in admin.last.plain_text
    await admin.send("/einladen rep 99 10")
    assert "I do not know department 99" in admin.last.plain_text
    await admin.send("/widerrufen abc")
    assert "Usage: /widerrufen" in admin.last.plain_text
    assert await _invitation_count(env) == 0


async def test_invitations_in_german(env: BotEnv) -> None:
    admin = env.sim.user(ADMIN_ID, language_code="de")
    await admin.send("/einladen manager Linden-Limmer")
    answer = admin.last.plain_text
    assert "Stadtbezirksmanager/in für Linden-Limmer" in answer
    assert "bis Mi, 18.03.2026, 10:00" in answer  # seven days, in Hannover time
    payload = LINK.search(answer).group(1)  # type: ignore[union-attr]
    number = int(re.search(r"Einladung (\d+)", answer).group(1))  # type: ignore[union-attr]
    await admin.send("/einladen rep 66 10")
    assert (
        "Fachbereichsvertreter/in für Fachbereich 66 (Tiefbau?) in Linden-Limmer"
        in admin.last.plain_text
    )
    await admin.send("/einladungen")
    listed = admin.last.plain_text
    assert listed.startswith("Offene Einladungen:")
    assert (
        f"{number}: Stadtbezirksmanager/in für Linden-Limmer, gültig bis Mi, 18.03.2026" in listed
    )
    await admin.send("/einladen manager Atlantis")
    assert "Atlantis" in admin.last.plain_text and "/einladen" in admin.last.plain_text

    anna = env.sim.user(700_070, first_name="Anna", language_code="de")
    await anna.send(f"/start {payload}")
    assert anna.last.plain_text.startswith(
        "Sie sind jetzt Stadtbezirksmanager/in für Linden-Limmer"
    )
    bert = env.sim.user(700_071, language_code="de")
    await bert.send(f"/start {payload}")
    assert "Koordination 18.6" in bert.last.plain_text
    await admin.send(f"/widerrufen {number}")  # used by Anna: no longer open
    assert admin.last.plain_text == f"Es gibt keine offene Einladung {number}."
    await admin.send(f"/widerrufen {number + 1}")
    assert admin.last.plain_text.startswith(f"Die Einladung {number + 1} ist widerrufen")


# ------------------------------------------------- managers invite their districts' reps


async def _german_manager(env: BotEnv, telegram_id: int, district: str) -> object:
    from tests.helpers import bind_role

    await bind_role(env, telegram_id, Role.MANAGER, district=district)
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_person(session, telegram_id=telegram_id)
        assert person is not None
        person.language = "de"
    return env.sim.user(telegram_id, first_name="Maria", language_code="de")


async def test_a_manager_invites_representatives_of_their_own_district(env: BotEnv) -> None:
    maria = await _german_manager(env, 700_080, "10")
    await maria.send("/einladen fb 19")  # no district named: her own, Linden-Limmer
    answer = maria.last.plain_text  # type: ignore[attr-defined]
    assert "in Linden-Limmer" in answer and "19" in answer
    payload = LINK.search(answer).group(1)  # type: ignore[union-attr]
    await maria.send("/einladen rep 66 Linden-Limmer")
    assert LINK.search(maria.last.plain_text)  # type: ignore[attr-defined]

    rolf = env.sim.user(700_081, first_name="Rolf", language_code="de")
    await rolf.send(f"/start {payload}")
    assert await _roles_of(env, 700_081) == [("rep", "10")]
    assert await _invitation_count(env) == 2


async def test_a_manager_invites_no_one_else(env: BotEnv) -> None:
    maria = await _german_manager(env, 700_080, "10")
    for command in (
        "/einladen fb 66 Nord",  # another district
        "/einladen fb 66 10,01",  # her own and another
        "/einladen manager 10",
        "/einladen vertretung 10",
        "/einladen koordination",
        "/einladen admin",
        "/einladungen",
        "/widerrufen 1",
    ):
        await maria.send(command)
        said = maria.last.plain_text  # type: ignore[attr-defined]
        assert said == "Das dürfen Sie leider nicht.", (command, said)
    assert await _invitation_count(env) == 0
    await maria.send("/einladen fb 99")
    assert "99" in maria.last.plain_text  # type: ignore[attr-defined]
    assert await _invitation_count(env) == 0


def test_who_may_invite_a_representative() -> None:
    from bot.services.access.roles import Roles

    def assignment(role: Role, district: str | None) -> RoleAssignment:
        return RoleAssignment(role=role, district_number=district)

    manager = Roles(1, (assignment(Role.MANAGER, "10"),))
    rep = Roles(2, (RoleAssignment(role=Role.REP, district_number="10", department_number="66"),))
    coordinator = Roles(3, (assignment(Role.COORDINATOR, None),))
    assert invitations.may_invite(manager, Role.REP, districts=["10"])
    assert not invitations.may_invite(manager, Role.REP, districts=["10", "09"])
    assert not invitations.may_invite(manager, Role.REP, districts=[])
    assert not invitations.may_invite(manager, Role.MANAGER, districts=["10"])
    assert not invitations.may_invite(manager)  # listing and revoking stay with coordination
    assert not invitations.may_invite(rep, Role.REP, districts=["10"])
    assert invitations.may_invite(coordinator, Role.MANAGER, districts=["Nord"])
    assert not invitations.may_invite(coordinator, Role.ADMIN)
    assert invitations.rep_districts(REFERENCE, manager, []) == ["10"]
    assert invitations.rep_districts(REFERENCE, coordinator, []) == []
