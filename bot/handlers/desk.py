"""The manager's desk: /faelle, /fall, saved replies, /abwesend and /zurueck, the daily nudge.

Only staff (managers, deputies, coordinators) get past `_staff()`; roles are read again on
every command and every button, because callback data can be forged.
"""

from __future__ import annotations

from datetime import date
from html import escape

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotApplication, BotContext, Services
from bot.handlers.common import (
    acknowledge,
    actor_roles,
    answer_query,
    refuse,
    send,
    translator,
)
from bot.i18n import N_, Translator
from bot.jobs import write_for_staff_then_deliver
from bot.keyboards import ButtonRows, chunk, inline
from bot.messages.cases import STATUS_LABELS, local, status_label
from bot.services.access.roles import Role, Roles
from bot.services.basics.dates import HINT_EXAMPLES, DateParseError, format_date, parse_german_date
from bot.services.cases import desk
from bot.services.cases import records as cases
from bot.storage.db import session_scope
from bot.storage.models import Case, CaseEvent, Person

PER_PAGE = 8
PRIVATE = filters.ChatType.PRIVATE
MAX_CHUNK = 3500  # below Telegram's 4096, leaving room for the HTML tags
ROLE_LABELS = {
    "manager": N_("manager"),
    "deputy": N_("deputy"),
    "coordinator": N_("coordination"),
    "admin": N_("administrator"),
    "rep": N_("department"),
}
KIND_LABELS = {
    "submitted": N_("submitted"),
    "routed": N_("forwarded"),
    "message": N_("message"),
    "note": N_("note"),
    "status": N_("status changed"),
}
COVER_LABELS = {
    "manager": N_("another manager of the district"),
    "deputy": N_("the deputy"),
    "coordinator": N_("the coordination 18.6"),
}


async def _staff(update: Update, context: BotContext) -> tuple[Person, Roles] | None:
    person, roles = await actor_roles(update, context)
    if not roles.is_staff:
        await refuse(update, context)
        return None
    return person, roles


def _argument(update: Update) -> str:
    """Everything after the command, newlines kept (context.args would lose them)."""
    text = update.effective_message.text if update.effective_message else None
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def _send_chunks(update: Update, lines: list[str]) -> None:
    block: list[str] = []
    for line in lines:
        if block and sum(len(x) + 1 for x in block) + len(line) > MAX_CHUNK:
            await send(update, "\n".join(block), html=True)
            block = []
        block.append(line[:MAX_CHUNK])
    if block:
        await send(update, "\n".join(block), html=True)


# ------------------------------------------------------------------------------ the list


def _case_line(services: Services, t: Translator, case: Case, today: date) -> str:
    tz = services.settings.tz
    place = case.quarter or services.reference.district(case.district_number).name
    topic = services.reference.topic(case.topic).label(t.language)
    days = (today - case.created_at.astimezone(tz).date()).days
    age = t("today") if days == 0 else t("1 day") if days == 1 else t("{days} days", days=days)
    marker = "🏛 " if case.actor_kind == "council" else ""
    return escape(
        f"{marker}{case.reference} · {place} · {topic} · {status_label(t, case.status)} · {age}"
    )


