"""What the sender of a message is told about it: sent, queued until when, or not possible and
why; and the later notice when a queued one fails after all. No Telegram here."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Literal
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages.formatting import format_moment
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Reply
from bot.services.messaging import outcome
from bot.services.messaging.outcome import DeliveryFailed, Outcome

What = Literal["message", "question", "card"]

# Why a message could not reach a resident or a representative, as a sentence each.
RESIDENT_REASONS = {
    outcome.ERASED: N_(
        "The resident had their personal data erased; the bot no longer knows who they are."
    ),
    outcome.BLOCKED: N_("The resident has blocked the bot or deleted the chat with it."),
    outcome.NO_CHAT: N_("The resident has no chat with the bot."),
    outcome.REFUSED: N_("Telegram did not accept the message."),
}
REP_REASONS = {
    outcome.ERASED: N_("The representative's account no longer exists."),
    outcome.BLOCKED: N_("The representative has blocked the bot or deleted the chat with it."),
    outcome.NO_CHAT: N_("The representative has no chat with the bot."),
    outcome.NO_ROLE: N_("They are no longer the department's representative."),
    outcome.NO_REP: N_(
        "No representative is bound for the department; please tell the department directly."
    ),
    outcome.REFUSED: N_("Telegram did not accept the message."),
}


def reason_text(t: Translator, reason: str | None, *, recipient: str = "resident") -> str:
    reasons = RESIDENT_REASONS if recipient == "resident" else REP_REASONS
    return t(reasons.get(reason or outcome.REFUSED, reasons[outcome.REFUSED]))


def _sent(t: Translator, what: What, reference: str, count: int) -> str:
    if what == "question":
        return t("Question sent to the resident of {reference}.", reference=reference)
    if what == "card":
        return t("The contact card for {reference} was sent to the resident.", reference=reference)
    if count > 1:
        return t.plural(
            "Sent to {count} resident of {reference}.",
            "Sent to {count} residents of {reference} (merged concerns).",
            count,
            reference=reference,
        )
    return t("Sent to the resident of {reference}.", reference=reference)


def confirmation(
    t: Translator,
    tz: ZoneInfo,
    reference: str,
    outcomes: Sequence[Outcome],
    *,
    unreachable: str | None = None,
    what: What = "message",
) -> str:
    """The true outcome of a message to the resident(s) of a case, as plain text."""
    if unreachable is not None or not outcomes:
        head = (
            t("The contact card for {reference} could not be sent.", reference=reference)
            if what == "card"
            else t("Nothing can be sent to the resident of {reference}.", reference=reference)
        )
        return f"{head} {reason_text(t, unreachable or outcome.NO_CHAT)}"
    lines = []
    sent = [o for o in outcomes if o.state == "sent"]
    queued = [o for o in outcomes if o.state == "queued" and o.at is not None]
    failed = [o for o in outcomes if o.state == "failed"]
    if sent:
        lines.append(_sent(t, what, reference, len(sent)))
    if queued:
        at = min(o.at for o in queued if o.at is not None)
        lines.append(
            t(
                "The message on {reference} could not be delivered yet; it goes out with the "
                "next attempt at {time}. If it fails, I will tell you.",
                reference=reference,
                time=format_moment(at, tz, lang=t.language),
            )
        )
    if failed:
        head = t("The message on {reference} could not be delivered.", reference=reference)
        lines.append(f"{head} {reason_text(t, failed[0].reason)}")
    return "\n".join(lines)


def rep_confirmation(
    t: Translator,
    tz: ZoneInfo,
    outcomes: Sequence[Outcome],
    *,
    unreachable: str | None = None,
    sent: str | None = None,
) -> str:
    """The true outcome of a decision's message to an agreement's representative; `sent`
    replaces the plain "told" when it went out (e.g. "The representative was nudged.")."""
    if unreachable is None and outcomes and all(o.state == "sent" for o in outcomes):
        return sent or t("The representative was told.")
    queued = [o.at for o in outcomes if o.state == "queued" and o.at is not None]
    if unreachable is None and queued:
        return t(
            "The message to the representative could not be delivered yet; it goes out with "
            "the next attempt at {time}. If it fails, I will tell you.",
            time=format_moment(min(queued), tz, lang=t.language),
        )
    failed = [o.reason for o in outcomes if o.state == "failed"]
    reason = unreachable or (failed[0] if failed else outcome.REFUSED)
    head = t("The representative could not be told.")
    return f"{head} {reason_text(t, reason, recipient='rep')}"


@renders(DeliveryFailed)
def delivery_failed(n: DeliveryFailed, ctx: RenderContext) -> Reply:
    t = ctx.t
    if n.reference:
        head = t(
            "Your message on {reference} could not be delivered after all.",
            reference=n.reference,
        )
    elif n.agreement_id is not None:
        head = t(
            "Your message on agreement #{number} could not be delivered after all.",
            number=n.agreement_id,
        )
    else:
        head = t("Your message could not be delivered after all.")
    return Reply("⚠️ " + escape(f"{head} {reason_text(t, n.reason, recipient=n.recipient)}"))
