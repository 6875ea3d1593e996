"""The questions of the needs dialogues: opening a call, proposing a need, asking back,
rejecting, a focus area and the Dezernentenkonferenz's decision."""

from __future__ import annotations

from collections.abc import Collection
from html import escape

from bot.i18n import Translator
from bot.messages import callbacks
from bot.messages.needs import AUDIENCE_LABELS, DECISION_LABELS, STOP, district_name, plain
from bot.messages.reference import topic_label, topic_label_of
from bot.messages.render import RenderContext
from bot.messages.reply import Button, Reply, chunked, rows
from bot.storage.models import FocusArea, Need

FORM = callbacks.NEED_FORM


def _stop(t: Translator, text: str) -> Reply:
    return plain(text + "\n" + t(STOP))


def ask_call_title(ctx: RenderContext, district: str) -> Reply:
    t = ctx.t
    return _stop(
        t,
        t(
            "New call for proposals for {district}. What is its title?",
            district=district_name(ctx, district),
        ),
    )


def ask_call_end(t: Translator) -> Reply:
    return _stop(t, t("Until when may needs be proposed? (e.g. 30.04.2026 or in drei Wochen)"))


def bad_date(t: Translator) -> Reply:
    return _stop(t, t("I did not understand that date, or it has passed. Please try again."))


def ask_call_fields(ctx: RenderContext, chosen: Collection[str]) -> Reply:
    t = ctx.t
    buttons = [
        Button(("✅ " if x.code in chosen else "") + topic_label(t, x), FORM.data("ct", x.code))
        for x in ctx.reference.topics
        if x.field_of_action
    ]
    text = t("Which fields of action? Tap to choose, then Done.")
    return Reply(
        escape(text), buttons=(*chunked(buttons, 2), (Button(t("Done"), FORM.data("cdone")),))
    )


def ask_audience(t: Translator) -> Reply:
    buttons = [Button(t(label), FORM.data("aud", key)) for key, label in AUDIENCE_LABELS.items()]
    return Reply(escape(t("Who may take part?")), buttons=rows(buttons))


def ask_need_topic(ctx: RenderContext, topics: list[str]) -> Reply:
    t = ctx.t
    buttons = [Button(topic_label_of(t, ctx.reference, c), FORM.data("t", c)) for c in topics]
    return Reply(escape(t("Your need: which field of action?")), buttons=chunked(buttons, 2))


def ask_quarters(t: Translator) -> Reply:
    return _stop(t, t("In which quarter or quarters? (e.g. Linden-Süd, Limmer)"))


def ask_missing(t: Translator) -> Reply:
    return _stop(t, t("What is missing?"))


def ask_affected(t: Translator) -> Reply:
    return _stop(t, t("Who is affected?"))


def ask_file(t: Translator) -> Reply:
    text = t("You may add a photo or a file. Or continue without.")
    return Reply(escape(text), buttons=rows([Button(t("Continue without"), FORM.data("skip"))]))


def too_long(t: Translator, limit: int) -> Reply:
    return _stop(t, t("Please send a text of at most {limit} characters.", limit=limit))


def proposed(t: Translator, need: Need) -> Reply:
    return plain(
        t(
            "Thank you! Your need #{id} is proposed. Others in the call can support it now.",
            id=need.id,
        )
    )


def ask_question(t: Translator, need_id: int) -> Reply:
    return _stop(t, t("What would you like to ask the proposer of #{id}?", id=need_id))


def ask_reason(t: Translator, need_id: int) -> Reply:
    return _stop(t, t("Why is #{id} rejected? The proposer will read the reason.", id=need_id))


def ask_answer(t: Translator) -> Reply:
    return _stop(t, t("Please type your answer."))


def sent(t: Translator) -> Reply:
    return plain(t("Sent."))


def ask_focus_title(t: Translator) -> Reply:
    return _stop(t, t("Which focus area did the conference agree? Please type its title."))


def ask_focus_needs(ctx: RenderContext, needs: list[Need], chosen: Collection[int]) -> Reply:
    t = ctx.t
    buttons = [
        [
            Button(
                ("✅ " if n.id in chosen else "") + f"#{n.id} {n.missing[:40]}",
                FORM.data("fn", n.id),
            )
        ]
        for n in needs
    ]
    text = t("Which needs does it group? Tap to choose, then Save.")
    return Reply(escape(text), buttons=rows(*buttons, [Button(t("Save"), FORM.data("fsave"))]))


def no_agenda_needs(t: Translator) -> Reply:
    return plain(t("No need of this district is on a conference agenda."))


def focus_saved(t: Translator, focus: FocusArea) -> Reply:
    return plain(
        t(
            "Focus area “{title}” agreed. Record its agreements with /vereinbarung and choose "
            "the action plan “{title}”.",
            title=focus.title,
        )
    )


def ask_decision_date(t: Translator, focus: FocusArea, decision: str) -> Reply:
    return _stop(
        t,
        t(
            "“{title}”: {decision}. On which day did the Dezernentenkonferenz decide?",
            title=focus.title,
            decision=t(DECISION_LABELS[decision]),
        ),
    )


def ask_decision_note(t: Translator) -> Reply:
    text = t("A note for the proposers and supporters? Or continue without.")
    return Reply(escape(text), buttons=rows([Button(t("Continue without"), FORM.data("skip"))]))


def decision_saved(t: Translator, count: int) -> Reply:
    return plain(
        t("Decision recorded.")
        + " "
        + t.plural(
            "{count} proposer or supporter is told.",
            "{count} proposers and supporters are told.",
            count,
        )
    )
