"""What the bot says about district news: the subscription buttons (/abo), a news item with
its one-tap unsubscribe, the writer's dialogue and preview, and the delivery report."""

from __future__ import annotations

from collections.abc import Collection
from html import escape

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.reference import topic_label, topic_label_of
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, chunked, rows
from bot.services.news.notices import NewsMessage, NewsReport
from bot.services.news.subscriptions import ALL

NEWS, FORM = callbacks.NEWS, callbacks.NEWS_FORM
STOP = N_("(/abbrechen to stop)")


def plain(text: str) -> Reply:
    return Reply(text, html=False)


def _district(ctx: RenderContext, number: str) -> str:
    reference = ctx.reference
    return reference.district(number).name if reference.has_district(number) else number


# --- subscriptions --------------------------------------------------------------------------
def pick_district(ctx: RenderContext, subscribed: Collection[str]) -> Reply:
    t = ctx.t
    buttons = [
        Button(("✅ " if d.number in subscribed else "") + d.name, NEWS.data("d", d.number))
        for d in ctx.reference.districts
    ]
    text = t("News from your district: which district?")
    return Reply(escape(text), buttons=chunked(buttons, 2))


def pick_fields(ctx: RenderContext, district: str, chosen: Collection[str]) -> Reply:
    t = ctx.t
    buttons = [
        Button(
            ("✅ " if x.code in chosen else "") + topic_label(t, x),
            NEWS.data("t", district, x.code),
        )
        for x in ctx.reference.topics
        if x.field_of_action
    ]
    every = Button(
        ("✅ " if ALL in chosen else "") + t("All fields"), NEWS.data("t", district, ALL)
    )
    text = t(
        "News from {district}: tap the fields of action you want to read about (tap again to "
        "stop).",
        district=_district(ctx, district),
    )
    return Reply(escape(text), buttons=(*chunked(buttons, 2), (every,)))


def unsubscribed(ctx: RenderContext, district: str) -> str:
    return ctx.t("You receive no more news from {district}.", district=_district(ctx, district))


# --- a news item ----------------------------------------------------------------------------
@renders(NewsMessage)
def news_message(n: NewsMessage, ctx: RenderContext) -> Reply:
    t = ctx.t
    fields = ", ".join(topic_label_of(t, ctx.reference, c) for c in n.topics)
    source = (
        t("News for all districts · {fields}", fields=fields)
        if n.city_wide
        else t(
            "News from {district} · {fields}", district=_district(ctx, n.district), fields=fields
        )
    )
    lines = ["<i>" + escape(source) + "</i>", "", escape(n.text)]
    if n.link:
        lines += ["", escape(n.link)]
    off = (
        rows(
            [
                Button(
                    t("Unsubscribe from {district}", district=_district(ctx, n.district)),
                    NEWS.data("off", n.district),
                )
            ]
        )
        if n.district  # the writer's preview of a city-wide item has no subscription
        else ()
    )
    photos = (n.file_id,) if n.file_id and n.file_kind == "photo" else ()
    extra = {"document": {"file_id": n.file_id}} if n.file_id and n.file_kind == "document" else {}
    return Reply("\n".join(lines), buttons=off, photos=photos, extra=extra)


@renders(NewsReport)
def news_report(n: NewsReport, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = t.plural(
        "Your news item was delivered to {count} subscriber.",
        "Your news item was delivered to {count} subscribers.",
        n.delivered,
    )
    if n.failed:
        text += (
            " "
            + t.plural("{count} delivery failed", "{count} deliveries failed", n.failed)
            + " "
            + t("(blocked the bot: {blocked}).", blocked=n.blocked)
        )
    return plain(text)


# --- writing --------------------------------------------------------------------------------
def _stop(t: Translator, text: str) -> Reply:
    return plain(text + "\n" + t(STOP))


def ask_district(ctx: RenderContext, districts: list[str], city_wide: bool) -> Reply:
    t = ctx.t
    buttons = [Button(_district(ctx, d), FORM.data("d", d)) for d in districts]
    if city_wide:
        buttons.append(Button(t("All districts"), FORM.data("d", ALL)))
    return Reply(escape(t("For which district is the news item?")), buttons=chunked(buttons, 2))


def ask_fields(ctx: RenderContext, chosen: Collection[str]) -> Reply:
    t = ctx.t
    buttons = [
        Button(("✅ " if x.code in chosen else "") + topic_label(t, x), FORM.data("t", x.code))
        for x in ctx.reference.topics
        if x.field_of_action
    ]
    text = t("Which fields of action is it about? Tap to choose, then Done.")
    return Reply(
        escape(text), buttons=(*chunked(buttons, 2), (Button(t("Done"), FORM.data("tdone")),))
    )


def ask_text(t: Translator) -> Reply:
    return _stop(
        t, t("Please send the text of the news item (a photo or a file with a caption works too).")
    )


def ask_link(t: Translator) -> Reply:
    text = t("Add a link (https://…)? Or continue without.")
    return Reply(escape(text), buttons=rows([Button(t("Continue without"), FORM.data("skip"))]))


def bad_input(t: Translator) -> Reply:
    return _stop(t, t("That did not work. Please try again."))


def confirm(t: Translator, recipients: int) -> Reply:
    text = t.plural(
        "This is how it will look. It goes to {count} subscriber.",
        "This is how it will look. It goes to {count} subscribers.",
        recipients,
    )
    return Reply(
        escape(text),
        buttons=rows(
            [Button(t("Send"), FORM.data("send")), Button(t("Cancel"), FORM.data("cancel"))]
        ),
    )


def sending(t: Translator, recipients: int) -> Reply:
    return plain(
        t.plural(
            "Sending to {count} subscriber. You will get a report when it is done.",
            "Sending to {count} subscribers. You will get a report when it is done.",
            recipients,
        )
    )


def cancelled(t: Translator) -> Reply:
    return plain(t("Cancelled."))
