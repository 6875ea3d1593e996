"""Property: no callback and no command changes anything its sender is not entitled to, or
shows them any of it. Every callback pattern and every command the application registers
(found in `app.handlers`, so new ones are covered) is used with well-formed, forged and
malformed data by users of every role.

The world: district 10 (Linden-Limmer) has a manager, a coordinator and a rep of department
66; its cases, conferences, agreements, an action plan, a project and an open invitation each
carry a secret marker. The users under test are entitled to none of it, except the residents
to their own case.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from bot.app import make_services, open_storage
from bot.context import Services
from bot.delivery import flush_outbox
from bot.messages import callbacks
from bot.offline.fake_api import FakeBotAPI
from bot.offline.simulator import Simulator, SimUser
from bot.services.access import invitations, people
from bot.services.access.roles import Role, Roles, load_roles
from bot.services.agreements import action_plans, conferences, projects
from bot.services.agreements import workflow as agreements
from bot.services.basics.clock import FakeClock
from bot.services.council import inquiries as council_inquiries
from bot.services.council import sessions as council_sessions
from bot.services.council import statements as council_statements
from bot.services.council.deadlines import CouncilPolicy
from bot.services.needs import calls as need_calls
from bot.services.needs import proposals as need_proposals
from bot.services.network import entries as network_entries
from bot.services.network.entries import EntryData
from bot.storage.db import session_scope
from bot.storage.models import (
    ActionPlan,
    Agreement,
    Base,
    Case,
    Conference,
    FocusArea,
    Need,
    NeedParticipant,
    NeedSupport,
    NetworkEntry,
    Person,
)
from tests.conftest import START, BotEnv, make_settings
from tests.helpers import bind_role, consent, reference_in

HANDLERS_DIR = Path(__file__).resolve().parent.parent / "bot" / "handlers"

# entitled in district 10
MANAGER_10, COORDINATOR, REP_66_10 = 710_010, 710_099, 710_066
# the users under test
RESIDENT, RESIDENT_WITH_CASE, ACTOR = 720_001, 720_002, 720_003
MANAGER_06, DEPUTY_06, REP_32_10, REP_66_06 = 720_006, 720_016, 720_032, 720_066
OTHER_RESIDENT = 720_009  # owns case C; not under test
MEMBER_10 = 710_100  # district council member of 10, entitled to their inquiries
COUNCIL_06, SUPPORT_06 = 720_106, 720_116  # the council of another district
UNENTITLED = {
    "resident without cases": RESIDENT,
    "resident with a case": RESIDENT_WITH_CASE,
    "actor (club)": ACTOR,
    "manager of another district": MANAGER_06,
    "deputy of another district": DEPUTY_06,
    "rep of another department": REP_32_10,
    "rep of the department, other district": REP_66_06,
    "council member of another district": COUNCIL_06,
    "council support of another district": SUPPORT_06,
}
SECRETS = {  # marker -> the only test user who may see it
    "SECRET-CASE-A": RESIDENT_WITH_CASE,
    "SECRET-CASE-B": ACTOR,
    "SECRET-CASE-C": None,
    "SECRET-RESOLVED": None,
    "SECRET-AGENDA": None,
    "SECRET-PLAN": None,
    "SECRET-AGREEMENT-1": None,
    "SECRET-AGREEMENT-2": None,
    "SECRET-PROJECT": None,
    "SECRET-NEED": None,
    "SECRET-FOCUS": None,
    "SECRET-ENTRY": None,  # a staff-only directory entry of district 10
    "SECRET-INQUIRY": None,
    "SECRET-INFO": None,
}
# Buttons with which residents act on what is their own (consent, language, intake, feedback,
# erasure): only these may change the sender's own cases. The registry marks them.
SELF_SERVICE = {f.prefix for f in callbacks.FAMILIES.values() if f.self_service}
BOOKKEEPING_TABLES = {"ptb_persistence", "processed_updates"}
BOOKKEEPING_COLUMNS = {
    "outbox": {
        "sent_at",
        "sent_message_id",
        "attempts",
        "failed_at",
        "last_error",
        "next_attempt_at",
    },
}
EXAMPLES = 200
# Errors these tests found outside the guard, as "file:function" frames of the traceback.
# Errors known and accepted while a fix is pending (none now); the tests then tolerate them.
KNOWN_ISSUES: dict[str, str] = {}

Row = dict[str, Any]
State = dict[str, dict[tuple[Any, ...], Row]]


# --- environment ----------------------------------------------------------------------------
@asynccontextmanager
async def open_env(tmp_path: Path, **overrides: Any) -> AsyncIterator[BotEnv]:
    """A bot like conftest's `env`, with settings of our choosing and no timers running."""
    settings = make_settings(tmp_path, **overrides)
    engine, maker = await open_storage(settings)
    clock = FakeClock(START)
    services = make_services(settings, maker, clock=clock)
    env = BotEnv(settings, engine, services, clock, FakeBotAPI())
    await env.start()
    assert env.app is not None and env.app.job_queue is not None
    for job in env.app.job_queue.jobs():  # sweeps would change state between snapshots
        job.schedule_removal()
    try:
        yield env
    finally:
        await env.stop()
        await engine.dispose()


