"""Focus areas and the action programme: /schwerpunkt (the conference agreed a focus area
over needs on its agenda), /beschluss (the coordinator records the Dezernentenkonferenz's
decision; proposers and supporters are told) and /programm (progress from the agreements).

Every button and step reads the sender's roles from the database again."""

from __future__ import annotations

import asyncio
from datetime import date

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.context import BotApplication, BotContext
from bot.delivery import request_delivery
from bot.handlers.common import acknowledge, actor_roles, answer_query, refuse
from bot.handlers.planning import (
    END,
    PRIVATE,
    TEXT,
    argument,
    conversation,
    drafts,
    matched,
    pick_district,
    render_context,
    show,
    typed,
)
from bot.messages import callbacks
from bot.messages import needs as say
from bot.messages import needs_dialogue as ask
from bot.messages import needs_programme as programme
from bot.services.access.roles import Roles
from bot.services.basics.dates import DateParseError, parse_german_date
from bot.services.needs import calls, focus, proposals
from bot.services.needs.calls import NeedError, NotAllowed
from bot.services.reporting import charts
from bot.storage.db import session_scope
from bot.storage.models import FocusArea, Need, Person

NEED, FORM = callbacks.NEED, callbacks.NEED_FORM
NF_TITLE, NF_NEEDS, ND_DATE, ND_NOTE = "nf_title", "nf_needs", "nd_date", "nd_note"


async def _agenda_needs(context: BotContext, district: str) -> tuple[int | None, list[Need]]:
    """The latest conference with needs of the district on its agenda, and those needs."""
    async with session_scope(context.services.session_maker) as session:
        found = await calls.calls_of_district(session, district=district)
        needs: list[Need] = []
        for call in found:
            needs += [
                s.need
                for s in await proposals.standings(session, call_id=call.id)
                if s.need.status == "on_agenda"
            ]
    conference = max((n.conference_id for n in needs if n.conference_id), default=None)
    return conference, [n for n in needs if n.conference_id == conference]


async def start_focus(update: Update, context: BotContext) -> str | int:
    """`/schwerpunkt [district]`: a focus area the conference agreed, over agenda needs."""
    _, roles = await actor_roles(update, context)
    district = await pick_district(update, context, roles, "schwerpunkt")
    if district is None:
        return END
    t = render_context(update, context).t
    conference, _ = await _agenda_needs(context, district)
    if conference is None:
        await show(update, context, ask.no_agenda_needs(t))
        return END
    drafts(context)["focus"] = {"district": district, "conference": conference, "needs": []}
    await show(update, context, ask.ask_focus_title(t))
    return NF_TITLE


