"""What the manager's list of cases says: the header naming its filter, a line per case, the
page turners and filter buttons (which keep the filter in their data), the choice of a quarter
or a field of action, and "nothing found". No Telegram here.

A filter travels in callback data as a short token (`late`, `q10.3`, `t.family`, `s4`); a
search's words stay in the user's data under its number, since they may not fit 64 bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.desk import case_line
from bot.messages.formatting import format_date
from bot.messages.reference import topic_label_of
from bot.messages.reply import Button, Reply, chunked, rows
from bot.services.basics.reference import Quarter, ReferenceData
from bot.services.cases.case_list import CaseFilter, CasePage, ListKind

DESK = callbacks.DESK
_SIMPLE = {
    "all": ListKind.ALL,
    "new": ListKind.NEW,
    "mine": ListKind.MINE,
    "wait": ListKind.WAITING,
    "late": ListKind.OVERDUE,
}
_SIMPLE_TOKENS = {kind: token for token, kind in _SIMPLE.items()}
# The filter buttons, in the order shown, and the name of each filter in the header.
FILTER_BUTTONS = (
    (ListKind.NEW, N_("New")),
    (ListKind.MINE, N_("Mine")),
    (ListKind.WAITING, N_("Waiting")),
    (ListKind.OVERDUE, N_("Overdue")),
)
QUARTER_BUTTON, TOPIC_BUTTON, ALL_BUTTON = N_("Quarter"), N_("Field of action"), N_("All")
FILTER_NAMES = {
    ListKind.NEW: N_("new"),
    ListKind.MINE: N_("mine (caretaker)"),
    ListKind.WAITING: N_("waiting"),
    ListKind.OVERDUE: N_("overdue"),
}
ACTIVE = "✓ "
_TOPIC_CODE = re.compile(r"[a-z_]{1,32}")  # what fits the buttons' data


# --- the filter in callback data ---------------------------------------------------------
def token(flt: CaseFilter, reference: ReferenceData, search_id: int | None = None) -> str:
    """The filter as it travels in a button's data (`all` when it cannot travel)."""
    if flt.kind in _SIMPLE_TOKENS:
        return _SIMPLE_TOKENS[flt.kind]
    if flt.kind == ListKind.QUARTER and flt.quarter is not None:
        names = reference.district(flt.quarter.district_number).quarters
        if flt.quarter.name in names:
            return f"q{flt.quarter.district_number}.{names.index(flt.quarter.name)}"
    if flt.kind == ListKind.TOPIC and flt.topic and _TOPIC_CODE.fullmatch(flt.topic):
        return f"t.{flt.topic}"
    if flt.kind == ListKind.SEARCH and search_id is not None:
        return f"s{search_id}"
    return "all"


def from_token(
    value: str, reference: ReferenceData, searches: Mapping[str, str]
) -> CaseFilter | None:
    """The filter of a pressed button; a quarter or topic the data does not know gives a
    filter that matches nothing, a search no longer remembered gives None."""
    if value in _SIMPLE:
        return CaseFilter(_SIMPLE[value])
    if value.startswith("q"):
        district, _, index = value[1:].partition(".")
        quarters = reference.quarters_of(district) if reference.has_district(district) else ()
        found = quarters[int(index)] if index.isdigit() and int(index) < len(quarters) else None
        return CaseFilter(ListKind.QUARTER, quarter=found)
    if value.startswith("t."):
        code = value[2:]
        return CaseFilter(ListKind.TOPIC, topic=code if reference.has_topic(code) else None)
    words = searches.get(value[1:]) if value.startswith("s") else None
    if not words:
        return None
    return CaseFilter(ListKind.SEARCH, words=tuple(words.split()))


# --- the list ----------------------------------------------------------------------------
def filter_name(t: Translator, reference: ReferenceData, flt: CaseFilter) -> str:
    if flt.kind in FILTER_NAMES:
        return t(FILTER_NAMES[flt.kind])
    if flt.kind == ListKind.QUARTER:
        return flt.quarter.name if flt.quarter else t(QUARTER_BUTTON)
    if flt.kind == ListKind.TOPIC:
        return topic_label_of(t, reference, flt.topic) if flt.topic else t(TOPIC_BUTTON)
    return ""


def _header(t: Translator, reference: ReferenceData, flt: CaseFilter, found: CasePage) -> str:
    numbers = {"page": found.page + 1, "pages": found.pages, "total": found.total}
    if flt.kind == ListKind.SEARCH:
        return t(
            "Search for “{words}” in all concerns, open and closed – "
            "page {page} of {pages} ({total} found):",
            words=" ".join(flt.words),
            **numbers,
        )
    if flt.kind == ListKind.ALL:
        return t("Open concerns, page {page} of {pages} ({total} in total):", **numbers)
    return t(
        "Open concerns – {filter}, page {page} of {pages} ({total} in total):",
        filter=filter_name(t, reference, flt),
        **numbers,
    )


