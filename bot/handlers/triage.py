"""The manager's buttons on a case and the resident's feedback.

Every callback and every typed answer re-reads the sender's roles and the case from the
database: callback data can be forged, so the case id in it is only a claim, and a button on
an older message may claim an action the case's state no longer allows (then the sender
learns the state and the message gets the current buttons). After an action the case card is
shown again with its current buttons, in place of the pressed message. The typed inputs are
one persistent conversation (`build_conversation`, steps in `triage_input`): a new button
restarts it, `/abbrechen` leaves it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers import triage_input as typed
from bot.handlers.case_card import drop_buttons_of, edit_or_send, send_card
from bot.handlers.common import (
    acknowledge,
    answer_query,
    ensure_person,
    refuse,
    send_reply,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.handlers.outcome import above_card
from bot.handlers.triage_common import (
    Press,
    arg_of,
    card,
    case_press,
    chat_data_of,
    confirmed,
    handed_over,
    with_case,
)
from bot.i18n import Translator
from bot.messages import callbacks, case_history, case_view
from bot.messages import triage as say
from bot.messages.reference import department_label
from bot.messages.reply import Reply
from bot.services.basics.dates import DateParseError
from bot.services.cases import casework, feedback, overview, triage
from bot.services.messaging.outcome import Relayed
from bot.services.network import lotse
from bot.storage.db import session_scope
from bot.storage.models import Case, Person

PRIVATE = filters.ChatType.PRIVATE
TR = callbacks.TRIAGE


@dataclass(frozen=True)
class Shown:
    """What a press shows: edited into the pressed message, or sent as new messages."""

    replies: list[Reply]
    edit: bool = True
    relayed: Relayed | None = None  # a message queued for the resident: its outcome on top
    head: str | None = None
    reference: str = ""


def _with_back(p: Press, reply: Reply) -> Reply:
    """A choice shown in place of the card, with the way back to it."""
    return reply.with_buttons((*reply.buttons, case_view.back_row(p.t, p.case.id)))


# --- buttons that act at once ---------------------------------------------------------------
async def _show(p: Press) -> Shown:
    """The card: in place of a choice ("back"), else as a new message below."""
    return Shown([await card(p)], edit=p.arg == "back")


async def _history(p: Press) -> Shown:
    events, steps = await overview.history(p.session, p.case)
    return Shown(
        case_history.history(p.t, p.env.reference, p.case, events, steps, p.env.tz), False
    )


async def _lotse(p: Press) -> Shown:
    found = await lotse.picker(
        p.session, topic=p.case.topic, district=p.case.district_number, quarter=p.case.quarter
    )
    cards = [lotse.card_of(e) for e in found]
    return Shown([_with_back(p, say.contacts(p.t, p.case.id, p.case.reference, cards))])


async def _refsend(p: Press) -> Shown:
    relayed = await triage.refer(
        p.session, p.env, p.case, manager=p.person, contact_key=arg_of(p), note=None, now=p.now
    )
    head = say.referred(p.t, p.case.reference).text
    return Shown([await card(p)], relayed=relayed, head=head, reference=p.case.reference)


async def _take_on(p: Press) -> Shown:
    await triage.take_on(p.session, p.env, p.case, manager=p.person, now=p.now)
    return Shown([await confirmed(p, say.caretaker(p.t, p.case.reference))])


async def _reopen(p: Press) -> Shown:
    return Shown([case_view.reopen_question(p.t, p.case.id, p.case.reference, p.case.status)])


async def _reopen_ok(p: Press) -> Shown:
    await triage.reopen(p.session, p.env, p.case, manager=p.person, now=p.now)
    return Shown([await confirmed(p, say.reopened_by_manager(p.t, p.case.reference))])


async def _hand(p: Press) -> Shown:
    choices = [d for d in p.env.reference.districts if d.number != p.case.district_number]
    return Shown([_with_back(p, say.districts(p.t, p.case.id, p.case.reference, choices))])


async def _handsend(p: Press) -> Shown:
    district = arg_of(p)
    await triage.hand_over(
        p.session,
        p.env,
        p.case,
        manager=p.person,
        district_number=district,
        note=None,
        now=p.now,
    )
    return Shown([await handed_over(p, district)])


async def _merge(p: Press) -> Shown:
    into = await p.session.get(Case, int(arg_of(p)))
    if into is None:
        raise triage.TriageError("merge")
    await triage.merge(p.session, p.env, p.case, into=into, manager=p.person, now=p.now)
    return Shown([await confirmed(p, say.merged(p.t, p.case.reference, into.reference))])


async def _departments(p: Press) -> Shown:
    choices = [d for d in p.env.reference.departments if d.invited_to_conferences]
    return Shown([_with_back(p, say.departments(p.t, p.case.id, choices))])


async def _involve(p: Press) -> Shown:
    number = arg_of(p)
    await casework.involve_department(
        p.session, p.env, p.case, manager=p.person, number=number, now=p.now
    )
    label = department_label(p.t, p.env.reference.department(number))
    return Shown([await confirmed(p, say.involved(p.t, label, p.case.reference))])


ACTIONS: dict[str, Callable[[Press], Awaitable[Shown]]] = {
    "show": _show,
    "hist": _history,
    "lotse": _lotse,
    "refsend": _refsend,
    "kue": _take_on,
    "reopen": _reopen,
    "reopenok": _reopen_ok,
    "hand": _hand,
    "handsend": _handsend,
    "merge": _merge,
    "dep": _departments,
    "depadd": _involve,
}


async def on_triage(update: Update, context: BotContext) -> int | None:
    """`tr:<action>:<case id>[:<arg>]` for the actions without typed input."""
    action, case_id, arg = case_press(context)
    t = translator(update, context)
    services = context.services
    handler = ACTIONS.get(action)

    async def run(session: AsyncSession, person: Person, case: Case) -> Shown:
        if handler is None:  # a step of a typed input pressed after it ended
            raise triage.TriageError(action)
        press = Press(session, person, case, arg, services.env, services.clock.now(), t)
        return await handler(press)

    shown = await with_case(update, context, case_id, run, name=action)
    if shown is None:
        return None
    await answer_query(update)
    if action in ("refsend", "handsend"):
        await _end_typed_input(update, context, case_id)
    if shown.relayed is not None:  # sent now: what happened on top of the card
        shown.replies[0] = await above_card(
            context,
            t,
            shown.reference,
            shown.relayed,
            shown.replies[0],
            what="card",
            head=shown.head,
        )
    if shown.edit:
        await edit_or_send(update, context, shown.replies[0], case_id)
    else:
        for reply in shown.replies:
            await send_card(update, context, reply, case_id)
    return typed.END  # inside the conversation, a decision ends the typed input


async def _end_typed_input(update: Update, context: BotContext, case_id: int) -> None:
    """A referral or handover sent with its button: the note it waited for is not needed,
    and the card it started from loses its buttons."""
    data = chat_data_of(context).get(typed.KEY) or {}
    if data.get("case") != case_id or data.get("action") not in ("ref", "handto"):
        return
    chat_data_of(context).pop(typed.KEY, None)
    query, chat = update.callback_query, update.effective_chat
    pressed = query.message.message_id if query and query.message else None
    if data.get("card") and data["card"] != pressed and chat is not None:
        await drop_buttons_of(context, chat.id, int(data["card"]))


async def open_card(update: Update, context: BotContext, case_id: int) -> None:
    """The case's card as a new message (/fall, the lists' buttons); rights checked."""
    services, t = context.services, translator(update, context)

    async def run(session: AsyncSession, person: Person, case: Case) -> Reply:
        press = Press(session, person, case, None, services.env, services.clock.now(), t)
        return await card(press)

    shown = await with_case(update, context, case_id, run)
    if shown is not None:
        await answer_query(update)
        await send_card(update, context, shown, case_id)


def build_conversation() -> Dialogue:
    """The manager's typed inputs on a case; persistent, so a restart keeps the step."""
    text = PRIVATE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND
    text_step: list[BaseHandler[Update, BotContext, Any]] = [MessageHandler(text, typed.on_text)]
    decision = CallbackQueryHandler(
        on_triage, pattern=TR.narrowed(r"(refsend|handsend):(\d{1,12}):([\w-]{1,40})")
    )
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]] = {
        typed.ASK: text_step,
        typed.MSG: text_step,
        typed.NOTE: text_step,
        typed.RESOLVE: [MessageHandler(text, typed.on_resolve_text)],
        typed.RESOLVE_CONFIRM: [
            CallbackQueryHandler(
                typed.on_resolve_confirm,
                pattern=TR.narrowed(r"(resolveok|resolveedit|resolveno):(\d{1,12})"),
            ),
            MessageHandler(text, typed.on_resolve_text),  # typed again instead of "change"
        ],
        typed.REF_SEARCH: text_step,
        typed.LOTSE_NOTE: [decision, *text_step],
        typed.HAND_NOTE: [decision, *text_step],
        typed.STEP: [MessageHandler(text, typed.on_step_text)],
        typed.STEP_DUE: [MessageHandler(text, typed.on_step_due)],
        typed.STEP_CONFIRM: [
            CallbackQueryHandler(
                typed.on_step_confirm, pattern=TR.narrowed(r"(stepok|stepno):(\d{1,12})")
            )
        ],
    }
    return Dialogue(
        entry_points=[
            CallbackQueryHandler(
                typed.on_prompt,
                pattern=TR.narrowed(
                    r"(ask|msg|note|step|resolve|refsearch|ref|handto)"
                    r":(\d{1,12})(?::([\w-]{1,40}))?"
                ),
            )
        ],
        states=states,
        fallbacks=[CommandHandler(["abbrechen", "cancel"], typed.cancel, filters=PRIVATE)],
        name="triage_input",
        persistent=True,
        allow_reentry=True,
    )


