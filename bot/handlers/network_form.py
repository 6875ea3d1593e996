"""The guided dialogue that adds (`net:new`) or changes (`net:ed:<id>`) a directory entry:
one persistent conversation, so a restart keeps the step. Each typed answer is validated
at once; the roles and the entry are read again from the database at the start and when
saving (callback data and earlier answers are only claims)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.common import (
    actor_roles,
    answer_query,
    drop_buttons,
    refuse,
    send_reply,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.messages import callbacks
from bot.messages import network_form as say
from bot.services.access.roles import Roles
from bot.services.network import entries, form
from bot.services.network.channels import InvalidValue
from bot.services.network.entries import EntryData
from bot.storage.db import session_scope

PRIVATE = filters.ChatType.PRIVATE
NET = callbacks.NETWORK
KEY = "net_form"  # {"id": entry id or None, "step": str, "data": EntryData fields}
FORM = 0
END = Dialogue.END


def _state(context: BotContext) -> dict[str, Any]:
    return context.user_data.get(KEY) or {} if context.user_data is not None else {}


def _data(context: BotContext) -> EntryData:
    return EntryData(**_state(context).get("data", {}))


def _keep(context: BotContext, step: str, data: EntryData) -> None:
    if context.user_data is not None:
        state = _state(context)
        context.user_data[KEY] = {"id": state.get("id"), "step": step, "data": data.as_dict()}


async def _ask(update: Update, context: BotContext, step: str, data: EntryData) -> int:
    entering = _state(context).get("step") != step
    if step == "channels" and entering and _state(context).get("id") is None:
        data = form.default_channels(data)
    _keep(context, step, data)
    t, reference = translator(update, context), context.services.reference
    if step == "confirm":
        await send_reply(update, say.summary(t, reference, data))
    else:
        editing = _state(context).get("id") is not None
        await send_reply(update, say.ask(t, reference, step, data, editing))
    return FORM


async def start(update: Update, context: BotContext) -> int | None:
    """`net:new` or `net:ed:<id>`: may the sender add, or change this entry?"""
    _person, roles = await actor_roles(update, context)
    claimed = context.match.group(1) if context.match else None  # net:ed:<id>; net:new: None
    entry_id = int(claimed) if claimed else None
    found = EntryData()
    if entry_id is not None:
        async with session_scope(context.services.session_maker) as session:
            entry = await entries.get(session, entry_id)
            if entry is None or entry.retired_at or not entries.may_edit(roles, entry):
                entry = None
            else:
                found = entries.data_of(entry)
        if entry is None:
            await refuse(update, context)
            return END
    elif not entries.may_use(roles):
        await refuse(update, context)
        return END
    await answer_query(update)
    if context.user_data is not None:
        context.user_data[KEY] = {"id": entry_id, "step": "kind", "data": found.as_dict()}
    return await _ask(update, context, "kind", found)


async def on_text(update: Update, context: BotContext) -> int | None:
    step = _state(context).get("step", "")
    if step not in form.TYPED:
        return None
    _person, roles = await actor_roles(update, context)
    if not entries.may_use(roles):
        await refuse(update, context)
        return END
    message = update.effective_message
    text = (message.text or "") if message else ""
    own = entries.own_districts(roles)
    try:
        data = form.typed(step, text, _data(context), context.services.reference, own)
    except InvalidValue as error:
        await send_reply(
            update, say.problem(translator(update, context), error.reason, error.value)
        )
        return FORM
    return await _ask(update, context, form.next_step(step, data), data)


async def on_press(update: Update, context: BotContext) -> int | None:
    query = update.callback_query
    _prefix, action, *rest = (query.data or "").split(":") if query else ["", ""]
    arg = rest[0] if rest else ""
    _person, roles = await actor_roles(update, context)
    if not entries.may_use(roles):  # the role may have ended since the dialogue began
        await refuse(update, context)
        return END
    step, data = _state(context).get("step", ""), _data(context)
    await answer_query(update)
    if action == "cancel":
        await drop_buttons(update)
        if context.user_data is not None:
            context.user_data.pop(KEY, None)
        await send_reply(update, say.cancelled(translator(update, context)))
        return END
    if action == "save" and step == "confirm":
        await drop_buttons(update)
        return await _save(update, context, data)
    moves: dict[tuple[str, str], Callable[[], EntryData]] = {
        ("k", "kind"): lambda: form.choose_kind(data, arg),
        ("v", "visibility"): lambda: replace(data, visibility=arg),
        ("b", "basis"): lambda: form.choose_basis(data, arg),
        ("td", "topics"): lambda: data,
        ("cd", "channels"): lambda: data,
        ("skip", step): lambda: data,
    }
    if (action, step) in moves and (action != "skip" or step in form.TYPED):
        await drop_buttons(update)
        changed = moves[(action, step)]()
        return await _ask(update, context, form.next_step(step, changed), changed)
    if action == "t" and step == "topics" and context.services.reference.has_topic(arg):
        return await _ask(
            update, context, step, replace(data, topics=form.toggle(data.topics, arg))
        )
    if action == "c" and step == "channels" and getattr(data, arg, None):
        marked = form.toggle(data.resident_channels, arg)
        return await _ask(update, context, step, replace(data, resident_channels=marked))
    return None  # a button of an earlier step


async def _save(update: Update, context: BotContext, data: EntryData) -> int:
    person, roles = await actor_roles(update, context)
    services, t = context.services, translator(update, context)
    entry_id = _state(context).get("id")
    try:
        checked = entries.validate(data, services.reference)
    except InvalidValue as error:
        await send_reply(update, say.problem(t, error.reason, error.value))
        return await _ask(update, context, "kind", data)
    async with session_scope(services.session_maker) as session:
        entry = await entries.get(session, int(entry_id)) if entry_id is not None else None
        allowed = _may_save(roles, checked, entry)
        if allowed and entry is not None:
            await entries.update(session, entry, checked, now=services.clock.now(), by=person)
        elif allowed:
            await entries.create(session, checked, now=services.clock.now(), by=person)
    if context.user_data is not None:
        context.user_data.pop(KEY, None)
    if not allowed:
        await refuse(update, context)
        return END
    await send_reply(update, say.saved(t, checked.name))
    return END


def _may_save(roles: Roles, data: EntryData, entry: Any) -> bool:
    own = entries.own_districts(roles)
    if not entries.may_use(roles):
        return False
    if entry is not None and (entry.retired_at is not None or not entries.may_edit(roles, entry)):
        return False
    return own is None or (bool(data.districts) and set(data.districts) <= own)


async def cancel(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(KEY, None)
    await send_reply(update, say.cancelled(translator(update, context)))
    return END


def build_dialogue() -> Dialogue:
    text = PRIVATE & filters.TEXT & ~filters.COMMAND
    buttons = NET.narrowed(
        r"(save|cancel|skip|td|cd)|k:(office|external|organisation|person)|t:([a-z_]{1,32})"
        r"|c:(phone|email|web|address|office_hours)|v:(residents|staff)|b:(consent|public_office)"
    )
    return Dialogue(
        entry_points=[CallbackQueryHandler(start, pattern=NET.narrowed(r"new|ed:(\d{1,12})"))],
        states={
            FORM: [CallbackQueryHandler(on_press, pattern=buttons), MessageHandler(text, on_text)]
        },
        fallbacks=[CommandHandler(["abbrechen", "cancel"], cancel, filters=PRIVATE)],
        name="network_form",
        persistent=True,
        allow_reentry=True,
    )


def register(app: BotApplication) -> None:
    app.add_handler(build_dialogue())
