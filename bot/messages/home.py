"""Staff at home: the commands of their roles (Telegram's command menu and /hilfe, grouped and
explained) and the persistent staff keyboard. Residents keep `bot.messages.menu`.

Each command appears only for the roles its handler lets through (see the handlers'
authorisation): managers and deputies (`Part.DISTRICT`), coordinators and administrators
(`Part.COORDINATION`), department representatives (`Part.DEPARTMENT`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from html import escape

from bot.i18n import N_, Translator
from bot.messages.menu import COMMANDS, MENU_HELP, MENU_LANGUAGE, menu_rows
from bot.messages.reply import Reply
from bot.services.access.home import Part, is_district_staff

MENU_TODAY = N_("📅 Today")
MENU_CASES = N_("📂 Cases")
MENU_REMINDERS = N_("⏰ Reminders")
MENU_AGREEMENTS = N_("🤝 Agreements")
D, C, R = Part.DISTRICT, Part.COORDINATION, Part.DEPARTMENT
K, S = Part.COUNCIL, Part.COUNCIL_SUPPORT
CASEWORK = frozenset({D, C})


@dataclass(frozen=True)
class Entry:
    """One command for some parts: its group in /hilfe, what it does, how it is typed."""

    command: str
    group: str
    description: str
    parts: frozenset[Part]
    usage: str | None = None  # e.g. "/fall <number>"; else just "/fall"


GROUPS = (
    ("day", N_("Your day")),
    ("cases", N_("Cases")),
    ("planning", N_("Conferences, agreements and projects")),
    ("department", N_("Your department")),
    ("council", N_("District council")),
    ("needs", N_("Needs, focus areas and news")),
    ("reports", N_("Reports")),
    ("access", N_("Invitations and departments")),
)
# In the order of the menu; where a command reads differently per role, the first entry that
# fits the person's parts is theirs.
ENTRIES = (
    Entry("heute", "day", N_("What needs you today"), CASEWORK),
    Entry("heute", "department", N_("Due agreements and this week's conferences"), frozenset({R})),
    Entry("faelle", "cases", N_("Open cases"), CASEWORK),
    Entry("fall", "cases", N_("One case and its history"), CASEWORK, N_("/fall <number>")),
    Entry(
        "antwort",
        "cases",
        N_("Answer the resident of a case"),
        CASEWORK,
        N_("/antwort <number> <text or #template>"),
    ),
    Entry(
        "erinnerungen",
        "day",
        N_("Coming nudges, follow-ups and escalations"),
        CASEWORK,
        N_("/erinnerungen [days]"),
    ),
    Entry("vereinbarungen", "planning", N_("Agreements by state"), CASEWORK),
    Entry("vereinbarungen", "department", N_("Your open agreements with buttons"), frozenset({R})),
    Entry(
        "vereinbarung",
        "planning",
        N_("Record an agreement"),
        CASEWORK,
        N_("/vereinbarung [district]"),
    ),
    Entry("konferenzen", "planning", N_("Conferences and who attends"), CASEWORK),
    Entry(
        "konferenz",
        "planning",
        N_("Plan a district conference"),
        CASEWORK,
        N_("/konferenz [district]"),
    ),
    Entry("eskalationen", "planning", N_("Escalated agreements as a table"), CASEWORK),
    Entry("projekte", "planning", N_("This year's projects"), CASEWORK),
    Entry("projekt", "planning", N_("Record a project"), CASEWORK, N_("/projekt [district]")),
    Entry(  # the coordination's entry first: each command is listed once, the first that fits
        "bericht",
        "reports",
        N_(
            "Figures and report files; the evaluation with targets, trends and the residents' "
            "verdict"
        ),
        frozenset({C}),
        N_("/bericht [period] · /bericht bewertung [period]"),
    ),
    Entry("bericht", "reports", N_("Figures and report files"), CASEWORK),
    Entry("anfrage", "council", N_("Submit an inquiry for a council session"), frozenset({K})),
    Entry("auskunft", "council", N_("Ask the administration for information"), frozenset({K})),
    Entry("anfragen", "council", N_("Inquiries and their state"), frozenset({D, C, K, S})),
    Entry("sitzungen", "council", N_("Council sessions"), frozenset({D, C, K, S})),
    Entry("sitzung", "council", N_("Enter a council session"), frozenset({D, C, S})),
    Entry("aufruf", "needs", N_("Open a call for needs"), CASEWORK, N_("/aufruf [district]")),
    Entry(
        "bedarfe", "needs", N_("The needs and their order"), CASEWORK, N_("/bedarfe [district]")
    ),
    Entry(
        "schwerpunkt",
        "needs",
        N_("Record a focus area the conference agreed"),
        CASEWORK,
        N_("/schwerpunkt [district]"),
    ),
    Entry(
        "beschluss",
        "needs",
        N_("Record the heads' conference decision"),
        frozenset({C}),
        N_("/beschluss <district>"),
    ),
    Entry(
        "programm",
        "needs",
        N_("Progress of the focus areas"),
        frozenset({D, C, R}),
        N_("/programm <district>"),
    ),
    Entry(
        "nachricht",
        "needs",
        N_("Send news to subscribers"),
        CASEWORK,
        N_("/nachricht [district|*]"),
    ),
    Entry("vorlagen", "cases", N_("Saved answers"), CASEWORK),
    Entry("vorlage", "cases", N_("Save an answer"), CASEWORK, N_("/vorlage <name> <text>")),
    Entry(
        "vorlage_loeschen",
        "cases",
        N_("Delete a saved answer"),
        CASEWORK,
        N_("/vorlage_loeschen <name>"),
    ),
    Entry(
        "abwesend",
        "day",
        N_("Away: new cases go to your deputy"),
        frozenset({D}),
        N_("/abwesend bis <date>"),
    ),
    Entry("zurueck", "day", N_("Back from absence"), frozenset({D})),
    Entry(
        "einladen",
        "access",
        N_("Invite someone to a role"),
        frozenset({C}),
        N_("/einladen <role> …"),
    ),
    Entry(
        "einladen",
        "access",
        N_("Invite a department representative"),
        frozenset({D}),
        N_("/einladen fb <department>"),
    ),
    Entry("einladungen", "access", N_("Open invitation links"), frozenset({C})),
    Entry(
        "widerrufen", "access", N_("Revoke an invitation"), frozenset({C}), N_("/widerrufen <id>")
    ),
    Entry(
        "fachbereich",
        "access",
        N_("Correct a department's name"),
        frozenset({C}),
        N_("/fachbereich <number> <name>"),
    ),
)


def entries_for(parts: Collection[Part]) -> list[Entry]:
    """The commands a person with these parts may use, each once, in menu order."""
    chosen: dict[str, Entry] = {}
    for entry in ENTRIES:
        if entry.command not in chosen and entry.parts & set(parts):
            chosen[entry.command] = entry
    return list(chosen.values())


def command_menu_for(t: Translator, parts: Collection[Part]) -> list[tuple[str, str]]:
    """(command, description) for a staff member's own command menu: their roles' commands,
    then the resident's, in their language."""
    staff = [(e.command, t(e.description)) for e in entries_for(parts)]
    taken = {name for name, _ in staff}
    return staff + [(name, t(text)) for name, text in COMMANDS if name not in taken]


