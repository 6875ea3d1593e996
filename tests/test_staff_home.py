"""Staff at home: Telegram's command menu of their roles in their own chat and language (set
when a role is granted, re-set in a new language, removed when the roles end), the staff
/hilfe and the staff keyboard, whose buttons work in every language."""

from __future__ import annotations

from sqlalchemy import update as sa_update

from bot.handlers.command_menus import refresh_menus
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Person
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role, invite_and_bind

MARIA, JONAS, RALF, ERIKA = 700_010, 700_011, 700_066, 1_001
RESIDENT_MENU = ["neu", "meine", "sprache", "hilfe", "abbrechen"]


def names(menu: list[tuple[str, str]]) -> list[str]:
    return [command for command, _ in menu]


def menu_calls(env: BotEnv, chat_id: int, method: str) -> int:
    scope = {"type": "chat", "chat_id": chat_id}
    return sum(1 for call in env.api.calls_to(method) if call.params.get("scope") == scope)


async def test_an_invited_manager_gets_the_german_menu_of_the_role(env: BotEnv) -> None:
    admin = env.sim.user(ADMIN_ID, first_name="Carla", language_code="de")
    maria = env.sim.user(MARIA, first_name="Maria", language_code="de")
    welcome = await invite_and_bind(admin, maria, "manager Linden-Limmer")
    assert welcome == (
        "Sie sind jetzt Stadtbezirksmanager/in für Linden-Limmer. Neue Anliegen aus diesem "
        "Stadtbezirk kommen in diesen Chat.\n\n"
        "/heute zeigt, was heute bei Ihnen ansteht, /hilfe die Befehle Ihrer Rollen."
    )
    assert maria.reply_keyboard == [
        ["📅 Heute", "📂 Fälle"],
        ["🤝 Vereinbarungen", "⏰ Erinnerungen"],
        ["🌐 Sprache", "❓ Hilfe"],
    ]

    menu = env.api.chat_menu(MARIA)
    assert names(menu)[:4] == ["heute", "faelle", "fall", "antwort"]
    assert ("heute", "Was heute ansteht") in menu
    assert ("abwesend", "Abwesend: neue Anliegen gehen an Ihre Vertretung") in menu
    assert ("einladen", "Fachbereichsvertretung einladen") in menu
    assert names(menu)[-5:] == RESIDENT_MENU
    # coordination's commands are not offered to a manager
    assert not {"einladungen", "widerrufen", "fachbereich"} & set(names(menu))
    # the configured admin (coordination) got theirs with the same refresh
    coordination = names(env.api.chat_menu(ADMIN_ID))
    assert {"einladungen", "widerrufen", "fachbereich", "heute"} <= set(coordination)
    assert "abwesend" not in coordination  # absence only reroutes a manager's cases


async def test_a_replaced_manager_loses_the_menu_and_residents_keep_the_default(
    env: BotEnv,
) -> None:
    admin = env.sim.user(ADMIN_ID, language_code="de")
    maria = env.sim.user(MARIA, language_code="de")
    jonas = env.sim.user(JONAS, language_code="de")
    await invite_and_bind(admin, maria, "manager Linden-Limmer")
    assert names(env.api.chat_menu(MARIA))[0] == "heute"

    await invite_and_bind(admin, jonas, "manager Linden-Limmer")  # ends Maria's role
    assert env.api.chat_menu(MARIA) == []
    assert menu_calls(env, MARIA, "deleteMyCommands") == 1
    assert names(env.api.chat_menu(JONAS))[0] == "heute"
    # the residents' menu per language is untouched: Maria sees it again
    assert env.api.commands_for("de") == RESIDENT_MENU
    await maria.send("/hilfe")
    assert "/meine – meine Anliegen" in maria.last.plain_text
    assert maria.reply_keyboard == [
        ["📝 Neues Anliegen", "📋 Meine Anliegen"],
        ["🌐 Sprache", "❓ Hilfe"],
    ]

    erika = env.sim.user(ERIKA, language_code="de")
    await erika.send("/start")
    await erika.press("✅ Ich stimme zu")
    assert env.api.chat_menu(ERIKA) == []
    assert menu_calls(env, ERIKA, "setMyCommands") == 0


