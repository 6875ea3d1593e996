"""The council members' side: /anfrage (an inquiry for a session: title, text, an optional
file), /auskunft (an information request), /anfragen (their inquiries and status); and the
reps' side: drafting a statement (`brt:dr:<id>`, text then an optional file). Persistent
dialogues; every step reads the sender's roles again."""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers.common import acknowledge, answer_query
from bot.handlers.council_common import actor, policy_of, refused
from bot.handlers.planning import (
    END,
    PRIVATE,
    TEXT,
    argument,
    conversation,
    drafts,
    matched,
    render_context,
    show,
    typed,
)
from bot.i18n import Translator
from bot.messages import callbacks
from bot.messages import council as say
from bot.messages.reply import Reply
from bot.services.council import access, inquiries, sessions, statements
from bot.services.council.inquiries import InquiryError
from bot.storage.db import session_scope
from bot.storage.models import Statement

BRT = callbacks.COUNCIL
SESSION, TITLE, BODY, FILE, INFO = "brt_session", "brt_title", "brt_text", "brt_file", "brt_info"
DRAFT, DRAFT_FILE = "brt_draft", "brt_draft_file"
ATTACHMENT = (filters.Document.ALL | filters.PHOTO) & PRIVATE


async def _member_district(update: Update, context: BotContext) -> str | None:
    """The district the member submits for: the argument, else their only (or first) one."""
    who = await actor(update, context)
    own = access.member_districts(who.roles)
    given = argument(update).zfill(2)
    if given in own:
        return given
    return own[0] if own else None


async def start_inquiry(update: Update, context: BotContext) -> str | int:
    """`/anfrage [district]`: choose the session (the next one first)."""
    district = await _member_district(update, context)
    ctx = render_context(update, context)
    if district is None:
        await show(update, context, say.not_member(ctx.t))
        return END
    services = context.services
    async with session_scope(services.session_maker) as session:
        ahead = await sessions.upcoming(session, district=district, now=services.clock.now())
    if not ahead:
        await show(update, context, say.no_sessions(ctx.t))
        return END
    drafts(context)["council_inquiry"] = {"district": district}
    await show(update, context, say.ask_session(ctx, ahead))
    return SESSION