def _usage(t: Translator, entry: Entry) -> str:
    return t(entry.usage) if entry.usage else "/" + entry.command


def help_text(t: Translator, parts: Collection[Part]) -> Reply:
    """A staff member's /hilfe: their commands grouped and explained, then the resident's part."""
    entries = entries_for(parts)
    lines = [escape(t("What you can do here with your roles:"))]
    for key, heading in GROUPS:
        listed = [e for e in entries if e.group == key]
        if not listed:
            continue
        lines += ["", "<b>" + escape(t(heading)) + "</b>"]
        lines += [
            escape(f"{t(e.usage) if e.usage else '/' + e.command} – {t(e.description)}")
            for e in listed
        ]
    if is_district_staff(parts) or Part.DEPARTMENT in parts:
        note = _BUTTONS_NOTE if is_district_staff(parts) else _REP_BUTTONS_NOTE
        lines += ["", escape(t(note))]
    lines += ["", "<b>" + escape(t("As a resident")) + "</b>", escape(t(_RESIDENT_PART))]
    return Reply("\n".join(lines), keyboard=keyboard_rows(t, parts))


_BUTTONS_NOTE = N_(
    "Every case, agreement and conference message has buttons for its next steps; a reply to "
    "a case's message goes to its resident."
)
_REP_BUTTONS_NOTE = N_(
    "Every reminder about an agreement has buttons: done, more time, a problem."
)
_RESIDENT_PART = N_(
    "/neu – new concern, /meine – my concerns, /meine_daten – my data, /loeschen – erase, "
    "/sprache – language, /abbrechen – cancel the current step"
)


def keyboard_rows(t: Translator, parts: Collection[Part]) -> tuple[tuple[str, ...], ...]:
    """The persistent keyboard of staff: casework for managers, deputies and coordinators;
    agreements for reps."""
    if is_district_staff(parts):
        return (
            (t(MENU_TODAY), t(MENU_CASES)),
            (t(MENU_AGREEMENTS), t(MENU_REMINDERS)),
            (t(MENU_LANGUAGE), t(MENU_HELP)),
        )
    if Part.DEPARTMENT in parts:
        return ((t(MENU_TODAY), t(MENU_AGREEMENTS)), (t(MENU_LANGUAGE), t(MENU_HELP)))
    return menu_rows(t)  # the council's members and support: the residents' keyboard


HOME_NOTE = N_("/heute shows what needs you today, /hilfe the commands of your roles.")


def at_home(t: Translator, reply: Reply, parts: Collection[Part], *, note: bool = False) -> Reply:
    """A reply that shows the main menu, as staff get it: their keyboard instead of the
    resident's (Telegram takes inline buttons or a keyboard: buttons stay), with `note` a
    pointer to /heute and /hilfe."""
    text = reply.text
    if note and (is_district_staff(parts) or Part.DEPARTMENT in parts):  # who has /heute
        text += "\n\n" + (escape(t(HOME_NOTE)) if reply.html else t(HOME_NOTE))
    return replace(reply, text=text, keyboard=() if reply.buttons else keyboard_rows(t, parts))
