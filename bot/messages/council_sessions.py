"""What the bot says about council sessions: entering, listing, moving, importing and the
files (calendar, session pack)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.council import STOP, plain, when
from bot.messages.render import RenderContext
from bot.messages.reply import Button, Document, Reply, rows
from bot.services.council.inquiries import ref
from bot.services.council.pack import PackItem, PackLabels
from bot.storage.models import CouncilSession, Inquiry

BRT = callbacks.COUNCIL
EXAMPLE = N_("Example: 12.3.2026 18 Uhr, Freizeitheim Linden")


def ask_when(t: Translator) -> Reply:
    return plain(t("When and where is the session?") + " " + t(EXAMPLE) + " " + t(STOP))


def saved(ctx: RenderContext, session: CouncilSession) -> Reply:
    place = session.location or ctx.t("place not given")
    return plain(
        ctx.t("Session saved: {when}, {place}.", when=when(ctx, session.starts_at), place=place)
    )


def listing(ctx: RenderContext, district: str, sessions: Sequence[CouncilSession]) -> list[Reply]:
    t = ctx.t
    name = ctx.reference.district(district).name
    calendar = rows([Button(t("Calendar file (.ics)"), BRT.data("ics", district))])
    if not sessions:
        return [
            plain(
                t(
                    "No sessions of the district council of {district} are planned. "
                    "Enter one with /sitzung or send an .ics file.",
                    district=name,
                ),
                calendar,
            )
        ]
    replies = [
        plain(t("Sessions of the district council of {district}:", district=name), calendar)
    ]
    for s in sessions:
        text = f"{when(ctx, s.starts_at)}, {s.location or t('place not given')}"
        replies.append(
            plain(
                text,
                rows(
                    [
                        Button(t("Session pack PDF"), BRT.data("pdf", s.id)),
                        Button(t("Session pack DOCX"), BRT.data("doc", s.id)),
                    ],
                    [Button(t("Move the session"), BRT.data("mv", s.id))],
                ),
            )
        )
    return replies


def ask_move(t: Translator) -> Reply:
    return plain(
        t("The new date and time (and place, if it changes)?") + " " + t(EXAMPLE) + " " + t(STOP)
    )


def moved(ctx: RenderContext, session: CouncilSession, told: int) -> Reply:
    return plain(
        ctx.t(
            "The session is moved to {when}. The statements' due dates moved with it.",
            when=when(ctx, session.starts_at),
        )
        + " "
        + ctx.t.plural("{count} person was informed.", "{count} persons were informed.", told)
    )


def imported(t: Translator, created: int, moved_count: int) -> Reply:
    return plain(
        t.plural("{count} session imported.", "{count} sessions imported.", created)
        + " "
        + t.plural("{count} session moved.", "{count} sessions moved.", moved_count)
    )


def which_district(t: Translator) -> Reply:
    return plain(t("You prepare sessions for several districts: add the number, e.g. /sitzung 10"))


def calendar_file(t: Translator, district: str, content: bytes) -> Reply:
    return Reply(
        t("The sessions and district conferences for your calendar."),
        html=False,
        document=Document(f"bezirksrat-{district}.ics", content),
    )


def pack_labels(ctx: RenderContext, session: CouncilSession) -> PackLabels:
    t = ctx.t
    return PackLabels(
        title=t(
            "Session of the district council of {district}, {when}",
            district=ctx.reference.district(session.district_number).name,
            when=when(ctx, session.starts_at),
        ),
        late=t("submitted late"),
        statement=t("Statement of the administration:"),
        no_statement=t("No approved statement yet."),
        empty=t("No inquiries for this session."),
    )


def pack_items(t: Translator, inquiries: Sequence[Inquiry]) -> list[PackItem]:
    items = []
    for position, inquiry in enumerate(inquiries, start=1):
        heading = (
            t(
                "Inquiry {ref} ({fraction}): {title}",
                ref=ref(inquiry),
                fraction=inquiry.fraction,
                title=inquiry.title,
            )
            if inquiry.fraction
            else t("Inquiry {ref}: {title}", ref=ref(inquiry), title=inquiry.title)
        )
        answer = inquiry.answer if inquiry.status in ("approved", "answered") else None
        items.append(
            PackItem(position, heading, inquiry.text, inquiry.late, answer, inquiry.file_name)
        )
    return items


def pack_file(t: Translator, name: str, content: bytes, count: int) -> Reply:
    return Reply(
        t.plural(
            "Session pack with {count} inquiry.", "Session pack with {count} inquiries.", count
        ),
        html=False,
        document=Document(name, content),
    )