def record_errors(app: Application) -> list[str]:  # type: ignore[type-arg]
    """Every exception that reaches the error handlers, with the bot frames it passed."""
    errors: list[str] = []

    async def record(update: object, context: Any) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        where = " < ".join(
            f"{f.f_code.co_filename.rsplit('/', 1)[-1]}:{f.f_code.co_name}"
            for f, _ in traceback.walk_tb(context.error.__traceback__)
            if "/bot/" in f.f_code.co_filename
        )
        errors.append(f"update {update_id}: {context.error!r} at {where}")

    app.add_error_handler(record)
    return errors


def unknown(errors: list[str]) -> list[str]:
    """The errors not explained by a known issue."""
    return [
        e for e in errors if not any(known in e.rsplit(" at ", 1)[-1] for known in KNOWN_ISSUES)
    ]


# --- the state ------------------------------------------------------------------------------
async def snapshot(env: BotEnv) -> State:
    """Every row of every table, except what only records delivery and processing."""
    state: State = {}
    async with session_scope(env.services.session_maker) as session:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING_TABLES:
                continue
            skip = BOOKKEEPING_COLUMNS.get(table.name, set())
            columns = [c for c in table.columns if c.name not in skip]
            keys = [c.name for c in table.primary_key.columns]
            rows = (await session.execute(select(*columns))).mappings()
            state[table.name] = {tuple(r[k] for k in keys): dict(r) for r in rows}
    return state


def changes(before: State, after: State) -> Iterable[tuple[str, tuple[Any, ...], Row]]:
    """(table, key, row) for every row added, removed or changed."""
    for table in after.keys() | before.keys():
        old, new = before.get(table, {}), after.get(table, {})
        for key in old.keys() | new.keys():
            if old.get(key) != new.get(key):
                yield table, key, new.get(key) or old[key]


def violations(
    before: State, after: State, *, telegram_id: int | set[int], prefix: str
) -> list[str]:
    """Changes the sender was not entitled to: anything but their own person row (and saved
    replies and absences), and for the self-service buttons and commands their own cases
    (with their history, photos and messages)."""
    senders = telegram_id if isinstance(telegram_id, set) else {telegram_id}
    persons = [*before["persons"].values(), *after["persons"].values()]
    own_persons = {p["id"] for p in persons if p["telegram_id"] in senders}
    own_cases = {
        c["id"]
        for c in [*before["cases"].values(), *after["cases"].values()]
        if c["resident_id"] in own_persons
    }
    new_own_case = any(
        k not in before["cases"] for k in after["cases"] if after["cases"][k]["id"] in own_cases
    )
    found = []
    for table, key, row in changes(before, after):
        if table == "persons" and row["id"] in own_persons:
            continue
        if table in ("saved_replies", "absences") and row["person_id"] in own_persons:
            continue  # a staff member's own templates and absences
        if prefix in SELF_SERVICE and _owned(
            table, row, own_cases, own_persons, senders, new_own_case
        ):
            continue
        found.append(f"{table}{list(key)}")
    return sorted(found)


