"""Nudges and escalations of agreements, and who cannot be reached: the texts of the
intents the reminder sweep and the outbox delivery write. No Telegram here."""

from __future__ import annotations

from html import escape

from bot.messages import callbacks
from bot.messages.agreements import card_reply, decision_buttons, rep_buttons, with_note
from bot.messages.due_dates import agreement_due
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, rows
from bot.services.agreements import notices
from bot.services.messaging.unreachable import ManagerUnreachable, ResidentUnreachable

AG = callbacks.AGREEMENT


@renders(notices.Nudge)
def nudge(n: notices.Nudge, ctx: RenderContext) -> Reply:
    t = ctx.t
    if n.slot == "created":
        head = t("A new agreement for your department:")
    elif n.due is not None and n.read_on is not None:
        head = agreement_due(t, n.due, n.read_on)
    elif n.days_left <= 0:  # a row queued before the dates were carried
        head = t("Reminder: this agreement is due today.")
    elif n.days_left == 1:
        head = t("Reminder: this agreement is due tomorrow.")
    else:
        head = t.plural(
            "Reminder: this agreement is due in {count} day.",
            "Reminder: this agreement is due in {count} days.",
            n.days_left,
        )
    return card_reply(escape(head), n.card, ctx, rep_buttons(t, n.card.agreement_id))


@renders(notices.Overdue)
def overdue(n: notices.Overdue, ctx: RenderContext) -> Reply:
    head = escape(
        ctx.t.plural(
            "This agreement is overdue by {count} working day. Please report its state.",
            "This agreement is overdue by {count} working days. Please report its state.",
            n.overdue_days,
        )
    )
    return card_reply(head, n.card, ctx, rep_buttons(ctx.t, n.card.agreement_id))


@renders(notices.EscalatedToManager)
def escalated_to_manager(n: notices.EscalatedToManager, ctx: RenderContext) -> Reply:
    """The manager's escalation card: nudge again, change the date, escalate further."""
    t, ident = ctx.t, n.card.agreement_id
    if n.overdue_days > 0:
        text = t.plural(
            "Escalation: this agreement is overdue by {count} working day.",
            "Escalation: this agreement is overdue by {count} working days.",
            n.overdue_days,
        )
    else:
        text = t("Escalation of this agreement.")
    buttons = rows(
        decision_buttons(t, ident) if n.extension_requested else (),
        [
            Button(t("Nudge again"), AG.data("nudge", ident)),
            Button(t("Change the date"), AG.data("redate", ident)),
        ],
        [Button(t("Escalate to coordination"), AG.data("escalate", ident))],
    )
    return card_reply(with_note("⚠️ " + escape(text), n.note), n.card, ctx, buttons)


@renders(notices.EscalatedToCoordinators)
def escalated_to_coordinators(n: notices.EscalatedToCoordinators, ctx: RenderContext) -> Reply:
    t = ctx.t
    if n.overdue_days > 0:
        text = t.plural(
            "Escalation to coordination: this agreement is overdue by {count} working day.",
            "Escalation to coordination: this agreement is overdue by {count} working days.",
            n.overdue_days,
        )
    else:
        text = t("Escalation to coordination by the district management.")
    return card_reply(with_note("🚨 " + escape(text), n.note), n.card, ctx)


@renders(notices.RepUnreachable)
def rep_unreachable(n: notices.RepUnreachable, ctx: RenderContext) -> Reply:
    t = ctx.t
    head = "⚠️ " + escape(
        t(
            "The representative {name} cannot be reached by the bot (blocked or chat deleted). "
            "Please contact them directly about this agreement.",
            name=n.name or t("(no name)"),
        )
    )
    return card_reply(head, n.card, ctx)


@renders(ResidentUnreachable)
def resident_unreachable(n: ResidentUnreachable, ctx: RenderContext) -> Reply:
    text = ctx.t(
        "The resident of concern {reference} cannot be reached by the bot any more "
        "(blocked or chat deleted).",
        reference=n.reference,
    )
    return Reply("⚠️ " + escape(text))


@renders(ManagerUnreachable)
def manager_unreachable(n: ManagerUnreachable, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = t(
        "The district manager {name} (district {districts}) cannot be reached by the bot "
        "(blocked or chat deleted).",
        name=n.name or t("(no name)"),
        districts=", ".join(n.districts),
    )
    return Reply("⚠️ " + escape(text))
