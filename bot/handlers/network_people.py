"""/mein_bezirk: residents learn who their district manager is (name and office hours only
where the manager published them with consent; else the unit's channels); a manager
publishes or withdraws their own card. /treffen: a manager records a meeting attended
(date, forum, people met from the directory, a note) in a short persistent dialogue."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.common import (
    actor_roles,
    answer_query,
    drop_buttons,
    ensure_person,
    refuse,
    send_reply,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.messages import callbacks
from bot.messages import network_form as form_say
from bot.messages import network_people as say
from bot.services.access.roles import Role
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.services.basics.reference import fold
from bot.services.network import district_card, entries, meetings
from bot.services.network.channels import InvalidValue
from bot.storage.db import session_scope
from bot.storage.models import Person

PRIVATE = filters.ChatType.PRIVATE
NET = callbacks.NETWORK
KEY = "net_meeting"
CHOSEN = "net_district"  # a resident without concerns: the district they chose
DATE, FORUM, PEOPLE, NOTE = range(4)
END = Dialogue.END
MAX_PEOPLE = 20


async def _show_card(update: Update, context: BotContext, district: str) -> None:
    services = context.services
    async with session_scope(services.session_maker) as session:
        card = await district_card.district_card(session, district)
    t = translator(update, context)
    await send_reply(update, say.district_card(t, services.reference.district(district), card))


async def mein_bezirk(update: Update, context: BotContext) -> None:
    person, roles = await actor_roles(update, context)
    services, t = context.services, translator(update, context)
    managed = sorted(roles.districts(Role.MANAGER))
    args = context.args or []
    if managed:
        await _manager(update, context, person, managed[0], args)
        return
    async with session_scope(services.session_maker) as session:
        district = await district_card.resident_district(session, person)
    if district is None and context.user_data is not None:
        district = context.user_data.get(CHOSEN)  # the district chosen last time
    if district is None or not services.reference.has_district(district):
        await send_reply(update, say.choose_district(t, services.reference.districts))
        return
    await _show_card(update, context, district)


async def _manager(
    update: Update, context: BotContext, person: Person, district: str, args: list[str]
) -> None:
    services, t = context.services, translator(update, context)
    action = fold(args[0]) if args else ""
    now = services.clock.now()
    async with session_scope(services.session_maker) as session:
        person = await session.merge(person)
        if action in ("zeigen", "show", "publish"):
            name, _sep, hours = " ".join(args[1:]).partition(";")
            try:
                await district_card.publish(
                    session, person, district=district, name=name, office_hours=hours, now=now
                )
            except InvalidValue as error:
                reply = form_say.problem(t, error.reason, error.value)
            else:
                reply = say.published(t)
        elif action in ("verbergen", "hide", "withdraw"):
            await district_card.withdraw(session, person, now=now)
            reply = say.withdrawn(t)
        else:
            reply = say.manager_help(t, await district_card.own_entry(session, person))
    await send_reply(update, reply)
    if not action:
        await _show_card(update, context, district)


async def on_district(update: Update, context: BotContext) -> None:
    """`net:bz:<nn>` (a chosen district) or `net:bz:me` (the button under /hilfe)."""
    await answer_query(update)
    choice = context.match.group(1) if context.match else ""
    if choice == "me":
        context.args = []
        await mein_bezirk(update, context)
        return
    if not context.services.reference.has_district(choice):
        await refuse(update, context)
        return
    if context.user_data is not None:
        context.user_data[CHOSEN] = choice
    await _show_card(update, context, choice)


# --- /treffen -------------------------------------------------------------------------------
def _meeting(context: BotContext) -> dict[str, Any]:
    if context.user_data is None:
        return {}
    found: dict[str, Any] = context.user_data.setdefault(KEY, {})
    return found


async def treffen(update: Update, context: BotContext) -> int:
    _person, roles = await actor_roles(update, context)
    t = translator(update, context)
    if not entries.may_use(roles):
        await refuse(update, context)
        return END
    own = entries.own_districts(roles)
    wanted = (context.args or [""])[0].zfill(2) if context.args else None
    reference = context.services.reference
    if wanted is not None and reference.has_district(wanted) and (own is None or wanted in own):
        district = wanted
    elif own:
        district = sorted(own)[0]
    else:
        await send_reply(update, say.no_district(t))
        return END
    if context.user_data is not None:
        context.user_data[KEY] = {"district": district, "met": []}
    await send_reply(update, say.ask_date(t))
    return DATE


def _text(update: Update) -> str:
    message = update.effective_message
    return ((message.text or "") if message else "").strip()


async def on_date(update: Update, context: BotContext) -> int:
    services, t = context.services, translator(update, context)
    try:
        parsed = parse_german_date(
            _text(update), now=services.clock.now(), tz=services.env.tz, allow_past=True
        )
    except DateParseError:
        await send_reply(update, say.bad_date(t))
        return DATE
    if parsed.value.date() > services.clock.now().astimezone(services.env.tz).date():
        await send_reply(update, say.bad_date(t))
        return DATE
    _meeting(context)["held_on"] = parsed.value.date().isoformat()
    await send_reply(update, say.ask_forum(t))
    return FORUM


async def _people(context: BotContext) -> list[Any]:
    district = str(_meeting(context).get("district"))
    async with session_scope(context.services.session_maker) as session:
        found = await entries.active(session, [district])
    return [e for e in found if district in (e.districts or ())][:MAX_PEOPLE]


async def on_forum(update: Update, context: BotContext) -> int:
    forum = _text(update)[:200]
    if not forum:
        return FORUM
    _meeting(context)["forum"] = forum
    found = await _people(context)
    t = translator(update, context)
    await send_reply(update, say.ask_people(t, found, _meeting(context).get("met", [])))
    return PEOPLE


async def _still_allowed(update: Update, context: BotContext) -> bool:
    """The sender still keeps the meeting's district (roles read again on every press)."""
    _person, roles = await actor_roles(update, context)
    own = entries.own_districts(roles)
    district = str(_meeting(context).get("district"))
    if entries.may_use(roles) and (own is None or district in own):
        return True
    await refuse(update, context)
    return False


