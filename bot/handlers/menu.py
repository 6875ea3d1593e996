"""Greeting, privacy consent, the persistent menu, help, language and the resident's list."""

from __future__ import annotations

from html import escape

from telegram import ReplyKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.handlers.common import (
    acknowledge,
    ensure_person,
    send,
    translator,
)
from bot.i18n import N_, Translations, Translator
from bot.messages import callbacks
from bot.messages.cases import EMERGENCY, local, status_label
from bot.messages.formatting import language_name
from bot.services.access import people
from bot.services.cases import records as cases
from bot.storage.db import session_scope

MENU_NEW = N_("📝 New concern")
MENU_MINE = N_("📋 My concerns")
MENU_LANGUAGE = N_("🌐 Language")
MENU_HELP = N_("❓ Help")
PRIVATE = filters.ChatType.PRIVATE


def menu_rows(t: Translator) -> list[list[str]]:
    return [[t(MENU_NEW), t(MENU_MINE)], [t(MENU_LANGUAGE), t(MENU_HELP)]]


def main_menu(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(menu_rows(t), resize_keyboard=True)


def menu_labels(translations: Translations, message: str) -> list[str]:
    """A menu button's text in every shipped language (the keyboard is per user)."""
    return sorted({translations.get(lang).gettext(message) for lang in translations.languages})


def privacy_notice(t: Translator) -> str:
    return t(
        "Privacy: to handle your concern, the city of Hannover stores what you send here "
        "(place, topic, text, photos, contact details) and your Telegram account, and shows it "
        "to the district management and, without your Telegram identity, to the departments "
        "involved. Your description is published (anonymously, in the city's open data) only "
        "if you choose so before sending. You can see your data with /meine_daten and have it "
        "erased with /loeschen."
    )


async def start(update: Update, context: BotContext) -> None:
    """Greet, ask for consent once, then show the menu."""
    t = translator(update, context)
    person = await ensure_person(update, context)
    t = translator(update, context)
    name = escape(update.effective_user.first_name or "") if update.effective_user else ""
    greeting = t(
        "Hello {name}! I am the assistant of the district management of the city of Hannover. "
        "You can tell me about concerns in your quarter, and I pass them on to the manager of "
        "your district.",
        name=name,
    )
    if not people.has_consent(person):
        await send(
            update,
            greeting + "\n\n" + t(EMERGENCY) + "\n\n" + privacy_notice(t),
            buttons=[[(t("✅ I agree"), "consent:yes"), (t("✖️ No"), "consent:no")]],
        )
        return
    await send(update, greeting + "\n\n" + t(EMERGENCY), reply_markup=main_menu(t))


async def on_consent(update: Update, context: BotContext) -> None:
    await acknowledge(update)
    t = translator(update, context)
    if context.match.group(1) == "no":
        await send(
            update,
            t(
                "Without your consent I cannot take concerns. You can change your mind with "
                "/start at any time. Other ways to reach the city: phone 115."
            ),
        )
        return
    person = await ensure_person(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        person = await session.merge(person)
        await people.record_consent(session, person, now=services.clock.now())
    await send(update, t("Thank you. What would you like to do?"), reply_markup=main_menu(t))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what the bot does and its commands."""
    t = translator(update, context)
    await send(
        update,
        t(
            "How it works: press 'New concern' (or /neu), tell me where and what, and confirm. "
            "You get a reference number, and the district management answers you here.\n\n"
            "/neu – new concern\n/meine – my concerns and their status\n/sprache – language\n"
            "/abbrechen – cancel the current step\n/meine_daten – my stored data\n"
            "/loeschen – erase my data\n\n"
        )
        + t(EMERGENCY),
        reply_markup=main_menu(t),
    )


async def language_command(update: Update, context: BotContext) -> None:
    t = translator(update, context)
    await send(
        update,
        t("Choose your language:"),
        buttons=[
            [(language_name(code), callbacks.LANGUAGE.data(code))]
            for code in context.services.translations.languages
        ],
    )


async def on_language(update: Update, context: BotContext) -> None:
    await acknowledge(update)
    language = context.match.group(1)
    person = await ensure_person(update, context)
    async with session_scope(context.services.session_maker) as session:
        person = await session.merge(person)
        await people.set_language(session, person, language)
    context.user_data["lang"] = language
    t = context.services.translations.get(language)
    await send(update, t("Language set to English."), reply_markup=main_menu(t))


async def my_cases(update: Update, context: BotContext) -> None:
    """List the sender's own cases with their status."""
    t = translator(update, context)
    person = await ensure_person(update, context)
    services = context.services
    async with session_scope(services.session_maker) as session:
        rows = await cases.cases_of_resident(session, resident=person)
    if not rows:
        await send(update, t("You have not sent any concerns yet. Start with /neu."))
        return
    tz = services.settings.tz
    lines = [t("Your concerns:")]
    for case in rows:
        topic = services.reference.topic(case.topic).label(t.language)
        lines.append(
            f"• {case.reference} – {topic} – {status_label(t, case.status)} "
            f"({local(case.created_at, tz)})"
        )
    await send(update, "\n".join(lines))


def register(app: Application, translations: Translations) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_consent, pattern=r"^consent:(yes|no)$"))
    app.add_handler(CommandHandler(["hilfe", "help"], help_command, filters=PRIVATE))
    app.add_handler(
        MessageHandler(filters.Text(menu_labels(translations, MENU_HELP)) & PRIVATE, help_command)
    )
    app.add_handler(CommandHandler(["sprache", "language"], language_command, filters=PRIVATE))
    app.add_handler(
        MessageHandler(
            filters.Text(menu_labels(translations, MENU_LANGUAGE)) & PRIVATE, language_command
        )
    )
    app.add_handler(CallbackQueryHandler(on_language, pattern=callbacks.LANGUAGE.pattern))
    app.add_handler(CommandHandler(["meine", "mine"], my_cases, filters=PRIVATE))
    app.add_handler(
        MessageHandler(filters.Text(menu_labels(translations, MENU_MINE)) & PRIVATE, my_cases)
    )
