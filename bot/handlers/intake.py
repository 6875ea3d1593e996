"""The resident's conversation: start, the review (send, publish, change, cancel) and the
ConversationHandler that ties the steps of `intake_steps` together."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotApplication, BotContext
from bot.delivery import record_delivered, request_delivery, send_now
from bot.handlers.common import (
    acknowledging,
    answer_query,
    drop_buttons,
    ensure_person,
    send_reply,
    sender_in,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.handlers.home import send_home
from bot.handlers.intake_steps import (
    ACTOR,
    ACTOR_NAME,
    CONTACT,
    DESCRIPTION,
    NEXT_PROMPT,
    PHOTOS,
    REVIEW,
    TOPIC,
    WHERE,
    ask_where,
    conversation,
    draft_of,
    goto,
    matched,
    on_actor,
    on_actor_name,
    on_contact_text,
    on_description,
    on_district,
    on_guess_ok,
    on_location,
    on_photo,
    on_photos_done,
    on_pick,
    on_place_text,
    on_quarter,
    on_skip_contact,
    on_topic,
    save,
    show_review,
)
from bot.messages import callbacks
from bot.messages import intake_review as say
from bot.services.access import people
from bot.services.cases import intake
from bot.services.cases.records import Draft
from bot.storage.db import session_scope
from bot.updates.guard import guard_of

PRIVATE = filters.ChatType.PRIVATE
IN = callbacks.INTAKE
FIRST_MISSING = {"district_number": WHERE, "topic": TOPIC}  # else the description


async def start_intake(update: Update, context: BotContext) -> str | int:
    """Begin a new concern (after consent)."""
    async with acknowledging(update, drop=False):  # the menu's button, answered meanwhile
        person = await ensure_person(update, context)
        if not people.has_consent(person):
            await send_reply(update, say.consent_first(translator(update, context)))
            return ConversationHandler.END
        conversation(context)["draft"] = Draft(key=uuid.uuid4().hex).to_dict()
        conversation(context).pop("editing", None)
        return await ask_where(update, context)


async def on_confirm(update: Update, context: BotContext) -> str | int:
    """Store the case and notify the district; only now is anything written."""
    t = translator(update, context)
    draft = draft_of(context)
    if draft.missing():
        async with acknowledging(update, drop=False):
            await send_reply(update, say.incomplete(t))
            return await goto(update, context, FIRST_MISSING.get(draft.missing()[0], DESCRIPTION))
    services = context.services
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None  # a button press in a chat
    async with acknowledging(update, drop=False):  # answered while the case is written
        async with session_scope(services.session_maker) as session:
            # the resident, a council seat and an earlier filing of this intake: one read
            facts = await intake.read_sender(session, telegram_id=user.id, intake_key=draft.key)
            person = facts.person if facts else await sender_in(session, update, context)
            if person.language and context.user_data is not None:
                context.user_data["lang"] = person.language
            submitted = await intake.submit(
                session,
                services.env,
                draft=draft,
                resident=person,
                chat_id=chat.id,
                language=t.language,
                now=services.clock.now(),
                facts=facts,
                hold_cards=True,
            )
        conversation(context).pop("draft", None)
        # The keyboard goes only now (before the commit, pressing again is still safe), at
        # the same time as the receipt. The receipt is queued as a backup: sent at once
        # here, by the outbox if we die first. A replayed "Send" whose receipt went out
        # the first time sends none.
        receipt = submitted.receipt
        if receipt is None:
            await drop_buttons(update)
            delivered = None
        else:
            _, delivered = await asyncio.gather(
                drop_buttons(update), send_now(context.application, receipt, t.language)
            )
    # After the answer, in the background and before this update counts as processed (a
    # kill before it replays the Send, which then sends the receipt again): the record that
    # the receipt went out, then the similar cases on the district's held card, which makes
    # it due. The Sends of many residents at once share that transaction.
    app = context.application
    if delivered is not None or submitted.cards:
        now = services.clock.now()

        async def record_and_release(session: AsyncSession) -> None:
            if delivered is not None:
                await record_delivered(session, delivered, now)
            await intake.release_cards(session, submitted, now=now)

        guard_of(app).ledger.after_answer(record_and_release, then=lambda: request_delivery(app))
    else:
        request_delivery(app)
    return ConversationHandler.END


async def on_publication(update: Update, context: BotContext) -> str:
    """Switch the consent to publish the description in the city's open data."""
    draft = draft_of(context)
    draft.publication_consent = not draft.publication_consent
    save(context, draft)
    async with acknowledging(update, drop=False):  # the review is redrawn in place
        return await show_review(update, context, edit=True)


async def on_change(update: Update, context: BotContext) -> str:
    async with acknowledging(update, in_place=True):
        await send_reply(update, say.change_menu(translator(update, context)))
    return REVIEW


