"""Typed context: everything a handler needs, set up once by the application factory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.services.basics.clock import Clock, SystemClock

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.delivery import OutboxSender
    from bot.i18n import Translations
    from bot.services.basics.env import ServiceEnv
    from bot.services.basics.reference import ReferenceData
    from bot.services.basics.routing import PlaceRouter
    from bot.storage.db import SessionMaker


@dataclass
class Services:
    settings: Settings
    session_maker: SessionMaker
    translations: Translations
    reference: ReferenceData
    router: PlaceRouter
    clock: Clock

    @property
    def env(self) -> ServiceEnv:
        """The plain values services need (built on first use, then reused)."""
        cached = self.__dict__.get("_env")
        if cached is None:
            from datetime import time

            from bot.services.basics.env import NudgePolicy, ServiceEnv

            s = self.settings
            policy = NudgePolicy(
                days_before=tuple(s.nudge_days_before),
                overdue_every_working_days=s.nudge_overdue_every_working_days,
                escalate_manager_after=s.escalate_manager_after_working_days,
                escalate_coordinator_after=s.escalate_coordinator_after_working_days,
                work_start=time(s.working_hours_start),
                work_end=time(s.working_hours_end),
            )
            cached = ServiceEnv(
                self.reference,
                s.tz,
                tuple(s.admin_telegram_ids),
                s.referral_followup_working_days,
                s.reopen_days,
                policy=policy,
            )
            self.__dict__["_env"] = cached
        return cached


class BotData(dict[str, Any]):
    """bot_data with a typed slot for the services (python-telegram-bot creates it empty)."""

    services: Services | None = None
    outbox: OutboxSender | None = None  # set by build_application()
    clock: Clock = SystemClock()


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        services = self.bot_data.services
        assert services is not None, "build_application() sets the services"
        return services


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)
BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any
]