async def on_session(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("council_inquiry")
    await acknowledge(update)
    if not draft:
        return END
    drafts(context)["council_inquiry"] = {**draft, "session_id": int(matched(context).group(2))}
    await show(update, context, say.ask_title(render_context(update, context).t))
    return TITLE


async def _typed_step(
    update: Update,
    context: BotContext,
    step: tuple[str, str, int, str | int],
    ask_next: Callable[[Translator], Reply],
    following: str | int,
) -> str | int:
    """Keep a typed text in the draft (`step`: draft key, field, length limit, this state)
    and ask the next question; an empty or too long text is asked again."""
    key, field, limit, here = step
    draft = drafts(context).get(key)
    text = typed(update)
    t = render_context(update, context).t
    if not draft:
        return END
    if not text or len(text) > limit:
        await show(update, context, say.error(t, "title" if field == "title" else "text"))
        return here
    drafts(context)[key] = {**draft, field: text}
    await show(update, context, ask_next(t))
    return following


async def on_title(update: Update, context: BotContext) -> str | int:
    step = ("council_inquiry", "title", inquiries.MAX_TITLE, TITLE)
    return await _typed_step(update, context, step, say.ask_text, BODY)


async def on_text(update: Update, context: BotContext) -> str | int:
    step = ("council_inquiry", "text", inquiries.MAX_TEXT, BODY)
    return await _typed_step(update, context, step, say.ask_file, FILE)


def _attachment(update: Update) -> tuple[str | None, str | None]:
    message = update.effective_message
    if message is None or update.callback_query is not None:
        return None, None
    if message.document is not None:
        return message.document.file_id, message.document.file_name or "dokument"
    if message.photo:
        return message.photo[-1].file_id, "foto.jpg"
    return None, None


async def on_file(update: Update, context: BotContext) -> str | int:
    """A file or "without a file": submit, re-checking the membership."""
    draft = drafts(context).pop("council_inquiry", None)
    if update.callback_query is not None:
        await acknowledge(update)
    if not draft or "text" not in draft:
        return END
    who = await actor(update, context)
    ctx = render_context(update, context)
    if not access.may_submit(who.roles, draft["district"]):
        await refused(update, context)
        return END
    file_id, file_name = _attachment(update)
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            inquiry = await inquiries.submit(
                session,
                draft=inquiries.Draft(
                    district=draft["district"],
                    title=draft["title"],
                    text=draft["text"],
                    session_id=draft["session_id"],
                    file_id=file_id,
                    file_name=file_name,
                    fraction=access.fraction_of(who.roles, draft["district"]),
                ),
                member=who.person,
                now=services.clock.now(),
                tz=services.settings.tz,
                policy=policy_of(context),
                admin_ids=services.settings.admin_telegram_ids,
            )
            _, council_session = await inquiries.get(session, inquiry.id)
    except InquiryError as error:
        await show(update, context, say.error(ctx.t, error.code))
        return END
    assert council_session is not None
    request_delivery(context.application)
    await show(update, context, say.submitted(ctx, inquiry, council_session))
    return END


async def start_info(update: Update, context: BotContext) -> str | int:
    """`/auskunft`: a question to the district management."""
    district = await _member_district(update, context)
    t = render_context(update, context).t
    if district is None:
        await show(update, context, say.not_member(t))
        return END
    drafts(context)["council_info"] = district
    await show(update, context, say.ask_info(t))
    return INFO


async def on_info(update: Update, context: BotContext) -> str | int:
    district = drafts(context).pop("council_info", None)
    text = typed(update)
    if district is None or not text:
        return END
    who = await actor(update, context)
    t = render_context(update, context).t
    if not access.may_submit(who.roles, district):
        await refused(update, context)
        return END
    services = context.services
    title = text if len(text) <= 60 else text[:59] + "…"
    try:
        async with session_scope(services.session_maker) as session:
            inquiry = await inquiries.submit(
                session,
                draft=inquiries.Draft(
                    district=district,
                    title=title,
                    text=text,
                    fraction=access.fraction_of(who.roles, district),
                ),
                member=who.person,
                now=services.clock.now(),
                tz=services.settings.tz,
                policy=policy_of(context),
                admin_ids=services.settings.admin_telegram_ids,
            )
    except InquiryError as error:
        await show(update, context, say.error(t, error.code))
        return INFO
    request_delivery(context.application)
    await show(update, context, say.info_saved(t, inquiry))
    return END


async def list_own(update: Update, context: BotContext) -> None:
    """`/anfragen`: a member's inquiries; the preparers' list is in `council_staff`."""
    who = await actor(update, context)
    async with session_scope(context.services.session_maker) as session:
        found = await inquiries.of_member(session, who.person)
    await show(update, context, say.member_list(render_context(update, context), found))


# ------------------------------------------------------------------------- the rep's part


async def _draftable(update: Update, context: BotContext, statement_id: int) -> Statement | None:
    who = await actor(update, context)
    async with session_scope(context.services.session_maker) as session:
        statement = await session.get(Statement, statement_id)
        if statement is None:
            return None
        inquiry, _ = await inquiries.get(session, statement.inquiry_id)
        district = inquiry.district_number
    return statement if access.may_draft(who.roles, statement, district) else None


async def start_draft(update: Update, context: BotContext) -> str | int:
    """`brt:dr:<statement id>`: only the rep the part is assigned to."""
    statement_id = int(matched(context).group(2))
    if await _draftable(update, context, statement_id) is None:
        await refused(update, context)
        return END
    await answer_query(update)
    drafts(context)["council_draft"] = {"statement_id": statement_id}
    await show(update, context, say.ask_draft(render_context(update, context).t))
    return DRAFT


async def on_draft(update: Update, context: BotContext) -> str | int:
    step = ("council_draft", "text", inquiries.MAX_TEXT, DRAFT)
    return await _typed_step(update, context, step, say.ask_draft_file, DRAFT_FILE)


async def on_draft_file(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).pop("council_draft", None)
    if update.callback_query is not None:
        await acknowledge(update)
    if not draft or "text" not in draft:
        return END
    statement = await _draftable(update, context, int(draft["statement_id"]))
    if statement is None:
        await refused(update, context)
        return END
    who = await actor(update, context)
    t = render_context(update, context).t
    services = context.services
    try:
        async with session_scope(services.session_maker) as session:
            row = await session.get(Statement, statement.id)
            assert row is not None
            await statements.draft(
                session,
                statement=row,
                rep=who.person,
                text=draft["text"],
                file_id=_attachment(update)[0],
                now=services.clock.now(),
                admin_ids=services.settings.admin_telegram_ids,
            )
    except InquiryError as error:
        await show(update, context, say.error(t, error.code))
        return END
    request_delivery(context.application)
    await show(update, context, say.draft_saved(t))
    return END


async def ask_file_again(update: Update, context: BotContext) -> str | int:
    """Text where a file or "without a file" is expected: ask again (nothing is lost)."""
    t = render_context(update, context).t
    if drafts(context).get("council_draft"):
        await show(update, context, say.ask_draft_file(t))
        return DRAFT_FILE
    await show(update, context, say.ask_file(t))
    return FILE


def register(app: BotApplication) -> None:
    skip = CallbackQueryHandler
    app.add_handler(
        conversation(
            "council_member",
            [
                CommandHandler(["anfrage", "inquiry"], start_inquiry, filters=PRIVATE),
                CommandHandler(["auskunft", "information"], start_info, filters=PRIVATE),
                CallbackQueryHandler(start_draft, pattern=BRT.narrowed(r"(dr):(\d{1,12})")),
            ],
            {
                SESSION: [
                    CallbackQueryHandler(on_session, pattern=BRT.narrowed(r"(ses):(\d{1,12})"))
                ],
                TITLE: [MessageHandler(TEXT, on_title)],
                BODY: [MessageHandler(TEXT, on_text)],
                FILE: [
                    MessageHandler(ATTACHMENT, on_file),
                    MessageHandler(TEXT, ask_file_again),
                    skip(on_file, pattern=BRT.narrowed(r"skip")),
                ],
                INFO: [MessageHandler(TEXT, on_info)],
                DRAFT: [MessageHandler(TEXT, on_draft)],
                DRAFT_FILE: [
                    MessageHandler(ATTACHMENT, on_draft_file),
                    MessageHandler(TEXT, ask_file_again),
                    skip(on_draft_file, pattern=BRT.narrowed(r"skip")),
                ],
            },
        )
    )
