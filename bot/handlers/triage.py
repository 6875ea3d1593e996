"""The manager's buttons on a case, typed inputs they ask for, and the resident's feedback.

Every callback re-reads the sender's roles and the case from the database: callback data can
be forged, so the case id in it is only a claim.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, filters

from bot.context import BotContext
from bot.delivery import request_delivery
from bot.handlers.common import (
    acknowledge,
    answer_query,
    drop_buttons,
    ensure_person,
    refuse,
    send,
    translator,
)
from bot.keyboards import chunk
from bot.messages.cases import caretaker_buttons, notification_payload
from bot.services.access.roles import Roles, load_roles
from bot.services.basics.dates import DateParseError, format_date, parse_german_date
from bot.services.cases import triage
from bot.storage.db import session_scope
from bot.storage.models import Case, Person

T = TypeVar("T")
PRIVATE = filters.ChatType.PRIVATE
PROMPTS = {
    "ask": "Type your question to the resident of {reference}:",
    "msg": "Type your message to the resident of {reference}:",
    "note": "Type the internal note for {reference} (not shown to the resident):",
    "step": "Type the next step for {reference}:",
    "resolve": "Type a short summary of the solution for {reference} (the resident sees it):",
    "lotse_note": "Add a sentence for the resident of {reference}, or press the button:",
    "hand_note": (
        "Add a note for the other district's manager about {reference}, or press the button:"
    ),
    "ref_search": "Type a word to search the contact directory (e.g. Osterfeuer):",
}


class Stale(Exception):
    """The button no longer fits the case."""


async def with_case(
    update: Update,
    context: BotContext,
    case_id: int,
    action: Callable[[AsyncSession, Person, Case], Awaitable[T]],
) -> T | None:
    """Check the sender may work on the case, then run `action` in one transaction."""
    services = context.services
    person = await ensure_person(update, context)
    try:
        async with session_scope(services.session_maker) as session:
            roles = await load_roles(
                session, person=person, admin_ids=services.settings.admin_telegram_ids
            )
            case = await session.get(Case, case_id)
            if case is None or not triage.can_work_on(roles, case):
                raise PermissionError
            result = await action(session, person, case)
    except PermissionError:
        await refuse(update, context)
        return None
    except (triage.TriageError, Stale):
        t = translator(update, context)
        await answer_query(update, t("This button is no longer valid."))
        return None
    request_delivery(context.application)
    return result


def _set_pending(context: BotContext, action: str, case: Case, **extra: Any) -> None:
    context.user_data["pending"] = {
        "action": action,
        "case": case.id,
        "ref": case.reference,
        **extra,
    }


async def _prompt(
    update: Update,
    context: BotContext,
    action: str,
    reference: str,
    buttons: list[list[tuple[str, str]]] | None = None,
) -> None:
    t = translator(update, context)
    await send(
        update,
        t(PROMPTS[action], reference=reference) + "\n" + t("(/abbrechen to stop)"),
        buttons=buttons,
    )


# --- callbacks ------------------------------------------------------------------------------
async def on_triage(update: Update, context: BotContext) -> None:
    """Dispatch `tr:<action>:<case id>[:<arg>]` after checking the sender's rights."""
    action, case_id, arg = (
        context.match.group(1),
        int(context.match.group(2)),
        context.match.group(3),
    )
    t = translator(update, context)
    services = context.services
    env, now = services.env, services.clock.now()

    async def run(session: AsyncSession, person: Person, case: Case) -> tuple[str, Any]:
        if action == "show":
            return "show", case
        if action == "lotse":
            triage._require(case, "new", "waiting", "in_progress")
            return "lotse", case
        if action == "ref" and arg:
            if arg not in {r.key for r in env.reference.referrals}:
                raise Stale
            triage._require(case, "new", "waiting", "in_progress")
            _set_pending(context, "lotse_note", case, contact=arg)
            return "lotse_note", case
        if action == "refsend" and arg:
            await triage.refer(
                session, env, case, manager=person, contact_key=arg, note=None, now=now
            )
            return "done", t(
                "Referred. The case {reference} is closed as referred.", reference=case.reference
            )
        if action == "kue":
            await triage.take_on(session, env, case, manager=person, now=now)
            return "caretaker", case
        if action in ("ask", "msg", "note", "step", "resolve", "refsearch"):
            triage._require(case, "new", "waiting", "in_progress")
            _set_pending(context, "ref_search" if action == "refsearch" else action, case)
            return "prompt", ("ref_search" if action == "refsearch" else action, case.reference)
        if action == "hand":
            return "hand", case
        if action == "handto" and arg:
            if not env.reference.has_district(arg) or arg == case.district_number:
                raise Stale
            _set_pending(context, "hand_note", case, district=arg)
            return "hand_note", case
        if action == "handsend" and arg:
            await _hand_over(session, context, person, case, arg, None, now)
            return "done", t(
                "Handed over to {district}.", district=env.reference.district(arg).name
            )
        if action == "merge" and arg:
            into = await session.get(Case, int(arg))
            if into is None:
                raise Stale
            await triage.merge(session, env, case, into=into, manager=person, now=now)
            return "done", t(
                "{reference} merged into {other}.", reference=case.reference, other=into.reference
            )
        if action == "dep":
            return "dep", case
        if action == "depadd" and arg:
            await triage.involve_department(
                session, env, case, manager=person, number=arg, now=now
            )
            label = env.reference.department(arg).label(t.language)
            return "done", t(
                "{department} involved in {reference}.", department=label, reference=case.reference
            )
        if action in ("stepok", "stepno"):
            pending = context.user_data.get("pending") or {}
            if pending.get("action") != "step_confirm" or pending.get("case") != case.id:
                raise Stale
            context.user_data.pop("pending", None)
            if action == "stepno":
                _set_pending(context, "step", case)
                return "prompt", ("step", case.reference)
            due = datetime.fromisoformat(pending["due"])
            await triage.set_next_step(
                session, case, manager=person, text=pending["text"], due=due, now=now
            )
            return "done", t(
                "Next step saved, due {date}.", date=format_date(due, lang=t.language)
            )
        raise Stale

    result = await with_case(update, context, case_id, run)
    if result is None:
        return
    kind, value = result
    await answer_query(update)
    if kind == "done":
        await drop_buttons(update)
        await send(update, value)
    elif kind == "prompt":
        await _prompt(update, context, value[0], value[1])
    elif kind == "lotse":
        await _show_contacts(update, context, value)
    elif kind == "lotse_note":
        pending = context.user_data["pending"]
        await _prompt(
            update,
            context,
            "lotse_note",
            value.reference,
            [[(t("Send without a sentence"), f"tr:refsend:{value.id}:{pending['contact']}")]],
        )
    elif kind == "caretaker":
        await drop_buttons(update)
        await send(
            update,
            t("You are the Kümmerer for {reference}. What next?", reference=value.reference),
            buttons=[[(b["text"], b["data"]) for b in row] for row in caretaker_buttons(t, value)],
        )
    elif kind == "hand":
        items = [
            (d.name, f"tr:handto:{value.id}:{d.number}")
            for d in services.reference.districts
            if d.number != value.district_number
        ]
        await send(
            update,
            t("To which district does {reference} belong?", reference=value.reference),
            buttons=chunk(items, 2),
        )
    elif kind == "hand_note":
        pending = context.user_data["pending"]
        await _prompt(
            update,
            context,
            "hand_note",
            value.reference,
            [[(t("Hand over without a note"), f"tr:handsend:{value.id}:{pending['district']}")]],
        )
    elif kind == "dep":
        items = [
            (d.label(t.language), f"tr:depadd:{value.id}:{d.number}")
            for d in services.reference.departments
            if d.invited_to_conferences
        ]
        await send(update, t("Which department do you involve?"), buttons=chunk(items, 2))
    elif kind == "show":
        await _show_case(update, context, value)


