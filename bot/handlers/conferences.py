"""District conferences and projects: /konferenz, /konferenzen, the reps' answers and agenda
topics, /projekt, /projekte, and the daily planning reminders.

Every command, step and button reads the sender's roles from the database again: callback
data and conversation state are only claims. Typed input lives in conversations of its own,
registered before relay's free-text handler, so it never collides with a triage input.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers.common import (
    acknowledge,
    actor_roles,
    answer_query,
    drop_buttons,
    refuse,
    send,
    translator,
)
from bot.i18n import N_, Translator
from bot.jobs import write_then_deliver
from bot.keyboards import ButtonRows, chunk, inline
from bot.services.access.roles import Roles
from bot.services.agreements import conferences, projects
from bot.services.agreements.conferences import ConferenceError, NotAllowed
from bot.services.basics.dates import DateParseError, format_parsed, parse_german_date
from bot.storage.db import session_scope
from bot.storage.models import Conference, Person, Project

WHEN, CONFIRM, DEPARTMENTS = "cf_when", "cf_confirm", "cf_departments"
AGENDA = "cf_agenda"
PJ_TITLE, PJ_TOPIC, PJ_PARTNERS, PJ_NOTE = "pj_title", "pj_topic", "pj_partners", "pj_note"
END = ConversationHandler.END
PRIVATE = filters.ChatType.PRIVATE
TEXT = filters.TEXT & ~filters.COMMAND & PRIVATE
Handler = BaseHandler[Update, BotContext, Any]
STOP = N_("(/abbrechen to stop)")


def _argument(update: Update) -> str:
    text = update.effective_message.text if update.effective_message else None
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").strip() if message else ""


async def _pick_district(
    update: Update, context: BotContext, roles: Roles, command: str
) -> str | None:
    """The district the command is about: its argument, else the sender's only district."""
    t = translator(update, context)
    reference = context.services.reference
    argument = _argument(update)
    if not roles.is_staff:
        await refuse(update, context)
        return None
    if argument:
        number = argument.zfill(2) if argument.isdigit() and len(argument) <= 2 else ""
        if number and reference.has_district(number):
            if roles.can_manage_district(number):
                return number
            await refuse(update, context)
            return None
        await send(update, t("There is no district '{number}'.", number=argument))
        return None
    own = sorted(roles.districts())
    if len(own) == 1:
        return own[0]
    await send(update, t("Please add the district number, e.g. /{command} 10.", command=command))
    return None


async def _manager(update: Update, context: BotContext, district: str) -> Person | None:
    """The sender if they may still manage the district; otherwise refused."""
    person, roles = await actor_roles(update, context)
    if roles.can_manage_district(district):
        return person
    await refuse(update, context)
    return None


# --- /konferenz: schedule -------------------------------------------------------------------
async def start_conference(update: Update, context: BotContext) -> str | int:
    """`/konferenz [district]`: ask when the conference takes place."""
    _, roles = await actor_roles(update, context)
    district = await _pick_district(update, context, roles, "konferenz")
    if district is None:
        return END
    context.user_data["conference"] = {"district": district}
    t = translator(update, context)
    name = context.services.reference.district(district).name
    await send(
        update,
        t(
            "When does the district conference in {district} take place? Type date "
            "and time, e.g. '15.4. um 10 Uhr' or 'nächsten Dienstag 14 Uhr'.",
            district=name,
        )
        + "\n"
        + t(STOP),
    )
    return WHEN


