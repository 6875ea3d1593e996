"""The resident's intake, step by step: where, what, photos, contact, organisation.

The draft lives in the conversation's user data (persistent, so a restart keeps every
answer); each step stores its answer and asks the next question, or returns to the review
while the resident changes one field.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.handlers.common import acknowledging, send_reply, translator
from bot.keyboards import markup
from bot.messages import intake as say
from bot.messages.intake_review import review
from bot.services.basics.routing import is_street_address
from bot.services.basics.safety import suggests_emergency
from bot.services.cases import intake
from bot.services.cases.records import Draft

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


def conversation(context: BotContext) -> dict[str, Any]:
    """The resident's user data, where the draft lives (there is one in a private chat)."""
    assert context.user_data is not None
    return context.user_data


def incoming(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


def matched(context: BotContext) -> re.Match[str]:
    """The match of the pressed button's data against the handler's pattern."""
    assert context.match is not None
    return context.match


def draft_of(context: BotContext) -> Draft:
    return Draft.from_dict(conversation(context).get("draft"))


def save(context: BotContext, draft: Draft) -> None:
    conversation(context)["draft"] = draft.to_dict()


def _after(context: BotContext, default: str) -> str:
    """Where to go after a step: back to the review while changing one field."""
    return REVIEW if conversation(context).get("editing") else default


# --- questions ------------------------------------------------------------------------------
async def ask_where(update: Update, context: BotContext) -> str:
    question, pick = say.where_prompt(translator(update, context))
    share = [[{"text": label, "request_location": True} for label in question.keyboard[0]]]
    keyboard = {"keyboard": share, "resize_keyboard": True, "one_time_keyboard": True}
    await send_reply(update, question, reply_markup=keyboard)
    await send_reply(update, pick)
    return WHERE


async def ask_districts(update: Update, context: BotContext, only: Sequence[str] = ()) -> str:
    t = translator(update, context)
    await send_reply(update, say.districts(t, context.services.reference, only))
    return WHERE


async def ask_quarters(
    update: Update, context: BotContext, district_number: str, only: Sequence[str] = ()
) -> str:
    """The district's quarters; `only` (a postcode's quarters) narrows the choice."""
    t = translator(update, context)
    ref = context.services.reference
    await send_reply(update, say.quarters(t, ref, district_number, only))
    return WHERE


async def ask_topic(update: Update, context: BotContext) -> str:
    await send_reply(update, say.topics(translator(update, context), context.services.reference))
    return TOPIC


async def ask_description(update: Update, context: BotContext) -> str:
    limit = context.services.settings.max_text_length
    await send_reply(update, say.description_prompt(translator(update, context), limit))
    return DESCRIPTION


async def ask_photos(update: Update, context: BotContext) -> str:
    limit = context.services.settings.max_photos
    await send_reply(update, say.photos_prompt(translator(update, context), limit))
    return PHOTOS


async def ask_contact(update: Update, context: BotContext) -> str:
    await send_reply(update, say.contact_prompt(translator(update, context)))
    return CONTACT


async def ask_actor(update: Update, context: BotContext) -> str:
    await send_reply(update, say.actor_prompt(translator(update, context)))
    return ACTOR


async def show_review(update: Update, context: BotContext, *, edit: bool = False) -> str:
    """The summary with its buttons; `edit` redraws the pressed review instead of a new one."""
    conversation(context).pop("editing", None)
    reply = review(translator(update, context), context.services.reference, draft_of(context))
    query = update.callback_query if edit else None
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(
                reply.text,
                reply_markup=markup(reply),  # type: ignore[arg-type]  # inline: it has buttons
                parse_mode=ParseMode.HTML,
            )
            return REVIEW
        except BadRequest:  # too old to edit, or gone: show the review anew
            pass
    await send_reply(update, reply)
    return REVIEW


Prompt = Callable[[Update, BotContext], Awaitable[str]]
NEXT_PROMPT: dict[str, Prompt] = {
    WHERE: ask_where,
    TOPIC: ask_topic,
    DESCRIPTION: ask_description,
    PHOTOS: ask_photos,
    CONTACT: ask_contact,
    ACTOR: ask_actor,
    REVIEW: show_review,
}


async def goto(update: Update, context: BotContext, state: str) -> str:
    return await NEXT_PROMPT[state](update, context)


# --- where ----------------------------------------------------------------------------------
async def on_place_text(update: Update, context: BotContext) -> str:
    """Match a typed quarter, postcode or address and confirm the guess."""
    t = translator(update, context)
    text = (incoming(update).text or "").strip()[:256]
    match = context.services.router.match_text(text)
    draft = draft_of(context)
    # only a street address is kept as the address, not a typed quarter or postcode
    draft.address_text = text if is_street_address(text, match) else None
    save(context, draft)
    decision = intake.place_decision(match)
    if decision.kind == "confirm":
        conversation(context)["guess"] = {
            "district": decision.district,
            "quarter": decision.quarter,
        }
        await send_reply(update, say.place_guess(t, context.services.reference, decision))
        return WHERE
    if decision.kind == "choose_quarter" and decision.district is not None:
        return await ask_quarters(update, context, decision.district, decision.quarters)
    if decision.kind == "choose_district":
        await send_reply(update, say.several_districts(t))
        return await ask_districts(update, context, only=decision.districts)
    await send_reply(update, say.place_unknown(t))
    return await ask_districts(update, context)


async def on_location(update: Update, context: BotContext) -> str:
    """Keep the pin on the case; route by the city's boundaries when configured."""
    t = translator(update, context)
    location = incoming(update).location
    assert location is not None  # the handler's filter: a location message
    draft = draft_of(context)
    draft.latitude, draft.longitude = location.latitude, location.longitude
    decision = intake.place_decision(
        context.services.router.locate(location.latitude, location.longitude)
    )
    if decision.kind == "confirm":
        draft.district_number, draft.quarter = decision.district, decision.quarter
        save(context, draft)
        await send_reply(update, say.location_found(t, context.services.reference, decision))
        return await goto(update, context, _after(context, TOPIC))
    save(context, draft)
    await send_reply(update, say.location_elsewhere(t, outside=decision.reason == "outside"))
    return await ask_districts(update, context)


# A pressed button is answered while the next question is edited into its message (or, when
# something came after it in the chat, its keyboard is removed and the question sent anew):
# the resident sees the next question after one round trip (`acknowledging`).
async def on_guess_ok(update: Update, context: BotContext) -> str:
    async with acknowledging(update, in_place=True):
        guess = conversation(context).pop("guess", None)
        if not guess:
            return await ask_districts(update, context)
        draft = draft_of(context)
        draft.district_number, draft.quarter = guess["district"], guess["quarter"]
        save(context, draft)
        if not draft.quarter:
            return await ask_quarters(update, context, guess["district"])
        return await goto(update, context, _after(context, TOPIC))


async def on_pick(update: Update, context: BotContext) -> str:
    async with acknowledging(update, in_place=True):
        return await ask_districts(update, context)


async def on_district(update: Update, context: BotContext) -> str:
    async with acknowledging(update, in_place=True):
        number = matched(context).group(1)
        if not context.services.reference.has_district(number):
            return await ask_districts(update, context)
        return await ask_quarters(update, context, number)


async def on_quarter(update: Update, context: BotContext) -> str:
    async with acknowledging(update, in_place=True):
        number, index = matched(context).group(1), matched(context).group(2)
        ref = context.services.reference
        if not ref.has_district(number):
            return await ask_districts(update, context)
        quarters = ref.district(number).quarters
        draft = draft_of(context)
        draft.district_number = number
        draft.quarter = (
            quarters[int(index)] if index.isdigit() and int(index) < len(quarters) else None
        )
        save(context, draft)
        return await goto(update, context, _after(context, TOPIC))


# --- what -----------------------------------------------------------------------------------
async def on_topic(update: Update, context: BotContext) -> str:
    code = matched(context).group(1)
    if not context.services.reference.has_topic(code):
        async with acknowledging(update, drop=False):
            return await ask_topic(update, context)
    draft = draft_of(context)
    draft.topic = code
    save(context, draft)
    async with acknowledging(update, in_place=True):
        return await goto(update, context, _after(context, DESCRIPTION))


async def on_description(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    text = (incoming(update).text or "").strip()
    limit = context.services.settings.max_text_length
    if not text:
        await send_reply(update, say.description_empty(t))
        return DESCRIPTION
    if len(text) > limit:
        await send_reply(update, say.description_too_long(t, length=len(text), limit=limit))
        return DESCRIPTION
    if suggests_emergency(text):
        await send_reply(update, say.emergency(t))
    draft = draft_of(context)
    draft.description = text
    save(context, draft)
    return await goto(update, context, _after(context, PHOTOS))


async def on_photo(update: Update, context: BotContext) -> str:
    t = translator(update, context)
    limit = context.services.settings.max_photos
    draft = draft_of(context)
    if len(draft.photos) >= limit:
        await send_reply(update, say.photos_full(t, limit))
        return PHOTOS
    draft.photos.append(incoming(update).photo[-1].file_id)
    save(context, draft)
    count = len(draft.photos)
    await send_reply(update, say.photo_saved(t, count=count, left=limit - count))
    return PHOTOS


async def on_photos_done(update: Update, context: BotContext) -> str:
    async with acknowledging(update, in_place=True):
        return await goto(update, context, _after(context, CONTACT))


# --- who ------------------------------------------------------------------------------------
async def on_contact_text(update: Update, context: BotContext) -> str:
    """A phone number or e-mail address, checked and normalised; else ask again."""
    message = incoming(update)
    text = message.contact.phone_number if message.contact else (message.text or "").strip()
    check = intake.check_contact(text)
    if check.problem is not None:
        await send_reply(update, say.contact_invalid(translator(update, context), check.problem))
        return CONTACT
    draft = draft_of(context)
    draft.contact = check.value  # None when the resident typed "skip"
    save(context, draft)
    return await goto(update, context, _after(context, ACTOR))


async def on_skip_contact(update: Update, context: BotContext) -> str:
    draft = draft_of(context)
    draft.contact = None
    save(context, draft)
    async with acknowledging(update, in_place=True):
        return await goto(update, context, _after(context, ACTOR))


async def on_actor(update: Update, context: BotContext) -> str:
    kind = matched(context).group(1)
    draft = draft_of(context)
    draft.actor_kind = None if kind == "none" else kind
    draft.actor_name = None
    save(context, draft)
    async with acknowledging(update, in_place=True):
        if kind == "none":
            return await show_review(update, context)
        await send_reply(update, say.actor_name_prompt(translator(update, context)))
        return ACTOR_NAME


async def on_actor_name(update: Update, context: BotContext) -> str:
    text = (incoming(update).text or "").strip()
    if not text or len(text) > 120:
        await send_reply(update, say.actor_name_invalid(translator(update, context)))
        return ACTOR_NAME
    draft = draft_of(context)
    draft.actor_name = text
    save(context, draft)
    return await show_review(update, context)
