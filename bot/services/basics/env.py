"""Plain values the services need besides a session (no Telegram, no settings object)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo

from bot.services.basics.reference import ReferenceData


@dataclass(frozen=True)
class NudgePolicy:
    """When reps are nudged and agreements escalated; built from the settings."""

    days_before: tuple[int, ...] = (7, 1)
    overdue_every_working_days: int = 3
    escalate_manager_after: int = 5  # working days overdue; escalates when exceeded
    escalate_coordinator_after: int = 10
    work_start: time = time(8)
    work_end: time = time(18)


@dataclass(frozen=True)
class ServiceEnv:
    reference: ReferenceData
    tz: ZoneInfo
    admin_ids: Sequence[int] = ()
    referral_followup_working_days: int = 3
    reopen_days: int = 14
    policy: NudgePolicy = field(default_factory=NudgePolicy)  # agreement nudges, working hours