async def on_when(update: Update, context: BotContext) -> str | int:
    """Read the moment; ask again until it is in the future and has a time."""
    draft = context.user_data.get("conference")
    if not draft or await _manager(update, context, draft["district"]) is None:
        return END
    t = translator(update, context)
    services = context.services
    try:
        parsed = parse_german_date(
            _text(update), now=services.clock.now(), tz=services.settings.tz
        )
    except DateParseError as error:
        if error.reason == "past":
            await send(
                update,
                t("That moment has already passed. Please give a date and time in the future."),
            )
        else:
            await send(
                update,
                t(
                    "I did not understand that. Please type date and time, e.g. "
                    "'15.4. um 10 Uhr' or 'nächsten Dienstag 14 Uhr'."
                ),
            )
        return WHEN
    if not parsed.has_time:
        await send(update, t("Please add the time, e.g. '15.4. um 10 Uhr'."))
        return WHEN
    context.user_data["conference"] = {**draft, "starts_at": parsed.value.isoformat()}
    await send(
        update,
        t(
            "District conference on {date} – is that right?",
            date=format_parsed(parsed, lang=t.language),
        ),
        buttons=[[(t("Yes"), "cfc:yes"), (t("No, another time"), "cfc:no")]],
    )
    return CONFIRM


def _department_rows(t: Translator, context: BotContext, selected: list[str]) -> ButtonRows:
    items = [
        (("✅ " if d.number in selected else "▫️ ") + d.label(t.language), f"cfd:{d.number}")
        for d in context.services.reference.departments
    ]
    return [*chunk(items, 2), [(t("Send invitations"), "cfd:send")]]


async def on_confirm(update: Update, context: BotContext) -> str | int:
    """Yes: choose the departments (the concept's by default); no: ask for the time again."""
    draft = context.user_data.get("conference")
    await acknowledge(update)
    if not draft or await _manager(update, context, draft["district"]) is None:
        return END
    t = translator(update, context)
    if context.match.group(1) == "no":
        await send(update, t("When then? Type date and time.") + "\n" + t(STOP))
        return WHEN
    selected = conferences.default_departments(context.services.env)
    context.user_data["conference"] = {**draft, "departments": selected}
    await send(
        update,
        t("Which departments are invited? Press one to add or remove it."),
        buttons=_department_rows(t, context, selected),
    )
    return DEPARTMENTS


async def on_toggle(update: Update, context: BotContext) -> str | int:
    """Add or remove one department."""
    draft = context.user_data.get("conference")
    if not draft:
        await answer_query(update)
        return END
    if await _manager(update, context, draft["district"]) is None:
        return END
    number = context.match.group(1)
    if not context.services.reference.has_department(number):
        t = translator(update, context)
        await answer_query(update, t("This button is no longer valid."))
        return DEPARTMENTS
    selected = list(draft.get("departments", []))
    selected = [n for n in selected if n != number] if number in selected else [*selected, number]
    context.user_data["conference"] = {**draft, "departments": selected}
    await answer_query(update)
    query = update.callback_query
    if query is not None:
        try:
            t = translator(update, context)
            await query.edit_message_reply_markup(inline(_department_rows(t, context, selected)))
        except BadRequest:  # unchanged or too old to edit
            pass
    return DEPARTMENTS


async def on_send(update: Update, context: BotContext) -> str | int:
    """Schedule the conference, invite the reps and show the overview."""
    draft = context.user_data.get("conference")
    t = translator(update, context)
    if not draft or not draft.get("departments"):
        await answer_query(update, t("Choose at least one department."), alert=True)
        return DEPARTMENTS if draft else END
    person = await _manager(update, context, draft["district"])
    if person is None:
        return END
    services = context.services
    env, now = services.env, services.clock.now()
    starts_at = datetime.fromisoformat(draft["starts_at"])
    await answer_query(update)
    if starts_at <= now:
        await send(update, t("That moment has passed meanwhile. Please type a new date and time."))
        return WHEN
    try:
        async with session_scope(services.session_maker) as session:
            scheduled = await conferences.schedule_conference(
                session,
                env,
                district=draft["district"],
                departments=draft["departments"],
                starts_at=starts_at,
                created_by=person,
                now=now,
            )
            overview = await conferences.conference_overview(
                session, conference_id=scheduled.conference.id
            )
    except ConferenceError:  # reference data changed under the draft
        context.user_data.pop("conference", None)
        await send(update, t("This button is no longer valid."))
        return END
    context.user_data.pop("conference", None)
    await drop_buttons(update)
    request_delivery(context.application)
    invited = sum(1 for invite in scheduled.invites if invite.person_id is not None)
    await send(update, t("Invitations sent to representatives: {count}.", count=invited))
    if scheduled.without_rep:
        labels = [env.reference.department(n).label(t.language) for n in scheduled.without_rep]
        await send(
            update,
            t(
                "Nobody to invite from: {departments}. Invite their representatives "
                "with /einladen.",
                departments=", ".join(labels),
            ),
        )
    assert overview is not None
    await send(update, conferences.overview_text(t, env, overview), html=True)
    return END