async def _show_contacts(
    update: Update, context: BotContext, case: Case, query: str | None = None
) -> None:
    t = translator(update, context)
    ref = context.services.reference
    if query:
        contacts = [contact for contact, _score in ref.search_referrals(query)]
    else:
        contacts = list(ref.referrals_for_topic(case.topic))
    rows = [[(c.name(t.language), f"tr:ref:{case.id}:{c.key}")] for c in contacts[:8]]
    rows.append([(t("🔎 Search the directory"), f"tr:refsearch:{case.id}")])
    text = (
        t("Contacts matching '{query}':", query=query)
        if query and contacts
        else t("Nothing found for '{query}'. Try another word:", query=query)
        if query
        else t("Which contact should the resident of {reference} get?", reference=case.reference)
    )
    await send(update, text, buttons=rows)


async def _show_case(update: Update, context: BotContext, case: Case) -> None:
    t = translator(update, context)
    services = context.services
    data = notification_payload(
        services.reference, t, case, tz=services.settings.tz, routed_as="manager", similar=[]
    )
    buttons = caretaker_buttons(t, case) if case.mode == "kuemmerer" else data["buttons"]
    await send(
        update,
        str(data["text"]),
        html=True,
        buttons=[[(b["text"], b["data"]) for b in row] for row in buttons],
    )  # type: ignore[index]


async def _hand_over(
    session: AsyncSession,
    context: BotContext,
    person: Person,
    case: Case,
    district: str,
    note: str | None,
    now: datetime,
) -> None:
    services = context.services

    def render(t: Any, case: Case, routed_as: str, note: str | None) -> dict[str, object]:
        return notification_payload(
            services.reference,
            t,
            case,
            tz=services.settings.tz,
            routed_as=routed_as,
            similar=[],
            note=note,
        )

    await triage.hand_over(
        session,
        services.env,
        case,
        manager=person,
        district_number=district,
        note=note,
        now=now,
        render_notification=render,
    )


