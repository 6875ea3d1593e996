"""The council's lists and one-press actions: /sitzungen (sessions, calendar file, session
pack), /anfragen (a member's own inquiries; the district's for the preparers and the mayor),
approve, "answer given", and an .ics file sent in the chat (import of sessions)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers.common import acknowledge, answer_query
from bot.handlers.council_common import actor, inquiry_district, policy_of, refused, session_row
from bot.handlers.council_members import list_own
from bot.handlers.planning import PRIVATE, argument, matched, render_context, show
from bot.messages import callbacks
from bot.messages import council as say
from bot.messages import council_sessions as say_sessions
from bot.messages.council_calendar import titles
from bot.services.council import (
    access,
    after,
    calendar_sync,
    inquiries,
    pack,
    sessions,
    statements,
)
from bot.services.council.calendar import CalendarError
from bot.services.council.inquiries import InquiryError
from bot.storage.db import session_scope
from bot.storage.models import Statement

BRT = callbacks.COUNCIL
ICS = filters.Document.FileExtension("ics") & PRIVATE


def _district(update: Update, districts: list[str]) -> str | None:
    given = argument(update).zfill(2)
    if given in districts:
        return given
    return districts[0] if districts else None


async def list_sessions(update: Update, context: BotContext) -> None:
    """`/sitzungen [district]`: the planned sessions with their buttons."""
    who = await actor(update, context)
    district = _district(update, access.prepared_districts(who.roles))
    if district is None:
        await refused(update, context)
        return
    services = context.services
    async with session_scope(services.session_maker) as session:
        ahead = await sessions.upcoming(
            session, district=district, now=services.clock.now(), limit=10
        )
    await show(
        update, context, *say_sessions.listing(render_context(update, context), district, ahead)
    )


async def list_inquiries(update: Update, context: BotContext) -> None:
    """`/anfragen [district]`: a member's own; for preparers and the mayor the district's."""
    who = await actor(update, context)
    readable = sorted(who.roles.districts(*access.READERS))
    given = argument(update).zfill(2)
    if who.roles.is_coordinator and context.services.reference.has_district(given):
        readable = [given]
    if access.member_districts(who.roles) or not readable:
        await list_own(update, context)
        if not readable:
            return
    district = _district(update, readable)
    assert district is not None
    ctx, services = render_context(update, context), context.services
    replies = []
    async with session_scope(services.session_maker) as session:
        for inquiry, council_session in await inquiries.of_district(
            session, district, now=services.clock.now()
        ):
            parts = await statements.parts(session, inquiry.id)
            card = inquiries.card(inquiry, council_session)
            reply = say.staff_card(ctx, card, inquiry, parts)
            # the council support marks answers given; the mayor only reads
            support = (
                access.may_keep_sessions(who.roles, district) and inquiry.status == "approved"
            )
            if not (access.may_manage(who.roles, district) or support):
                reply = reply.with_buttons(())
            replies.append(reply)
    await show(update, context, *(replies or [say.staff_none(ctx.t)]))


async def on_approve(update: Update, context: BotContext) -> None:
    """`brt:ok:<inquiry id>`: approve the edited or merged answer (the manager)."""
    inquiry_id = int(matched(context).group(2))
    district = await inquiry_district(context, inquiry_id)
    who = await actor(update, context)
    if district is None or not access.may_manage(who.roles, district):
        await refused(update, context)
        return
    t, services = render_context(update, context).t, context.services
    await acknowledge(update)
    try:
        async with session_scope(services.session_maker) as session:
            inquiry, _ = await inquiries.get(session, inquiry_id)
            await statements.approve(session, inquiry=inquiry, now=services.clock.now())
    except InquiryError as error:
        await show(update, context, say.error(t, error.code))
        return
    await show(update, context, say.approved(t, inquiry))


async def on_given(update: Update, context: BotContext) -> None:
    """`brt:gv:<inquiry id>`: the answer was given in the session; the member hears it."""
    inquiry_id = int(matched(context).group(2))
    district = await inquiry_district(context, inquiry_id)
    who = await actor(update, context)
    if district is None or not access.may_keep_sessions(who.roles, district):
        await refused(update, context)
        return
    t, services = render_context(update, context).t, context.services
    await acknowledge(update)
    try:
        async with session_scope(services.session_maker) as session:
            inquiry = await after.mark_given(
                session, inquiry_id=inquiry_id, now=services.clock.now()
            )
    except InquiryError as error:
        await show(update, context, say.error(t, error.code))
        return
    request_delivery(context.application)
    reply = say.given(t, inquiry)
    if not access.may_manage(who.roles, district):
        reply = reply.with_buttons(())  # follow-ups are the manager's
    await show(update, context, reply)


async def on_pack(update: Update, context: BotContext) -> None:
    """`brt:pdf|doc:<session id>`: the session pack as a file."""
    kind, session_id = matched(context).group(1), int(matched(context).group(2))
    row = await session_row(context, session_id)
    who = await actor(update, context)
    if row is None or not access.may_keep_sessions(who.roles, row.district_number):
        await refused(update, context)
        return
    ctx, services = render_context(update, context), context.services
    await answer_query(update)  # the buttons stay: the other format, a later pack
    async with session_scope(services.session_maker) as session:
        items = say_sessions.pack_items(ctx.t, await pack.agenda(session, row))
    labels = say_sessions.pack_labels(ctx, row)
    day = row.starts_at.astimezone(services.settings.tz).date().isoformat()
    name = f"bezirksrat-{row.district_number}-{day}"
    if kind == "pdf":
        content, name = pack.pdf(labels, items, made=services.clock.now()), name + ".pdf"
    else:
        content, name = pack.docx(labels, items), name + ".docx"
    await show(update, context, say_sessions.pack_file(ctx.t, name, content, len(items)))


async def on_calendar(update: Update, context: BotContext) -> None:
    """`brt:ics:<district>`: the district's sessions and conferences as a calendar file."""
    district = matched(context).group(1)
    who = await actor(update, context)
    if not (access.may_read(who.roles, district) or access.may_submit(who.roles, district)):
        await refused(update, context)
        return
    ctx, services = render_context(update, context), context.services
    await answer_query(update)  # the buttons stay: the other format, a later pack
    async with session_scope(services.session_maker) as session:
        content = await calendar_sync.export(
            session, districts=[district], titles=titles(ctx.t, services.reference)
        )
    await show(update, context, say_sessions.calendar_file(ctx.t, district, content))


