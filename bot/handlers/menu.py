"""Greeting, privacy consent, the persistent menu, help, language and the resident's list."""

from __future__ import annotations

from telegram import ReplyKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.handlers.command_menus import refresh_menus
from bot.handlers.common import acknowledge, ensure_person, send_reply, translator
from bot.handlers.home import send_home, sender_parts
from bot.i18n import Translations, Translator
from bot.messages import callbacks
from bot.messages import home as staff_home
from bot.messages import menu as messages
from bot.messages.menu import MENU_HELP, MENU_LANGUAGE, MENU_MINE, MENU_NEW, menu_labels, menu_rows
from bot.messages.network_people import help_question
from bot.services.access import people
from bot.services.cases import records as cases
from bot.storage.db import session_scope

__all__ = ["MENU_NEW", "main_menu", "menu_labels", "menu_rows", "register"]
PRIVATE = filters.ChatType.PRIVATE


def main_menu(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(menu_rows(t), resize_keyboard=True)


async def start(update: Update, context: BotContext) -> None:
    """Greet, ask for consent once, then show the menu."""
    person = await ensure_person(update, context)
    t = translator(update, context)  # after ensure_person, which loads a stored language
    user = update.effective_user
    name = (user.first_name or "") if user else ""
    consented = people.has_consent(person)
    await send_home(update, context, messages.greeting(t, name, consented=consented), note=True)


async def on_consent(update: Update, context: BotContext) -> None:
    """Record the consent (or not) given with the greeting's buttons."""
    await acknowledge(update)
    t = translator(update, context)
    assert context.match is not None  # registered with the family's pattern
    if context.match.group(1) == "no":
        general = context.services.reference.general
        switchboard = general.phone if general is not None and general.phone else "0511 168-0"
        await send_reply(update, messages.consent_refused(t, switchboard))
        return
    person = await ensure_person(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        person = await session.merge(person)
        await people.record_consent(session, person, now=services.clock.now())
    await send_home(update, context, messages.consent_given(t))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what the bot does and its commands: staff get the commands of their roles,
    residents a button that asks who their district manager is."""
    parts = await sender_parts(update, context)
    t = translator(update, context)
    if parts:
        await send_reply(update, staff_home.help_text(t, parts))
        return
    # a message carries one keyboard: the question's button first, the help with the menu last
    await send_reply(update, help_question(t))
    await send_reply(update, messages.help_text(t))


async def language_command(update: Update, context: BotContext) -> None:
    """Offer the shipped languages."""
    t = translator(update, context)
    languages = context.services.translations.languages
    await send_reply(update, messages.language_choice(t, languages))


async def on_language(update: Update, context: BotContext) -> None:
    """Store the chosen language and answer in it."""
    await acknowledge(update)
    assert context.match is not None  # registered with the family's pattern
    language = context.match.group(1)
    translations = context.services.translations
    if language not in translations.languages:  # forged data: a language we do not ship
        return
    person = await ensure_person(update, context)
    async with session_scope(context.services.session_maker) as session:
        person = await session.merge(person)
        await people.set_language(session, person, language)
    if context.user_data is not None:
        context.user_data["lang"] = language
    await send_home(update, context, messages.language_set(translations.get(language)))
    await refresh_menus(context.application, person_ids={person.id})  # staff: in the new language


async def my_cases(update: Update, context: BotContext) -> None:
    """List the sender's own cases with their status, latest step and next date."""
    t = translator(update, context)
    person = await ensure_person(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        rows = await cases.progress_of_resident(session, resident=person)
    reply = messages.my_cases(t, rows, reference=services.reference, tz=services.settings.tz)
    await send_reply(update, reply)


def _menu_button(translations: Translations, label: str) -> filters.BaseFilter:
    return filters.Text(menu_labels(translations, label)) & PRIVATE


def register(app: BotApplication, translations: Translations) -> None:
    app.add_handler(CommandHandler("start", start, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_consent, pattern=callbacks.CONSENT.pattern))
    app.add_handler(CommandHandler(["hilfe", "help"], help_command, filters=PRIVATE))
    app.add_handler(MessageHandler(_menu_button(translations, MENU_HELP), help_command))
    app.add_handler(CommandHandler(["sprache", "language"], language_command, filters=PRIVATE))
    app.add_handler(MessageHandler(_menu_button(translations, MENU_LANGUAGE), language_command))
    app.add_handler(CallbackQueryHandler(on_language, pattern=callbacks.LANGUAGE.pattern))
    app.add_handler(CommandHandler(["meine", "mine"], my_cases, filters=PRIVATE))
    app.add_handler(MessageHandler(_menu_button(translations, MENU_MINE), my_cases))
