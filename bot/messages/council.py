"""What the bot says in the council dialogues: inquiries and information requests of the
members, the preparers' lists and decisions, the reps' drafts, and the sessions. Plain text
(no HTML): the members' own words appear as typed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.formatting import format_date, local
from bot.messages.render import RenderContext
from bot.messages.reply import Button, Reply, rows
from bot.services.council.inquiries import ref
from bot.services.council.notices import InquiryCard
from bot.storage.models import Agreement, CouncilSession, Inquiry, Statement

BRT = callbacks.COUNCIL
STOP = N_("(/abbrechen to stop)")
STATUS = {
    "submitted": N_("received, not yet assigned"),
    "assigned": N_("the departments are preparing the statement"),
    "approved": N_("statement approved, to be answered in the session"),
    "answered": N_("answered"),
    "open": N_("information request, open"),
}
ERRORS = {
    "title": N_("Please send a title of at most 200 characters."),
    "text": N_("Please send the text (at most 4000 characters)."),
    "session": N_("This session cannot take inquiries any more. Please start again: /anfrage"),
    "department": N_("Please give department numbers, e.g. 66, 67."),
    "state": N_("This has changed in the meantime; nothing was done."),
    "missing": N_("Not every department has sent its part yet. Edit the answer or wait."),
    "not_yet": N_("The session has not begun yet."),
    "unknown": N_("This has changed in the meantime; nothing was done."),
    "past": N_("That moment has already passed. Please give a date ahead."),
    "date": N_("I did not understand the date. Example: 12.3.2026 18 Uhr, Freizeitheim Linden"),
    "followup": N_(
        "Please write: department; due date; what is to be done, "
        "e.g. 66; 30.6.2026; check the traffic lights"
    ),
    "ics": N_("This file holds no calendar events I can read."),
}


def plain(text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> Reply:
    return Reply(text, buttons=buttons, html=False)


def error(t: Translator, code: str) -> Reply:
    return plain(t(ERRORS.get(code, ERRORS["state"])))


def when(ctx: RenderContext, moment: datetime) -> str:
    """Day and time, but a due date typed without a time (midnight) as its day only."""
    return format_date(local(moment, ctx.tz), lang=ctx.t.language)


def card_text(ctx: RenderContext, card: InquiryCard) -> str:
    """The summary under every council message."""
    t = ctx.t
    lines = [
        t("Inquiry {ref}: {title}", ref=card.ref, title=card.title)
        if card.fraction is None
        else t(
            "Inquiry {ref} ({fraction}): {title}",
            ref=card.ref,
            fraction=card.fraction,
            title=card.title,
        )
    ]
    if card.session_start is not None:
        lines.append(t("Session: {when}", when=when(ctx, card.session_start)))
    if card.late:
        lines.append(t("⚠️ Submitted late"))
    if card.department is not None and card.due is not None:
        lines.append(
            t(
                "Part of department {number}, due {due}",
                number=card.department,
                due=when(ctx, card.due),
            )
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------- the member


def not_member(t: Translator) -> Reply:
    return plain(t("Only members of a district council can submit inquiries."))


def no_sessions(t: Translator) -> Reply:
    return plain(
        t("No session of your district council is planned yet. Please ask the council support.")
    )


def ask_session(ctx: RenderContext, sessions: Sequence[CouncilSession]) -> Reply:
    t = ctx.t
    buttons = [
        Button(
            (
                t("Next session: {when}", when=when(ctx, s.starts_at))
                if i == 0
                else when(ctx, s.starts_at)
            ),
            BRT.data("ses", s.id),
        )
        for i, s in enumerate(sessions)
    ]
    return plain(
        t("For which session is your inquiry?") + " " + t(STOP), rows(*([b] for b in buttons))
    )


def ask_title(t: Translator) -> Reply:
    return plain(t("The title of your inquiry?") + " " + t(STOP))


def ask_text(t: Translator) -> Reply:
    return plain(t("Now the text of the inquiry, with your questions."))


def ask_file(t: Translator) -> Reply:
    return plain(
        t("You may attach a file (PDF, photo) now, or continue without one."),
        rows([Button(t("Without a file"), BRT.data("skip"))]),
    )


def submitted(ctx: RenderContext, inquiry: Inquiry, session: CouncilSession) -> Reply:
    t = ctx.t
    text = t(
        "Your inquiry has the number {ref}. It is on the list for the session on {when}; "
        "you can follow its status with /anfragen.",
        ref=ref(inquiry),
        when=when(ctx, session.starts_at),
    )
    if inquiry.late:
        text += "\n\n" + t(
            "⚠️ It arrived after the submission deadline: it is accepted and marked as late. "
            "The administration may not be able to answer it fully in this session."
        )
    return plain(text)


def member_list(
    ctx: RenderContext, found: Sequence[tuple[Inquiry, CouncilSession | None]]
) -> Reply:
    t = ctx.t
    if not found:
        return plain(t("You have not submitted any inquiries yet. Submit one with /anfrage."))
    lines = [t("Your inquiries:")]
    for inquiry, session in found:
        status = t(STATUS.get(inquiry.status, STATUS["submitted"]))
        late = " " + t("(late)") if inquiry.late else ""
        moment = " – " + when(ctx, session.starts_at) if session else ""
        lines.append(f"{ref(inquiry)}{late}: {inquiry.title}{moment} – {status}")
        if inquiry.status == "answered" and inquiry.answer:
            lines.append("   " + inquiry.answer[:300])
    return plain("\n".join(lines))


def ask_info(t: Translator) -> Reply:
    return plain(
        t(
            "Your question to the district management (e.g. who is responsible, the state of "
            "a matter)?"
        )
        + " "
        + t(STOP)
    )


def info_saved(t: Translator, inquiry: Inquiry) -> Reply:
    return plain(
        t(
            "Your information request {ref} has been passed on to the district management.",
            ref=ref(inquiry),
        )
    )


# ----------------------------------------------------------------- manager and support


def staff_card(
    ctx: RenderContext, card: InquiryCard, inquiry: Inquiry, parts: Sequence[Statement]
) -> Reply:
    """An inquiry in the preparers' list, with the buttons that fit its status."""
    t = ctx.t
    lines = [card_text(ctx, card), t(STATUS.get(inquiry.status, STATUS["submitted"]))]
    for part in parts:
        state = t("drafted") if part.text is not None else t("open")
        lines.append(t("Department {number}: {state}", number=part.department_number, state=state))
    if inquiry.answer:
        lines.append(t("Answer:") + " " + inquiry.answer)
    files = (
        [Button(t("📎 File of the inquiry"), BRT.data("fi", inquiry.id))]
        if inquiry.file_id
        else []
    )
    files += [
        Button(
            t("📎 File of department {number}", number=p.department_number), BRT.data("fs", p.id)
        )
        for p in parts
        if p.file_id
    ]
    return plain("\n".join(lines), (*staff_buttons(t, inquiry), *rows(files)))