def _owned(
    table: str, row: Row, cases: set[int], persons: set[int], senders: set[int], new_case: bool
) -> bool:
    if table == "cases":
        return row["id"] in cases
    if table in ("case_events", "case_photos", "case_messages", "reminders"):
        return row.get("case_id") in cases
    if table == "outbox":
        return row["case_id"] in cases or row["chat_id"] in senders or row["person_id"] in persons
    if table == "news_subscriptions":  # /abo and the one-tap unsubscribe: one's own reading
        return row["person_id"] in persons
    return table == "reference_counters" and new_case


# --- the world ------------------------------------------------------------------------------
@dataclass
class World:
    env: BotEnv
    users: dict[int, SimUser]
    case_ids: dict[str, int]
    past_conference: int
    agreement_ids: list[int]
    real_ids: list[int] = field(default_factory=list)
    seen_data: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def sim(self) -> Simulator:
        assert self.env.sim is not None
        return self.env.sim


async def file_case(user: SimUser, text: str, *, club: str | None = None) -> str:
    await user.send("/neu")
    await user.send("linden sued")
    await user.press("Yes")
    await user.press("Public space")
    await user.send(text)
    await user.press("Continue without more photos")
    await user.press("Skip")
    if club:
        await user.press("Club or association")
        await user.send(club)
    else:
        await user.press("No, privately")
    await user.press("Send")
    return reference_in(user.last.plain_text)


async def _case_id(env: BotEnv, reference: str) -> int:
    async with session_scope(env.services.session_maker) as session:
        found = await session.scalar(select(Case.id).where(Case.reference == reference))
    assert found is not None
    return found


async def _person(session: Any, telegram_id: int) -> Person:
    person = await people.get_person(session, telegram_id=telegram_id)
    assert person is not None
    return person