async def on_person(update: Update, context: BotContext) -> int:
    """`net:m:<id>` toggles a person met (only entries of the meeting's district)."""
    if not await _still_allowed(update, context):
        return END
    await answer_query(update)
    found = await _people(context)
    chosen = int(context.match.group(1)) if context.match else 0
    met = [int(i) for i in _meeting(context).get("met", [])]
    if chosen in {e.id for e in found}:
        met = [i for i in met if i != chosen] if chosen in met else [*met, chosen]
    _meeting(context)["met"] = met
    await send_reply(update, say.ask_people(translator(update, context), found, met))
    return PEOPLE


async def on_people_done(update: Update, context: BotContext) -> int:
    if not await _still_allowed(update, context):
        return END
    await answer_query(update)
    await drop_buttons(update)
    await send_reply(update, say.ask_note(translator(update, context)))
    return NOTE


async def on_note(update: Update, context: BotContext) -> int:
    from datetime import date

    if not await _still_allowed(update, context):
        return END
    person = await ensure_person(update, context)
    services, t = context.services, translator(update, context)
    state = dict(_meeting(context))
    district = str(state.get("district"))
    note = _text(update)
    held_on = date.fromisoformat(str(state["held_on"]))
    ids = {int(i) for i in state.get("met", [])}
    async with session_scope(services.session_maker) as session:
        met = [e for e in await entries.active(session, [district]) if e.id in ids]
        await meetings.record_meeting(
            session,
            district=district,
            held_on=held_on,
            forum=str(state["forum"]),
            met=met,
            note=None if note == "-" else note,
            by=person,
            now=services.clock.now(),
        )
    if context.user_data is not None:
        context.user_data.pop(KEY, None)
    await send_reply(update, say.meeting_saved(t, held_on, str(state["forum"]), len(met)))
    return END


async def cancel(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(KEY, None)
    await send_reply(update, form_say.cancelled(translator(update, context)))
    return END


def build_meeting_dialogue() -> Dialogue:
    text = PRIVATE & filters.TEXT & ~filters.COMMAND
    return Dialogue(
        entry_points=[CommandHandler(["treffen", "meeting"], treffen, filters=PRIVATE)],
        states={
            DATE: [MessageHandler(text, on_date)],
            FORUM: [MessageHandler(text, on_forum)],
            PEOPLE: [
                CallbackQueryHandler(on_person, pattern=NET.narrowed(r"m:(\d{1,12})")),
                CallbackQueryHandler(on_people_done, pattern=NET.narrowed(r"md")),
            ],
            NOTE: [MessageHandler(text, on_note)],
        },
        fallbacks=[CommandHandler(["abbrechen", "cancel"], cancel, filters=PRIVATE)],
        name="network_meeting",
        persistent=True,
        allow_reentry=True,
    )


def register(app: BotApplication) -> None:
    app.add_handler(build_meeting_dialogue())
    app.add_handler(CommandHandler(["mein_bezirk", "my_district"], mein_bezirk, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_district, pattern=NET.narrowed(r"bz:(\d{2}|me)")))
