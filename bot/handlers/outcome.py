"""A message sent through the bot for the user in front of us: delivered at once after the
commit, and what really happened told to them (sent, queued until when, or not possible and
why). Glue between `outcome.Relayed`, `bot.delivery` and `bot.messages.outcomes`."""

from __future__ import annotations

from bot.context import BotContext
from bot.delivery import deliver_and_observe
from bot.i18n import Translator
from bot.messages import case_view
from bot.messages.outcomes import What, confirmation, rep_confirmation
from bot.messages.reply import Reply
from bot.services.messaging.outcome import Relayed


async def outcome_of(
    context: BotContext, t: Translator, reference: str, relayed: Relayed, what: What = "message"
) -> str:
    """Send the rows `relayed` queued and say, in the sender's language, what became of them."""
    outcomes = await deliver_and_observe(context.application, relayed.queued)
    tz = context.services.env.tz
    return confirmation(t, tz, reference, outcomes, unreachable=relayed.unreachable, what=what)


async def above_card(
    context: BotContext,
    t: Translator,
    reference: str,
    relayed: Relayed,
    shown: Reply,
    *,
    what: What = "message",
    head: str | None = None,
) -> Reply:
    """The case's card with the outcome on top (after `head`, e.g. "Referred.")."""
    told = await outcome_of(context, t, reference, relayed, what)
    return case_view.after(f"{head}\n{told}" if head else told, shown)


async def rep_outcome(
    context: BotContext, t: Translator, relayed: Relayed, *, sent: str | None = None
) -> str:
    """Send a decision's message to an agreement's rep and say what became of it."""
    outcomes = await deliver_and_observe(context.application, relayed.queued)
    tz = context.services.env.tz
    return rep_confirmation(t, tz, outcomes, unreachable=relayed.unreachable, sent=sent)
