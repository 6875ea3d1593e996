"""Plain values the services need besides a session (no Telegram, no settings object)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.i18n import Translations, Translator
from bot.services.agreement_reminders import NudgePolicy
from bot.services.reference import ReferenceData


@dataclass(frozen=True)
class ServiceEnv:
    reference: ReferenceData
    translations: Translations
    tz: ZoneInfo
    admin_ids: Sequence[int] = ()
    referral_followup_working_days: int = 3
    reopen_days: int = 14
    policy: NudgePolicy = field(default_factory=NudgePolicy)  # agreement nudges, working hours

    def translator(self, language: str | None) -> Translator:
        return self.translations.get(language)