async def seed_world(env: BotEnv) -> World:
    """District 10 with one of everything; the users under test have their roles elsewhere."""
    sim = env.sim
    assert sim is not None and env.app is not None
    for telegram_id, role, district, department in (
        (MANAGER_10, Role.MANAGER, "10", None),
        (COORDINATOR, Role.COORDINATOR, None, None),
        (REP_66_10, Role.REP, "10", "66"),
        (MANAGER_06, Role.MANAGER, "06", None),
        (DEPUTY_06, Role.DEPUTY, "06", None),
        (REP_32_10, Role.REP, "10", "32"),
        (REP_66_06, Role.REP, "06", "66"),
        (MEMBER_10, Role.COUNCIL_MEMBER, "10", None),
        (COUNCIL_06, Role.COUNCIL_MEMBER, "06", None),
        (SUPPORT_06, Role.COUNCIL_SUPPORT, "06", None),
    ):
        await bind_role(env, telegram_id, role, district=district, department=department)
    everyone = [MANAGER_10, COORDINATOR, REP_66_10, *UNENTITLED.values(), OTHER_RESIDENT]
    users = {telegram_id: sim.user(telegram_id, language_code="en") for telegram_id in everyone}
    for telegram_id, user in users.items():
        if telegram_id in (RESIDENT, RESIDENT_WITH_CASE, ACTOR, OTHER_RESIDENT):
            await consent(user)
        else:
            await user.send("/start")
    manager = users[MANAGER_10]
    case_ids = {
        "A": await _case_id(
            env,
            await file_case(
                users[RESIDENT_WITH_CASE], "SECRET-CASE-A: rubbish at the corner every weekend."
            ),
        ),
        "B": await _case_id(
            env,
            await file_case(
                users[ACTOR], "SECRET-CASE-B: our club needs a room.", club="SV Linden"
            ),
        ),
        "C": await _case_id(
            env,
            await file_case(users[OTHER_RESIDENT], "SECRET-CASE-C: the street light is broken."),
        ),
    }
    await manager.press_data(f"tr:kue:{case_ids['B']}")
    await manager.press_data(f"tr:kue:{case_ids['C']}")
    await manager.press_data(f"tr:resolve:{case_ids['C']}")
    await manager.send("SECRET-RESOLVED: repaired on Monday.")
    await manager.press_data(f"tr:resolveok:{case_ids['C']}")
    services, now = env.services, env.clock.now()
    async with session_scope(services.session_maker) as session:
        creator = await _person(session, MANAGER_10)
        rep = await _person(session, REP_66_10)
        scheduled = await conferences.schedule_conference(
            session,
            services.env,
            district="10",
            starts_at=now + timedelta(days=14),
            departments=["66"],
            created_by=creator,
            now=now,
        )
        await conferences.add_agenda_item(
            session,
            conference_id=scheduled.conference.id,
            person=rep,
            roles=await _roles(session, services, rep),
            text="SECRET-AGENDA",
            now=now,
        )
        past = Conference(
            district_number="10",
            kind="conference",
            status="planned",
            starts_at=now - timedelta(days=2),
            departments={"invited": ["66"]},
            created_by_id=creator.id,
            created_at=now - timedelta(days=30),
        )
        session.add(past)
        plan = await action_plans.create_action_plan(
            session, district="10", title="SECRET-PLAN", topic="public_space", now=now
        )
        made = [
            await agreements.create_agreement(
                session,
                services.env,
                district="10",
                department="66",
                measure=measure,
                due=now + timedelta(days=30),
                now=now,
                created_by=creator,
                action_plan_id=plan.id,
            )
            for measure in ("SECRET-AGREEMENT-1", "SECRET-AGREEMENT-2")
        ]
        await agreements.report_done(session, services.env, made[1], rep=rep, text=None, now=now)
        await projects.create_project(
            session,
            services.env,
            district="10",
            title="SECRET-PROJECT",
            topic="public_space",
            partners=None,
            created_by=creator,
            now=now,
        )
        await invitations.create_invitation(
            session,
            reference=services.reference,
            role=Role.MANAGER,
            now=now,
            days=7,
            districts=["11"],
            created_by=creator,
        )
        await seed_needs(session, services, creator, plan.id, now)
        await network_entries.create(
            session,
            EntryData(
                name="Stadtteilrunde Linden",
                kind="organisation",
                districts=["10"],
                topics=["public_space"],
                phone="0511 1234567",
                resident_channels=["phone"],
                staff_notes="SECRET-ENTRY",
                visibility="staff",
            ),
            now=now,
            by=creator,
        )
        await session.flush()
        await seed_council(session, services, member=await _person(session, MEMBER_10), now=now)
        past_id, agreement_ids = past.id, [a.id for a in made]
    await flush_outbox(env.app)  # type: ignore[arg-type]
    # The lists staff open every day: their buttons are the ones most worth forging.
    for command in ("/faelle", "/konferenzen", "/projekte", "/vereinbarungen"):
        await manager.send(command)
    await manager.send("/netzwerk")  # the directory's buttons
    await users[REP_66_10].send("/vereinbarungen")
    await manager.send("/bedarfe")  # needs: support, rank and curation buttons
    await users[OTHER_RESIDENT].send("/bedarfe")  # a participant's support buttons
    await users[COORDINATOR].send("/beschluss 10")  # the decision buttons of a focus area
    for command in ("/anfragen", "/sitzungen"):  # the council's buttons
        await manager.send(command)
    await sim.settle()
    world = World(env, users, case_ids, past_id, agreement_ids)
    world.errors = record_errors(env.app)
    state = await snapshot(env)
    world.real_ids = sorted(
        {key[0] for rows in state.values() for key in rows if key and isinstance(key[0], int)}
    )
    world.seen_data = sorted(
        {
            button["callback_data"]
            for chat in sim.api.sent.values()
            for message in chat
            for button in message.inline_buttons
            if "callback_data" in button
        }
    )
    return world