async def cancel(update: Update, context: BotContext) -> int:
    """/abbrechen: drop the half-finished conference, topic or project."""
    for key in ("conference", "agenda", "project", "project_note"):
        context.user_data.pop(key, None)
    t = translator(update, context)
    await send(update, t("Cancelled."))
    return END


# --- /konferenzen: overview, held, calendar -------------------------------------------------
def _conference_buttons(t: Translator, conference: Conference, now: datetime) -> ButtonRows:
    if conference.starts_at > now:
        return [[(t("Add agenda topic"), f"cf:agenda:{conference.id}")]]
    rows = [[(t("Record agreements"), f"agf:start:{conference.id}")]]
    if conference.status == "planned":
        rows.append([(t("Mark as held"), f"cf:held:{conference.id}")])
    return rows


async def list_conferences(update: Update, context: BotContext) -> None:
    """`/konferenzen [district]`: a district's conferences, or the coordinator's calendar."""
    _, roles = await actor_roles(update, context)
    t = translator(update, context)
    services = context.services
    env, now = services.env, services.clock.now()
    if roles.is_coordinator and not _argument(update):
        async with session_scope(services.session_maker) as session:
            rows = await conferences.calendar(
                session, now=now, districts=[d.number for d in env.reference.districts]
            )
        await send(update, conferences.calendar_text(t, env, rows, now), html=True)
        return
    district = await _pick_district(update, context, roles, "konferenzen")
    if district is None:
        return
    async with session_scope(services.session_maker) as session:
        found = await conferences.conferences_of(session, districts=[district], now=now)
        overviews = [
            await conferences.conference_overview(session, conference_id=c.id) for c in found
        ]
    if not overviews:
        await send(
            update,
            t(
                "No conferences in {district} yet. Plan one with /konferenz.",
                district=env.reference.district(district).name,
            ),
        )
    for overview in overviews:
        assert overview is not None
        await send(
            update,
            conferences.overview_text(t, env, overview),
            html=True,
            buttons=_conference_buttons(t, overview.conference, now),
        )


