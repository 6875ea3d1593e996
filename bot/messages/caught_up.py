"""The coordinators' summary after downtime: what the reminder sweep caught up. No Telegram."""

from __future__ import annotations

from html import escape

from bot.i18n import N_, Translator
from bot.messages.formatting import format_moment
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Reply
from bot.services.messaging.catch_up import CaughtUp

KINDS = {
    "agr_nudge": N_("Reminders of agreements"),
    "agr_overdue": N_("Overdue notices of agreements"),
    "agr_escalate_manager": N_("Escalations of agreements to the district management"),
    "agr_escalate_coordinators": N_("Escalations of agreements to the coordination unit"),
    "referral_followup": N_("Follow-ups: did the contact help?"),
    "conference_reminder": N_("Reminders of conferences"),
    "brt_nudge": N_("Reminders of council statements"),
    "brt_escalate_manager": N_("Late council statements (district management)"),
    "brt_escalate_coordinators": N_("Late council statements (coordination unit)"),
}


def _kind(t: Translator, kind: str) -> str:
    return t(KINDS[kind]) if kind in KINDS else t("Other reminders")


@renders(CaughtUp)
def caught_up(n: CaughtUp, ctx: RenderContext) -> Reply:
    t = ctx.t
    lines = [
        t(
            "The bot was not running from {since} to {until}. The reminders due meanwhile "
            "were caught up: each one current message instead of one per missed slot.",
            since=format_moment(n.down_since, ctx.tz, lang=t.language),
            until=format_moment(n.back_at, ctx.tz, lang=t.language),
        )
    ]
    late, skipped = dict(n.late), dict(n.skipped)
    for kind in sorted(set(late) | set(skipped)):
        lines.append(
            "• "
            + t(
                "{what}: {sent} caught up, {skipped} skipped",
                what=_kind(t, kind),
                sent=late.get(kind, 0),
                skipped=skipped.get(kind, 0),
            )
        )
    return Reply("\n".join(escape(line) for line in lines))
