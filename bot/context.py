"""Typed context: everything a handler needs, set up once by the application factory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.clock import Clock, SystemClock

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.i18n import Translations
    from bot.services.reference import ReferenceData
    from bot.services.routing import PlaceRouter
    from bot.storage.db import SessionMaker


@dataclass
class Services:
    settings: Settings
    session_maker: SessionMaker
    translations: Translations
    reference: ReferenceData
    router: PlaceRouter
    clock: Clock


class BotData(dict[str, Any]):
    """bot_data with a typed slot for the services (python-telegram-bot creates it empty)."""

    services: Services | None = None
    clock: Clock = SystemClock()


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        services = self.bot_data.services
        assert services is not None, "build_application() sets the services"
        return services


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)
BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