# --- typed input the manager was asked for ----------------------------------------------
async def handle_pending(
    update: Update, context: BotContext, roles: Roles, person: Person
) -> bool:
    """Use a staff member's text for the action they started; False if none is pending."""
    pending = context.user_data.get("pending")
    message = update.effective_message
    if not pending or message is None or not roles.is_staff:
        return False
    t = translator(update, context)
    text = (message.text or message.caption or "").strip()
    limit = context.services.settings.max_text_length
    if not text or len(text) > limit:
        await send(
            update,
            t("Please send a text of at most {limit} characters, or /abbrechen.", limit=limit),
        )
        return True
    action = pending["action"]
    services = context.services
    env, now = services.env, services.clock.now()
    if action == "ref_search":
        context.user_data.pop("pending", None)
        async with session_scope(services.session_maker) as session:
            case = await session.get(Case, pending["case"])
        if case is not None and triage.can_work_on(roles, case):
            await _show_contacts(update, context, case, query=text)
        return True
    if action == "step":
        context.user_data["pending"] = {**pending, "action": "step_date", "text": text}
        await send(
            update, t("By when? Type a date, e.g. 'bis Freitag', 'in zwei Wochen', '15.3.'")
        )
        return True
    if action == "step_date":
        try:
            parsed = parse_german_date(text, now=now, tz=services.settings.tz)
        except DateParseError as error:
            await send(update, date_problem(t, error))
            return True
        context.user_data["pending"] = {
            **pending,
            "action": "step_confirm",
            "due": parsed.value.isoformat(),
        }
        await send(
            update,
            t("Due on {date} – is that right?", date=format_date(parsed.value, lang=t.language)),
            buttons=[
                [
                    (t("Yes"), f"tr:stepok:{pending['case']}"),
                    (t("No"), f"tr:stepno:{pending['case']}"),
                ]
            ],
        )
        return True

    async def run(session: AsyncSession, person: Person, case: Case) -> str:
        if action == "ask":
            await triage.ask_resident(session, env, case, manager=person, question=text, now=now)
            return t("Question sent to the resident of {reference}.", reference=case.reference)
        if action == "msg":
            await triage.relay_to_resident(session, env, case, text=text, now=now, manager=person)
            return t("Sent to the resident of {reference}.", reference=case.reference)
        if action == "note":
            await triage.add_note(session, case, manager=person, text=text, now=now)
            return t("Note saved on {reference}.", reference=case.reference)
        if action == "resolve":
            await triage.resolve(session, env, case, manager=person, summary=text, now=now)
            return t(
                "{reference} is resolved. The resident is asked whether it is settled.",
                reference=case.reference,
            )
        if action == "lotse_note":
            await triage.refer(
                session,
                env,
                case,
                manager=person,
                contact_key=pending["contact"],
                note=text,
                now=now,
            )
            return t(
                "Referred. The case {reference} is closed as referred.", reference=case.reference
            )
        if action == "hand_note":
            await _hand_over(session, context, person, case, pending["district"], text, now)
            return t(
                "Handed over to {district}.",
                district=env.reference.district(pending["district"]).name,
            )
        raise Stale

    context.user_data.pop("pending", None)
    reply = await with_case(update, context, int(pending["case"]), run)
    if reply:
        await send(update, reply)
    return True


def date_problem(t: Any, error: DateParseError) -> str:
    if error.reason == "past":
        return t("That date is in the past. Please give a date from today on.")
    return t(
        "I did not understand that date. Examples: "
        "'bis Freitag', 'in zwei Wochen', '15.3.', 'Ende März'."
    )


# --- the resident's feedback ---------------------------------------------------------------
async def on_feedback(update: Update, context: BotContext) -> None:
    """`fb:<ref|set>:<case id>:<yes|no>`: only the case's own resident may answer."""
    question, case_id, answer = (
        context.match.group(1),
        int(context.match.group(2)),
        context.match.group(3),
    )
    t = translator(update, context)
    services = context.services
    person = await ensure_person(update, context)
    async with session_scope(services.session_maker) as session:
        case = await session.get(Case, case_id)
        if case is None or case.resident_id != person.id:
            outcome = "forbidden"
        else:
            outcome = await triage.resident_feedback(
                session,
                services.env,
                case,
                resident=person,
                question=question,
                positive=answer == "yes",
                now=services.clock.now(),
            )
    if outcome == "forbidden":
        await refuse(update, context)
        return
    await acknowledge(update)
    request_delivery(context.application)
    texts = {
        "recorded": t("Thank you for your answer."),
        "reopened": t("Thank you. The district management will take another look at it."),
        "too_late": t(
            "This concern was closed too long ago to reopen it. Please send a new one with /neu."
        ),
        "not_asked": t("This button is no longer valid."),
    }
    await send(update, texts[outcome])


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(
        CallbackQueryHandler(on_triage, pattern=r"^tr:([a-z]+):(\d{1,12})(?::([\w-]{1,64}))?$")
    )
    app.add_handler(
        CallbackQueryHandler(on_feedback, pattern=r"^fb:(ref|set):(\d{1,12}):(yes|no)$")
    )
