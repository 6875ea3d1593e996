"""The resident's conversation: where, what, photos, contact, organisation, review, submit."""

from __future__ import annotations

import uuid

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.delivery import deliver_now, request_delivery
from bot.handlers.common import (
    acknowledge,
    answer_query,
    drop_buttons,
    ensure_person,
    send,
    sender_in,
    translator,
)
from bot.handlers.menu import main_menu, menu_rows
from bot.i18n import N_
from bot.keyboards import chunk, inline
from bot.messages.cases import EMERGENCY, draft_summary
from bot.services.access import people
from bot.services.basics.safety import suggests_emergency
from bot.services.cases import intake
from bot.services.cases.records import Draft
from bot.services.messaging import outbox
from bot.storage.db import session_scope

WHERE, TOPIC, DESCRIPTION, PHOTOS, CONTACT, ACTOR, ACTOR_NAME, REVIEW = (
    "where",
    "topic",
    "description",
    "photos",
    "contact",
    "actor",
    "actor_name",
    "review",
)
PRIVATE = filters.ChatType.PRIVATE
ACTOR_CHOICES = (
    ("none", N_("No, privately")),
    ("club", N_("Club or association")),
    ("initiative", N_("Initiative")),
    ("council", N_("District council")),
    ("other", N_("Other organisation")),
)
EDITABLE = (
    ("where", N_("Place")),
    ("topic", N_("Topic")),
    ("description", N_("Description")),
    ("photos", N_("Photos")),
    ("contact", N_("Contact")),
    ("actor", N_("Organisation")),
)


def _draft(context: BotContext) -> Draft:
    return Draft.from_dict(context.user_data.get("draft"))


def _save(context: BotContext, draft: Draft) -> None:
    context.user_data["draft"] = draft.to_dict()


def _after(context: BotContext, default: str) -> str:
    """Where to go after a step: back to the review while changing one field."""
    return REVIEW if context.user_data.get("editing") else default


