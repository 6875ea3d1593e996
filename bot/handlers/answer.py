"""`/antwort <ref> <text>`: the manager answers the resident of a case.

An answer that uses a template (`#name`) is shown as a preview first, with send, edit and
cancel; the preview waits in a persistent conversation, so a restart keeps it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.handlers.common import (
    actor_roles,
    answer_query,
    drop_buttons,
    refuse,
    send,
    send_reply,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.handlers.outcome import outcome_of
from bot.handlers.triage_common import chat_data_of, groups
from bot.messages import callbacks
from bot.messages import desk as desk_say
from bot.messages import relay as say
from bot.messages.reply import Reply
from bot.services.cases import casework, desk, triage
from bot.services.cases import records as cases
from bot.services.messaging.outcome import Relayed
from bot.storage.db import session_scope
from bot.storage.models import Case, Person

PRIVATE = filters.ChatType.PRIVATE
PREVIEW, EDIT = range(2)
KEY = "answer_preview"  # in user data: {"reference": ..., "text": ...}
END = ConversationHandler.END


async def answer_command(update: Update, context: BotContext) -> int:
    """`/antwort <ref> <text>`: answer at once, or preview an answer made from a template."""
    person, roles = await actor_roles(update, context)
    t = translator(update, context)
    if not roles.is_staff:
        await refuse(update, context)
        return END
    message = update.effective_message
    parts = ((message.text if message else None) or "").split(maxsplit=2)
    if len(parts) < 3:
        await send(
            update, t("Usage: /antwort <reference> <text>, e.g. /antwort 10-2026-0042 Thank you!")
        )
        return END
    reference, text = parts[1], parts[2].strip()
    services = context.services
    found: str | None = None
    language = t.language
    unreachable: str | None = None  # a template is not previewed for nobody
    async with session_scope(services.session_maker) as session:
        case = await cases.get_case(session, reference=reference)
        if case is not None and triage.can_work_on(roles, case):
            _, unreachable = await triage.reachable_followers(session, case)
            try:
                expanded = await _expanded(session, context, case, manager=person, text=text)
            except desk.UnknownTemplate:
                found = "template"
            else:
                found = case.reference
                language = await _language_of(session, context, case)
    if found is None:
        await send(update, t("No case {reference} that you may answer.", reference=reference))
        return END
    if found == "template":
        await send(update, t("There is no saved reply with that name. /vorlagen lists yours."))
        return END
    if not text.startswith("#") or text.startswith("##") or unreachable:  # nothing to check
        return await _deliver(update, context, found, expanded)
    chat_data_of(context)[KEY] = {"reference": found, "text": expanded, "language": language}
    await send_reply(update, say.preview(t, found, expanded, language))
    return PREVIEW


async def _deliver(update: Update, context: BotContext, reference: str, text: str) -> int:
    person, roles = await actor_roles(update, context)
    t = translator(update, context)
    services = context.services
    relayed: Relayed | None = None
    async with session_scope(services.session_maker) as session:
        case = await cases.get_case(session, reference=reference)
        if case is not None and triage.can_work_on(roles, case):
            relayed = await casework.relay_to_resident(
                session, services.env, case, text=text, now=services.clock.now(), manager=person
            )
    chat_data_of(context).pop(KEY, None)
    if relayed is None:
        await send(update, t("No case {reference} that you may answer.", reference=reference))
        return END
    # sent at once, so the manager reads what really happened (a later failure of a
    # message still queued reaches them as a notice)
    await send_reply(update, Reply(await outcome_of(context, t, reference, relayed), html=False))
    return END


async def on_preview(update: Update, context: BotContext) -> int:
    """Send, edit or cancel the previewed answer."""
    (action,) = groups(context)
    t = translator(update, context)
    kept = chat_data_of(context).get(KEY)
    await answer_query(update)
    await drop_buttons(update)
    if not kept or action == "cancel":
        chat_data_of(context).pop(KEY, None)
        await send(update, t("Cancelled."))
        return END
    if action == "edit":
        await send_reply(update, say.edit_prompt(t, str(kept["text"])))
        return EDIT
    return await _deliver(update, context, str(kept["reference"]), str(kept["text"]))


async def on_edited(update: Update, context: BotContext) -> int:
    """The manager's new text replaces the preview's."""
    t = translator(update, context)
    kept = chat_data_of(context).get(KEY)
    message = update.effective_message
    text = ((message.text if message else None) or "").strip()
    if not kept or not text:
        return END
    limit = context.services.settings.max_text_length
    if len(text) > limit:
        await send_reply(update, say.too_long(t, limit))
        return EDIT
    chat_data_of(context)[KEY] = {**kept, "text": text}
    language = str(kept.get("language") or t.language)
    await send_reply(update, say.preview(t, str(kept["reference"]), text, language))
    return PREVIEW


async def cancel(update: Update, context: BotContext) -> int:
    """/abbrechen: the previewed answer is not sent."""
    chat_data_of(context).pop(KEY, None)
    t = translator(update, context)
    await send(update, t("Cancelled."))
    return END


async def _expanded(
    session: AsyncSession, context: BotContext, case: Case, *, manager: Person, text: str
) -> str:
    """A leading `#name` filled in the resident's language; `{name}` is the resident's."""
    services = context.services
    resident = await session.get(Person, case.resident_id) if case.resident_id else None
    language = (resident.language if resident else None) or case.language
    theirs = services.translations.get(language)
    return await desk.expand_reply(
        session,
        person=manager,
        text=text,
        placeholders={
            "reference": case.reference,
            "district": services.reference.district(case.district_number).name,
            "quarter": case.quarter or "",
            "name": desk_say.resident_name(theirs, resident.first_name if resident else None),
        },
        defaults=desk_say.default_templates(theirs),
        language=theirs.language,
    )


async def _language_of(session: AsyncSession, context: BotContext, case: Case) -> str:
    resident = await session.get(Person, case.resident_id) if case.resident_id else None
    language = (resident.language if resident else None) or case.language
    return context.services.translations.get(language).language


def build_conversation() -> Dialogue:
    """/antwort, and its preview when a template is used (persistent)."""
    return Dialogue(
        entry_points=[CommandHandler(["antwort", "answer"], answer_command, filters=PRIVATE)],
        states={
            PREVIEW: [CallbackQueryHandler(on_preview, pattern=callbacks.ANSWER.pattern)],
            EDIT: [MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, on_edited)],
        },
        fallbacks=[CommandHandler(["abbrechen", "cancel"], cancel, filters=PRIVATE)],
        name="answer_preview",
        persistent=True,
        allow_reentry=True,
    )