async def _page(
    context: BotContext, t: Translator, roles: Roles, page: int
) -> tuple[str, ButtonRows]:
    services = context.services
    async with session_scope(services.session_maker) as session:
        rows, total = await desk.open_cases(session, roles=roles, page=page, per_page=PER_PAGE)
        pages = max(1, -(-total // PER_PAGE))
        if not rows and page >= pages:  # cases closed since the buttons were sent
            page = pages - 1
            rows, total = await desk.open_cases(session, roles=roles, page=page, per_page=PER_PAGE)
    if total == 0:
        return t("There are no open concerns in your districts."), []
    today = services.clock.now().astimezone(services.settings.tz).date()
    header = t(
        "Open concerns, page {page} of {pages} ({total} in total):",
        page=page + 1,
        pages=pages,
        total=total,
    )
    lines = ["<b>" + escape(header) + "</b>"]
    lines += [_case_line(services, t, case, today) for case in rows]
    buttons: list[list[tuple[str, str]]] = chunk(
        [(case.reference, f"desk:case:{case.id}") for case in rows], 2
    )
    nav = []
    if page > 0:
        nav.append((t("◀ Previous"), f"desk:page:{page - 1}"))
    if page + 1 < pages:
        nav.append((t("Next ▶"), f"desk:page:{page + 1}"))
    if nav:
        buttons.append(nav)
    return "\n".join(lines), buttons


async def list_cases(update: Update, context: BotContext) -> None:
    """Show the open cases of the sender's districts, priority and oldest first."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    text, buttons = await _page(context, t, staff[1], 0)
    await send(update, text, buttons=buttons, html=True)


async def on_page(update: Update, context: BotContext) -> None:
    """Turn the page of the list in place."""
    staff = await _staff(update, context)
    if staff is None:
        return
    await answer_query(update)
    t = translator(update, context)
    text, buttons = await _page(context, t, staff[1], int(context.match.group(1)))
    query = update.callback_query
    try:
        await query.edit_message_text(  # type: ignore[union-attr]
            text, parse_mode="HTML", reply_markup=inline(buttons) if buttons else None
        )
    except BadRequest:  # unchanged or too old to edit
        await send(update, text, buttons=buttons, html=True)


# --------------------------------------------------------------------------- the history


def _actor(t: Translator, case: Case, event: CaseEvent, actor: Person | None) -> str:
    # A resident is never shown by name or Telegram account, only by their role.
    if event.actor_role == "resident" or (actor is not None and actor.id == case.resident_id):
        return t("resident")
    if actor is None and event.actor_role is None:
        return t("system")
    role = event.actor_role or ""
    label = t(ROLE_LABELS[role]) if role in ROLE_LABELS else role
    name = actor.first_name if actor is not None and actor.first_name else ""
    return f"{label} {name}".strip()


def _event_lines(
    t: Translator, case: Case, event: CaseEvent, actor: Person | None, services: Services
) -> list[str]:
    kind = event.kind.replace("_", " ")
    if event.kind in KIND_LABELS:
        kind = t(KIND_LABELS[event.kind])
    data = event.data or {}
    if event.kind == "routed" and data.get("to") in COVER_LABELS:
        kind += " → " + (t("manager") if data["to"] == "manager" else t(COVER_LABELS[data["to"]]))
    elif "from" in data and "to" in data:
        names = [
            t(STATUS_LABELS[s]) if s in STATUS_LABELS else str(s)
            for s in (data["from"], data["to"])
        ]
        kind += f": {names[0]} → {names[1]}"
    when = local(event.created_at, services.settings.tz)
    lines = [f"<b>{escape(when)}</b> · {escape(_actor(t, case, event, actor))} · {escape(kind)}"]
    if event.text:
        lines.append("  " + escape(event.text))
    return lines


async def _show_history(update: Update, context: BotContext, case: Case) -> None:
    services = context.services
    t = translator(update, context)
    async with session_scope(services.session_maker) as session:
        events = await desk.case_history(session, case=case)
    topic = services.reference.topic(case.topic).label(t.language)
    place = case.quarter or services.reference.district(case.district_number).name
    lines = [
        "<b>" + escape(t("Concern {reference}", reference=case.reference)) + "</b>",
        escape(f"{place} · {topic} · {status_label(t, case.status)}"),
        escape(case.description or ""),
        "",
        "<b>" + escape(t("History:")) + "</b>",
    ]
    for event, actor in events:
        lines += _event_lines(t, case, event, actor, services)
    await _send_chunks(update, lines)


async def on_case(update: Update, context: BotContext) -> None:
    """Show a case's history from the list; the district is checked again."""
    staff = await _staff(update, context)
    if staff is None:
        return
    async with session_scope(context.services.session_maker) as session:
        case = await session.get(Case, int(context.match.group(1)))
    if case is None or not staff[1].can_manage_district(case.district_number):
        await refuse(update, context)
        return
    await answer_query(update)
    await _show_history(update, context, case)


async def show_case(update: Update, context: BotContext) -> None:
    """/fall <reference>: the whole history of one case."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    reference = _argument(update)
    if not reference:
        await send(update, t("Send /fall followed by the number, e.g. /fall 10-2026-0042."))
        return
    async with session_scope(context.services.session_maker) as session:
        case = await cases.get_case(session, reference=reference)
    if case is None:
        await send(
            update, t("I found no concern with the number {reference}.", reference=reference)
        )
        return
    if not staff[1].can_manage_district(case.district_number):
        await refuse(update, context)
        return
    await _show_history(update, context, case)


# ------------------------------------------------------------------------ saved replies


async def list_templates(update: Update, context: BotContext) -> None:
    """/vorlagen: the sender's saved replies."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    async with session_scope(context.services.session_maker) as session:
        rows = await desk.list_replies(session, person=staff[0])
    usage = t(
        "Save one with /vorlage name text. Start an answer with #name to use it. "
        "Placeholders: {placeholders}.",
        placeholders="{reference}, {district}, {quarter}, {name}",
    )
    if not rows:
        await send(update, t("You have no saved replies yet.") + "\n\n" + usage)
        return
    lines = ["<b>" + escape(t("Your saved replies:")) + "</b>"]
    lines += [f"<b>#{escape(row.name)}</b> – {escape(row.text)}" for row in rows]
    await _send_chunks(update, [*lines, "", escape(usage)])


async def save_template(update: Update, context: BotContext) -> None:
    """/vorlage <name> <text>: save or replace a reply template."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    parts = _argument(update).split(maxsplit=1)
    if len(parts) < 2:
        await send(
            update,
            t(
                "Send /vorlage followed by a name and the text, e.g. "
                "/vorlage thanks Thank you for your concern {placeholder}.",
                placeholder="{reference}",
            ),
        )
        return
    try:
        async with session_scope(context.services.session_maker) as session:
            row = await desk.save_reply(session, person=staff[0], name=parts[0], text=parts[1])
    except desk.InvalidTemplate as exc:
        if exc.reason == "name":
            await send(update, t("A name has 1 to 32 characters: letters a–z, digits, _ and -."))
        else:
            await send(update, t("The text is too long."))
        return
    await send(update, t("Saved. Start an answer with #{name} to use it.", name=row.name))


async def delete_template(update: Update, context: BotContext) -> None:
    """/vorlage_loeschen <name>: delete a reply template."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    name = _argument(update).removeprefix("#")
    async with session_scope(context.services.session_maker) as session:
        deleted = bool(name) and await desk.delete_reply(session, person=staff[0], name=name)
    if deleted:
        await send(update, t("Deleted #{name}.", name=name.lower()))
    else:
        await send(update, t("You have no saved reply with that name. /vorlagen lists them."))


# ------------------------------------------------------------------------------- absence


async def away(update: Update, context: BotContext) -> None:
    """/abwesend bis <date>: ask to confirm the understood day before anything is stored."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    services = context.services
    context.user_data.pop("away_until", None)
    examples = ", ".join(HINT_EXAMPLES)
    try:
        parsed = parse_german_date(
            _argument(update), now=services.clock.now(), tz=services.settings.tz
        )
    except DateParseError as exc:
        if exc.reason == "empty":
            text = t("Until when are you away? For example: /abwesend bis Freitag")
        elif exc.reason == "past" and exc.value is not None:
            text = t(
                "{date} has already passed. Please give a day from today on, "
                "e.g. /abwesend bis Freitag.",
                date=format_date(exc.value.date(), lang=t.language),
            )
        else:
            text = t("I did not understand that date. Examples: {examples}", examples=examples)
        await send(update, text)
        return
    day = parsed.value.date()
    context.user_data["away_until"] = day.isoformat()
    await send(
        update,
        t("Away until {date} – is that right?", date=format_date(day, lang=t.language)),
        buttons=[[(t("Yes"), "desk:away:yes"), (t("No"), "desk:away:no")]],
    )


async def on_away(update: Update, context: BotContext) -> None:
    """Store the absence until the end of the confirmed day, and say who covers."""
    staff = await _staff(update, context)
    if staff is None:
        return
    await acknowledge(update)
    t = translator(update, context)
    pending = context.user_data.pop("away_until", None)
    if context.match.group(1) == "no" or pending is None:
        await send(update, t("Nothing changed. Send /abwesend bis … with another date."))
        return
    services = context.services
    now, day = services.clock.now(), date.fromisoformat(pending)
    until = desk.end_of_day(day, services.settings.tz)
    if until <= now:
        await send(update, t("That day has passed meanwhile. Nothing changed."))
        return
    async with session_scope(services.session_maker) as session:
        person = await session.merge(staff[0])
        await desk.set_absence(session, person=person, until=until, now=now)
        cover = await desk.absence_cover(
            session,
            districts=staff[1].districts(Role.MANAGER),
            now=now,
            admin_ids=services.settings.admin_telegram_ids,
        )
    lines = [
        t(
            "You are away until {date}. /zurueck ends it earlier.",
            date=format_date(day, lang=t.language),
        )
    ]
    for district, routed_as in cover.items():
        lines.append(
            t(
                "New concerns of {district} go to {who}.",
                district=services.reference.district(district).name,
                who=t(COVER_LABELS[routed_as]),
            )
        )
    await send(update, "\n".join(lines))


async def back(update: Update, context: BotContext) -> None:
    """/zurueck: end the absence now."""
    staff = await _staff(update, context)
    if staff is None:
        return
    t = translator(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        person = await session.merge(staff[0])
        ended = await desk.end_absence(session, person=person, now=services.clock.now())
    if ended:
        await send(update, t("Welcome back! New concerns come to you again."))
    else:
        await send(update, t("You are not marked as away."))


# --------------------------------------------------------------------------- daily nudge


async def run_untriaged_nudge(app: BotApplication) -> int:
    """Write today's nudges about untriaged cases (once per day) and deliver them."""
    return await write_for_staff_then_deliver(app, desk.write_untriaged_nudges)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler(["faelle", "cases"], list_cases, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_page, pattern=r"^desk:page:(\d{1,4})$"))
    app.add_handler(CallbackQueryHandler(on_case, pattern=r"^desk:case:(\d{1,12})$"))
    app.add_handler(CommandHandler(["fall", "case"], show_case, filters=PRIVATE))
    app.add_handler(CommandHandler("vorlagen", list_templates, filters=PRIVATE))
    app.add_handler(CommandHandler("vorlage", save_template, filters=PRIVATE))
    app.add_handler(CommandHandler("vorlage_loeschen", delete_template, filters=PRIVATE))
    app.add_handler(CommandHandler("abwesend", away, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_away, pattern=r"^desk:away:(yes|no)$"))
    app.add_handler(CommandHandler("zurueck", back, filters=PRIVATE))
