"""Texts built from cases and drafts, in the reader's language. No Telegram here."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.services.basics.reference import ReferenceData
from bot.services.cases.records import Draft
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

PUBLICATION_NOTE = N_(
    "Only the description, without your name, contact details, photos or exact address, can "
    "appear in the city's open data interface (Open311). If you agree, please leave personal "
    "details out of it."
)


def local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def place_label(
    ref: ReferenceData, t: Translator, district: str | None, quarter: str | None
) -> str:
    if not district:
        return t("not given")
    name = ref.district(district).name
    if quarter:
        return t("{quarter}, district {district}", quarter=quarter, district=name)
    return t("district {district}", district=name)


def draft_summary(ref: ReferenceData, t: Translator, draft: Draft) -> str:
    """The review step's summary, HTML-escaped for parse_mode HTML."""
    lines = [
        "<b>" + escape(t("Your concern")) + "</b>",
        escape(
            t("Where: {place}", place=place_label(ref, t, draft.district_number, draft.quarter))
        ),
    ]
    if draft.address_text:
        lines.append(escape(t("Address: {address}", address=draft.address_text)))
    if draft.latitude is not None:
        lines.append(escape(t("Location shared on the map")))
    if draft.topic:
        lines.append(escape(t("Topic: {topic}", topic=ref.topic(draft.topic).label(t.language))))
    lines.append(escape(t("Description: {text}", text=draft.description or "–")))
    lines.append(escape(t("Photos: {count}", count=len(draft.photos))))
    lines.append(escape(t("Contact: {contact}", contact=draft.contact or t("none"))))
    if draft.actor_kind:
        org = t(ACTOR_LABELS.get(draft.actor_kind, ACTOR_LABELS["other"]))
        name = f" – {draft.actor_name}" if draft.actor_name else ""
        lines.append(escape(t("On behalf of: {org}", org=org + name)))
    lines.append("")
    if draft.publication_consent:
        lines.append(
            escape(
                t("Publication: your description may appear anonymously in the city's open data.")
            )
        )
    else:
        lines.append(escape(t("Publication: your description will not be published.")))
    lines.append("<i>" + escape(t(PUBLICATION_NOTE)) + "</i>")
    lines.append("")
    lines.append(escape(t(EMERGENCY)))
    return "\n".join(lines)


def case_notification(
    ref: ReferenceData, t: Translator, case: Case, *, tz: ZoneInfo, routed_as: str
) -> str:
    """What a manager (or the coordinators) see of a new case."""
    header = t("New concern {reference}", reference=case.reference)
    lines = ["<b>" + escape(header) + "</b>"]
    if routed_as != "manager":
        lines.append(
            escape(t("(You receive this because no manager of this district is available.)"))
        )
    lines.append(
        escape(t("Where: {place}", place=place_label(ref, t, case.district_number, case.quarter)))
    )
    if case.address_text:
        lines.append(escape(t("Address: {address}", address=case.address_text)))
    lines.append(escape(t("Topic: {topic}", topic=ref.topic(case.topic).label(t.language))))
    if case.actor_kind:
        org = t(ACTOR_LABELS.get(case.actor_kind, ACTOR_LABELS["other"]))
        name = f" – {case.actor_name}" if case.actor_name else ""
        lines.append(escape(t("From: {org}", org=org + name)))
    lines.append(escape(t("Received: {when}", when=local(case.created_at, tz))))
    lines.append(escape(t("Contact: {contact}", contact=case.contact or t("none"))))
    lines.append("")
    lines.append(escape(case.description or ""))
    return "\n".join(lines)


def status_label(t: Translator, status: str) -> str:
    return t(STATUS_LABELS.get(status, status))


def triage_buttons(t: Translator, case: Case, similar: list[Case]) -> list[list[dict[str, str]]]:
    """The buttons on a new case: the manager's first decision."""
    rows = [
        [
            {"text": t("🧭 Lotse (refer)"), "data": f"tr:lotse:{case.id}"},
            {"text": t("🤝 Kümmerer (take on)"), "data": f"tr:kue:{case.id}"},
        ],
        [
            {"text": t("❓ Ask the resident"), "data": f"tr:ask:{case.id}"},
            {"text": t("↪️ Other district"), "data": f"tr:hand:{case.id}"},
        ],
    ]
    for other in similar:
        label = t("🔗 Merge into {reference}", reference=other.reference)
        rows.append([{"text": label, "data": f"tr:merge:{case.id}:{other.id}"}])
    return rows


def caretaker_buttons(t: Translator, case: Case) -> list[list[dict[str, str]]]:
    """What a Kümmerer can do with a case in progress."""
    return [
        [
            {"text": t("📝 Note"), "data": f"tr:note:{case.id}"},
            {"text": t("📅 Next step"), "data": f"tr:step:{case.id}"},
        ],
        [
            {"text": t("🏛 Involve department"), "data": f"tr:dep:{case.id}"},
            {"text": t("💬 Message resident"), "data": f"tr:msg:{case.id}"},
        ],
        [
            {"text": t("📜 Agreement with a department"), "data": f"agf:case:{case.id}"},
        ],
        [
            {"text": t("🧭 Refer instead"), "data": f"tr:lotse:{case.id}"},
            {"text": t("✅ Resolve"), "data": f"tr:resolve:{case.id}"},
        ],
    ]


def notification_payload(
    ref: ReferenceData,
    t: Translator,
    case: Case,
    *,
    tz: ZoneInfo,
    routed_as: str,
    similar: list[Case],
    note: str | None = None,
    photos: list[str] | None = None,
) -> dict[str, object]:
    text = case_notification(ref, t, case, tz=tz, routed_as=routed_as)
    if note:
        text += "\n\n" + escape(t("Note from the handover: {note}", note=note))
    if similar:
        refs = ", ".join(c.reference for c in similar)
        text += "\n\n" + escape(t("Similar open concerns: {references}", references=refs))
    data: dict[str, object] = {"text": text, "buttons": triage_buttons(t, case, similar)}
    if photos:
        data["photos"] = photos
    if case.latitude is not None and case.longitude is not None:
        data["location"] = [case.latitude, case.longitude]
    return data