async def seed_needs(
    session: Any, services: Services, creator: Person, plan_id: int, now: Any
) -> None:
    """A call of district 10 for invited actors: OTHER_RESIDENT takes part and proposed a
    need (which they support); a focus area over the secret plan."""
    participant = await _person(session, OTHER_RESIDENT)
    call = await need_calls.open_call(
        session,
        services.env,
        district="10",
        title="Call 10",
        topics=["public_space"],
        audience="actors",
        ends_at=now + timedelta(days=20),
        created_by=creator,
        now=now,
    )
    call.token = "secret-call-token"
    session.add(
        NeedParticipant(call_id=call.id, person_id=participant.id, kind="actor", created_at=now)
    )
    await session.flush()
    need = await need_proposals.propose(
        session,
        services.env,
        call_id=call.id,
        person=participant,
        roles=await _roles(session, services, participant),
        draft=need_proposals.Draft("public_space", "Linden-Süd", "SECRET-NEED", "everyone"),
        now=now,
    )
    session.add(NeedSupport(need_id=need.id, person_id=participant.id, created_at=now))
    session.add(
        FocusArea(
            district_number="10", title="SECRET-FOCUS", action_plan_id=plan_id, created_at=now
        )
    )


async def seed_council(session: Any, services: Services, *, member: Person, now: Any) -> None:
    """A session of district 10 with an inquiry assigned to FB 66, and an information request."""
    tz, policy = services.settings.tz, CouncilPolicy()
    council_session = await council_sessions.create(
        session, district="10", starts_at=now + timedelta(days=20), location="Rathaus", now=now
    )
    for title, session_id in (("SECRET-INQUIRY", council_session.id), ("SECRET-INFO", None)):
        inquiry = await council_inquiries.submit(
            session,
            draft=council_inquiries.Draft(
                "10", title, title + " text", session_id, fraction="SPD"
            ),
            member=member,
            now=now,
            tz=tz,
            policy=policy,
            admin_ids=[],
        )
    await council_statements.assign(
        session,
        inquiry_id=inquiry.id - 1,
        departments=["66"],
        now=now,
        tz=tz,
        policy=policy,
        admin_ids=[],
    )


async def _roles(session: Any, services: Services, person: Person) -> Roles:
    return await load_roles(session, person=person, admin_ids=services.settings.admin_telegram_ids)


# --- what to press --------------------------------------------------------------------------
def all_handlers(app: Application) -> Iterator[object]:  # type: ignore[type-arg]
    """Every handler of every group, and those inside conversations."""

    def walk(handler: object) -> Iterator[object]:
        yield handler
        if isinstance(handler, ConversationHandler):
            for inner in [
                *handler.entry_points,
                *handler.fallbacks,
                *(h for hs in handler.states.values() for h in hs),
            ]:
                yield from walk(inner)

    for handlers in app.handlers.values():
        for handler in handlers:
            yield from walk(handler)


def handler_patterns(app: Application) -> list[str]:  # type: ignore[type-arg]
    """The regex of every CallbackQueryHandler the application registered."""
    return sorted(
        {
            h.pattern.pattern
            for h in all_handlers(app)
            if isinstance(h, CallbackQueryHandler) and isinstance(h.pattern, re.Pattern)
        }
    )


def callback_patterns(app: Application) -> list[str]:  # type: ignore[type-arg]
    """The pattern of every family of the registry, and the narrower ones handlers use."""
    return sorted({f.pattern for f in callbacks.FAMILIES.values()} | set(handler_patterns(app)))


def command_names(app: Application) -> list[str]:  # type: ignore[type-arg]
    """Every command of every CommandHandler."""
    return sorted(
        {c for h in all_handlers(app) if isinstance(h, CommandHandler) for c in h.commands}
    )


def prefix_of(pattern_or_data: str) -> str:
    match = re.match(r"\^?([A-Za-z_]+)(?:\\)?:", pattern_or_data)
    return match.group(1) if match else ""


def vocabulary() -> list[str]:
    """Short lower-case literals of the handler modules: actions, states, answers."""
    words: set[str] = set()
    for path in HANDLERS_DIR.glob("*.py"):
        words |= set(re.findall(r"[\"']([a-z][a-z_]{1,14})[\"']", path.read_text("utf-8")))
    return sorted(words)