async def on_focus_title(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("focus")
    if not draft:
        return END
    ctx = render_context(update, context)
    title = typed(update)
    if not title or len(title) > 200:
        await show(update, context, ask.too_long(ctx.t, 200))
        return NF_TITLE
    draft["title"] = title
    _, needs = await _agenda_needs(context, draft["district"])
    await show(update, context, ask.ask_focus_needs(ctx, needs, draft["needs"]))
    return NF_NEEDS


async def on_focus_need(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("focus")
    await acknowledge(update)
    if not draft:
        return END
    ctx = render_context(update, context)
    if matched(context).group(2) == "fsave":
        return await _save_focus(update, context, draft)
    need_id = int(matched(context).group(1))
    chosen = draft["needs"]
    draft["needs"] = (
        [n for n in chosen if n != need_id] if need_id in chosen else [*chosen, need_id]
    )
    _, needs = await _agenda_needs(context, draft["district"])
    await show(update, context, ask.ask_focus_needs(ctx, needs, draft["needs"]))
    return NF_NEEDS


async def _save_focus(update: Update, context: BotContext, draft: dict[str, object]) -> str | int:
    _, roles = await actor_roles(update, context)
    services, t = context.services, render_context(update, context).t
    try:
        async with session_scope(services.session_maker) as session:
            agreed = await focus.agree_focus(
                session,
                conference_id=int(draft["conference"]),  # type: ignore[call-overload]
                title=str(draft["title"]),
                need_ids=list(draft["needs"]),  # type: ignore[call-overload]
                roles=roles,
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return END
    except NeedError:
        _, needs = await _agenda_needs(context, str(draft["district"]))
        await show(
            update, context, ask.ask_focus_needs(render_context(update, context), needs, [])
        )
        return NF_NEEDS
    drafts(context).pop("focus", None)
    await show(update, context, ask.focus_saved(t, agreed))
    return END


# --- the decision and the programme -----------------------------------------------------------
async def list_decisions(update: Update, context: BotContext) -> None:
    """`/beschluss <district>`: the coordinator picks a focus area and the decision."""
    _, roles = await actor_roles(update, context)
    if not roles.is_coordinator:
        await refuse(update, context)
        return
    district = await pick_district(update, context, roles, "beschluss")
    if district is None:
        return
    async with session_scope(context.services.session_maker) as session:
        found = await focus.focus_areas_of(session, district=district)
    await show(
        update, context, programme.decisions(render_context(update, context), district, found)
    )


async def start_decision(update: Update, context: BotContext) -> str | int:
    """`need:dk:<focus>:<decision>`: ask for the day of the decision."""
    _, roles = await actor_roles(update, context)
    focus_id, decision = int(matched(context).group(1)), matched(context).group(2)
    async with session_scope(context.services.session_maker) as session:
        found = await session.get(FocusArea, focus_id)
    if found is None or not roles.is_coordinator:
        await refuse(update, context)
        return END
    await answer_query(update)
    drafts(context)["decision"] = {"focus": focus_id, "decision": decision}
    await show(
        update, context, ask.ask_decision_date(render_context(update, context).t, found, decision)
    )
    return ND_DATE


async def on_decision_date(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).get("decision")
    if not draft:
        return END
    services, t = context.services, render_context(update, context).t
    try:
        parsed = parse_german_date(
            typed(update), now=services.clock.now(), tz=services.settings.tz, allow_past=True
        )
    except DateParseError:
        await show(update, context, ask.bad_date(t))
        return ND_DATE
    draft["date"] = parsed.value.date().isoformat()
    await show(update, context, ask.ask_decision_note(t))
    return ND_NOTE


async def on_decision_note(update: Update, context: BotContext) -> str | int:
    draft = drafts(context).pop("decision", None)
    if update.callback_query is not None:
        await acknowledge(update)
    if not draft or "date" not in draft:
        return END
    person, roles = await actor_roles(update, context)
    services, t = context.services, render_context(update, context).t
    note = typed(update) if update.callback_query is None else None
    try:
        async with session_scope(services.session_maker) as session:
            _, told = await focus.record_decision(
                session,
                focus_id=int(draft["focus"]),
                roles=roles,
                decision=draft["decision"],
                decided_on=date.fromisoformat(draft["date"]),
                note=note,
                person=person,
                now=services.clock.now(),
            )
    except NotAllowed:
        await refuse(update, context)
        return END
    except NeedError:
        await show(update, context, say.plain(t(say.STALE)))
        return END
    request_delivery(context.application)
    await show(update, context, ask.decision_saved(t, told))
    return END


async def may_see_programme(
    context: BotContext, roles: Roles, person_id: int, district: str
) -> bool:
    if roles.can_manage_district(district) or district in {
        a.district_number for a in roles.assignments if a.district_number
    }:
        return True
    async with session_scope(context.services.session_maker) as session:
        person = await session.get(Person, person_id)
        return person is not None and await calls.took_part_in_district(
            session, district=district, person=person
        )


async def show_programme(update: Update, context: BotContext) -> None:
    """`/programm <district>`: the focus areas and their progress, for the district's staff,
    reps and the actors who took part."""
    person, roles = await actor_roles(update, context)
    services, ctx = context.services, render_context(update, context)
    given = argument(update)
    if given:
        district = given.zfill(2) if given.isdigit() and len(given) <= 2 else ""
    else:
        own = sorted(
            roles.districts()
            or {a.district_number for a in roles.assignments if a.district_number}
        )
        district = own[0] if len(own) == 1 else ""
    if not district or not services.reference.has_district(district):
        await show(
            update,
            context,
            say.plain(
                ctx.t("Please add the district number, e.g. /{command} 10.", command="programm")
            ),
        )
        return
    if not await may_see_programme(context, roles, person.id, district):
        await refuse(update, context)
        return
    async with session_scope(services.session_maker) as session:
        found = await focus.progress(session, districts=[district], now=services.clock.now())
    await show(update, context, programme.programme(ctx, district, found))
    rows = programme.chart_rows(found)
    if rows and update.effective_chat is not None:  # the progress as a chart, too
        labels = programme.chart_labels(ctx, district)
        chart = await asyncio.to_thread(lambda: charts.focus_progress(rows, labels))
        png = await asyncio.to_thread(chart.png)
        await update.effective_chat.send_photo(png, caption=chart.title)


def register(app: BotApplication) -> None:
    app.add_handler(
        conversation(
            "need_focus",
            [CommandHandler(["schwerpunkt", "focus"], start_focus, filters=PRIVATE)],
            {
                NF_TITLE: [MessageHandler(TEXT, on_focus_title)],
                NF_NEEDS: [
                    CallbackQueryHandler(
                        on_focus_need, pattern=FORM.narrowed(r"fn:(\d{1,12})|(fsave)")
                    )
                ],
            },
        )
    )
    app.add_handler(
        conversation(
            "need_decision",
            [
                CallbackQueryHandler(
                    start_decision,
                    pattern=NEED.narrowed(r"dk:(\d{1,12}):(decided|changed|not_adopted)"),
                )
            ],
            {
                ND_DATE: [MessageHandler(TEXT, on_decision_date)],
                ND_NOTE: [
                    MessageHandler(TEXT, on_decision_note),
                    CallbackQueryHandler(on_decision_note, pattern=FORM.narrowed(r"(skip)")),
                ],
            },
        )
    )
    app.add_handler(CommandHandler(["beschluss", "decision"], list_decisions, filters=PRIVATE))
    app.add_handler(CommandHandler(["programm", "programme"], show_programme, filters=PRIVATE))
