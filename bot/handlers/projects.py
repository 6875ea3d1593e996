"""District development projects: /projekt and a project's note (one persistent dialogue),
/projekte and the status buttons.

Every step and button reads the sender's roles from the database again."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.context import BotApplication, BotContext
from bot.handlers.common import acknowledge, actor_roles, answer_query, refuse
from bot.handlers.planning import (
    END,
    PRIVATE,
    TEXT,
    argument,
    conversation,
    drafts,
    manager,
    matched,
    pick_district,
    render_context,
    show,
    typed,
)
from bot.messages import callbacks
from bot.messages import projects as say
from bot.services.agreements import projects
from bot.services.agreements.projects import NotAllowed
from bot.storage.db import session_scope

PJ_TITLE, PJ_TOPIC, PJ_PARTNERS, PJ_NOTE = "pj_title", "pj_topic", "pj_partners", "pj_note"


async def start_project(update: Update, context: BotContext) -> str | int:
    """`/projekt [district]`: record a district development project."""
    _, roles = await actor_roles(update, context)
    district = await pick_district(update, context, roles, "projekt")
    if district is None:
        return END
    drafts(context)["project"] = {"district": district}
    await show(update, context, say.ask_title(render_context(update, context).t))
    return PJ_TITLE


async def on_project_title(update: Update, context: BotContext) -> str | int:
    """Keep the title; ask for the field of action."""
    draft = drafts(context).get("project")
    if not draft or await manager(update, context, draft["district"]) is None:
        return END
    ctx = render_context(update, context)
    title = typed(update)
    if not title or len(title) > projects.MAX_TITLE:
        await show(update, context, say.title_too_long(ctx.t))
        return PJ_TITLE
    drafts(context)["project"] = {**draft, "title": title}
    await show(update, context, say.ask_topic(ctx))
    return PJ_TOPIC


async def on_project_topic(update: Update, context: BotContext) -> str | int:
    """Keep the field of action; ask for the partners."""
    draft = drafts(context).get("project")
    await acknowledge(update)
    code = matched(context).group(1)
    if not draft or not context.services.reference.has_topic(code):
        return END
    drafts(context)["project"] = {**draft, "topic": code}
    await show(update, context, say.ask_partners(render_context(update, context).t))
    return PJ_PARTNERS


async def on_project_partners(update: Update, context: BotContext) -> str | int:
    """Partners typed or skipped: save the project."""
    draft = drafts(context).get("project")
    if update.callback_query is not None:
        await acknowledge(update)
    person = await manager(update, context, draft["district"]) if draft else None
    if draft is None or person is None:
        return END
    services = context.services
    partners = typed(update) if update.callback_query is None else None
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
    drafts(context).pop("project", None)
    await show(update, context, say.card(render_context(update, context), project, saved=True))
    return END


async def list_projects(update: Update, context: BotContext) -> None:
    """`/projekte [district]`: this year's projects, or for the coordinator all districts."""
    _, roles = await actor_roles(update, context)
    ctx = render_context(update, context)
    services = context.services
    year = services.clock.now().astimezone(services.settings.tz).year
    if roles.is_coordinator and not argument(update):
        async with session_scope(services.session_maker) as session:
            counts = await projects.counts_for_year(session, year=year)
        await show(update, context, say.counts(ctx, year, counts))
        return
    district = await pick_district(update, context, roles, "projekte")
    if district is None:
        return
    async with session_scope(services.session_maker) as session:
        found = await projects.projects_for(session, district=district, year=year)
    if not found:
        await show(update, context, say.none_yet(ctx, district, year))
    for project in found:
        await show(update, context, say.card(ctx, project))


async def on_status(update: Update, context: BotContext) -> None:
    """`pj:status:<id>:<planned|running|done>`."""
    _, roles = await actor_roles(update, context)
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            project = await projects.update_status(
                session,
                project_id=int(matched(context).group(1)),
                roles=roles,
                status=matched(context).group(2),
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return
    await acknowledge(update)
    await show(update, context, say.card(render_context(update, context), project))


async def start_note(update: Update, context: BotContext) -> str | int:
    """`pj:note:<id>`: ask for a note on the project."""
    project_id = int(matched(context).group(1))
    _, roles = await actor_roles(update, context)
    try:
        async with session_scope(context.services.session_maker) as session:
            await projects.managed_project(session, project_id=project_id, roles=roles)
    except NotAllowed:
        await refuse(update, context)
        return END
    drafts(context)["project_note"] = project_id
    await answer_query(update)
    await show(update, context, say.ask_note(render_context(update, context).t))
    return PJ_NOTE


async def on_note(update: Update, context: BotContext) -> str | int:
    """Append the typed note to the project."""
    project_id = drafts(context).pop("project_note", None)
    text = typed(update)
    if project_id is None or not text:
        return END
    _, roles = await actor_roles(update, context)
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            await projects.add_note(
                session,
                services.env,
                project_id=int(project_id),
                roles=roles,
                text=text,
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return END
    await show(update, context, say.note_saved(render_context(update, context).t))
    return END


def register(app: BotApplication) -> None:
    project = callbacks.PROJECT
    app.add_handler(
        conversation(
            "project",
            [
                CommandHandler(["projekt", "project"], start_project, filters=PRIVATE),
                CallbackQueryHandler(start_note, pattern=project.narrowed(r"note:(\d{1,12})")),
            ],
            {
                PJ_TITLE: [MessageHandler(TEXT, on_project_title)],
                PJ_TOPIC: [
                    CallbackQueryHandler(on_project_topic, pattern=callbacks.PROJECT_TOPIC.pattern)
                ],
                PJ_PARTNERS: [
                    MessageHandler(TEXT, on_project_partners),
                    CallbackQueryHandler(
                        on_project_partners, pattern=callbacks.PROJECT_PARTNERS.pattern
                    ),
                ],
                PJ_NOTE: [MessageHandler(TEXT, on_note)],
            },
        )
    )
    app.add_handler(CommandHandler(["projekte", "projects"], list_projects, filters=PRIVATE))
    status = project.narrowed(r"status:(\d{1,12}):(planned|running|done)")
    app.add_handler(CallbackQueryHandler(on_status, pattern=status))