async def on_held(update: Update, context: BotContext) -> None:
    """`cf:held:<id>`: the meeting took place."""
    _, roles = await actor_roles(update, context)
    t = translator(update, context)
    services = context.services
    conference_id = int(context.match.group(1))
    try:
        async with session_scope(services.session_maker) as session:
            conference = await session.get(Conference, conference_id)
            if conference is None or not roles.can_manage_district(conference.district_number):
                raise NotAllowed
            await conferences.mark_held(session, conference=conference, now=services.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    except ConferenceError:
        await answer_query(update, t("This button is no longer valid."))
        return
    await answer_query(update)
    query = update.callback_query
    if query is not None:
        try:
            await query.edit_message_reply_markup(
                inline([[(t("Record agreements"), f"agf:start:{conference_id}")]])
            )
        except BadRequest:
            pass
    await send(update, t("Marked as held. Record its agreements with the button."))


# --- the reps: answer and agenda topics -----------------------------------------------------
async def on_rsvp(update: Update, context: BotContext) -> None:
    """`cf:yes|no:<invite id>`: only the invited rep may answer."""
    person, _ = await actor_roles(update, context)
    t = translator(update, context)
    services = context.services
    accept = context.match.group(1) == "yes"
    try:
        async with session_scope(services.session_maker) as session:
            invite = await conferences.rsvp(
                session,
                services.env,
                invite_id=int(context.match.group(2)),
                person=person,
                accept=accept,
                now=services.clock.now(),
            )
            conference = await session.get(Conference, invite.conference_id)
            assert conference is not None
            label = conferences.title(t, services.env, conference)
    except NotAllowed:
        await refuse(update, context)
        return
    except ConferenceError:
        await answer_query(update, t("This button is no longer valid."))
        return
    await answer_query(update)
    request_delivery(context.application)
    await send(
        update,
        t("Thank you, you accepted: {title}", title=label)
        if accept
        else t("Thank you, you declined: {title}", title=label),
    )


async def start_agenda(update: Update, context: BotContext) -> str | int:
    """`cf:agenda:<conference id>`: ask an invited rep (or the manager) for a topic."""
    person, roles = await actor_roles(update, context)
    t = translator(update, context)
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            conference, _ = await conferences.agenda_access(
                session,
                conference_id=int(context.match.group(1)),
                person=person,
                roles=roles,
                now=services.clock.now(),
            )
            label = conferences.title(t, services.env, conference)
    except NotAllowed:
        await refuse(update, context)
        return END
    except ConferenceError:
        await answer_query(update, t("This button is no longer valid."))
        return END
    context.user_data["agenda"] = conference.id
    await answer_query(update)
    prompt = t("Type your topic for the agenda of: {title}", title=label)
    await send(update, prompt + "\n" + t(STOP))
    return AGENDA


async def on_agenda_text(update: Update, context: BotContext) -> str | int:
    """Store the typed topic on the agenda."""
    conference_id = context.user_data.get("agenda")
    if conference_id is None:
        return END
    t = translator(update, context)
    services = context.services
    text = _text(update)
    if not text or len(text) > services.settings.max_text_length:
        await send(
            update,
            t(
                "Please send a text of at most {limit} characters, or /abbrechen.",
                limit=services.settings.max_text_length,
            ),
        )
        return AGENDA
    context.user_data.pop("agenda", None)
    person, roles = await actor_roles(update, context)
    try:
        async with session_scope(services.session_maker) as session:
            await conferences.add_agenda_item(
                session,
                conference_id=int(conference_id),
                person=person,
                roles=roles,
                text=text,
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return END
    except ConferenceError:
        await send(update, t("This conference takes no more agenda topics."))
        return END
    await send(update, t("Added to the agenda: {topic}", topic=text))
    return END


# --- projects -------------------------------------------------------------------------------
async def start_project(update: Update, context: BotContext) -> str | int:
    """`/projekt [district]`: record a district development project."""
    _, roles = await actor_roles(update, context)
    district = await _pick_district(update, context, roles, "projekt")
    if district is None:
        return END
    context.user_data["project"] = {"district": district}
    t = translator(update, context)
    await send(update, t("Title of the project?") + "\n" + t(STOP))
    return PJ_TITLE


async def on_project_title(update: Update, context: BotContext) -> str | int:
    draft = context.user_data.get("project")
    if not draft or await _manager(update, context, draft["district"]) is None:
        return END
    t = translator(update, context)
    title = _text(update)
    if not title or len(title) > projects.MAX_TITLE:
        await send(
            update,
            t("Please send a title of at most {limit} characters.", limit=projects.MAX_TITLE),
        )
        return PJ_TITLE
    context.user_data["project"] = {**draft, "title": title}
    topics = [
        (x.label(t.language), f"pjt:{x.code}")
        for x in context.services.reference.topics
        if x.field_of_action
    ]
    await send(update, t("Which field of action?"), buttons=chunk(topics, 2))
    return PJ_TOPIC


async def on_project_topic(update: Update, context: BotContext) -> str | int:
    draft = context.user_data.get("project")
    await acknowledge(update)
    code = context.match.group(1)
    if not draft or not context.services.reference.has_topic(code):
        return END
    context.user_data["project"] = {**draft, "topic": code}
    t = translator(update, context)
    await send(
        update,
        t("Partners of the project? Type them, or press the button."),
        buttons=[[(t("No partners yet"), "pjp:skip")]],
    )
    return PJ_PARTNERS


async def on_project_partners(update: Update, context: BotContext) -> str | int:
    """Partners typed or skipped: save the project."""
    draft = context.user_data.get("project")
    if update.callback_query is not None:
        await acknowledge(update)
    person = await _manager(update, context, draft["district"]) if draft else None
    if draft is None or person is None:
        return END
    services = context.services
    partners = _text(update) if update.callback_query is None else None
    async with session_scope(services.session_maker) as session:
        project = await projects.create_project(
            session,
            services.env,
            district=draft["district"],
            title=draft["title"],
            topic=draft.get("topic"),
            partners=partners,
            created_by=person,
            now=services.clock.now(),
        )
    context.user_data.pop("project", None)
    t = translator(update, context)
    text = escape(t("Project saved.")) + "\n" + projects.project_text(t, services.env, project)
    await send(update, text, html=True)
    return END


def _project_buttons(t: Translator, project: Project) -> ButtonRows:
    statuses = [
        (t("Set: {status}", status=t(label)), f"pj:status:{project.id}:{code}")
        for code, label in projects.STATUSES.items()
        if code != project.status
    ]
    return [statuses, [(t("Add note"), f"pj:note:{project.id}")]]


async def list_projects(update: Update, context: BotContext) -> None:
    """`/projekte [district]`: this year's projects, or for the coordinator all districts."""
    _, roles = await actor_roles(update, context)
    t = translator(update, context)
    services = context.services
    env = services.env
    year = services.clock.now().astimezone(env.tz).year
    if roles.is_coordinator and not _argument(update):
        async with session_scope(services.session_maker) as session:
            counts = await projects.counts_for_year(session, year=year)
        lines = [t("Projects {year} per district:", year=year)]
        lines += [
            f"{d.number} {d.name}: {counts.get(d.number, 0)}"
            + ("" if counts.get(d.number) else " ⚠️")
            for d in env.reference.districts
        ]
        await send(update, "\n".join(lines))
        return
    district = await _pick_district(update, context, roles, "projekte")
    if district is None:
        return
    async with session_scope(services.session_maker) as session:
        found = await projects.projects_for(session, district=district, year=year)
    if not found:
        await send(
            update,
            t(
                "No project in {district} for {year} yet. Record one with /projekt.",
                district=env.reference.district(district).name,
                year=year,
            ),
        )
    for project in found:
        await send(
            update,
            projects.project_text(t, env, project),
            html=True,
            buttons=_project_buttons(t, project),
        )


async def _project_of(
    update: Update, context: BotContext, project_id: int
) -> tuple[Person, Roles] | None:
    person, roles = await actor_roles(update, context)
    async with session_scope(context.services.session_maker) as session:
        project = await session.get(Project, project_id)
    if project is None or not roles.can_manage_district(project.district_number):
        await refuse(update, context)
        return None
    return person, roles


async def on_status(update: Update, context: BotContext) -> None:
    """`pj:status:<id>:<planned|running|done>`."""
    project_id, status = int(context.match.group(1)), context.match.group(2)
    if await _project_of(update, context, project_id) is None:
        return
    services = context.services
    t = translator(update, context)
    async with session_scope(services.session_maker) as session:
        project = await session.get(Project, project_id)
        assert project is not None
        await projects.update_status(
            session, project=project, status=status, now=services.clock.now()
        )
    await acknowledge(update)
    await send(
        update,
        projects.project_text(t, services.env, project),
        html=True,
        buttons=_project_buttons(t, project),
    )


async def start_note(update: Update, context: BotContext) -> str | int:
    """`pj:note:<id>`: ask for a note on the project."""
    project_id = int(context.match.group(1))
    if await _project_of(update, context, project_id) is None:
        return END
    context.user_data["project_note"] = project_id
    t = translator(update, context)
    await answer_query(update)
    await send(update, t("Type the note.") + "\n" + t(STOP))
    return PJ_NOTE


async def on_note(update: Update, context: BotContext) -> str | int:
    project_id = context.user_data.pop("project_note", None)
    text = _text(update)
    if project_id is None or not text or await _project_of(update, context, project_id) is None:
        return END
    services = context.services
    async with session_scope(services.session_maker) as session:
        project = await session.get(Project, project_id)
        assert project is not None
        await projects.add_note(
            session, services.env, project=project, text=text, now=services.clock.now()
        )
    t = translator(update, context)
    await send(update, t("Note saved."))
    return END


# --- wiring ---------------------------------------------------------------------------------
def _conversation(
    name: str, entry_points: list[Handler], states: dict[object, list[Handler]]
) -> ConversationHandler[BotContext]:
    return ConversationHandler(
        entry_points=entry_points,
        states=states,
        fallbacks=[CommandHandler(["abbrechen", "cancel"], cancel, filters=PRIVATE)],
        name=name,
        persistent=True,
        allow_reentry=True,
    )


async def run_planning_reminders(app: BotApplication) -> int:
    """The six-month conference rule and the fourth-quarter project rule; then deliver."""
    services = app.bot_data.services
    assert services is not None

    async def write(session: AsyncSession, now: datetime) -> int:
        written = await conferences.write_six_month_reminders(session, services.env, now=now)
        return written + await projects.write_q4_project_reminders(session, services.env, now=now)

    return await write_then_deliver(app, write)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(
        _conversation(
            "conference",
            [CommandHandler(["konferenz", "conference"], start_conference, filters=PRIVATE)],
            {
                WHEN: [MessageHandler(TEXT, on_when)],
                CONFIRM: [
                    CallbackQueryHandler(on_confirm, pattern=r"^cfc:(yes|no)$"),
                    MessageHandler(TEXT, on_when),
                ],
                DEPARTMENTS: [
                    CallbackQueryHandler(on_send, pattern=r"^cfd:send$"),
                    CallbackQueryHandler(on_toggle, pattern=r"^cfd:(\d{1,8})$"),
                ],
            },
        )
    )
    app.add_handler(
        _conversation(
            "conference_agenda",
            [CallbackQueryHandler(start_agenda, pattern=r"^cf:agenda:(\d{1,12})$")],
            {AGENDA: [MessageHandler(TEXT, on_agenda_text)]},
        )
    )
    app.add_handler(
        _conversation(
            "project",
            [
                CommandHandler(["projekt", "project"], start_project, filters=PRIVATE),
                CallbackQueryHandler(start_note, pattern=r"^pj:note:(\d{1,12})$"),
            ],
            {
                PJ_TITLE: [MessageHandler(TEXT, on_project_title)],
                PJ_TOPIC: [
                    CallbackQueryHandler(on_project_topic, pattern=r"^pjt:([a-z_]{1,32})$")
                ],
                PJ_PARTNERS: [
                    MessageHandler(TEXT, on_project_partners),
                    CallbackQueryHandler(on_project_partners, pattern=r"^pjp:skip$"),
                ],
                PJ_NOTE: [MessageHandler(TEXT, on_note)],
            },
        )
    )
    app.add_handler(
        CommandHandler(["konferenzen", "conferences"], list_conferences, filters=PRIVATE)
    )
    app.add_handler(CommandHandler(["projekte", "projects"], list_projects, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_rsvp, pattern=r"^cf:(yes|no):(\d{1,12})$"))
    app.add_handler(CallbackQueryHandler(on_held, pattern=r"^cf:held:(\d{1,12})$"))
    app.add_handler(
        CallbackQueryHandler(on_status, pattern=r"^pj:status:(\d{1,12}):(planned|running|done)$")
    )
