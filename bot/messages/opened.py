"""An agreement or a conference opened from a list (/heute): its card with the buttons that
fit the reader and its state. The buttons are those of the notices, so their handlers (and
their authorisation) are the same. No Telegram here."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.messages import agreements as agreement_texts
from bot.messages import conferences as conference_texts
from bot.messages.render import RenderContext
from bot.messages.reply import Button, Reply, Rows, rows
from bot.services.agreements.conferences import Overview
from bot.services.agreements.status import AgreementStatus
from bot.storage.models import Agreement

AG = agreement_texts.AG


def _manager_buttons(ctx: RenderContext, agreement: Agreement) -> Rows:
    """What the district's management may decide in the agreement's state."""
    t, ident, status = ctx.t, agreement.id, agreement.status
    if status == AgreementStatus.DONE_REPORTED:
        return rows(
            [
                Button(t("Confirm done"), AG.data("confirm", ident)),
                Button(t("Not done yet"), AG.data("reopen", ident)),
            ]
        )
    if status == AgreementStatus.EXTENSION_REQUESTED:
        return rows(agreement_texts.decision_buttons(t, ident))
    escalate = (
        [Button(t("Escalate to coordination"), AG.data("escalate", ident))]
        if agreement.escalation_level < 2
        else []
    )
    if status == AgreementStatus.PROBLEM:
        return rows(
            [
                Button(t("Change the date"), AG.data("redate", ident)),
                Button(t("Keep as agreed"), AG.data("reopen", ident)),
            ],
            escalate,
        )
    if status == AgreementStatus.OPEN:
        return rows(
            [
                Button(t("Nudge again"), AG.data("nudge", ident)),
                Button(t("Change the date"), AG.data("redate", ident)),
            ],
            escalate,
        )
    return ()


def agreement_card(ctx: RenderContext, agreement: Agreement, *, as_manager: bool) -> Reply:
    """The agreement's card, its state, and the manager's or the representative's buttons."""
    t = ctx.t
    text = agreement_texts.summary(agreement_texts.card_of(agreement), ctx)
    status = agreement_texts.status_label(t, agreement.status)
    text += "\n" + escape(t("Status: {status}", status=status))
    if as_manager:
        buttons = _manager_buttons(ctx, agreement)
    elif agreement.status in (AgreementStatus.OPEN, AgreementStatus.PROBLEM):
        buttons = agreement_texts.rep_buttons(t, agreement.id)
    else:
        buttons = ()
    return Reply(text, buttons=buttons)


def conference_card(
    ctx: RenderContext,
    found: Overview,
    *,
    now: datetime,
    as_manager: bool,
    invite_id: int | None,
) -> Reply:
    """The conference's overview; the management's buttons, or the invited rep's (answer and
    agenda topic while it has not begun)."""
    conference = found.conference
    if as_manager:
        buttons = conference_texts.conference_buttons(ctx.t, conference, now)
    elif conference.status == "planned" and conference.starts_at > now:
        buttons = conference_texts.rep_buttons(ctx.t, conference.id, invite_id)
    else:
        buttons = ()
    return conference_texts.overview(ctx, found, buttons)
