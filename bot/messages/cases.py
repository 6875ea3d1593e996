"""A case in general, in the reader's language: status and place labels, the card of a new
case with the manager's first buttons. No Telegram here."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.formatting import format_moment, language_name
from bot.messages.reference import topic_label_of
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, Rows, rows
from bot.services.basics.reference import ReferenceData
from bot.services.cases.new_case import NewCase, new_case_notice
from bot.storage.models import Case

STATUS_LABELS = {
    "new": N_("received"),
    "in_progress": N_("in progress"),
    "waiting": N_("waiting for your answer"),
    "referred": N_("referred to a contact"),
    "resolved": N_("resolved"),
    "merged": N_("merged with another concern"),
}
ACTOR_LABELS = {
    "club": N_("Club or association"),
    "initiative": N_("Initiative"),
    "council": N_("District council"),
    "other": N_("Other organisation"),
}
EMERGENCY = N_(
    "⚠️ This bot is not an emergency service. In acute danger call 110 (police) "
    "or 112 (fire brigade and ambulance)."
)


def status_label(t: Translator, status: str) -> str:
    return t(STATUS_LABELS.get(status, status))


def actor_label(t: Translator, kind: str, name: str | None) -> str:
    """ "Club or association – Familienzentrum e.V." (the name only when given)."""
    org = t(ACTOR_LABELS.get(kind, ACTOR_LABELS["other"]))
    return f"{org} – {name}" if name else org


def place_label(
    ref: ReferenceData, t: Translator, district: str | None, quarter: str | None
) -> str:
    if not district:
        return t("not given")
    name = ref.district(district).name
    if quarter:
        return t("{quarter}, district {district}", quarter=quarter, district=name)
    return t("district {district}", district=name)


# --- the manager's buttons --------------------------------------------------------------------
# The label of each action on a case (`bot.services.cases.actions` says which a case allows).
ACTION_LABELS = {
    "lotse": N_("🧭 Lotse (refer)"),
    "kue": N_("🤝 Kümmerer (take on)"),
    "ask": N_("❓ Ask the resident"),
    "hand": N_("↪️ Other district"),
    "note": N_("📝 Note"),
    "step": N_("📅 Next step"),
    "dep": N_("🏛 Involve department"),
    "msg": N_("💬 Message resident"),
    "agreement": N_("📑 Agreement with a department"),
    "refer_instead": N_("🧭 Refer instead"),
    "resolve": N_("✅ Resolve"),
    "reopen": N_("↩️ Reopen as Kümmerer"),
    "hist": N_("📜 History"),
}


def action_button(t: Translator, action: str, case_id: int) -> Button:
    """The button of one action on a case (the agreement form is a family of its own)."""
    if action == "agreement":
        return Button(t(ACTION_LABELS[action]), callbacks.AGREEMENT_FORM.data("case", case_id))
    if action == "refer_instead":
        return Button(t(ACTION_LABELS[action]), callbacks.TRIAGE.data("lotse", case_id))
    return Button(t(ACTION_LABELS[action]), callbacks.TRIAGE.data(action, case_id))


def merge_buttons(t: Translator, case_id: int, similar: tuple[tuple[int, str], ...]) -> Rows:
    tr = callbacks.TRIAGE
    return tuple(
        (Button(t("🔗 Merge into {reference}", reference=ref), tr.data("merge", case_id, oid)),)
        for oid, ref in similar
    )


def triage_rows(t: Translator, case_id: int, similar: tuple[tuple[int, str], ...] = ()) -> Rows:
    """The buttons on a new case: the manager's first decision (and merging into a similar)."""
    return rows(
        [action_button(t, "lotse", case_id), action_button(t, "kue", case_id)],
        [action_button(t, "ask", case_id), action_button(t, "hand", case_id)],
        *merge_buttons(t, case_id, similar),
    )


# --- the card of a new case -------------------------------------------------------------------
def _card_lines(n: NewCase, ctx: RenderContext) -> list[str]:
    t = ctx.t
    lines = [t("New concern {reference}", reference=n.reference)]
    if n.routed_as != "manager":
        lines.append(t("(You receive this because no manager of this district is available.)"))
    lines.append(t("Where: {place}", place=place_label(ctx.reference, t, n.district, n.quarter)))
    if n.address:
        lines.append(t("Address: {address}", address=n.address))
    lines.append(t("Topic: {topic}", topic=topic_label_of(t, ctx.reference, n.topic)))
    if n.actor_kind:
        lines.append(t("From: {org}", org=actor_label(t, n.actor_kind, n.actor_name)))
    lines.append(t("Received: {when}", when=format_moment(n.received_at, ctx.tz, lang=t.language)))
    lines.append(t("Contact: {contact}", contact=n.contact or t("none")))
    if n.language:  # absent in cards queued before it existed
        lines.append(t("Resident's language: {language}", language=language_name(n.language)))
    return lines


@renders(NewCase)
def new_case(n: NewCase, ctx: RenderContext) -> Reply:
    """What a manager (or the coordinators) see of a new case, with the triage buttons."""
    t = ctx.t
    head, *facts = _card_lines(n, ctx)
    text = "\n".join(
        ["<b>" + escape(head) + "</b>", *map(escape, facts), "", escape(n.description)]
    )
    if n.note:
        text += "\n\n" + escape(t("Note from the handover: {note}", note=n.note))
    if n.similar:
        refs = ", ".join(s.reference for s in n.similar)
        text += "\n\n" + escape(t("Similar open concerns: {references}", references=refs))
    similar = tuple((s.case_id, s.reference) for s in n.similar)
    return Reply(
        text,
        buttons=triage_rows(t, n.case_id, similar),
        photos=n.photos,
        location=n.location,
    )


def case_card(
    ref: ReferenceData,
    t: Translator,
    case: Case,
    *,
    tz: ZoneInfo,
    routed_as: str,
    similar: list[Case],
    note: str | None = None,
    photos: list[str] | None = None,
) -> Reply:
    """The card of a case rendered at once, for the reader in front of us (the triage
    handlers); services queue `NewCase` instead."""
    notice = new_case_notice(
        case, routed_as=routed_as, similar=similar, photos=photos or (), note=note
    )
    return new_case(notice, RenderContext(t=t, reference=ref, tz=tz))