async def on_edit(update: Update, context: BotContext) -> str:
    field = matched(context).group(1)
    conversation(context)["editing"] = True
    if field in ("photos", "where"):
        draft = draft_of(context)
        if field == "photos":
            draft.photos = []
        else:  # a new place: the old address and pin no longer belong to it
            draft.address_text, draft.latitude, draft.longitude = None, None, None
        save(context, draft)
    async with acknowledging(update, in_place=True):
        return await goto(update, context, field)


async def cancel(update: Update, context: BotContext) -> int:
    """Drop the draft; nothing was stored."""
    conversation(context).pop("draft", None)
    conversation(context).pop("editing", None)
    async with acknowledging(update):
        await send_home(update, context, say.cancelled(translator(update, context)))
    return ConversationHandler.END


# --- bad input inside the conversation -------------------------------------------------------
BUTTON_STEPS = (TOPIC, PHOTOS, CONTACT, ACTOR, REVIEW)


def _wrong_input(state: str) -> Callable[[Update, BotContext], Coroutine[Any, Any, str]]:
    async def handler(update: Update, context: BotContext) -> str:
        """Explain what is expected and stay in the step; nothing is lost."""
        await send_reply(update, say.wrong_input(translator(update, context), state))
        if state in BUTTON_STEPS:
            # the step's buttons may be gone (an edit cut off by a restart): show them again
            return await NEXT_PROMPT[state](update, context)
        return state

    return handler


async def stale_button(update: Update, context: BotContext) -> None:
    """A button from an earlier step: say so, change nothing."""
    await answer_query(update, say.stale_button(translator(update, context)), alert=False)


async def command_during_intake(update: Update, context: BotContext) -> None:
    await send_reply(update, say.command_during_intake(translator(update, context)))


def build_conversation(translations_labels: list[str]) -> Dialogue:
    """The resident's intake; persistent, so a restart keeps every answer."""
    text = filters.TEXT & ~filters.COMMAND & PRIVATE
    entry_menu = filters.Text(translations_labels) & PRIVATE
    states: dict[str, list[BaseHandler[Update, BotContext, Any]]] = {
        WHERE: [
            MessageHandler(filters.LOCATION & PRIVATE, on_location),
            MessageHandler(text, on_place_text),
            CallbackQueryHandler(on_guess_ok, pattern=IN.narrowed(r"ok")),
            CallbackQueryHandler(on_pick, pattern=IN.narrowed(r"pick")),
            CallbackQueryHandler(on_district, pattern=IN.narrowed(r"d:(\d{2})")),
            CallbackQueryHandler(on_quarter, pattern=IN.narrowed(r"q:(\d{2}):(\d{1,2}|-)")),
        ],
        TOPIC: [CallbackQueryHandler(on_topic, pattern=IN.narrowed(r"t:([a-z_]{1,32})"))],
        DESCRIPTION: [MessageHandler(text, on_description)],
        PHOTOS: [
            MessageHandler(filters.PHOTO & PRIVATE, on_photo),
            CallbackQueryHandler(on_photos_done, pattern=IN.narrowed(r"photos_done")),
        ],
        CONTACT: [
            MessageHandler((text | filters.CONTACT) & PRIVATE, on_contact_text),
            CallbackQueryHandler(on_skip_contact, pattern=IN.narrowed(r"skip_contact")),
        ],
        ACTOR: [
            CallbackQueryHandler(
                on_actor, pattern=IN.narrowed(r"a:(none|club|initiative|council|other)")
            )
        ],
        ACTOR_NAME: [MessageHandler(text, on_actor_name)],
        REVIEW: [
            CallbackQueryHandler(on_confirm, pattern=IN.narrowed(r"confirm")),
            CallbackQueryHandler(on_publication, pattern=IN.narrowed(r"pub")),
            CallbackQueryHandler(on_change, pattern=IN.narrowed(r"change")),
            CallbackQueryHandler(cancel, pattern=IN.narrowed(r"cancel")),
            CallbackQueryHandler(
                on_edit,
                pattern=IN.narrowed(r"edit:(where|topic|description|photos|contact|actor)"),
            ),
        ],
    }
    for state, handlers in states.items():
        handlers.append(MessageHandler(PRIVATE & ~filters.COMMAND, _wrong_input(state)))
    return Dialogue(
        entry_points=[
            CommandHandler(["neu", "new"], start_intake, filters=PRIVATE),
            MessageHandler(entry_menu, start_intake),
            CallbackQueryHandler(start_intake, pattern=callbacks.MENU.narrowed(r"new")),
        ],
        states=states,  # type: ignore[arg-type]  # PTB wants dict[object, ...]; dict is invariant
        fallbacks=[
            CommandHandler(["abbrechen", "cancel"], cancel),
            CallbackQueryHandler(stale_button),
            MessageHandler(filters.COMMAND & PRIVATE, command_during_intake),
        ],
        name="intake",
        persistent=True,
        allow_reentry=True,
    )


def register(app: BotApplication, *, menu_labels: list[str]) -> None:
    app.add_handler(build_conversation(menu_labels))