async def test_the_menu_follows_the_language_and_is_not_sent_twice(env: BotEnv) -> None:
    admin = env.sim.user(ADMIN_ID, language_code="de")
    maria = env.sim.user(MARIA, language_code="de")
    await invite_and_bind(admin, maria, "manager Linden-Limmer")
    assert ("heute", "Was heute ansteht") in env.api.chat_menu(MARIA)

    await maria.send("/sprache")
    await maria.press("English")
    assert maria.last.plain_text == "Language set to English."
    assert maria.reply_keyboard == [
        ["📅 Today", "📂 Cases"],
        ["🤝 Agreements", "⏰ Reminders"],
        ["🌐 Language", "❓ Help"],
    ]
    menu = env.api.chat_menu(MARIA)
    assert ("heute", "What needs you today") in menu
    assert ("faelle", "Open cases") in menu
    assert menu_calls(env, MARIA, "setMyCommands") == 2

    # nothing changed: neither the job nor choosing the same language sends it again
    assert await refresh_menus(env.app) == 0
    await maria.send("/sprache")
    await maria.press("English")
    assert menu_calls(env, MARIA, "setMyCommands") == 2


async def test_the_job_sets_menus_of_roles_granted_elsewhere(env: BotEnv) -> None:
    """Roles given outside the chat (command line, database) reach the menu with the job."""
    await bind_role(env, RALF, Role.REP, district="10", department="66", language="de")
    await bind_role(env, JONAS, Role.DEPUTY, district="10")
    assert env.api.chat_menu(RALF) == []
    assert await refresh_menus(env.app) == 2
    rep = env.api.chat_menu(RALF)
    assert names(rep) == ["heute", "vereinbarungen", "programm", *RESIDENT_MENU]
    assert ("vereinbarungen", "Your open agreements with buttons") in rep  # stored language en
    deputy = names(env.api.chat_menu(JONAS))
    assert {"faelle", "abwesend", "einladen"} <= set(deputy)
    assert await refresh_menus(env.app) == 0


async def test_staff_help_lists_the_commands_of_the_roles_in_german(env: BotEnv) -> None:
    await bind_role(env, MARIA, Role.MANAGER, district="10")
    maria = env.sim.user(MARIA, first_name="Maria", language_code="de")
    await maria.send("/sprache")
    await maria.press("Deutsch")
    await maria.send("/hilfe")
    text = maria.last.plain_text
    assert text.startswith("Was Sie hier mit Ihren Rollen tun können:")
    for line in (
        "Ihr Tag",
        "/heute – Was heute ansteht",
        "/erinnerungen [Tage] – Anstehende Erinnerungen, Nachfragen und Eskalationen",
        "/abwesend bis <Datum> – Abwesend: neue Anliegen gehen an Ihre Vertretung",
        "Anliegen",
        "/fall <Nummer> – Ein Anliegen mit Verlauf",
        "/antwort <Nummer> <Text oder #Vorlage> – Der Einwohnerin/dem Einwohner eines Anliegens "
        "antworten",
        "Konferenzen, Vereinbarungen und Projekte",
        "/konferenz [Bezirk] – Stadtbezirkskonferenz planen",
        "/bericht – Kennzahlen und Berichte als Datei",
        "/einladen fb <Fachbereich> – Fachbereichsvertretung einladen",
        "Als Einwohnerin oder Einwohner",
        "/neu – neues Anliegen",
    ):
        assert line in text, line
    assert "/widerrufen" not in text and "/fachbereich" not in text
    assert maria.reply_keyboard is not None and maria.reply_keyboard[0] == ["📅 Heute", "📂 Fälle"]

    # the ❓ button of the staff keyboard gives the same help
    await maria.press_reply("❓ Hilfe")
    assert maria.last.plain_text == text

    erika = env.sim.user(ERIKA, language_code="de")
    await erika.send("/start")
    await erika.press("✅ Ich stimme zu")
    await erika.send("/hilfe")
    assert erika.last.plain_text.startswith("So funktioniert es:")
    assert "/heute" not in erika.last.plain_text and "/faelle" not in erika.last.plain_text


