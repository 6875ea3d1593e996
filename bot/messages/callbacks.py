"""The one registry of button families: each prefix is defined once, with the shape of its
data, its builder and the pattern handlers register with. Callback data can be forged, so
handlers match it against the family's pattern and still check authorisation against the
database.

Telegram limits callback data to 64 bytes; `Family.data` refuses longer data.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64


class CallbackDataError(ValueError):
    """Callback data that a family cannot build."""


@dataclass(frozen=True)
class Family:
    """Buttons of one kind: `prefix:<rest>`, where `rest` is a regex (with groups for the
    parts a handler reads, e.g. `r"(lotse|kue):(\\d{1,12})"`)."""

    prefix: str
    description: str
    rest: str
    self_service: bool = False  # residents act with it on what is their own

    @property
    def pattern(self) -> str:
        """The regex handlers register with (anchored; groups are those of `rest`)."""
        return rf"^{re.escape(self.prefix)}:(?:{self.rest})$"

    @functools.cached_property
    def _compiled(self) -> re.Pattern[str]:
        """The pattern compiled once: every button built and every press is checked with it."""
        return re.compile(self.pattern)

    def narrowed(self, rest: str) -> str:
        """A pattern for a handler that takes part of the family (`rest` must fit inside)."""
        return rf"^{re.escape(self.prefix)}:(?:{rest})$"

    def data(self, *parts: object) -> str:
        """Callback data from its parts, checked against the family's own pattern."""
        text = ":".join([self.prefix, *(str(p) for p in parts)])
        if len(text.encode()) > MAX_CALLBACK_BYTES:
            raise CallbackDataError(f"{text!r} is longer than {MAX_CALLBACK_BYTES} bytes")
        if not self._compiled.match(text):
            raise CallbackDataError(f"{text!r} does not fit family {self.prefix!r}")
        return text

    def match(self, data: str | None) -> re.Match[str] | None:
        return self._compiled.match(data) if data else None


FAMILIES: dict[str, Family] = {}


def family(prefix: str, description: str, rest: str, *, self_service: bool = False) -> Family:
    """Define a family once; a second definition of a prefix is a programming error."""
    if not re.fullmatch(r"[a-z_]{1,12}", prefix):
        raise CallbackDataError(f"bad prefix {prefix!r}")
    if prefix in FAMILIES:
        raise CallbackDataError(f"callback prefix {prefix!r} defined twice")
    made = Family(prefix, description, rest, self_service)
    FAMILIES[prefix] = made
    return made


def family_of(data: str | None) -> Family | None:
    if not data:
        return None
    return FAMILIES.get(data.split(":", 1)[0])


# Every family of the bot, grouped by feature. `self_service` marks the buttons with which
# residents act on what is their own (consent, language, intake, feedback, erasure).
_ID = r"\d{1,12}"
PERIOD = r"([0-9A-Za-z-]{4,17})"
SCOPE = r"(\*|\d{2})"  # * = every district the sender may see