# --- the resident's feedback ---------------------------------------------------------------
async def on_feedback(update: Update, context: BotContext) -> None:
    """`fb:<ref|set>:<case id>:<yes|no>`: only the case's own resident may answer."""
    question, case_id, answer = case_press(context)
    services = context.services
    person = await ensure_person(update, context)
    async with session_scope(services.session_maker) as session:
        case = await session.get(Case, case_id)
        if case is None or case.resident_id != person.id:
            outcome = None
        else:
            outcome = await feedback.resident_feedback(
                session,
                services.env,
                case,
                resident=person,
                question=question,
                positive=answer == "yes",
                now=services.clock.now(),
            )
    if outcome is None:
        await refuse(update, context)
        return
    await acknowledge(update)
    request_delivery(context.application)
    await send_reply(update, say.feedback_answer(translator(update, context), outcome))


def register(app: BotApplication) -> None:
    app.add_handler(build_conversation())
    app.add_handler(CallbackQueryHandler(on_triage, pattern=TR.pattern))
    app.add_handler(CallbackQueryHandler(on_feedback, pattern=callbacks.FEEDBACK.pattern))


def date_problem(t: Translator, error: DateParseError) -> str:
    """Kept for `agreement_form`, which still imports it; `bot.messages.triage` has it now."""
    return say.date_problem(t, error).text