async def test_rep_and_coordinator_help_in_english(env: BotEnv) -> None:
    await bind_role(env, RALF, Role.REP, district="10", department="66")
    ralf = env.sim.user(RALF, language_code="en")
    await ralf.send("/help")
    text = ralf.last.plain_text
    assert "Your department" in text
    assert "/heute – Due agreements and this week's conferences" in text
    assert "/vereinbarungen – Your open agreements with buttons" in text
    assert "Every reminder about an agreement has buttons" in text
    assert "/faelle" not in text and "/bericht" not in text
    assert ralf.reply_keyboard == [["📅 Today", "🤝 Agreements"], ["🌐 Language", "❓ Help"]]

    admin = env.sim.user(ADMIN_ID, language_code="en")
    await admin.send("/help")
    text = admin.last.plain_text
    assert "/einladen <role> … – Invite someone to a role" in text
    assert "/widerrufen <id> – Revoke an invitation" in text
    assert "/fachbereich <number> <name> – Correct a department's name" in text
    assert "/abwesend" not in text


async def test_staff_keyboard_everywhere_the_menu_shows_and_its_buttons_work(env: BotEnv) -> None:
    await bind_role(env, MARIA, Role.MANAGER, district="10")
    maria = env.sim.user(MARIA, first_name="Maria", language_code="de")
    await maria.send("/sprache")
    await maria.press("Deutsch")
    staff_rows = maria.reply_keyboard
    assert staff_rows is not None and staff_rows[0] == ["📅 Heute", "📂 Fälle"]
    await maria.send("/start")  # the greeting (consent asked once: buttons, no keyboard)
    assert "/heute zeigt, was heute bei Ihnen ansteht" in maria.last.plain_text
    await maria.press("✅ Ich stimme zu")
    assert maria.reply_keyboard == staff_rows
    await maria.send("/start")
    assert "/heute zeigt" in maria.last.plain_text and maria.reply_keyboard == staff_rows
    await maria.send("/gibtsnicht")
    assert maria.reply_keyboard == staff_rows
    await maria.send("/neu")
    await maria.send("/abbrechen")
    assert maria.last.plain_text == "Abgebrochen. Es wurde nichts gesendet."
    assert maria.reply_keyboard == staff_rows

    await maria.press_reply("📅 Heute")
    assert maria.last.plain_text.startswith("Heute, Mi, 11.03.2026")
    await maria.press_reply("📂 Fälle")
    assert maria.last.plain_text == "In Ihren Stadtbezirken gibt es keine offenen Anliegen."
    await maria.press_reply("⏰ Erinnerungen")
    assert maria.last.plain_text == "In den nächsten 14 Tagen ist keine Erinnerung fällig."
    await maria.press_reply("🤝 Vereinbarungen")
    assert maria.last.plain_text == "Keine offenen Vereinbarungen."

    # the English labels work too (a keyboard sent before a language change stays shown)
    await maria.send("📅 Today")
    assert maria.last.plain_text.startswith("Heute, Mi, 11.03.2026")
    # a resident pressing a staff label learns nothing
    erika = env.sim.user(ERIKA, language_code="de")
    await erika.send("📅 Heute")
    assert erika.last.plain_text == "Das dürfen Sie leider nicht."


async def test_a_council_member_gets_the_council_commands_and_the_residents_keyboard(
    env: BotEnv,
) -> None:
    assert env.sim is not None
    await bind_role(
        env, 750_001, Role.COUNCIL_MEMBER, district="10", first_name="Birgit", language="de"
    )
    async with session_scope(env.services.session_maker) as session:
        await session.execute(
            sa_update(Person).where(Person.telegram_id == 750_001).values(language="de")
        )
    birgit = env.sim.user(750_001, first_name="Birgit", language_code="de")
    await birgit.send("/start")
    await birgit.press("✅ Ich stimme zu")
    await birgit.send("/hilfe")
    help_text = birgit.last.plain_text
    assert "/anfrage – Anfrage für eine Sitzung stellen" in help_text
    assert "/anfragen – Anfragen und ihr Stand" in help_text and "/faelle" not in help_text
    assert birgit.reply_keyboard == [
        ["📝 Neues Anliegen", "📋 Meine Anliegen"],
        ["🌐 Sprache", "❓ Hilfe"],
    ]
    await birgit.send("/heute")
    assert birgit.last.plain_text == "Das dürfen Sie leider nicht."
