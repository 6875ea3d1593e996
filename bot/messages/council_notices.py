"""The texts of the council's intents (`bot.services.council.notices`), rendered at delivery
in the reader's language."""

from __future__ import annotations

from bot.messages import callbacks
from bot.messages.council import card_text, plain, when
from bot.messages.due_dates import weekday_and_day
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, rows
from bot.services.council import notices

BRT = callbacks.COUNCIL


def _with_card(head: str, ctx: RenderContext, card: notices.InquiryCard, *body: str) -> str:
    return "\n\n".join([head, card_text(ctx, card), *[b for b in body if b]])


@renders(notices.InquiryReceived)
def inquiry_received(n: notices.InquiryReceived, ctx: RenderContext) -> Reply:
    t = ctx.t
    head = t("New inquiry from the district council (from {member}):", member=n.member or "–")
    buttons = rows(
        [Button(t("Assign departments"), BRT.data("as", n.card.inquiry_id))],
        [Button(t("📎 File of the inquiry"), BRT.data("fi", n.card.inquiry_id))]
        if n.with_file
        else [],
    )
    return plain(_with_card(head, ctx, n.card, n.text), buttons)


@renders(notices.InfoRequested)
def info_requested(n: notices.InfoRequested, ctx: RenderContext) -> Reply:
    t = ctx.t
    head = t(
        "Information request from the district council (from {member}):", member=n.member or "–"
    )
    buttons = rows([Button(t("Answer"), BRT.data("ia", n.card.inquiry_id))])
    return plain(_with_card(head, ctx, n.card, n.text), buttons)


@renders(notices.InfoAnswered)
def info_answered(n: notices.InfoAnswered, ctx: RenderContext) -> Reply:
    head = ctx.t("The district management answers your information request {ref}:", ref=n.card.ref)
    return plain(head + "\n\n" + n.answer)


@renders(notices.StatementRequested)
def statement_requested(n: notices.StatementRequested, ctx: RenderContext) -> Reply:
    t = ctx.t
    head = t(
        "The district management asks your department for a statement on an inquiry "
        "of the district council:"
    )
    buttons = rows([Button(t("Write the statement"), BRT.data("dr", n.statement_id))])
    return plain(_with_card(head, ctx, n.card, n.text), buttons)


@renders(notices.StatementNudge)
def statement_nudge(n: notices.StatementNudge, ctx: RenderContext) -> Reply:
    t = ctx.t
    if n.due is not None and n.read_on is not None and n.read_on > n.due:
        head = t(
            "Reminder: your statement was due on {day}.",
            day=weekday_and_day(n.due, lang=t.language),
        )
    elif n.working_days_left <= 0:
        head = t("Reminder: your statement is due today.")
    else:
        head = t.plural(
            "Reminder: your statement is due in {count} working day.",
            "Reminder: your statement is due in {count} working days.",
            n.working_days_left,
        )
    buttons = rows([Button(t("Write the statement"), BRT.data("dr", n.statement_id))])
    return plain(_with_card(head, ctx, n.card), buttons)


@renders(notices.StatementWithoutRep)
def statement_without_rep(n: notices.StatementWithoutRep, ctx: RenderContext) -> Reply:
    head = ctx.t(
        "Department {number} has no representative for this district: please ask for "
        "its statement yourself.",
        number=n.card.department or "–",
    )
    return plain(_with_card(head, ctx, n.card))


@renders(notices.StatementDrafted)
def statement_drafted(n: notices.StatementDrafted, ctx: RenderContext) -> Reply:
    t = ctx.t
    head = t(
        "Department {number} has sent its statement ({rep}).",
        number=n.card.department or "–",
        rep=n.rep or "–",
    )
    i = n.card.inquiry_id
    file = (
        [
            Button(
                t("📎 File of department {number}", number=n.card.department or "–"),
                BRT.data("fs", n.file_of),
            )
        ]
        if n.file_of is not None
        else []
    )
    if n.missing:
        body = t("Still missing: departments {numbers}.", numbers=", ".join(n.missing))
        return plain(_with_card(head, ctx, n.card, body), rows(file))
    body = t("Every part is in. The merged answer:") + "\n" + (n.merged or "")
    buttons = rows(
        [Button(t("Approve"), BRT.data("ok", i)), Button(t("Edit answer"), BRT.data("ed", i))],
        file,
    )
    return plain(_with_card(head, ctx, n.card, body), buttons)


@renders(notices.StatementLate)
def statement_late(n: notices.StatementLate, ctx: RenderContext) -> Reply:
    t = ctx.t
    head = t(
        "Escalation: the statement of department {number} ({rep}) is overdue.",
        number=n.card.department or "–",
        rep=n.rep or "–",
    )
    return plain(_with_card(head, ctx, n.card))


@renders(notices.SessionMoved)
def session_moved(n: notices.SessionMoved, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = t(
        "The session of the district council of {district} moves from {old} to {new}.",
        district=ctx.reference.district(n.district).name,
        old=when(ctx, n.old_start),
        new=when(ctx, n.new_start),
    )
    if n.location:
        text += " " + t("Place: {place}.", place=n.location)
    if n.statement_due is not None:
        text += "\n" + t("Your statement is now due {due}.", due=when(ctx, n.statement_due))
    return plain(text)


@renders(notices.AnswerGiven)
def answer_given(n: notices.AnswerGiven, ctx: RenderContext) -> Reply:
    head = ctx.t(
        "Your inquiry {ref} was answered in the session. The administration's answer:",
        ref=n.card.ref,
    )
    return plain(head + "\n\n" + n.answer)


@renders(notices.FollowUpAgreed)
def follow_up_agreed(n: notices.FollowUpAgreed, ctx: RenderContext) -> Reply:
    text = ctx.t(
        "On your inquiry {ref}, department {number} will follow up by {due}: {measure}",
        ref=n.card.ref,
        number=n.department,
        due=when(ctx, n.due),
        measure=n.measure,
    )
    return plain(text)