def callback_data(world: World, patterns: list[str]) -> st.SearchStrategy[str]:
    """Data of real buttons (anyone's), pattern-shaped data with real or forged ids, prefixed
    nonsense, and arbitrary text."""
    ids = st.sampled_from([*world.real_ids, 0, 1, 2, 999_999_999_999]).map(str)
    prefixes = sorted({prefix_of(p) for p in patterns} - {""})
    env = world.env.services.reference
    args = st.sampled_from(
        sorted(
            {d.number for d in env.districts}
            | {d.number for d in env.departments}
            | {r.key for r in env.referrals}
            | {t.code for t in env.topics}
            | {"yes", "no", "-", "new", "send"}
        )
    )

    def with_real_ids(text: str) -> st.SearchStrategy[str]:
        runs = re.findall(r"\d+", text)
        if not runs:
            return st.just(text)
        return st.lists(ids, min_size=len(runs), max_size=len(runs)).map(
            lambda chosen: _replace_numbers(text, chosen)
        )

    shaped = st.sampled_from(patterns).flatmap(lambda p: st.from_regex(p, fullmatch=True))
    synthetic = st.builds(
        lambda prefix, verb, ident, arg: ":".join(x for x in (prefix, verb, ident, arg) if x),
        st.sampled_from(prefixes),
        st.sampled_from(vocabulary()),
        ids,
        st.none() | args,
    )
    garbage = st.one_of(
        st.text(max_size=80),
        st.builds(lambda p, t: f"{p}:{t}", st.sampled_from(prefixes), st.text(max_size=40)),
    )
    seen = st.sampled_from(world.seen_data)
    return st.one_of(
        seen,
        seen.flatmap(with_real_ids),
        shaped.flatmap(with_real_ids),
        shaped,
        synthetic,
        garbage,
    )


def _replace_numbers(text: str, numbers: list[str]) -> str:
    chosen = iter(numbers)
    return re.sub(r"\d+", lambda _match: next(chosen), text)


# --- checks ---------------------------------------------------------------------------------
def visible_to(world: World, telegram_id: int) -> str:
    """Everything the user's chat shows now: texts, captions, buttons and sent files."""
    parts = []
    for message in world.sim.api.messages(telegram_id):
        parts += [message.text or "", message.caption or ""]
        parts += [b.get("text", "") for b in message.inline_buttons]
        for sent in (message.document, message.photo):
            if sent is not None and sent.content:
                parts.append(sent.content.decode("utf-8", "replace"))
    return "\n".join(parts)


def forbidden_secrets(telegram_id: int) -> list[str]:
    return [secret for secret, owner in SECRETS.items() if owner != telegram_id]


async def press_and_check(world: World, telegram_id: int, data: str) -> None:
    before = await snapshot(world.env)
    answer = await world.users[telegram_id].press_data(data)
    await _check(
        world, telegram_id, data, before, prefix_of(data), (answer.text or "") if answer else ""
    )


async def send_and_check(world: World, telegram_id: int, text: str) -> None:
    """A command: residents' own commands (/neu, /loeschen …) count as self-service."""
    before = await snapshot(world.env)
    await world.users[telegram_id].send(text)
    await _check(world, telegram_id, text, before, "in", "")


async def _check(
    world: World, telegram_id: int, sent: str, before: State, prefix: str, answer: str
) -> None:
    bad = violations(before, await snapshot(world.env), telegram_id=telegram_id, prefix=prefix)
    assert not bad, f"user {telegram_id} changed {bad} with {sent!r}"
    assert not unknown(world.errors), f"{sent!r} from {telegram_id}: {world.errors[-1]}"
    shown = visible_to(world, telegram_id) + "\n" + answer
    leaked = [s for s in forbidden_secrets(telegram_id) if s in shown]
    assert not leaked, f"user {telegram_id} was shown {leaked} after {sent!r}"


# --- tests ----------------------------------------------------------------------------------
@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with open_env(tmp_path, flood_messages_per_minute=0) as env:
        yield await seed_world(env)