CONSENT = family("consent", "privacy notice: agree or not", r"(yes|no)", self_service=True)
LANGUAGE = family("lang", "choose the language", r"([a-z]{2,3})", self_service=True)
MENU = family("menu", "main menu buttons", r"(new)", self_service=True)
INTAKE = family(
    "in",
    "the resident's intake steps",
    r"(ok|pick|cancel|change|confirm|pub|photos_done|skip_contact)"
    r"|d:(\d{2})|q:(\d{2}):(\d{1,2}|-)|t:([a-z_]{1,32})"
    r"|a:(none|club|initiative|council|other)"
    r"|edit:(where|topic|description|photos|contact|actor)",
    self_service=True,
)
FEEDBACK = family(
    "fb",
    "the resident's answer: did it help, is it solved",
    rf"(ref|set):({_ID}):(yes|no)",
    self_service=True,
)
VERDICT = family(
    "vd",
    "the resident's verdict on a closed case: score, skip the reason, quoting allowed",
    rf"s:({_ID}):([1-5])|skip:({_ID})|q:({_ID}):(yes|no)",
    self_service=True,
)
PRIVACY = family("priv", "erasure of one's own data", r"erase:(yes|no)", self_service=True)
TRIAGE = family(
    "tr", "the manager's actions on a case", rf"([a-z]{{1,12}}):({_ID})(?::([a-z0-9_-]{{1,32}}))?"
)
# A list's filter, compact: all|new|mine|wait|late, q<district>.<quarter index>, t.<topic>,
# s<search number> (the words stay in the user's data).
LIST_FILTER = r"(all|new|mine|wait|late|q\d{2}\.\d{1,3}|t\.[a-z_]{1,32}|s\d{1,3})"
DESK = family(
    "desk",
    "the manager's desk: lists, filters, absence",
    rf"page:(\d{{1,4}})|case:({_ID})|away:(yes|no)|list:{LIST_FILTER}:(\d{{1,4}})|pick:(q|t)",
)
AGREEMENT = family("ag", "actions on an agreement (rep, manager)", rf"([a-z]{{1,12}}):({_ID})")
AGREEMENT_FORM = family(
    "agf",
    "the agreement form",
    rf"(start|case):({_ID})|dep:(\d{{1,4}})|due:(yes|no)|topic:([a-z_]{{1,32}}|-)"
    rf"|plan:({_ID}|new|-)|(save|cancel|again|done)",
)
CONFERENCE = family(
    "cf",
    "invitations, records and the card of a conference",
    rf"(yes|no|agenda|held|open):({_ID})",
)
CONFERENCE_CONFIRM = family("cfc", "confirm a new conference", r"(yes|no)")
CONFERENCE_DEPARTMENTS = family("cfd", "departments invited to a conference", r"(\d{1,8}|send)")
PROJECT = family(
    "pj", "a project's note and status", rf"note:({_ID})|status:({_ID}):(planned|running|done)"
)
PROJECT_TOPIC = family("pjt", "a new project's topic", r"([a-z_]{1,32})")
PROJECT_PARTNERS = family("pjp", "a new project's partners", r"(skip)")
REPORT = family(
    "rp",
    "reports in the chat",
    rf"p:{PERIOD}:{SCOPE}|m:{SCOPE}|d:{PERIOD}|f:(pdf|xlsx|csv):{PERIOD}:{SCOPE}",
)
EVALUATION = family("ev", "the evaluation report as a file", rf"(pdf|docx):{PERIOD}")
RELAY = family(
    "rpl",
    "the resident's choice: which case a message answers, or a new concern",
    rf"case:({_ID})|(new)",
    self_service=True,
)
ANSWER = family(
    "ans", "the manager's preview of an answer: send, edit, cancel", r"(send|edit|cancel)"
)
NEED = family(
    "need",
    "needs: propose, support, rank; the manager's curation, agenda, focus areas, decisions",
    rf"(new|sup|rk|rk0|list|join|cur|mg|ask|rej|re|ag|close|act):({_ID})"
    rf"|mi:({_ID}):({_ID})|st:({_ID}):([a-z_]{{1,16}})|dk:({_ID}):(decided|changed|not_adopted)",
)
NEED_FORM = family(
    "ndf",
    "steps of the needs dialogues: a call's fields and audience, a need's field, a focus area",
    r"t:([a-z_]{1,32})|ct:([a-z_]{1,32})|aud:(actors|all)|fn:(\d{1,12})|(cdone|fsave|skip)",
)
NEWS = family(
    "news",
    "news subscriptions: district, field, one-tap unsubscribe",
    r"d:(\d{2})|t:(\d{2}):([a-z_]{1,32}|\*)|off:(\d{2})",
    self_service=True,
)
NEWS_FORM = family(
    "nwf",
    "writing a news item: district, fields, send or cancel",
    r"d:(\d{2}|\*)|t:([a-z_]{1,32})|(tdone|skip|send|cancel)",
)
NETWORK = family(
    "net",
    "the network directory: list, card, confirm, retire, review, the entry form, meetings",
    rf"(new|save|cancel|skip|td|cd|md)|(e|ok|ret|retok|ed|rv|m):({_ID})|pg:(\d{{1,4}})"
    r"|k:(office|external|organisation|person)|t:([a-z_]{1,32})"
    r"|c:(phone|email|web|address|office_hours)|v:(residents|staff)|b:(consent|public_office)"
    r"|bz:(\d{2}|me)",
)
COUNCIL = family(
    "brt",
    "district council: sessions, inquiries, statements, session pack",
    rf"(ses|as|dr|ed|ok|gv|fu|ia|mv|pdf|doc|fi|fs):({_ID})|ics:(\d{{2}})|(skip)",
)
