"""The residents' verdict: the 1–5 buttons, the optional sentence (a short dialogue: the
next text is the reason, or "Skip"), the consent to quote it; and the daily survey job.

Only the case's own resident may answer: the services check the case's resident against
the sender on every press (callback data can be forged).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers.common import acknowledge, ensure_person, refuse, send_reply, translator
from bot.handlers.dialogue import Dialogue
from bot.jobs import write_then_deliver
from bot.messages import callbacks
from bot.messages import verdicts as say
from bot.services.verdicts import survey
from bot.storage.db import session_scope

PRIVATE = filters.ChatType.PRIVATE
VD = callbacks.VERDICT
REASON = 0
END = Dialogue.END
CASE_KEY = "verdict_case"
REASON_WAIT = timedelta(minutes=30)
SKIP = VD.narrowed(r"skip:(\d{1,12})")


def _groups(context: BotContext) -> tuple[str | None, ...]:
    assert context.match is not None  # registered with a pattern
    return context.match.groups()


async def on_score(update: Update, context: BotContext) -> int:
    """`vd:s:<case>:<1-5>`: store the score, then offer the optional sentence."""
    found = _groups(context)
    case_id, score = int(found[0] or 0), int(found[1] or 0)
    services = context.services
    person = await ensure_person(update, context)
    async with session_scope(services.session_maker) as session:
        done = await survey.record_score(
            session, case_id=case_id, person=person, score=score, now=services.clock.now()
        )
    t = translator(update, context)
    if done is None:
        await refuse(update, context)
        return END
    await acknowledge(update)
    if not done:
        await send_reply(update, say.already_answered(t))
        return END
    assert context.user_data is not None
    context.user_data[CASE_KEY] = case_id
    await send_reply(update, say.ask_reason(t, case_id))
    return REASON


async def on_reason(update: Update, context: BotContext) -> int:
    """The sentence: stored, then the question whether it may be quoted."""
    assert context.user_data is not None and update.effective_message is not None
    case_id = int(context.user_data.pop(CASE_KEY, 0) or 0)
    services = context.services
    person = await ensure_person(update, context)
    async with session_scope(services.session_maker) as session:
        stored = await survey.record_reason(
            session,
            case_id=case_id,
            person=person,
            text=update.effective_message.text or "",
            now=services.clock.now(),
        )
    t = translator(update, context)
    await send_reply(update, say.ask_quoting(t, case_id) if stored else say.thanks(t))
    return END


async def on_skip(update: Update, context: BotContext) -> int:
    """No sentence: thanks, and the dialogue ends."""
    if context.user_data is not None:
        context.user_data.pop(CASE_KEY, None)
    await acknowledge(update)
    await send_reply(update, say.thanks(translator(update, context)))
    return END


async def on_quoting(update: Update, context: BotContext) -> None:
    """`vd:q:<case>:<yes|no>`: may the sentence be quoted (without name)?"""
    found = _groups(context)
    case_id, agreed = int(found[0] or 0), found[1] == "yes"
    services = context.services
    person = await ensure_person(update, context)
    async with session_scope(services.session_maker) as session:
        done = await survey.record_quoting(
            session, case_id=case_id, person=person, agreed=agreed, now=services.clock.now()
        )
    if not done:
        await refuse(update, context)
        return
    await acknowledge(update)
    await send_reply(update, say.thanks(translator(update, context)))


def policy_of(app: BotApplication) -> survey.SurveyPolicy:
    services = app.bot_data.services
    assert services is not None
    settings = services.settings
    return survey.SurveyPolicy(
        working_days=settings.verdict_working_days,
        reminder_working_days=settings.verdict_reminder_working_days,
    )


async def run_verdict_survey(app: BotApplication) -> int:
    """Ask the residents whose cases are due, remind those who did not answer; deliver."""
    services = app.bot_data.services
    assert services is not None
    policy, tz = policy_of(app), services.settings.tz

    async def write(session: AsyncSession, now: datetime) -> int:
        return await survey.run_survey(session, now=now, tz=tz, policy=policy)

    written = await write_then_deliver(app, write)
    request_delivery(app)
    return written


def build_dialogue() -> Dialogue:
    text = PRIVATE & filters.TEXT & ~filters.COMMAND
    return Dialogue(
        entry_points=[
            CallbackQueryHandler(on_score, pattern=VD.narrowed(r"s:(\d{1,12}):([1-5])"))
        ],
        states={
            REASON: [
                MessageHandler(text, on_reason),
                CallbackQueryHandler(on_skip, pattern=SKIP),
            ]
        },
        fallbacks=[CallbackQueryHandler(on_skip, pattern=SKIP)],
        name="verdict",
        # The sentence is optional: the dialogue waits half an hour, then the resident's next
        # text is theirs again (a reply on a case, a new concern). Not persisted: after a
        # restart nothing waits, which only costs an optional sentence.
        persistent=False,
        conversation_timeout=REASON_WAIT,
        allow_reentry=True,
    )


def register(app: BotApplication) -> None:
    app.add_handler(build_dialogue())  # its typed step must see text before relay's free text
    app.add_handler(CallbackQueryHandler(on_skip, pattern=SKIP))
    app.add_handler(
        CallbackQueryHandler(on_quoting, pattern=VD.narrowed(r"q:(\d{1,12}):(yes|no)"))
    )
