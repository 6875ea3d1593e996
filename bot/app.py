"""The application factory: nothing Telegram-shaped exists at import time."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import BotCommand
from telegram.ext import AIORateLimiter, ApplicationBuilder
from telegram.request import BaseRequest

from bot.config import Settings
from bot.context import CONTEXT_TYPES, BotApplication, Services
from bot.delivery import OutboxSender
from bot.handlers import (
    agreement_form,
    agreements,
    case_list,
    conferences,
    council_buttons,
    council_members,
    council_staff,
    departments,
    desk,
    fallback,
    home,
    intake,
    invitations,
    menu,
    needs,
    needs_call,
    needs_curation,
    needs_focus,
    network,
    network_form,
    network_people,
    news,
    privacy,
    relay,
    reminders,
    reports,
    today,
    triage,
    verdicts,
)
from bot.i18n import Translations
from bot.jobs import register_jobs
from bot.messages.menu import command_menu
from bot.messages.render import OutboxRenderer
from bot.services.basics.clock import Clock, SystemClock
from bot.services.basics.reference import ReferenceData, load_reference_data
from bot.services.basics.routing import PlaceRouter
from bot.services.network.seed import seed_directory
from bot.storage import migrate
from bot.storage.db import SessionMaker, create_engine, create_session_maker
from bot.updates import dispatch, guard
from bot.updates.persistence import DatabasePersistence, wait_for_drain
from bot.updates.processor import ChatOrderedUpdateProcessor

log = logging.getLogger(__name__)


async def open_storage(settings: Settings) -> tuple[AsyncEngine, SessionMaker]:
    """Create the engine (and the SQLite folder) and bring the schema up to date."""
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await migrate.upgrade(engine)
    await seed_directory(engine, settings.data_dir)  # an empty directory gets the shipped data
    return engine, create_session_maker(engine)


async def prepare_schema(settings: Settings) -> None:
    """Migrate with a short-lived engine (for callers that run the bot in another loop)."""
    engine, _ = await open_storage(settings)
    await engine.dispose()


def make_services(
    settings: Settings,
    session_maker: SessionMaker,
    *,
    clock: Clock | None = None,
    reference: ReferenceData | None = None,
) -> Services:
    reference = reference or load_reference_data(settings.data_dir)
    router = PlaceRouter(
        reference,
        street_csv=settings.street_directory_csv,
        geojson=settings.boundaries_geojson,
        name_property=settings.boundaries_name_property,
    )
    return Services(
        settings=settings,
        session_maker=session_maker,
        translations=Translations(settings.default_language),
        reference=reference,
        router=router,
        clock=clock or SystemClock(),
    )


def build_application(
    settings: Settings,
    services: Services,
    *,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    updates_request: BaseRequest | None = None,
) -> BotApplication:
    """Build the bot; `request` replaces the network (the offline stand-in in tests and demo);
    `updates_request` is the transport of getUpdates (the durable inbox's, when polling)."""
    # The rate limiter changes the bot's type parameters; the builder is declared loosely so
    # that both branches fit, and the result is the application the handlers are typed for.
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.token or "0:offline")
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(ChatOrderedUpdateProcessor(settings.max_concurrent_updates))
        .persistence(
            DatabasePersistence(
                services.session_maker, update_interval=settings.persistence_interval_seconds
            )
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    if request is not None:
        builder = builder.request(request).get_updates_request(updates_request or request)
    elif updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app: BotApplication = builder.build()
    app.bot_data.services = services
    renderer = OutboxRenderer(services.translations, services.reference, services.settings.tz)
    app.bot_data.outbox = OutboxSender(
        services.session_maker, services.clock, renderer, env=services.env
    )
    register_all(app, services)
    return app


def register_all(app: BotApplication, services: Services) -> None:
    """All handlers in one place. Order matters within group 0: the first match wins."""
    guard.register(app)  # groups -20/-15: malformed and repeated updates, flood, file size
    fallback.register_guard(app)  # group -10: groups and channels stop here
    invitations.register(app)  # an invitation's /start must win over intake and menu
    needs.register(app)  # a call's link (/start need-…) too; its dialogues' text steps
    needs_call.register(app)
    needs_curation.register(app)
    needs_focus.register(app)
    news.register(app)  # /abo, /nachricht and its dialogue
    # The intake conversation comes before the menu so that its states see text first.
    intake.register(app, menu_labels=menu.menu_labels(services.translations, menu.MENU_NEW))
    menu.register(app, services.translations)
    home.register(app, services.translations)  # the staff keyboard's buttons, as the menu's
    today.register(app)  # /heute and its buttons that open an agreement or a conference
    conferences.register(app)  # its typed steps must see text before relay's free text
    council_members.register(app)  # dialogues: typed steps before relay's free text
    council_staff.register(app)
    council_buttons.register(app)  # before relay, which would take an .ics as a reply
    privacy.register(app)  # /meine_daten, /loeschen and its buttons
    agreement_form.register(app)  # a conversation: its text steps come before relay
    agreements.register(app)
    reports.register(app)  # /bericht and its rp: buttons
    verdicts.register(app)  # the residents' verdict: its typed reason before relay
    reminders.register(app)  # /erinnerungen
    network_form.register(app)  # the directory's entry form: its typed steps before relay
    network.register(app)  # /netzwerk and its buttons
    network_people.register(app)  # /mein_bezirk, /treffen (a dialogue: text before relay)
    triage.register(app)
    departments.register(app)  # /fachbereich; stored name corrections applied at start
    relay.register(app)  # free text: staff inputs, replies on cases
    case_list.register(app)  # /faelle and its filter and page buttons
    desk.register(app)
    fallback.register(app)  # last: unknown commands, old buttons, anything else
    dispatch.register(app)  # group 0 asked only where a handler could match (same outcome)


async def _post_stop(app: BotApplication) -> None:
    """A clean stop records every processed update id and state before the process ends."""
    await wait_for_drain(app)
    if app.bot_data.outbox is not None:
        await app.bot_data.outbox.wait_idle()
    await guard.guard_of(app).ledger.flush()


async def _post_init(app: BotApplication) -> None:
    # Start-up leaves ~200,000 long-lived objects (libraries, reference data); moving them out
    # of the collector's reach keeps full collections from stalling updates for 100s of ms.
    gc.collect()
    gc.freeze()
    services = app.bot_data.services
    assert services is not None
    # All menus at once (one round trip, not eight in a row): polling starts after them.
    translations = services.translations

    def commands(language: str) -> list[BotCommand]:
        return [BotCommand(name, text) for name, text in command_menu(translations.get(language))]

    await asyncio.gather(
        *(
            app.bot.set_my_commands(commands(language), language_code=language)
            for language in translations.languages
        ),
        app.bot.set_my_commands(commands(services.settings.default_language)),
    )
    # every language's menu labels and commands are taken: the rarer ones load on first use
    translations.forget_rare()
    register_jobs(app)
