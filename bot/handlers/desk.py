"""The manager's desk: /fall (the case card), saved replies, /abwesend and /zurueck, the
daily nudge.

Only staff (managers, deputies, coordinators) get past `_staff()`; roles are read again on
every command and every button, because callback data can be forged.
"""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    filters,
)

from bot.context import BotApplication, BotContext
from bot.handlers import triage
from bot.handlers.common import (
    acknowledge,
    actor_roles,
    refuse,
    send,
    send_reply,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.handlers.triage_common import chat_data_of, groups
from bot.i18n import Translator
from bot.jobs import write_for_staff_then_deliver
from bot.messages import callbacks
from bot.messages import desk as say
from bot.messages.formatting import format_date
from bot.services.access.roles import Role, Roles
from bot.services.basics.dates import HINT_EXAMPLES, DateParseError, parse_german_date
from bot.services.cases import desk
from bot.services.cases import records as cases
from bot.storage.db import session_scope
from bot.storage.models import Person

PRIVATE = filters.ChatType.PRIVATE
MAX_CHUNK = 3500  # below Telegram's 4096, leaving room for the HTML tags
AWAY_KEY = "away_until"  # the absence conversation's data: the understood day
CONFIRM_AWAY = 0


async def _staff(update: Update, context: BotContext) -> tuple[Person, Roles] | None:
    person, roles = await actor_roles(update, context)
    if not roles.is_staff:
        await refuse(update, context)
        return None
    return person, roles


def _argument(update: Update) -> str:
    """Everything after the command, newlines kept (context.args would lose them)."""
    text = update.effective_message.text if update.effective_message else None
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def _send_chunks(update: Update, lines: list[str]) -> None:
    block: list[str] = []
    for line in lines:
        if block and sum(len(x) + 1 for x in block) + len(line) > MAX_CHUNK:
            await send(update, "\n".join(block), html=True)
            block = []
        block.append(line[:MAX_CHUNK])
    if block:
        await send(update, "\n".join(block), html=True)


# ------------------------------------------------------------------------------ the card


async def on_case(update: Update, context: BotContext) -> None:
    """A case of a list (/faelle, /heute): its card with the actions its state allows, as a
    new message below the list; the district is checked again."""
    if await _staff(update, context) is None:
        return
    await triage.open_card(update, context, int(groups(context)[0] or 0))


async def show_case(update: Update, context: BotContext) -> None:
    """/fall <reference>: the case's card with its actions (its history one button away)."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    reference = _argument(update)
    if not reference:
        await send(update, t("Send /fall followed by the number, e.g. /fall 10-2026-0042."))
        return
    async with session_scope(context.services.session_maker) as session:
        case = await cases.get_case(session, reference=reference)
    if case is None:
        await send(
            update, t("I found no concern with the number {reference}.", reference=reference)
        )
        return
    await triage.open_card(update, context, case.id)


# ------------------------------------------------------------------------ saved replies


async def list_templates(update: Update, context: BotContext) -> None:
    """/vorlagen: the sender's saved replies."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    async with session_scope(context.services.session_maker) as session:
        rows = await desk.list_replies(session, person=staff[0])
    await _send_chunks(update, say.templates(t, rows))


async def save_template(update: Update, context: BotContext) -> None:
    """/vorlage <name> <text>: save or replace a reply template."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    parts = _argument(update).split(maxsplit=1)
    if len(parts) < 2:
        await send(
            update,
            t(
                "Send /vorlage followed by a name and the text, e.g. "
                "/vorlage thanks Thank you for your concern {placeholder}.",
                placeholder="{reference}",
            ),
        )
        return
    try:
        async with session_scope(context.services.session_maker) as session:
            row = await desk.save_reply(session, person=staff[0], name=parts[0], text=parts[1])
    except desk.InvalidTemplate as exc:
        if exc.reason == "name":
            await send(
                update,
                t(
                    "A name has 1 to 32 characters: letters a–z, digits, _ and -; a language "
                    "may follow for residents who read it, e.g. danke.tr."
                ),
            )
        else:
            await send(update, t("The text is too long."))
        return
    await send(update, t("Saved. Start an answer with #{name} to use it.", name=row.name))


async def delete_template(update: Update, context: BotContext) -> None:
    """/vorlage_loeschen <name>: delete a reply template."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    name = _argument(update).removeprefix("#")
    async with session_scope(context.services.session_maker) as session:
        deleted = bool(name) and await desk.delete_reply(session, person=staff[0], name=name)
    if deleted:
        await send(update, t("Deleted #{name}.", name=name.lower()))
    else:
        await send(update, t("You have no saved reply with that name. /vorlagen lists them."))


# ------------------------------------------------------------------------------- absence


async def away(update: Update, context: BotContext) -> int | None:
    """/abwesend bis <date>: ask to confirm the understood day before anything is stored."""
    staff = await _staff(update, context)
    if staff is None:
        return ConversationHandler.END
    t = translator(update, context)
    services = context.services
    chat_data_of(context).pop(AWAY_KEY, None)
    try:
        parsed = parse_german_date(
            _argument(update), now=services.clock.now(), tz=services.settings.tz
        )
    except DateParseError as exc:
        await send(update, _away_problem(t, exc))
        return ConversationHandler.END
    day = parsed.value.date()
    chat_data_of(context)[AWAY_KEY] = day.isoformat()
    await send_reply(update, say.away_confirm(t, day))
    return CONFIRM_AWAY


def _away_problem(t: Translator, exc: DateParseError) -> str:
    if exc.reason == "empty":
        return t("Until when are you away? For example: /abwesend bis Freitag")
    if exc.reason == "past" and exc.value is not None:
        return t(
            "{date} has already passed. Please give a day from today on, "
            "e.g. /abwesend bis Freitag.",
            date=format_date(exc.value.date(), lang=t.language),
        )
    examples = ", ".join(HINT_EXAMPLES)
    return t("I did not understand that date. Examples: {examples}", examples=examples)


async def on_away(update: Update, context: BotContext) -> int:
    """Store the absence until the end of the confirmed day, and say who covers."""
    staff = await _staff(update, context)
    if staff is None:
        return ConversationHandler.END
    await acknowledge(update)
    t = translator(update, context)
    pending = chat_data_of(context).pop(AWAY_KEY, None)
    if groups(context)[0] == "no" or pending is None:
        await send(update, t("Nothing changed. Send /abwesend bis … with another date."))
        return ConversationHandler.END
    services = context.services
    now, day = services.clock.now(), date.fromisoformat(pending)
    until = desk.end_of_day(day, services.settings.tz)
    if until <= now:
        await send(update, t("That day has passed meanwhile. Nothing changed."))
        return ConversationHandler.END
    async with session_scope(services.session_maker) as session:
        person = await session.merge(staff[0])
        await desk.set_absence(session, person=person, until=until, now=now)
        cover = await desk.absence_cover(
            session,
            districts=staff[1].districts(Role.MANAGER),
            now=now,
            admin_ids=services.settings.admin_telegram_ids,
        )
    await send_reply(update, say.away_set(t, services.reference, day, cover))
    return ConversationHandler.END


async def cancel_away(update: Update, context: BotContext) -> int:
    """/abbrechen while the absence waits for confirmation."""
    chat_data_of(context).pop(AWAY_KEY, None)
    t = translator(update, context)
    await send(update, t("Cancelled."))
    return ConversationHandler.END


def build_absence() -> Dialogue:
    """/abwesend and its confirmation; persistent, so a restart keeps the understood day."""
    return Dialogue(
        entry_points=[CommandHandler("abwesend", away, filters=PRIVATE)],
        states={
            CONFIRM_AWAY: [
                CallbackQueryHandler(on_away, pattern=callbacks.DESK.narrowed(r"away:(yes|no)"))
            ]
        },
        fallbacks=[CommandHandler(["abbrechen", "cancel"], cancel_away, filters=PRIVATE)],
        name="desk_absence",
        persistent=True,
        allow_reentry=True,
    )


async def back(update: Update, context: BotContext) -> None:
    """/zurueck: end the absence now."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        person = await session.merge(staff[0])
        ended = await desk.end_absence(session, person=person, now=services.clock.now())
    if ended:
        await send(update, t("Welcome back! New concerns come to you again."))
    else:
        await send(update, t("You are not marked as away."))


# --------------------------------------------------------------------------- daily nudge


async def run_untriaged_nudge(app: BotApplication) -> int:
    """Write today's nudges about untriaged cases (once per day) and deliver them."""
    return await write_for_staff_then_deliver(app, desk.write_untriaged_nudges)


def register(app: BotApplication) -> None:
    app.add_handler(
        CallbackQueryHandler(on_case, pattern=callbacks.DESK.narrowed(r"case:(\d{1,12})"))
    )
    app.add_handler(CommandHandler(["fall", "case"], show_case, filters=PRIVATE))
    app.add_handler(CommandHandler("vorlagen", list_templates, filters=PRIVATE))
    app.add_handler(CommandHandler("vorlage", save_template, filters=PRIVATE))
    app.add_handler(CommandHandler("vorlage_loeschen", delete_template, filters=PRIVATE))
    app.add_handler(build_absence())
    # a confirmation pressed after the conversation ended (answered "nothing changed")
    app.add_handler(
        CallbackQueryHandler(on_away, pattern=callbacks.DESK.narrowed(r"away:(yes|no)"))
    )
    app.add_handler(CommandHandler("zurueck", back, filters=PRIVATE))