async def on_ics(update: Update, context: BotContext) -> None:
    """An .ics file from a preparer: import its sessions into their district."""
    who = await actor(update, context)
    message = update.effective_message
    caption = (message.caption or "").strip().zfill(2) if message else ""
    prepared = access.prepared_districts(who.roles)
    district = caption if caption in prepared else (prepared[0] if len(prepared) == 1 else None)
    if message is None or message.document is None or district is None:
        await refused(update, context)
        return
    t, services = render_context(update, context).t, context.services
    data = bytes(
        await (await context.bot.get_file(message.document.file_id)).download_as_bytearray()
    )
    try:
        async with session_scope(services.session_maker) as session:
            created, moved = await calendar_sync.import_sessions(
                session,
                district=district,
                content=data,
                now=services.clock.now(),
                tz=services.settings.tz,
                policy=policy_of(context),
                admin_ids=services.settings.admin_telegram_ids,
                created_by=who.person,
            )
    except CalendarError:
        await show(update, context, say.error(t, "ics"))
        return
    request_delivery(context.application)
    await show(update, context, say_sessions.imported(t, created, moved))


async def on_attachment(update: Update, context: BotContext) -> None:
    """`brt:fi:<inquiry id>` / `brt:fs:<statement id>`: send the attached file again, to
    those who read the district's inquiries."""
    kind, ident = matched(context).group(1), int(matched(context).group(2))
    who = await actor(update, context)
    async with session_scope(context.services.session_maker) as session:
        statement = await session.get(Statement, ident) if kind == "fs" else None
        inquiry_id = statement.inquiry_id if statement is not None else ident
        try:
            inquiry, _ = await inquiries.get(session, inquiry_id)
        except InquiryError:
            inquiry = None
    if kind == "fs":
        file_id = statement.file_id if statement is not None else None
    else:
        file_id = inquiry.file_id if inquiry is not None else None
    if inquiry is None or not file_id or not access.may_read(who.roles, inquiry.district_number):
        await refused(update, context)
        return
    await answer_query(update)
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_document(chat.id, document=file_id)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["sitzungen", "sessions"], list_sessions, filters=PRIVATE))
    app.add_handler(CommandHandler(["anfragen", "inquiries"], list_inquiries, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_approve, pattern=BRT.narrowed(r"(ok):(\d{1,12})")))
    app.add_handler(CallbackQueryHandler(on_given, pattern=BRT.narrowed(r"(gv):(\d{1,12})")))
    app.add_handler(CallbackQueryHandler(on_pack, pattern=BRT.narrowed(r"(pdf|doc):(\d{1,12})")))
    app.add_handler(CallbackQueryHandler(on_calendar, pattern=BRT.narrowed(r"ics:(\d{2})")))
    app.add_handler(
        CallbackQueryHandler(on_attachment, pattern=BRT.narrowed(r"(fi|fs):(\d{1,12})"))
    )
    app.add_handler(MessageHandler(ICS, on_ics))
