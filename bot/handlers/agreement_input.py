"""What a rep or manager types about an agreement after pressing its button: a sentence on
what was done, a new date and a reason for more time, a problem, the manager's new due date.

One persistent conversation, entered from the `ag:` buttons (done, more, problem, redate);
a new button restarts it, `/abbrechen` ends it. Every step reloads the agreement and the
sender's roles (`run`, also used by the one-press buttons in `agreements`), so a forged or
stale button changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.delivery import request_delivery
from bot.handlers.common import (
    acknowledge,
    answer_query,
    ensure_person,
    refuse,
    send,
    send_reply,
    translator,
)
from bot.handlers.dialogue import Dialogue
from bot.handlers.outcome import rep_outcome
from bot.messages import agreements as texts
from bot.messages import callbacks
from bot.services.access.roles import Roles, load_roles
from bot.services.agreements import workflow as agreements
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.services.messaging.outcome import Relayed
from bot.storage.db import session_scope
from bot.storage.models import Agreement, Person

DONE_NOTE, DATE, DATE_CONFIRM, REASON, PROBLEM = (
    "ag_done_note",
    "ag_date",
    "ag_date_confirm",
    "ag_reason",
    "ag_problem",
)
PRIVATE = filters.ChatType.PRIVATE
KEY = "agreement_input"  # {"agreement": id, "step": done|more|problem|redate, "date": iso}
END = ConversationHandler.END
REP_ACTIONS = {"done", "donenow", "more", "problem"}
MANAGER_ACTIONS = {"confirm", "reopen", "approve", "reject", "nudge", "redate", "escalate"}
R = TypeVar("R")
Work = Callable[[AsyncSession, Person, Agreement], Awaitable[R]]
# The state each entry button leads to, and the service step it prepares.
ENTRY = {
    "done": (DONE_NOTE, "report_done"),
    "more": (DATE, "request_extension"),
    "problem": (PROBLEM, "report_problem"),
    "redate": (DATE, "change_due"),
}


def _allowed(action: str, roles: Roles, agreement: Agreement) -> bool:
    if action in REP_ACTIONS:
        return agreements.rep_may_act(roles, agreement)
    if action in MANAGER_ACTIONS:
        return agreements.manager_may_act(roles, agreement)
    return False


async def run(
    update: Update, context: BotContext, agreement_id: int, action: str, work: Work[R]
) -> R | None:
    """Load, authorise, act in one transaction; a stale state is answered, not raised."""
    services = context.services
    person = await ensure_person(update, context)
    try:
        async with session_scope(services.session_maker) as session:
            roles = await load_roles(
                session, person=person, admin_ids=services.settings.admin_telegram_ids
            )
            agreement = await session.get(Agreement, agreement_id)
            if agreement is None or not _allowed(action, roles, agreement):
                raise PermissionError
            result = await work(session, person, agreement)
    except PermissionError:
        await refuse(update, context)
        return None
    except agreements.AgreementError as error:
        await answer_query(update, texts.refused_button(translator(update, context), error.reason))
        return None
    request_delivery(context.application)
    return result


def _user_data(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None  # private chats with a user
    return context.user_data


def matched(context: BotContext) -> tuple[str, int]:
    """The action and the agreement id of the pressed `ag:` button."""
    assert context.match is not None  # handlers here are registered with patterns
    return context.match.group(1), int(context.match.group(2))


def _input(context: BotContext) -> dict[str, Any]:
    stored: dict[str, Any] = _user_data(context).get(KEY) or {}
    return stored


def _agreement_id(context: BotContext) -> int:
    return int(str(_input(context).get("agreement", 0)))


async def start(update: Update, context: BotContext) -> str | int:
    """`ag:<done|more|problem|redate>:<id>`: check who presses it and ask for the input."""
    step, agreement_id = matched(context)
    state, service_step = ENTRY[step]

    async def check(_session: AsyncSession, _person: Person, agreement: Agreement) -> bool:
        agreements.check_can(agreement, service_step)
        return True

    _user_data(context).pop(KEY, None)
    if await run(update, context, agreement_id, step, check) is None:
        return END
    _user_data(context)[KEY] = {"agreement": agreement_id, "step": step}
    await answer_query(update)
    await send_reply(update, texts.prompt(translator(update, context), step, agreement_id))
    return state


def _typed(update: Update, context: BotContext) -> str | None:
    message = update.effective_message
    return (message.text or "").strip() if message is not None else None


async def _finish(update: Update, context: BotContext, step: str, note: str | None) -> int:
    """Report done, a problem or the request for more time; end the conversation."""
    services, t = context.services, translator(update, context)
    env, now, pending = services.env, services.clock.now(), _input(context)

    async def work(session: AsyncSession, person: Person, agreement: Agreement) -> str:
        if step == "done":
            await agreements.report_done(session, env, agreement, rep=person, text=note, now=now)
        elif step == "problem":
            text = note or ""
            await agreements.report_problem(
                session, env, agreement, rep=person, text=text, now=now
            )
        else:
            due, reason = datetime.fromisoformat(str(pending["date"])), note or ""
            await agreements.request_extension(
                session, env, agreement, rep=person, new_due=due, reason=reason, now=now
            )
        return texts.answer(t, step)

    reply = await run(update, context, _agreement_id(context), step, work)
    _user_data(context).pop(KEY, None)
    if reply:
        await send(update, reply)
    return END


async def _checked_text(update: Update, context: BotContext) -> str | None:
    """The typed text, or None after telling the sender it is too long."""
    text, limit = _typed(update, context), context.services.settings.max_text_length
    if text is not None and len(text) > limit:
        await send(update, texts.too_long(translator(update, context), limit))
        return None
    return text


async def on_done_note(update: Update, context: BotContext) -> str | int:
    """The rep's sentence on what was done."""
    text = await _checked_text(update, context)
    if text is None:
        return DONE_NOTE
    return await _finish(update, context, "done", text or None)


