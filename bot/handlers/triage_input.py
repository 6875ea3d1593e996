"""The typed inputs a manager gives on a case: question, message, note, next step with its
due date, resolution (with a preview of what the resident reads, confirmed before anything
is sent), contact search, and the notes of a referral or handover.

They are the states of one persistent conversation (built in `bot.handlers.triage`), so a
restart in the middle loses nothing. The conversation's data sits in user_data under KEY,
with the message the input started from ("card"): when the input is done, the confirmation
and a fresh card come as a new message (or in place of the pressed confirmation button), and
that older card loses its buttons, so only the newest card is live.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import BotContext
from bot.handlers.case_card import drop_buttons_of, edit_or_send
from bot.handlers.common import (
    acknowledge,
    answer_query,
    send_reply,
    translator,
)
from bot.handlers.outcome import above_card
from bot.handlers.triage_common import (
    Press,
    arg_of,
    card,
    case_press,
    chat_data_of,
    confirmed,
    groups,
    handed_over,
    with_case,
)
from bot.messages import case_view
from bot.messages import triage as say
from bot.messages.due_dates import due_question
from bot.messages.outcomes import What
from bot.messages.render import RenderContext
from bot.messages.reply import Reply
from bot.sending import send_payload
from bot.services.agreements.rules import day_off
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.services.cases import casework, triage
from bot.services.cases.triage_notices import Resolved
from bot.services.messaging.outcome import Relayed
from bot.services.network import lotse
from bot.storage.models import Case, Person

# action, case, ref, the card and prompt messages, contact / district / text / due / summary
KEY = "triage"
RELAYED = "relayed"  # in the conversation's data while it finishes: what was queued
WHAT: dict[str, What] = {"ask": "question", "msg": "message", "ref": "card"}
(
    ASK,
    MSG,
    NOTE,
    STEP,
    STEP_DUE,
    STEP_CONFIRM,
    RESOLVE,
    REF_SEARCH,
    LOTSE_NOTE,
    HAND_NOTE,
    RESOLVE_CONFIRM,
) = range(11)
STATES = {
    "ask": ASK,
    "msg": MSG,
    "note": NOTE,
    "step": STEP,
    "resolve": RESOLVE,
    "refsearch": REF_SEARCH,
    "ref": LOTSE_NOTE,
    "handto": HAND_NOTE,
}
END = ConversationHandler.END


def _pressed(update: Update) -> int | None:
    query = update.callback_query
    return query.message.message_id if query is not None and query.message is not None else None


async def on_prompt(update: Update, context: BotContext) -> int | None:
    """A button that asks for typed input: check it fits the case, then ask."""
    action, case_id, arg = case_press(context)
    env, t = context.services.env, translator(update, context)

    async def run(session: AsyncSession, person: Person, case: Case) -> Reply:
        data: dict[str, Any] = {"action": action, "case": case.id, "ref": case.reference}
        data["card"] = _pressed(update)
        if action == "ref":
            contact = await triage.check_contact(session, env, case, arg or "")
            data["contact"] = arg
            reply = say.lotse_note_prompt(t, case.id, case.reference, contact)
        elif action == "handto":
            triage.check_handover(env, case, arg or "")
            data["district"] = arg
            reply = say.hand_note_prompt(t, case.id, case.reference, arg or "")
        else:
            reply = say.prompt(
                t, "ref_search" if action == "refsearch" else action, case.reference
            )
        chat_data_of(context)[KEY] = data
        return reply

    reply = await with_case(update, context, case_id, run, name=action)
    if reply is None:
        return None
    await answer_query(update)
    chat = update.effective_chat
    if chat is not None:
        prompt = await send_payload(chat.get_bot(), chat.id, reply.to_payload())
        if reply.buttons:  # e.g. "Send without a sentence": gone once the input is done
            chat_data_of(context).setdefault(KEY, {})["prompt"] = prompt.message_id
    return STATES[action]


def _typed(update: Update, context: BotContext) -> str | None:
    """The typed text (or a photo's caption); None when it is empty or too long."""
    message = update.effective_message
    text = ((message.text or message.caption or "") if message else "").strip()
    limit = context.services.settings.max_text_length
    return text if text and len(text) <= limit else None


async def _too_long(update: Update, context: BotContext) -> None:
    limit = context.services.settings.max_text_length
    await send_reply(update, say.too_long(translator(update, context), limit))


async def _ask(p: Press) -> Reply:
    p.data[RELAYED] = await casework.ask_resident(
        p.session, p.env, p.case, manager=p.person, question=arg_of(p), now=p.now
    )
    return await card(p)  # `_finish` puts the outcome on top, once it is known


async def _message(p: Press) -> Reply:
    p.data[RELAYED] = await casework.relay_to_resident(
        p.session, p.env, p.case, text=arg_of(p), now=p.now, manager=p.person
    )
    return await card(p)


async def _note(p: Press) -> Reply:
    await casework.add_note(p.session, p.case, manager=p.person, text=arg_of(p), now=p.now)
    return await confirmed(p, say.note_saved(p.t, p.case.reference))


async def _resolve(p: Press) -> Reply:
    await casework.resolve(
        p.session, p.env, p.case, manager=p.person, summary=arg_of(p), now=p.now
    )
    return await confirmed(p, say.resolved(p.t, p.case.reference))


async def _search(p: Press) -> Reply:
    case = p.case
    found = await lotse.picker(
        p.session,
        topic=case.topic,
        district=case.district_number,
        quarter=case.quarter,
        words=arg_of(p),
    )
    cards = [lotse.card_of(e) for e in found]
    contacts = say.contacts(p.t, case.id, case.reference, cards, query=p.arg)
    return contacts.with_buttons((*contacts.buttons, case_view.back_row(p.t, case.id)))


async def _lotse_note(p: Press) -> Reply:
    contact, note = str(p.data.get("contact")), arg_of(p)
    p.data[RELAYED] = await triage.refer(
        p.session, p.env, p.case, manager=p.person, contact_key=contact, note=note, now=p.now
    )
    return await card(p)  # with the card's outcome on top (`_finish`)


async def _hand_note(p: Press) -> Reply:
    district = str(p.data.get("district"))
    await triage.hand_over(
        p.session,
        p.env,
        p.case,
        manager=p.person,
        district_number=district,
        note=arg_of(p),
        now=p.now,
    )
    return await handed_over(p, district)


async def _step_saved(p: Press) -> Reply:
    due = datetime.fromisoformat(str(p.data["due"]))
    await casework.set_next_step(
        p.session, p.case, manager=p.person, text=str(p.data["text"]), due=due, now=p.now
    )
    return await confirmed(p, say.step_saved(p.t, due))


TYPED: dict[str, Callable[[Press], Awaitable[Reply]]] = {
    "ask": _ask,
    "msg": _message,
    "note": _note,
    "refsearch": _search,
    "ref": _lotse_note,
    "handto": _hand_note,
}


async def _finish(
    update: Update, context: BotContext, act: Callable[[Press], Awaitable[Reply]], arg: str | None
) -> int:
    """Run the input's action on its case (if its state still allows it); the conversation
    ends either way. The result replaces a pressed confirmation, else comes as a new message;
    the card the input started from loses its buttons once the action is done."""
    data = dict(chat_data_of(context).get(KEY) or {})
    t, services = translator(update, context), context.services
    case_id, action = int(data.get("case") or 0), str(data.get("action") or "")

    async def run(session: AsyncSession, person: Person, case: Case) -> Reply:
        now = services.clock.now()
        return await act(Press(session, person, case, arg, services.env, now, t, data))

    chat_data_of(context).pop(KEY, None)
    reply = await with_case(update, context, case_id, run, name=action)
    if reply is None:
        return END
    relayed = data.pop(RELAYED, None)
    if isinstance(relayed, Relayed):  # sent now: the card says what happened
        ref = str(data.get("ref") or "")
        head = say.referred(t, ref).text if action == "ref" else None
        reply = await above_card(context, t, ref, relayed, reply, what=WHAT[action], head=head)
    await answer_query(update)
    await edit_or_send(update, context, reply, case_id)
    chat = update.effective_chat
    if action == "refsearch" or chat is None:
        return END
    for earlier in (data.get("card"), data.get("prompt")):
        if earlier and earlier != _pressed(update):
            await drop_buttons_of(context, chat.id, int(earlier))
    return END


async def on_text(update: Update, context: BotContext) -> int | None:
    """The typed input the conversation waits for (all but the next step)."""
    text = _typed(update, context)
    if text is None:
        await _too_long(update, context)
        return None
    action = (chat_data_of(context).get(KEY) or {}).get("action")
    if action not in TYPED:
        chat_data_of(context).pop(KEY, None)
        return END
    return await _finish(update, context, TYPED[action], text)


async def on_step_text(update: Update, context: BotContext) -> int | None:
    """The next step's text; then ask by when."""
    text = _typed(update, context)
    if text is None:
        await _too_long(update, context)
        return None
    chat_data_of(context)[KEY] = {**(chat_data_of(context).get(KEY) or {}), "text": text}
    await send_reply(update, say.step_due_question(translator(update, context)))
    return STEP_DUE


async def on_step_due(update: Update, context: BotContext) -> int | None:
    """The due date in German words or digits; confirm the understood day."""
    t, services = translator(update, context), context.services
    try:
        parsed = parse_german_date(
            _typed(update, context) or "", now=services.clock.now(), tz=services.settings.tz
        )
    except DateParseError as error:
        await send_reply(update, say.date_problem(t, error))
        return None
    data = {**(chat_data_of(context).get(KEY) or {}), "due": parsed.value.isoformat()}
    chat_data_of(context)[KEY] = data
    confirm = say.step_confirm(t, int(data.get("case") or 0), parsed.value)
    off = day_off(parsed.value.date())  # a Sunday or holiday is asked about, not just read back
    question = due_question(t, parsed.value, off) if off else confirm.text
    await send_reply(update, replace(confirm, text=question))
    return STEP_CONFIRM


async def on_step_confirm(update: Update, context: BotContext) -> int | None:
    """`tr:stepok|stepno:<case>`: save the next step, or type it again."""
    data = chat_data_of(context).get(KEY) or {}
    if int(groups(context)[1] or 0) != data.get("case") or "due" not in data:
        await answer_query(update, say.stale(translator(update, context)))
        return None
    if groups(context)[0] == "stepno":
        await acknowledge(update)
        chat_data_of(context)[KEY] = {k: data.get(k) for k in ("action", "case", "ref", "card")}
        await send_reply(update, say.prompt(translator(update, context), "step", data["ref"]))
        return STEP
    return await _finish(update, context, _step_saved, None)


async def on_resolve_text(update: Update, context: BotContext) -> int | None:
    """The resolution's summary: shown as the resident will read it, before anything is
    sent (the resident's language, not the manager's)."""
    text = _typed(update, context)
    if text is None:
        await _too_long(update, context)
        return None
    data = {**(chat_data_of(context).get(KEY) or {}), "summary": text}
    chat_data_of(context)[KEY] = data
    services, t = context.services, translator(update, context)

    async def run(session: AsyncSession, person: Person, case: Case) -> Reply:
        resident = await session.get(Person, case.resident_id) if case.resident_id else None
        theirs = services.translations.get(
            (resident.language if resident else None) or case.language
        )
        notice = Resolved(case_id=case.id, reference=case.reference, summary=text)
        reads = say.resolved_notice(
            notice, RenderContext(theirs, services.reference, services.env.tz)
        )
        return case_view.resolve_preview(t, case.id, case.reference, reads)

    preview = await with_case(update, context, int(data.get("case") or 0), run, name="resolve")
    chat = update.effective_chat
    if preview is None or chat is None:
        chat_data_of(context).pop(KEY, None)
        return END
    if data.get("preview"):  # typed again: only the newest preview may confirm
        await drop_buttons_of(context, chat.id, int(data["preview"]))
    shown = await send_payload(chat.get_bot(), chat.id, preview.to_payload())
    chat_data_of(context)[KEY] = {**data, "preview": shown.message_id}
    return RESOLVE_CONFIRM


async def on_resolve_confirm(update: Update, context: BotContext) -> int | None:
    """`tr:resolveok|resolveedit|resolveno:<case>`: resolve with the previewed summary, type
    it again, or leave the case as it is."""
    data = chat_data_of(context).get(KEY) or {}
    choice, case_id = groups(context)[0], int(groups(context)[1] or 0)
    t = translator(update, context)
    if (
        case_id != data.get("case")
        or "summary" not in data
        or _pressed(update) != data.get("preview")
    ):  # an older preview's button: its text is not the one that would be sent
        await answer_query(update, say.stale(t))
        return None
    if choice == "resolveok":
        return await _finish(update, context, _resolve, str(data["summary"]))
    if choice == "resolveedit":
        await acknowledge(update)
        chat_data_of(context)[KEY] = {
            k: v for k, v in data.items() if k not in ("summary", "preview")
        }
        await send_reply(update, say.prompt(t, "resolve", str(data["ref"])))
        return RESOLVE
    chat_data_of(context).pop(KEY, None)
    await _show_after(update, context, case_id, case_view.resolve_cancelled(t, str(data["ref"])))
    return END


async def _show_after(update: Update, context: BotContext, case_id: int, note: str) -> None:
    """A note with the case's card below it, in place of a pressed button's message."""
    services, t = context.services, translator(update, context)

    async def run(session: AsyncSession, person: Person, case: Case) -> Reply:
        now = services.clock.now()
        press = Press(session, person, case, None, services.env, now, t)
        return await confirmed(press, say.text(note))

    reply = await with_case(update, context, case_id, run)
    if reply is not None:
        await answer_query(update)
        await edit_or_send(update, context, reply, case_id)


async def cancel(update: Update, context: BotContext) -> int:
    """/abbrechen: leave the typed input; the case's card comes again."""
    data = chat_data_of(context).pop(KEY, None) or {}
    t = translator(update, context)
    if data.get("case"):
        await _show_after(update, context, int(data["case"]), say.cancelled(t).text)
    else:
        await send_reply(update, say.cancelled(t))
    return END
