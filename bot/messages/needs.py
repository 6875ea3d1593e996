"""What the bot says about needs: labels, a call's card and order, a need's card with the
manager's buttons, and the notices (intents) to proposers, managers, reps and supporters."""

from __future__ import annotations

from html import escape

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.formatting import format_date, format_moment
from bot.messages.reference import topic_label_of
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, rows
from bot.services.needs.calls import AUDIENCES, PAYLOAD_PREFIX
from bot.services.needs.curation import STATUSES
from bot.services.needs.focus import DECISIONS
from bot.services.needs.notices import (
    CallInvitation,
    FocusDecided,
    NeedAnswered,
    NeedProposed,
    NeedQuestion,
    NeedRejected,
    NeedsOnAgenda,
    NeedStatusChanged,
)
from bot.services.needs.proposals import ACTIVE, Standing
from bot.storage.models import Need, NeedCall

NEED = callbacks.NEED
STATUS_LABELS = {
    "proposed": N_("proposed"),
    "under_review": N_("under review"),
    "on_agenda": N_("on the agenda"),
    "agreed_focus": N_("agreed as focus"),
    "decided": N_("decided"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "rejected": N_("rejected"),
    "merged": N_("merged"),
}
assert set(STATUSES) <= set(STATUS_LABELS)
AUDIENCE_LABELS = {"actors": N_("invited actors"), "all": N_("everyone (residents too)")}
assert set(AUDIENCES) == set(AUDIENCE_LABELS)
DECISION_LABELS = {
    "decided": N_("decided"),
    "changed": N_("decided with changes"),
    "not_adopted": N_("not adopted"),
}
assert set(DECISIONS) == set(DECISION_LABELS)
STOP = N_("(/abbrechen to stop)")
STALE = N_("This is no longer possible.")


def status_label(t: Translator, status: str) -> str:
    label = STATUS_LABELS.get(status)
    return t(label) if label else status


def district_name(ctx: RenderContext, number: str) -> str:
    reference = ctx.reference
    return reference.district(number).name if reference.has_district(number) else number


def plain(text: str) -> Reply:
    return Reply(text, html=False)


# --- calls ----------------------------------------------------------------------------------
def call_opened(ctx: RenderContext, call: NeedCall, bot_username: str) -> Reply:
    t = ctx.t
    link = f"https://t.me/{bot_username}?start={PAYLOAD_PREFIX}{call.token}"
    text = t(
        "Call opened: {title} ({district}), open until {end}. Forward this link to the "
        "actors who may take part:",
        title=call.title,
        district=district_name(ctx, call.district_number),
        end=format_moment(call.ends_at, ctx.tz, lang=t.language),
    )
    return Reply(escape(text) + "\n" + escape(link))


def call_header(ctx: RenderContext, call: NeedCall, now_open: bool) -> str:
    t = ctx.t
    fields = ", ".join(
        topic_label_of(t, ctx.reference, c) for c in (call.fields or {}).get("topics") or []
    )
    state = (
        t("open until {end}", end=format_moment(call.ends_at, ctx.tz, lang=t.language))
        if now_open
        else t("ended: please rank your top three")
    )
    lines = [
        "<b>" + escape(call.title) + "</b> – " + escape(district_name(ctx, call.district_number)),
        escape(t("Fields of action: {fields}", fields=fields)),
        escape(t("Who may take part: {who}", who=t(AUDIENCE_LABELS[call.audience]))),
        escape(state),
    ]
    return "\n".join(lines)


def standings(
    ctx: RenderContext, call: NeedCall, found: list[Standing], *, now_open: bool, manages: bool
) -> Reply:
    """The call and its needs in the current order, with the buttons the reader may use."""
    t = ctx.t
    lines = [call_header(ctx, call, now_open), ""]
    if not found:
        lines.append(escape(t("No needs proposed yet.")))
    buttons: list[list[Button]] = []
    for place, standing in enumerate(found, start=1):
        need = standing.need
        count = t.plural("{count} support", "{count} supports", standing.supports)
        ranks = (
            " · " + t.plural("{count} rank point", "{count} rank points", standing.points)
            if standing.points
            else ""
        )
        lines.append(
            f"{place}. <b>#{need.id}</b> {escape(need.missing)} ({escape(need.quarters)}) – "
            + escape(count + ranks + " · " + status_label(t, need.status))
        )
        row: list[Button] = []
        if need.status in ACTIVE and now_open:
            label = (
                t("↩️ Withdraw #{id}", id=need.id)
                if standing.supported_by_me
                else t("👍 Support #{id}", id=need.id)
            )
            row.append(Button(label, NEED.data("sup", need.id)))
        if need.status in ACTIVE and not now_open:
            row.append(Button(t("🏅 Rank #{id}", id=need.id), NEED.data("rk", need.id)))
        if manages:
            row.append(Button(t("⚙️ #{id}", id=need.id), NEED.data("cur", need.id)))
        if row:
            buttons.append(row)
    bottom: list[Button] = []
    if now_open:
        bottom.append(Button(t("➕ Propose a need"), NEED.data("new", call.id)))
    else:
        bottom.append(Button(t("Clear my ranking"), NEED.data("rk0", call.id)))
    if manages and now_open:
        bottom.append(Button(t("End the call"), NEED.data("close", call.id)))
    return Reply("\n".join(lines), buttons=rows(*buttons, bottom))


def joined(ctx: RenderContext, call: NeedCall) -> Reply:
    t = ctx.t
    text = t("Welcome! You take part in this call for proposals.")
    return Reply(
        escape(text) + "\n\n" + call_header(ctx, call, True),
        buttons=rows(
            [Button(t("➕ Propose a need"), NEED.data("new", call.id))],
            [Button(t("Current order"), NEED.data("list", call.id))],
        ),
    )


def join_failed(t: Translator) -> Reply:
    return plain(t("This call for proposals is closed or the link is not valid."))


def open_calls(ctx: RenderContext, calls: list[NeedCall]) -> Reply:
    t = ctx.t
    if not calls:
        return plain(
            t(
                "You take part in no call for proposals. Calls are announced by the district "
                "management."
            )
        )
    buttons = [
        [Button(t("Join: {title}", title=c.title[:40]), NEED.data("join", c.id))] for c in calls
    ]
    return Reply(escape(t("Calls for proposals open to everyone:")), buttons=rows(*buttons))


# --- a need ---------------------------------------------------------------------------------
def need_card(ctx: RenderContext, need: Need, supports: int, *, manages: bool) -> Reply:
    t = ctx.t
    lines = [
        f"<b>#{need.id}</b> " + escape(topic_label_of(t, ctx.reference, need.topic)),
        escape(t("Where: {quarters}", quarters=need.quarters)),
        escape(t("What is missing: {missing}", missing=need.missing)),
        escape(t("Who is affected: {affected}", affected=need.affected)),
        escape(t("Status: {status}", status=status_label(t, need.status))),
        escape(t.plural("{count} support", "{count} supports", supports)),
    ]
    if need.reason:
        lines.append(escape(t("Reason: {reason}", reason=need.reason)))
    if not manages:
        return Reply("\n".join(lines))
    buttons = rows(
        [
            Button(t("Merge into…"), NEED.data("mg", need.id)),
            Button(t("Ask back"), NEED.data("ask", need.id)),
            Button(t("Reject"), NEED.data("rej", need.id)),
        ],
        [
            Button(t("To the conference agenda"), NEED.data("ag", need.id)),
            Button(t("Proposer is an actor"), NEED.data("act", need.id)),
        ],
        [
            Button(status_label(t, s), NEED.data("st", need.id, s))
            for s in ("under_review", "in_progress", "done")
        ],
    )
    photos = (need.file_id,) if need.file_id and need.file_kind == "photo" else ()
    return Reply("\n".join(lines), buttons=buttons, photos=photos)


def merge_targets(ctx: RenderContext, need: Need, others: list[Need]) -> Reply:
    t = ctx.t
    if not others:
        return plain(t("There is no other need in this call to merge with."))
    buttons = [
        [Button(f"#{o.id} {o.missing[:40]}", NEED.data("mi", need.id, o.id))] for o in others
    ]
    text = t("Merge #{id} into which need? Its supports are carried over.", id=need.id)
    return Reply(escape(text), buttons=rows(*buttons))


def merged(t: Translator, source: int, target: int, supports: int) -> Reply:
    return plain(
        t("#{source} merged into #{target}.", source=source, target=target)
        + " "
        + t.plural("It now has {count} support.", "It now has {count} supports.", supports)
    )


def on_agenda(ctx: RenderContext, need: Need, starts_at_text: str) -> Reply:
    return plain(
        ctx.t(
            "#{id} is on the agenda of the conference on {when}.", id=need.id, when=starts_at_text
        )
    )


def no_conference(t: Translator) -> Reply:
    return plain(t("No district conference is planned. Please schedule one with /konferenz."))


def status_set(t: Translator, need: Need) -> Reply:
    return plain(t("#{id}: {status}", id=need.id, status=status_label(t, need.status)))


def supported(t: Translator, need_id: int, now_on: bool, count: int) -> str:
    said = (
        t("You support #{id}.", id=need_id)
        if now_on
        else t("Support for #{id} withdrawn.", id=need_id)
    )
    return said + " " + t.plural("{count} support", "{count} supports", count)


def ranked(t: Translator, need_id: int, place: int) -> str:
    return t("#{id} is your place {place}.", id=need_id, place=place)


# --- notices --------------------------------------------------------------------------------
@renders(CallInvitation)
def call_invitation(n: CallInvitation, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = t(
        "New call for proposals in {district}: {title}, open until {end}. You are invited as "
        "an actor of the district.",
        district=district_name(ctx, n.district),
        title=n.title,
        end=format_moment(n.ends_at, ctx.tz, lang=t.language),
    )
    return Reply(
        escape(text), buttons=rows([Button(t("Take part"), NEED.data("join", n.call_id))])
    )


def marked_actor(t: Translator, need_id: int) -> Reply:
    return plain(
        t(
            "The proposer of #{id} is now an actor of the district and is invited to its next "
            "calls.",
            id=need_id,
        )
    )


@renders(NeedProposed)
def need_proposed(n: NeedProposed, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = t(
        "New need in {district} ({topic}): {missing}",
        district=district_name(ctx, n.district),
        topic=topic_label_of(t, ctx.reference, n.topic),
        missing=n.missing,
    )
    return Reply(escape(text), buttons=rows([Button(t("Open"), NEED.data("cur", n.need_id))]))


@renders(NeedQuestion)
def need_question(n: NeedQuestion, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = t(
        "The district management asks about your need “{missing}”: {question}",
        missing=n.missing,
        question=n.question,
    )
    return Reply(escape(text), buttons=rows([Button(t("Answer"), NEED.data("re", n.need_id))]))


@renders(NeedAnswered)
def need_answered(n: NeedAnswered, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = t(
        "Answer about need #{id} “{missing}”: {answer}",
        id=n.need_id,
        missing=n.missing,
        answer=n.answer,
    )
    return Reply(escape(text), buttons=rows([Button(t("Open"), NEED.data("cur", n.need_id))]))


@renders(NeedRejected)
def need_rejected(n: NeedRejected, ctx: RenderContext) -> Reply:
    text = ctx.t(
        "Your need “{missing}” was not taken up. Reason: {reason}",
        missing=n.missing,
        reason=n.reason,
    )
    return plain(text)


@renders(NeedStatusChanged)
def need_status(n: NeedStatusChanged, ctx: RenderContext) -> Reply:
    t = ctx.t
    if n.status == "merged" and n.into:
        text = t(
            "Your need “{missing}” was merged with “{into}”; supports count there.",
            missing=n.missing,
            into=n.into,
        )
    else:
        text = t(
            "Your need “{missing}” is now: {status}",
            missing=n.missing,
            status=status_label(t, n.status),
        )
    return plain(text)


@renders(NeedsOnAgenda)
def needs_on_agenda(n: NeedsOnAgenda, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = t(
        "For the district conference {district} on {when}: the need “{missing}” ({quarters}) "
        "is on the agenda.",
        district=district_name(ctx, n.district),
        when=format_moment(n.starts_at, ctx.tz, lang=t.language),
        missing=n.missing,
        quarters=n.quarters,
    )
    count = t.plural(
        "{count} participant supports it.", "{count} participants support it.", n.supports
    )
    return plain(text + " " + count)


@renders(FocusDecided)
def focus_decided(n: FocusDecided, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = t(
        "The Dezernentenkonferenz decided on the focus area “{title}” ({district}) on {date}: "
        "{decision}.",
        title=n.title,
        district=district_name(ctx, n.district),
        date=format_date(n.decided_on, lang=t.language),
        decision=t(DECISION_LABELS.get(n.decision, n.decision)),
    )
    if n.note:
        text += "\n" + t("Note: {note}", note=n.note)
    return plain(text + "\n" + t("Progress: /programm {district}", district=n.district))