def _nothing(t: Translator, reference: ReferenceData, flt: CaseFilter) -> str:
    if flt.kind == ListKind.SEARCH:
        return t(
            "Nothing found for “{words}” in the concerns of your districts (open and closed). "
            "Try fewer or other words.",
            words=" ".join(flt.words),
        )
    if flt.kind == ListKind.ALL:
        return t("There are no open concerns in your districts.")
    return t("Nothing found: no open concerns – {filter}.", filter=filter_name(t, reference, flt))


def filter_buttons(t: Translator, flt: CaseFilter) -> tuple[tuple[Button, ...], ...]:
    """The filters, the active one marked; a quarter or field of action is chosen first."""

    def label(text: str, active: bool) -> str:
        return ACTIVE + t(text) if active else t(text)

    simple = [
        Button(label(text, flt.kind == kind), DESK.data("list", _SIMPLE_TOKENS[kind], 0))
        for kind, text in FILTER_BUTTONS
    ]
    choose = [
        Button(label(QUARTER_BUTTON, flt.kind == ListKind.QUARTER), DESK.data("pick", "q")),
        Button(label(TOPIC_BUTTON, flt.kind == ListKind.TOPIC), DESK.data("pick", "t")),
        Button(label(ALL_BUTTON, flt.kind == ListKind.ALL), DESK.data("list", "all", 0)),
    ]
    return rows(simple, choose)


def case_list(
    t: Translator,
    reference: ReferenceData,
    flt: CaseFilter,
    found: CasePage,
    *,
    today: date,
    tz: ZoneInfo,
    search_id: int | None = None,
) -> Reply:
    """One page of a list: header, lines, a button per case, page turners, filters."""
    if not found.cases:
        return Reply(escape(_nothing(t, reference, flt)), buttons=filter_buttons(t, flt))
    lines = ["<b>" + escape(_header(t, reference, flt, found)) + "</b>"]
    for case in found.cases:
        line = case_line(t, reference, case, today, tz)
        if flt.kind == ListKind.OVERDUE and case.next_step_due is not None:
            due = format_date(case.next_step_due.astimezone(tz).date(), lang=t.language)
            line += escape(" · " + t("due {date}", date=due))
        lines.append(line)
    lines += ["", "<i>" + escape(t("Search: /faelle followed by words.")) + "</i>"]
    key = token(flt, reference, search_id)
    cases = chunked([Button(c.reference, DESK.data("case", c.id)) for c in found.cases], 2)
    nav = []
    if found.page > 0:
        nav.append(Button(t("◀ Previous"), DESK.data("list", key, found.page - 1)))
    if found.page + 1 < found.pages:
        nav.append(Button(t("Next ▶"), DESK.data("list", key, found.page + 1)))
    return Reply("\n".join(lines), buttons=rows(*cases, nav, *filter_buttons(t, flt)))


def search_expired(t: Translator) -> Reply:
    return Reply(
        escape(t("This search is no longer available. Please send /faelle with the words again.")),
        buttons=filter_buttons(t, CaseFilter(ListKind.SEARCH)),
    )


# --- choosing a quarter or a field of action ----------------------------------------------
def _back(t: Translator) -> tuple[Button, ...]:
    return (Button(t(ALL_BUTTON), DESK.data("list", "all", 0)),)


def quarter_choice(
    t: Translator, reference: ReferenceData, choices: Sequence[tuple[Quarter, int]]
) -> Reply:
    if not choices:
        return Reply(escape(t("There are no open concerns in your districts.")))
    buttons = [
        Button(f"{q.name} ({n})", DESK.data("list", token(_quarter(q), reference), 0))
        for q, n in choices
    ]
    head = t("Which quarter? Quarters with open concerns:")
    return Reply("<b>" + escape(head) + "</b>", buttons=rows(*chunked(buttons, 2), _back(t)))


def topic_choice(
    t: Translator, reference: ReferenceData, choices: Sequence[tuple[str, int]]
) -> Reply:
    if not choices:
        return Reply(escape(t("There are no open concerns in your districts.")))
    buttons = [
        Button(f"{topic_label_of(t, reference, code)} ({n})", DESK.data("list", f"t.{code}", 0))
        for code, n in choices
        if _TOPIC_CODE.fullmatch(code)
    ]
    head = t("Which field of action? Fields of action with open concerns:")
    return Reply("<b>" + escape(head) + "</b>", buttons=rows(*chunked(buttons, 2), _back(t)))


def _quarter(quarter: Quarter) -> CaseFilter:
    return CaseFilter(ListKind.QUARTER, quarter=quarter)
