"""The manager's buttons on a case and the resident's feedback.

Every callback and every typed answer re-reads the sender's roles and the case from the
database: callback data can be forged, so the case id in it is only a claim. The typed inputs
are one persistent conversation (`build_conversation`, steps in `triage_input`): a new button
restarts it, `/abbrechen` leaves it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
from bot.handlers.common import (
    acknowledge,
    answer_query,
    drop_buttons,
    ensure_person,
    refuse,
    send_reply,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.handlers.triage_common import Press, arg_of, case_press, with_case
from bot.i18n import Translator
from bot.messages import callbacks
from bot.messages import triage as say
from bot.messages.cases import caretaker_rows, case_card
from bot.messages.reference import department_label
from bot.messages.reply import Reply
from bot.services.basics.dates import DateParseError
from bot.services.cases import casework, feedback, triage
from bot.services.network import lotse
from bot.storage.db import session_scope
from bot.storage.models import Case, Person

PRIVATE = filters.ChatType.PRIVATE
TR = callbacks.TRIAGE


# --- buttons that act at once ---------------------------------------------------------------
async def _show(p: Press) -> Reply:
    return _case_view(p, p.case)


async def _lotse(p: Press) -> Reply:
    triage.require(p.case)
    found = await lotse.picker(
        p.session, topic=p.case.topic, district=p.case.district_number, quarter=p.case.quarter
    )
    return say.contacts(p.t, p.case.id, p.case.reference, [lotse.card_of(e) for e in found])


async def _refsend(p: Press) -> Reply:
    await triage.refer(
        p.session, p.env, p.case, manager=p.person, contact_key=arg_of(p), note=None, now=p.now
    )
    return say.referred(p.t, p.case.reference)


async def _take_on(p: Press) -> Reply:
    await triage.take_on(p.session, p.env, p.case, manager=p.person, now=p.now)
    return say.caretaker(p.t, p.case.id, p.case.reference)


async def _hand(p: Press) -> Reply:
    choices = [d for d in p.env.reference.districts if d.number != p.case.district_number]
    return say.districts(p.t, p.case.id, p.case.reference, choices)


async def _handsend(p: Press) -> Reply:
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
    return say.handed_over(p.t, p.env.reference.district(district).name)


async def _merge(p: Press) -> Reply:
    into = await p.session.get(Case, int(arg_of(p)))
    if into is None:
        raise triage.TriageError("merge")
    await triage.merge(p.session, p.env, p.case, into=into, manager=p.person, now=p.now)
    return say.merged(p.t, p.case.reference, into.reference)


async def _departments(p: Press) -> Reply:
    choices = [d for d in p.env.reference.departments if d.invited_to_conferences]
    return say.departments(p.t, p.case.id, choices)


async def _involve(p: Press) -> Reply:
    number = arg_of(p)
    await casework.involve_department(
        p.session, p.env, p.case, manager=p.person, number=number, now=p.now
    )
    label = department_label(p.t, p.env.reference.department(number))
    return say.involved(p.t, label, p.case.reference)


# action -> (handler, whether the pressed message loses its buttons)
ACTIONS: dict[str, tuple[Callable[[Press], Awaitable[Reply]], bool]] = {
    "show": (_show, False),
    "lotse": (_lotse, False),
    "refsend": (_refsend, True),
    "kue": (_take_on, True),
    "hand": (_hand, False),
    "handsend": (_handsend, True),
    "merge": (_merge, True),
    "dep": (_departments, False),
    "depadd": (_involve, True),
}


async def on_triage(update: Update, context: BotContext) -> int | None:
    """`tr:<action>:<case id>[:<arg>]` for the actions without typed input."""
    action, case_id, arg = case_press(context)
    t = translator(update, context)
    services = context.services
    handler, drop = ACTIONS.get(action) or (None, False)

    async def run(session: AsyncSession, person: Person, case: Case) -> Reply:
        if handler is None:
            raise triage.TriageError(action)
        press = Press(session, person, case, arg, services.env, services.clock.now(), t)
        return await handler(press)

    reply = await with_case(update, context, case_id, run)
    if reply is None:
        return None
    await answer_query(update)
    if drop:
        await drop_buttons(update)
    await send_reply(update, reply)
    return typed.END  # inside the conversation, a decision ends the typed input


def _case_view(p: Press, case: Case) -> Reply:
    view = case_card(p.env.reference, p.t, case, tz=p.env.tz, routed_as="manager", similar=[])
    if case.mode == "kuemmerer":
        view = view.with_buttons(caretaker_rows(p.t, case.id))
    return Reply(view.text, buttons=view.buttons)


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
        typed.RESOLVE: text_step,
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