async def test_every_callback_prefix_is_discovered(world: World) -> None:
    assert world.env.app is not None
    handled = {prefix_of(p) for p in handler_patterns(world.env.app)}
    # every handler listens to a family of the registry, and every family has a handler
    assert handled == set(callbacks.FAMILIES), handled ^ set(callbacks.FAMILIES)
    assert {"in", "consent", "lang", "menu", "tr", "fb", "desk"} <= handled
    # The seeded world shows buttons of the staff features, so their data is replayed too.
    seen = {prefix_of(d) for d in world.seen_data}
    assert {"tr", "cf", "ag"} & seen
    assert "brt" in seen  # the council's buttons (inquiries, sessions, the rep's draft)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_unentitled_users_change_and_see_nothing(world: World, data: st.DataObject) -> None:
    assert world.env.app is not None
    patterns = callback_patterns(world.env.app)
    who = data.draw(st.sampled_from(sorted(UNENTITLED)), label="user")
    presses = data.draw(
        st.lists(callback_data(world, patterns), min_size=1, max_size=3), label="callback data"
    )
    for pressed in presses:
        await press_and_check(world, UNENTITLED[who], pressed)


def commands(world: World) -> st.SearchStrategy[str]:
    """Every command the application knows, with arguments that would mean something."""
    assert world.env.app is not None
    reference = world.env.services.reference
    words = st.sampled_from(
        sorted(
            {
                "manager",
                "deputy",
                "rep",
                "coordinator",
                "admin",
                "bis Freitag",
                "morgen",
                "hallo",
                "Linden-Limmer",
                "Kirchrode-Bemerode-Wülferode",
                "10-2026-0001",
                "10-2026-0002",
                "10-2026-0003",
                "inv-AAAA",
                "x" * 70,
                "\u202e",
            }
            | {d.number for d in reference.districts}
            | {"66", "32"}
            | {str(i) for i in world.real_ids}
        )
    )
    return st.builds(
        lambda name, args: " ".join(["/" + name, *args]),
        st.sampled_from(command_names(world.env.app)),
        st.lists(words, max_size=3),
    )


@settings(
    max_examples=EXAMPLES // 2,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_unentitled_users_commands_change_and_show_nothing(
    world: World, data: st.DataObject
) -> None:
    who = data.draw(st.sampled_from(sorted(UNENTITLED)), label="user")
    for text in data.draw(st.lists(commands(world), min_size=1, max_size=3), label="commands"):
        await send_and_check(world, UNENTITLED[who], text)


async def test_every_pattern_refuses_every_real_id_for_every_unentitled_user(
    world: World,
) -> None:
    """Exhaustive where it matters most: each seen button, from each user under test."""
    for telegram_id in UNENTITLED.values():
        for pressed in world.seen_data:
            await press_and_check(world, telegram_id, pressed)


async def test_entitled_users_do_change_the_state(world: World) -> None:
    """The same snapshot sees legitimate work, so the property above can fail."""

    async def pressed(telegram_id: int, data: str) -> list[str]:
        before = await snapshot(world.env)
        await world.users[telegram_id].press_data(data)
        changed = [f"{t}{list(k)}" for t, k, _ in changes(before, await snapshot(world.env))]
        # what the unentitled check would say had someone else pressed it
        assert violations(
            before, await snapshot(world.env), telegram_id=RESIDENT, prefix=prefix_of(data)
        ) == sorted(changed)
        return changed

    case_a = world.case_ids["A"]
    assert f"cases[{case_a}]" in await pressed(MANAGER_10, f"tr:kue:{case_a}")
    held = await pressed(COORDINATOR, f"cf:held:{world.past_conference}")
    assert held == [f"conferences[{world.past_conference}]"]
    first, second = world.agreement_ids
    assert f"agreements[{first}]" in await pressed(REP_66_10, f"ag:donenow:{first}")
    assert f"agreements[{second}]" in await pressed(MANAGER_10, f"ag:confirm:{second}")
    async with session_scope(world.env.services.session_maker) as session:
        entry = await session.scalar(
            select(NetworkEntry.id).where(NetworkEntry.name == "Stadtteilrunde Linden")
        )
    world.env.clock.advance(days=1)
    assert f"network_entries[{entry}]" in await pressed(MANAGER_10, f"net:ok:{entry}")