# --- prompts --------------------------------------------------------------------------------
async def ask_where(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    location_keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(t("📍 Share location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await send(
        update,
        t(
            "Where is your concern? Share a location with the button below, type the quarter, "
            "postcode or address, or choose from the list."
        ),
        reply_markup=location_keyboard,
    )
    await send(update, t("Or choose:"), buttons=[[(t("Choose district from list"), "in:pick")]])
    return WHERE


async def ask_districts(update: Update, context: BotContext, only: list[str] | None = None) -> str:
    t = translator(update, context)
    ref = context.services.reference
    items = [(d.name, f"in:d:{d.number}") for d in ref.districts if not only or d.number in only]
    await send(update, t("Which district?"), buttons=chunk(items, 2))
    return WHERE


async def ask_quarters(update: Update, context: BotContext, district_number: str) -> str:
    t = translator(update, context)
    district = context.services.reference.district(district_number)
    items = [(q, f"in:q:{district.number}:{i}") for i, q in enumerate(district.quarters)]
    rows = [*chunk(items, 2), [(t("I don't know"), f"in:q:{district.number}:-")]]
    await send(update, t("Which quarter of {district}?", district=district.name), buttons=rows)
    return WHERE


async def ask_topic(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    topics = context.services.reference.topics
    items = [(topic.label(t.language), f"in:t:{topic.code}") for topic in topics]
    await send(update, t("What is it about?"), buttons=chunk(items, 2))
    return TOPIC


async def ask_description(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    limit = context.services.settings.max_text_length
    await send(
        update,
        t(
            "Please describe your concern in a few sentences (at most {limit} characters).",
            limit=limit,
        ),
    )
    return DESCRIPTION


async def ask_photos(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    limit = context.services.settings.max_photos
    await send(
        update,
        t("You may send up to {limit} photos. Press 'Continue' when done.", limit=limit),
        buttons=[[(t("Continue without more photos"), "in:photos_done")]],
    )
    return PHOTOS


async def ask_contact(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    await send(
        update,
        t(
            "Optional: how can the district management reach you besides this chat? "
            "Type a phone number or e-mail address, or skip."
        ),
        buttons=[[(t("Skip"), "in:skip_contact")]],
    )
    return CONTACT


async def ask_actor(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    rows = [[(t(label), f"in:a:{code}")] for code, label in ACTOR_CHOICES]
    await send(update, t("Are you writing on behalf of an organisation?"), buttons=rows)
    return ACTOR


async def show_review(update: Update, context: BotContext, *, edit: bool = False) -> str:
    """The summary with its buttons; `edit` redraws the pressed review instead of a new one."""
    t = translator(update, context)
    context.user_data.pop("editing", None)
    draft = _draft(context)
    summary = draft_summary(context.services.reference, t, draft)
    publish = t("🌐 Publish text: yes") if draft.publication_consent else t("🌐 Publish text: no")
    rows = [
        [(t("✅ Send"), "in:confirm")],
        [(publish, "in:pub")],
        [(t("✏️ Change"), "in:change"), (t("✖️ Cancel"), "in:cancel")],
    ]
    query = update.callback_query if edit else None
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(
                summary, reply_markup=inline(rows), parse_mode=ParseMode.HTML
            )
            return REVIEW
        except BadRequest:  # too old to edit, or gone: show the review anew
            pass
    await send(update, summary, buttons=rows, html=True)
    return REVIEW


NEXT_PROMPT = {
    WHERE: ask_where,
    TOPIC: ask_topic,
    DESCRIPTION: ask_description,
    PHOTOS: ask_photos,
    CONTACT: ask_contact,
    ACTOR: ask_actor,
    REVIEW: show_review,
}


async def _goto(update: Update, context: BotContext, state: str) -> str:
    return await NEXT_PROMPT[state](update, context)


# --- entry ----------------------------------------------------------------------------------
async def start_intake(update: Update, context: BotContext) -> str | int:
    """Begin a new concern (after consent)."""
    await answer_query(update)
    person = await ensure_person(update, context)
    if not people.has_consent(person):
        t = translator(update, context)
        await send(update, t("Please accept the privacy notice first: /start"))
        return ConversationHandler.END
    context.user_data["draft"] = Draft(key=uuid.uuid4().hex).to_dict()
    context.user_data.pop("editing", None)
    return await ask_where(update, context)


# --- where ----------------------------------------------------------------------------------
async def on_place_text(update: Update, context: BotContext) -> str:
    """Match a typed quarter, postcode or address and confirm the guess."""
    t = translator(update, context)
    text = (update.effective_message.text or "").strip()[:256]
    draft = _draft(context)
    draft.address_text = text
    _save(context, draft)
    match = context.services.router.match_text(text)
    decision = intake.place_decision(match)
    if decision.kind == "confirm":
        context.user_data["guess"] = {"district": decision.district, "quarter": decision.quarter}
        district = context.services.reference.district(decision.district)
        label = (
            t("{quarter}, district {district}?", quarter=decision.quarter, district=district.name)
            if decision.quarter
            else t("District {district}?", district=district.name)
        )
        rows = [[(t("Yes"), "in:ok"), (t("No, choose from list"), "in:pick")]]
        await send(update, label, buttons=rows)
        return WHERE
    if decision.kind == "choose_quarter":
        return await ask_quarters(update, context, decision.district)
    if decision.kind == "choose_district":
        await send(update, t("That postcode covers several districts. Please choose:"))
        return await ask_districts(update, context, only=list(decision.districts))
    await send(
        update,
        t(
            "Sorry, I could not find that place in Hannover. "
            "Please try again or choose from the list."
        ),
    )
    return await ask_districts(update, context)


async def on_location(update: Update, context: BotContext) -> str:
    """Keep the pin on the case; route by the city's boundaries when configured."""
    t = translator(update, context)
    location = update.effective_message.location
    draft = _draft(context)
    draft.latitude, draft.longitude = location.latitude, location.longitude
    _save(context, draft)
    decision = intake.place_decision(
        context.services.router.locate(location.latitude, location.longitude)
    )
    if decision.kind == "confirm":
        draft.district_number, draft.quarter = decision.district, decision.quarter
        _save(context, draft)
        await send(
            update,
            t(
                "Thank you, the location is in {place}.",
                place=decision.label(context.services.reference),
            ),
        )
        return await _goto(update, context, _after(context, TOPIC))
    if decision.reason == "outside":
        await send(
            update, t("This location seems to be outside Hannover. Please choose the district:")
        )
    else:
        await send(update, t("Thank you, the location is saved. Please also choose the district:"))
    return await ask_districts(update, context)


async def on_guess_ok(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    guess = context.user_data.pop("guess", None)
    if not guess:
        return await ask_districts(update, context)
    draft = _draft(context)
    draft.district_number, draft.quarter = guess["district"], guess["quarter"]
    _save(context, draft)
    if not draft.quarter:
        return await ask_quarters(update, context, draft.district_number)
    return await _goto(update, context, _after(context, TOPIC))


async def on_pick(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    return await ask_districts(update, context)


async def on_district(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    number = context.match.group(1)
    if not context.services.reference.has_district(number):
        return await ask_districts(update, context)
    return await ask_quarters(update, context, number)


async def on_quarter(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    number, index = context.match.group(1), context.match.group(2)
    ref = context.services.reference
    if not ref.has_district(number):
        return await ask_districts(update, context)
    quarters = ref.district(number).quarters
    draft = _draft(context)
    draft.district_number = number
    draft.quarter = (
        quarters[int(index)] if index.isdigit() and int(index) < len(quarters) else None
    )
    _save(context, draft)
    return await _goto(update, context, _after(context, TOPIC))


# --- what -----------------------------------------------------------------------------------
async def on_topic(update: Update, context: BotContext) -> str:
    await answer_query(update)
    code = context.match.group(1)
    if not context.services.reference.has_topic(code):
        return await ask_topic(update, context)
    await drop_buttons(update)
    draft = _draft(context)
    draft.topic = code
    _save(context, draft)
    return await _goto(update, context, _after(context, DESCRIPTION))


async def on_description(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    text = (update.effective_message.text or "").strip()
    limit = context.services.settings.max_text_length
    if not text:
        await send(update, t("Please describe your concern in words."))
        return DESCRIPTION
    if len(text) > limit:
        await send(
            update,
            t(
                "That is {length} characters; please shorten it to at most {limit}. "
                "Nothing was saved yet, your text is still in your message above.",
                length=len(text),
                limit=limit,
            ),
        )
        return DESCRIPTION
    if suggests_emergency(text):
        await send(update, t(EMERGENCY))
    draft = _draft(context)
    draft.description = text
    _save(context, draft)
    return await _goto(update, context, _after(context, PHOTOS))


async def on_photo(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    limit = context.services.settings.max_photos
    draft = _draft(context)
    if len(draft.photos) >= limit:
        await send(
            update,
            t("You have already added {limit} photos, the most allowed.", limit=limit),
            buttons=[[(t("Continue without more photos"), "in:photos_done")]],
        )
        return PHOTOS
    draft.photos.append(update.effective_message.photo[-1].file_id)
    _save(context, draft)
    left = limit - len(draft.photos)
    await send(
        update,
        t("Photo {count} saved. You can send {left} more.", count=len(draft.photos), left=left),
        buttons=[[(t("Continue without more photos"), "in:photos_done")]],
    )
    return PHOTOS


async def on_photos_done(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    return await _goto(update, context, _after(context, CONTACT))


async def on_contact_text(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    message = update.effective_message
    text = message.contact.phone_number if message.contact else (message.text or "").strip()
    if not text or len(text) > 200:
        await send(update, t("Please enter at most 200 characters, or skip."))
        return CONTACT
    draft = _draft(context)
    draft.contact = text
    _save(context, draft)
    return await _goto(update, context, _after(context, ACTOR))


async def on_skip_contact(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    draft = _draft(context)
    draft.contact = None
    _save(context, draft)
    return await _goto(update, context, _after(context, ACTOR))


async def on_actor(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    t = translator(update, context)
    kind = context.match.group(1)
    draft = _draft(context)
    draft.actor_kind = None if kind == "none" else kind
    draft.actor_name = None
    _save(context, draft)
    if kind == "none":
        return await show_review(update, context)
    await send(update, t("What is the name of the organisation (or your council group)?"))
    return ACTOR_NAME


async def on_actor_name(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    text = (update.effective_message.text or "").strip()
    if not text or len(text) > 120:
        await send(update, t("Please enter the name (at most 120 characters)."))
        return ACTOR_NAME
    draft = _draft(context)
    draft.actor_name = text
    _save(context, draft)
    return await show_review(update, context)


# --- review ---------------------------------------------------------------------------------
async def on_confirm(update: Update, context: BotContext) -> str | int:
    """Store the case and notify the district; only now is anything written."""
    await answer_query(update)
    t = translator(update, context)
    draft = _draft(context)
    if draft.missing():
        await send(update, t("Something is still missing. Let us complete it."))
        return await _goto(
            update,
            context,
            {"district_number": WHERE, "topic": TOPIC}.get(draft.missing()[0], DESCRIPTION),
        )
    services = context.services
    # The thank-you with the number is queued in the case's own transaction and sent right
    # after the commit; if the process dies in between, the outbox sends it a little later,
    # so a resident never files the same concern twice for want of an answer.
    async with session_scope(services.session_maker) as session:
        person = await sender_in(session, update, context)
        case, _ = await intake.confirm_draft(
            session,
            services.env,
            draft=draft,
            resident=person,
            language=t.language,
            now=services.clock.now(),
        )
        thanks = t(
            "Thank you! Your concern has the number {reference}. The district management of "
            "{district} will look at it, usually within two working days, and answer you here. "
            "You can see its status with /meine.",
            reference=case.reference,
            district=services.reference.district(case.district_number).name,
        )
        receipt = outbox.enqueue(
            session,
            chat_id=update.effective_chat.id,
            data=outbox.payload(thanks, html=False, keyboard=menu_rows(t)),
            now=services.clock.now(),
            kind="confirmation",
            case_id=case.id,
            person_id=person.id,
            backup_for=outbox.BACKUP_SECONDS,
        )
    context.user_data.pop("draft", None)
    await drop_buttons(update)  # only now: before the commit, pressing again is still safe
    await deliver_now(context.application, receipt)
    request_delivery(context.application)
    return ConversationHandler.END


async def on_publication(update: Update, context: BotContext) -> str:
    """Switch the consent to publish the description in the city's open data."""
    await answer_query(update)
    draft = _draft(context)
    draft.publication_consent = not draft.publication_consent
    _save(context, draft)
    return await show_review(update, context, edit=True)


async def on_change(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    t = translator(update, context)
    rows = chunk([(t(label), f"in:edit:{key}") for key, label in EDITABLE], 2)
    await send(update, t("What would you like to change?"), buttons=rows)
    return REVIEW


async def on_edit(update: Update, context: BotContext) -> str:
    await acknowledge(update)
    field = context.match.group(1)
    context.user_data["editing"] = True
    if field == "photos":
        draft = _draft(context)
        draft.photos = []
        _save(context, draft)
    return await _goto(update, context, field)


async def cancel(update: Update, context: BotContext) -> int:
    """Drop the draft; nothing was stored."""
    await acknowledge(update)
    t = translator(update, context)
    context.user_data.pop("draft", None)
    context.user_data.pop("editing", None)
    await send(update, t("Cancelled. Nothing was sent."), reply_markup=main_menu(t))
    return ConversationHandler.END


# --- bad input inside the conversation -------------------------------------------------------
EXPECTED = {
    WHERE: N_("Please share a location, type a place, or use the buttons."),
    TOPIC: N_("Please choose a topic with the buttons above."),
    DESCRIPTION: N_("Please describe your concern as text."),
    PHOTOS: N_("Please send a photo, or press 'Continue'."),
    CONTACT: N_("Please type your contact details as text, or skip."),
    ACTOR: N_("Please answer with the buttons above."),
    ACTOR_NAME: N_("Please type the name of the organisation."),
    REVIEW: N_("Please use the buttons: send, change or cancel."),
}


def _wrong_input(state: str):
    async def handler(update: Update, context: BotContext) -> str:
        """Explain what is expected and stay in the step; nothing is lost."""
        t = translator(update, context)
        await send(update, t(EXPECTED[state]) + "\n" + t("To stop, send /abbrechen."))
        if state in BUTTON_STEPS:
            # the step's buttons may be gone (an edit cut off by a restart): show them again
            return await NEXT_PROMPT[state](update, context)
        return state

    return handler


BUTTON_STEPS = (TOPIC, PHOTOS, CONTACT, ACTOR, REVIEW)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button from an earlier step: say so, change nothing."""
    t = translator(update, context)
    await answer_query(update, t("This button is no longer valid."), alert=False)
    return None


async def command_during_intake(update: Update, context: BotContext) -> None:
    t = translator(update, context)
    await send(
        update, t("You are in the middle of a concern. Continue, or send /abbrechen to stop.")
    )


def build_conversation(translations_labels: list[str]) -> ConversationHandler:
    """The resident's intake; persistent, so a restart keeps every answer."""
    text = filters.TEXT & ~filters.COMMAND & PRIVATE
    entry_menu = filters.Text(translations_labels) & PRIVATE
    states = {
        WHERE: [
            MessageHandler(filters.LOCATION & PRIVATE, on_location),
            MessageHandler(text, on_place_text),
            CallbackQueryHandler(on_guess_ok, pattern=r"^in:ok$"),
            CallbackQueryHandler(on_pick, pattern=r"^in:pick$"),
            CallbackQueryHandler(on_district, pattern=r"^in:d:(\d{2})$"),
            CallbackQueryHandler(on_quarter, pattern=r"^in:q:(\d{2}):(\d{1,2}|-)$"),
        ],
        TOPIC: [CallbackQueryHandler(on_topic, pattern=r"^in:t:([a-z_]{1,32})$")],
        DESCRIPTION: [MessageHandler(text, on_description)],
        PHOTOS: [
            MessageHandler(filters.PHOTO & PRIVATE, on_photo),
            CallbackQueryHandler(on_photos_done, pattern=r"^in:photos_done$"),
        ],
        CONTACT: [
            MessageHandler((text | filters.CONTACT) & PRIVATE, on_contact_text),
            CallbackQueryHandler(on_skip_contact, pattern=r"^in:skip_contact$"),
        ],
        ACTOR: [
            CallbackQueryHandler(on_actor, pattern=r"^in:a:(none|club|initiative|council|other)$")
        ],
        ACTOR_NAME: [MessageHandler(text, on_actor_name)],
        REVIEW: [
            CallbackQueryHandler(on_confirm, pattern=r"^in:confirm$"),
            CallbackQueryHandler(on_publication, pattern=r"^in:pub$"),
            CallbackQueryHandler(on_change, pattern=r"^in:change$"),
            CallbackQueryHandler(cancel, pattern=r"^in:cancel$"),
            CallbackQueryHandler(
                on_edit, pattern=r"^in:edit:(where|topic|description|photos|contact|actor)$"
            ),
        ],
    }
    for state, handlers in states.items():
        handlers.append(MessageHandler(PRIVATE & ~filters.COMMAND, _wrong_input(state)))
    return ConversationHandler(
        entry_points=[
            CommandHandler(["neu", "new"], start_intake, filters=PRIVATE),
            MessageHandler(entry_menu, start_intake),
            CallbackQueryHandler(start_intake, pattern=r"^menu:new$"),
        ],
        states=states,  # type: ignore[arg-type]
        fallbacks=[
            CommandHandler(["abbrechen", "cancel"], cancel),
            CallbackQueryHandler(stale_button),
            MessageHandler(filters.COMMAND & PRIVATE, command_during_intake),
        ],
        name="intake",
        persistent=True,
        allow_reentry=True,
    )


def register(app: object, *, menu_labels: list[str]) -> None:
    app.add_handler(build_conversation(menu_labels))  # type: ignore[attr-defined]
