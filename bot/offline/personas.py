"""Who the newcomer plays in the offline demo, and what the demo tells them (in German: the
demo speaks to the city's staff)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.access.roles import Role
from bot.services.basics.languages import available_languages

DISTRICT = "10"  # Linden-Limmer
DEFAULT_SPOT = (52.3667, 9.7236)  # Linden-Süd, for `:ort` without numbers


@dataclass(frozen=True)
class Persona:
    key: str
    label: str
    user_id: int
    first_name: str
    aliases: tuple[str, ...] = ()


ERIKA = Persona("erika", "Erika (Einwohnerin)", 100_001, "Erika", ("einwohnerin",))
JONAS = Persona("jonas", "Jonas (Einwohner)", 100_002, "Jonas", ("einwohner",))
MANAGER = Persona("manager", "Stadtbezirksmanager Linden-Limmer", 700_010, "Stefan", ("sbm",))
REP = Persona(
    "vertreter", "Fachbereichsvertreter FB 66 (Linden-Limmer)", 700_066, "Ralf",
    ("vertretung", "rep", "fb66"),
)  # fmt: skip
REP_DEPARTMENT = "66"
COORDINATION = Persona("koordination", "Koordination 18.6", 900_186, "Kim", ("admin",))
# A member of the district council (issue 14): inquiries with /anfrage, /auskunft, /anfragen.
COUNCIL = Persona(
    "bezirksrat", "Bezirksratsmitglied Linden-Limmer", 700_100, "Birgit", ("ratsmitglied",)
)
PERSONAS = (ERIKA, JONAS, MANAGER, REP, COORDINATION, COUNCIL)
# Bound at every demo start unless bound already (the coordination comes from ADMIN ids).
STAFF: tuple[tuple[Persona, Role, str, str | None], ...] = (
    (MANAGER, Role.MANAGER, DISTRICT, None),
    (REP, Role.REP, DISTRICT, REP_DEPARTMENT),
)
STAFF = (*STAFF, (COUNCIL, Role.COUNCIL_MEMBER, DISTRICT, None))

INTRO = f"""\
Hier läuft der echte Bot mit einer lokalen Datenbank ({{database}}) – ohne Telegram, ohne Netz.
Sie sind {ERIKA.label} und möchten ein Anliegen aus Linden-Süd melden. Danach sehen Sie mit
:als manager, wie es beim {MANAGER.label} ankommt. :als vertreter zeigt den Chat von
{REP.label}; :zeit +3d lässt die Erinnerungen der nächsten Tage los.
"""
HELP = """\
  Text, /start, /neu …   geht als Nachricht an den Bot, als die aktuelle Person
  #1, #2 …               drückt einen Knopf der neuesten Nachricht mit Knöpfen
  !Beschriftung          drückt einen Knopf nach seiner Beschriftung (auch ⌨️-Tastatur)
  :ort 52.37 9.73        teilt einen Standort (ohne Zahlen: Linden-Süd)
  :foto                  sendet ein Foto
  :antworte 2 Text       antwortet (Telegrams „Antworten“) auf die 2.-letzte Bot-Nachricht
  :zeit +3d              stellt die Demo-Uhr vor (+4h, 2026-12-10 09:00) und lässt fällige
                         Erinnerungen, Nachfragen und Eskalationen los
  :als manager           wechselt die Person (:als erika, :als jonas, :als vertreter,
                         :als koordination)
  :personen              zeigt alle Personen
  :verlauf               zeigt den ganzen Chat der aktuellen Person
  :lang en               stellt die Telegram-Sprache der Person um ({languages})
  :hilfe · :ende         diese Hilfe · beenden (auch Strg+D)
  Dateien, die der Bot schickt, liegen danach in {files}. Ein geteilter Standort wird nur
  mit einer Bezirksgrenzen-Datei (BOUNDARIES_GEOJSON) einem Stadtbezirk zugeordnet; ohne
  sie fragt der Bot nach dem Stadtbezirk."""


def help_text(files: str = "./data/demo-files/") -> str:
    """The demo's commands; the languages are those the catalogues ship."""
    return HELP.format(languages="/".join(available_languages()), files=files)


def coordinates(args: list[str]) -> tuple[float, float]:
    """`52.37 9.73`, `52.37,9.73` or `52,37 9,73`; nothing means Linden-Süd."""
    parts = args[0].split(",") if len(args) == 1 else [a.rstrip(",;") for a in args]
    if not parts:
        return DEFAULT_SPOT
    if len(parts) != 2:
        raise ValueError("bitte Breite und Länge angeben, z. B. :ort 52.37 9.73")
    latitude, longitude = (float(part.replace(",", ".")) for part in parts)
    return latitude, longitude