async def _plan_id(world: World) -> int:
    async with session_scope(world.env.services.session_maker) as session:
        found = await session.scalar(
            select(ActionPlan.id).where(ActionPlan.title == "SECRET-PLAN")
        )
    assert found is not None
    return found


async def test_a_forged_action_plan_of_another_district_is_not_attached(world: World) -> None:
    """Deep in a conversation the user may run (an agreement for their own district), a
    button with another district's id must still be refused."""
    manager = world.users[MANAGER_06]
    foreign_plan = await _plan_id(world)
    await manager.send("/vereinbarung 06")
    await manager.press_data("agf:dep:66")
    await manager.send("Two more waste bins at the playground.")
    await manager.send("in sechs Wochen")
    await manager.press_data("agf:due:yes")
    await manager.press_data("agf:topic:-")
    await manager.press_data(f"agf:plan:{foreign_plan}")
    await manager.press_data("agf:save")
    async with session_scope(world.env.services.session_maker) as session:
        rows = list(
            await session.scalars(select(Agreement).where(Agreement.district_number == "06"))
        )
    assert len(rows) <= 1
    assert all(row.action_plan_id != foreign_plan for row in rows)


async def test_a_refused_agreement_button_is_answered_once(world: World) -> None:
    answer = await world.users[RESIDENT].press_data(f"agf:start:{world.past_conference}")
    assert answer is not None and "not allowed" in (answer.text or "")
    assert not world.errors


async def test_a_forged_report_period_is_refused_politely(world: World) -> None:
    answer = await world.users[MANAGER_06].press_data("rp:p:0000:06")
    assert answer is not None and not world.errors


async def _need_id(world: World) -> int:
    async with session_scope(world.env.services.session_maker) as session:
        found = await session.scalar(select(Need.id).where(Need.missing == "SECRET-NEED"))
    assert found is not None
    return found


async def _supports(world: World, need_id: int) -> int:
    async with session_scope(world.env.services.session_maker) as session:
        return len(
            list(
                await session.scalars(select(NeedSupport.id).where(NeedSupport.need_id == need_id))
            )
        )


async def test_supports_count_per_person_never_from_forged_or_repeated_presses(
    world: World,
) -> None:
    """Non-participants' forged support buttons change nothing; a participant's presses
    toggle their one support, and a burst of presses leaves at most one row."""
    need_id = await _need_id(world)
    assert await _supports(world, need_id) == 1
    for telegram_id in UNENTITLED.values():
        answer = await world.users[telegram_id].press_data(f"need:sup:{need_id}")
        assert answer is not None and "not allowed" in (answer.text or "")
    assert await _supports(world, need_id) == 1
    participant = world.users[OTHER_RESIDENT]
    await participant.press_data(f"need:sup:{need_id}")  # withdraws
    assert await _supports(world, need_id) == 0
    for _ in range(5):  # pressed in a burst, processed one after the other per chat
        await participant.press_nowait(f"#{need_id}")
    await world.sim.settle()
    assert await _supports(world, need_id) in (0, 1)
    await participant.press_data(f"need:sup:{need_id}")
    await participant.press_data(f"need:sup:{need_id}")
    assert await _supports(world, need_id) in (0, 1)


async def test_news_only_from_staff_and_subscriptions_only_ones_own(world: World) -> None:
    resident = world.users[RESIDENT]
    before = await snapshot(world.env)
    await resident.send("/nachricht 10")
    await resident.press_data("nwf:send")
    assert not [t for t, _, _ in changes(before, await snapshot(world.env)) if t != "persons"]
    await resident.send("/abo 10")
    await resident.press("Public space")
    mine = violations(before, await snapshot(world.env), telegram_id=RESIDENT, prefix="news")
    assert mine == []
    assert [t for t, _, _ in changes(before, await snapshot(world.env))].count(
        "news_subscriptions"
    ) == 1