async def on_done_now(update: Update, context: BotContext) -> int:
    """`ag:donenow:<id>` while asked for the sentence: done without a comment."""
    await acknowledge(update)
    return await _finish(update, context, "done", None)


async def on_problem(update: Update, context: BotContext) -> str | int:
    text = await _checked_text(update, context)
    if not text:
        return PROBLEM
    return await _finish(update, context, "problem", text)


async def on_date(update: Update, context: BotContext) -> str:
    """A typed date (more time, or the manager's new due date): confirm it with its weekday."""
    t, services = translator(update, context), context.services
    text = await _checked_text(update, context)
    if not text:
        return DATE
    try:
        parsed = parse_german_date(text, now=services.clock.now(), tz=services.settings.tz)
    except DateParseError as error:
        await send(update, texts.date_problem(t, error.reason))
        return DATE
    _user_data(context)[KEY] = {**_input(context), "date": parsed.value.isoformat()}
    await send_reply(update, texts.confirm_date(t, parsed.value, _agreement_id(context)))
    return DATE_CONFIRM


async def on_date_confirm(update: Update, context: BotContext) -> str | int:
    """`ag:dateok|dateno:<id>`: ask for the reason, change the date, or ask again."""
    t, pending = translator(update, context), _input(context)
    choice, agreement_id = matched(context)
    if agreement_id != _agreement_id(context) or "date" not in pending:
        await answer_query(update, t("This button is no longer valid."))
        return DATE_CONFIRM
    await acknowledge(update)
    if choice == "dateno":
        await send(update, t("Please type the date again."))
        return DATE
    if pending.get("step") == "more":
        await send(update, t("And the reason, in one sentence?"))
        return REASON
    return await _change_due(update, context, datetime.fromisoformat(str(pending["date"])))


async def _change_due(update: Update, context: BotContext, due: datetime) -> int:
    services, t = context.services, translator(update, context)

    told: list[Relayed] = []

    async def work(session: AsyncSession, person: Person, agreement: Agreement) -> str:
        now = services.clock.now()
        told.append(
            await agreements.change_due(
                session, services.env, agreement, manager=person, due=due, now=now
            )
        )
        return texts.due_changed_answer(t, due)

    reply = await run(update, context, _agreement_id(context), "redate", work)
    _user_data(context).pop(KEY, None)
    if reply:  # the rep's message goes out now; the manager reads whether it reached them
        await send(update, reply + "\n" + await rep_outcome(context, t, told[0]))
    return END


async def on_reason(update: Update, context: BotContext) -> str | int:
    text = await _checked_text(update, context)
    if text is None:
        return REASON
    return await _finish(update, context, "more", text)


async def cancel(update: Update, context: BotContext) -> int:
    """/abbrechen: drop the half-typed input."""
    _user_data(context).pop(KEY, None)
    t = translator(update, context)
    await send(update, t("Cancelled."))
    return END


async def expected_text(update: Update, context: BotContext) -> None:
    t = translator(update, context)
    await send(update, t("Please answer the question above, or /abbrechen."))


def build_conversation() -> Dialogue:
    text = filters.TEXT & ~filters.COMMAND & PRIVATE
    ag = callbacks.AGREEMENT
    return Dialogue(
        entry_points=[
            CallbackQueryHandler(
                start, pattern=ag.narrowed(r"(done|more|problem|redate):(\d{1,12})")
            )
        ],
        states={
            DONE_NOTE: [
                MessageHandler(text, on_done_note),
                CallbackQueryHandler(on_done_now, pattern=ag.narrowed(r"(donenow):(\d{1,12})")),
            ],
            DATE: [MessageHandler(text, on_date)],
            DATE_CONFIRM: [
                MessageHandler(text, on_date),
                CallbackQueryHandler(
                    on_date_confirm, pattern=ag.narrowed(r"(dateok|dateno):(\d{1,12})")
                ),
            ],
            REASON: [MessageHandler(text, on_reason)],
            PROBLEM: [MessageHandler(text, on_problem)],
        },
        fallbacks=[
            CommandHandler(["abbrechen", "cancel"], cancel),
            MessageHandler(PRIVATE & ~filters.COMMAND, expected_text),
        ],
        name="agreement_input",
        persistent=True,
        allow_reentry=True,
    )
