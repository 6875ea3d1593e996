"""What the bot says about district development projects: the manager's dialogue, a
project's card, the coordinator's count per district and the fourth-quarter reminder."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.reference import topic_label, topic_label_of
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, Rows, chunked, rows
from bot.services.agreements.planning_notices import ProjectMissing
from bot.services.agreements.projects import MAX_TITLE, STATUSES
from bot.storage.models import Project

STATUS_LABELS = {"planned": N_("planned"), "running": N_("running"), "done": N_("done")}
assert set(STATUS_LABELS) == set(STATUSES)
STOP = N_("(/abbrechen to stop)")


@renders(ProjectMissing)
def project_missing(n: ProjectMissing, ctx: RenderContext) -> Reply:
    text = ctx.t(
        "{district} has no district development project for {year} yet. Please record "
        "one with /projekt.",
        district=ctx.reference.district(n.district).name,
        year=n.year,
    )
    return Reply(escape(text))


def status_label(t: Translator, status: str) -> str:
    label = STATUS_LABELS.get(status)
    return t(label) if label else status


def card(ctx: RenderContext, project: Project, *, saved: bool = False) -> Reply:
    """Title, topic, partners, status and notes, with the buttons to change it."""
    t, reference = ctx.t, ctx.reference
    topic = (
        topic_label_of(t, reference, project.topic)
        if project.topic and reference.has_topic(project.topic)
        else "–"
    )
    lines = [escape(t("Project saved."))] if saved else []
    lines += [
        "<b>" + escape(project.title) + "</b>",
        escape(t("Topic: {topic}", topic=topic)),
        escape(t("Partners: {partners}", partners=project.partners or "–")),
        escape(t("Status: {status}", status=status_label(t, project.status))),
    ]
    if project.notes:
        lines.append(escape(t("Notes:")) + "\n" + escape(project.notes))
    return Reply("\n".join(lines), buttons=() if saved else buttons(t, project))


def buttons(t: Translator, project: Project) -> Rows:
    statuses = [
        Button(
            t("Set: {status}", status=status_label(t, code)),
            callbacks.PROJECT.data("status", project.id, code),
        )
        for code in STATUSES
        if code != project.status
    ]
    note = Button(t("Add note"), callbacks.PROJECT.data("note", project.id))
    return rows(statuses, [note])


def ask_title(t: Translator) -> Reply:
    return Reply(t("Title of the project?") + "\n" + t(STOP), html=False)


def title_too_long(t: Translator) -> Reply:
    text = t("Please send a title of at most {limit} characters.", limit=MAX_TITLE)
    return Reply(text, html=False)


def ask_topic(ctx: RenderContext) -> Reply:
    t = ctx.t
    topics = [
        Button(topic_label(t, x), callbacks.PROJECT_TOPIC.data(x.code))
        for x in ctx.reference.topics
        if x.field_of_action
    ]
    return Reply(t("Which field of action?"), buttons=chunked(topics, 2), html=False)


def ask_partners(t: Translator) -> Reply:
    skip = Button(t("No partners yet"), callbacks.PROJECT_PARTNERS.data("skip"))
    text = t("Partners of the project? Type them, or press the button.")
    return Reply(text, buttons=rows([skip]), html=False)


def ask_note(t: Translator) -> Reply:
    return Reply(t("Type the note.") + "\n" + t(STOP), html=False)


def note_saved(t: Translator) -> Reply:
    return Reply(t("Note saved."), html=False)


def counts(ctx: RenderContext, year: int, per_district: Mapping[str, int]) -> Reply:
    """The coordinator's view: projects per district, ⚠️ where there is none."""
    lines = [ctx.t("Projects {year} per district:", year=year)]
    lines += [
        ctx.t("{number} {district}: {count}", number=d.number, district=d.name, count=count)
        + ("" if count else " ⚠️")
        for d in ctx.reference.districts
        for count in [per_district.get(d.number, 0)]
    ]
    return Reply("\n".join(lines), html=False)


def none_yet(ctx: RenderContext, district: str, year: int) -> Reply:
    text = ctx.t(
        "No project in {district} for {year} yet. Record one with /projekt.",
        district=ctx.reference.district(district).name,
        year=year,
    )
    return Reply(text, html=False)