def staff_buttons(t: Translator, inquiry: Inquiry) -> tuple[tuple[Button, ...], ...]:
    i = inquiry.id
    if inquiry.kind == "info":
        if inquiry.status == "open":
            return rows([Button(t("Answer"), BRT.data("ia", i))])
        return ()
    if inquiry.status in ("submitted", "assigned"):
        return rows(
            [Button(t("Assign departments"), BRT.data("as", i))],
            [Button(t("Edit answer"), BRT.data("ed", i)), Button(t("Approve"), BRT.data("ok", i))],
        )
    if inquiry.status == "approved":
        return rows([Button(t("Answer given in the session"), BRT.data("gv", i))])
    return rows([Button(t("Add a follow-up"), BRT.data("fu", i))])


def staff_none(t: Translator) -> Reply:
    return plain(t("There are no open inquiries for this district."))


def ask_departments(t: Translator) -> Reply:
    return plain(t("Which departments should prepare the statement? E.g. 66, 67") + " " + t(STOP))


def assigned(t: Translator, statements: Sequence[Statement]) -> Reply:
    if not statements:
        return plain(t("These departments were already asked."))
    numbers = ", ".join(s.department_number for s in statements)
    text = t("Asked for a statement: departments {numbers}.", numbers=numbers)
    if any(s.rep_id is None for s in statements):
        text += " " + t("Some departments have no representative for this district yet.")
    return plain(text)


def ask_edit(t: Translator) -> Reply:
    return plain(t("Send the answer as it should be given in the session.") + " " + t(STOP))


def edited(t: Translator, inquiry: Inquiry) -> Reply:
    return plain(
        t("The answer is saved. Approve it when it is final."),
        rows([Button(t("Approve"), BRT.data("ok", inquiry.id))]),
    )


def approved(t: Translator, inquiry: Inquiry) -> Reply:
    return plain(t("Approved: the answer to {ref} is in the session pack.", ref=ref(inquiry)))


def given(t: Translator, inquiry: Inquiry) -> Reply:
    return plain(
        t("Recorded as answered in the session; the member has been informed."),
        rows([Button(t("Add a follow-up"), BRT.data("fu", inquiry.id))]),
    )


def ask_follow_up(t: Translator) -> Reply:
    return plain(t(ERRORS["followup"]) + " " + t(STOP))


def follow_up_saved(ctx: RenderContext, agreement: Agreement) -> Reply:
    return plain(
        ctx.t(
            "Follow-up agreed with department {number}, due {due}. The bot reminds the "
            "department like every agreement.",
            number=agreement.department_number,
            due=when(ctx, agreement.due_at),
        )
    )


def ask_info_answer(t: Translator) -> Reply:
    return plain(t("Your answer to the member?") + " " + t(STOP))


def info_answered(t: Translator) -> Reply:
    return plain(t("The answer has been sent to the member and recorded."))


# ------------------------------------------------------------------------------- reps


def ask_draft(t: Translator) -> Reply:
    return plain(t("Please send your department's statement as text.") + " " + t(STOP))


def ask_draft_file(t: Translator) -> Reply:
    return plain(
        t("You may attach a file to the statement, or finish without one."),
        rows([Button(t("Without a file"), BRT.data("skip"))]),
    )


def draft_saved(t: Translator) -> Reply:
    return plain(t("Thank you. The district management has your statement."))
