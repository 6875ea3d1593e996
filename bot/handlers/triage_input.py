"""The typed inputs a manager gives on a case: question, message, note, next step with its
due date, resolution, contact search, and the notes of a referral or handover.

They are the states of one persistent conversation (built in `bot.handlers.triage`), so a
restart in the middle loses nothing. The conversation's data sits in user_data under KEY.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    ConversationHandler,
)

from bot.context import BotContext
from bot.handlers.common import (
    acknowledge,
    answer_query,
    send_reply,
    translator,
)
from bot.handlers.triage_common import Press, arg_of, case_press, chat_data_of, groups, with_case
from bot.messages import triage as say
from bot.messages.due_dates import due_question
from bot.messages.reply import Reply
from bot.services.agreements.rules import day_off
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.services.cases import casework, triage
from bot.services.network import lotse
from bot.storage.models import Case, Person

KEY = "triage"  # action, case, ref, and contact / district / text / due as the step needs
ASK, MSG, NOTE, STEP, STEP_DUE, STEP_CONFIRM, RESOLVE, REF_SEARCH, LOTSE_NOTE, HAND_NOTE = range(
    10
)
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


async def on_prompt(update: Update, context: BotContext) -> int | None:
    """A button that asks for typed input: check it fits the case, then ask."""
    action, case_id, arg = case_press(context)
    env, t = context.services.env, translator(update, context)

    async def run(session: AsyncSession, person: Person, case: Case) -> Reply:
        data: dict[str, Any] = {"action": action, "case": case.id, "ref": case.reference}
        if action == "ref":
            contact = await triage.check_contact(session, env, case, arg or "")
            data["contact"] = arg
            reply = say.lotse_note_prompt(t, case.id, case.reference, contact)
        elif action == "handto":
            triage.check_handover(env, case, arg or "")
            data["district"] = arg
            reply = say.hand_note_prompt(t, case.id, case.reference, arg or "")
        else:
            triage.require(case)
            reply = say.prompt(
                t, "ref_search" if action == "refsearch" else action, case.reference
            )
        chat_data_of(context)[KEY] = data
        return reply

    reply = await with_case(update, context, case_id, run)
    if reply is None:
        return None
    await answer_query(update)
    await send_reply(update, reply)
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
    await casework.ask_resident(
        p.session, p.env, p.case, manager=p.person, question=arg_of(p), now=p.now
    )
    return say.asked(p.t, p.case.reference)


async def _message(p: Press) -> Reply:
    await casework.relay_to_resident(
        p.session, p.env, p.case, text=arg_of(p), now=p.now, manager=p.person
    )
    return say.sent_to_resident(p.t, p.case.reference)


async def _note(p: Press) -> Reply:
    await casework.add_note(p.session, p.case, manager=p.person, text=arg_of(p), now=p.now)
    return say.note_saved(p.t, p.case.reference)


async def _resolve(p: Press) -> Reply:
    await casework.resolve(
        p.session, p.env, p.case, manager=p.person, summary=arg_of(p), now=p.now
    )
    return say.resolved(p.t, p.case.reference)


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
    return say.contacts(p.t, case.id, case.reference, cards, query=p.arg)


async def _lotse_note(p: Press) -> Reply:
    await triage.refer(
        p.session,
        p.env,
        p.case,
        manager=p.person,
        contact_key=str(p.data.get("contact")),
        note=arg_of(p),
        now=p.now,
    )
    return say.referred(p.t, p.case.reference)


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
    return say.handed_over(p.t, p.env.reference.district(district).name)


async def _step_saved(p: Press) -> Reply:
    due = datetime.fromisoformat(str(p.data["due"]))
    await casework.set_next_step(
        p.session, p.case, manager=p.person, text=str(p.data["text"]), due=due, now=p.now
    )
    return say.step_saved(p.t, due)


TYPED: dict[str, Callable[[Press], Awaitable[Reply]]] = {
    "ask": _ask,
    "msg": _message,
    "note": _note,
    "resolve": _resolve,
    "refsearch": _search,
    "ref": _lotse_note,
    "handto": _hand_note,
}


async def _finish(
    update: Update, context: BotContext, act: Callable[[Press], Awaitable[Reply]], arg: str | None
) -> int:
    """Run one step of the conversation on its case; the conversation ends either way."""
    data = dict(chat_data_of(context).get(KEY) or {})
    t, services = translator(update, context), context.services

    async def run(session: AsyncSession, person: Person, case: Case) -> Reply:
        now = services.clock.now()
        return await act(Press(session, person, case, arg, services.env, now, t, data))

    chat_data_of(context).pop(KEY, None)
    reply = await with_case(update, context, int(data.get("case") or 0), run)
    if reply is not None:
        await send_reply(update, reply)
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
    await acknowledge(update)
    if groups(context)[0] == "stepno":
        chat_data_of(context)[KEY] = {k: data[k] for k in ("action", "case", "ref")}
        await send_reply(update, say.prompt(translator(update, context), "step", data["ref"]))
        return STEP
    return await _finish(update, context, _step_saved, None)


async def cancel(update: Update, context: BotContext) -> int:
    """/abbrechen: leave the typed input."""
    chat_data_of(context).pop(KEY, None)
    await send_reply(update, say.cancelled(translator(update, context)))
    return END
