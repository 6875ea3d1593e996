"""Configuration from the environment and `.env`, read once in `main()` and passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.services.basics.languages import available_languages

PLACEHOLDER_TOKENS = {"", "changeme", "your-token-here", "123456:ABC-DEF"}
PLACEHOLDER_SECRETS = {
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "your-secret-here",
    "your_secret_here",
    "your-webhook-secret",
    "webhook-secret",
    "replace-me",
    "xxx",
}
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token
MIN_WEBHOOK_SECRET_LENGTH = 16
RESERVED_PATHS = ("/healthz", "/metrics", "/open311")  # served beside the webhook


class Settings(BaseSettings):
    """All settings of Bezirksbot; every field is documented in `.env.example`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str | None = None
    bot_username: str | None = None  # for invitation links; else asked via getMe
    database_url: str = "sqlite+aiosqlite:///./data/bezirksbot.sqlite3"
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Europe/Berlin"
    default_language: str = "de"
    data_dir: Path | None = None  # reference data; None means the files shipped in bot/data
    street_directory_csv: Path | None = None
    boundaries_geojson: Path | None = None
    boundaries_name_property: str | None = None
    max_text_length: int = Field(default=2000, ge=1, le=4000)  # a Telegram message holds 4096
    max_photos: int = Field(default=3, ge=0, le=10)
    # a larger photo or file is refused; bots cannot download more than 20 MB
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=20 * 1024 * 1024)
    flood_messages_per_minute: int = Field(default=30, ge=0)  # per user; 0 switches it off
    # for people with a role (staff, departments, council): they enter forms in quick series
    flood_staff_messages_per_minute: int = Field(default=120, ge=0)
    max_concurrent_updates: int = Field(default=64, ge=1, le=1024)
    persistence_interval_seconds: float = Field(default=2.0, gt=0, le=3600)
    outbox_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    invitation_days: int = Field(default=7, ge=1, le=365)
    referral_followup_working_days: int = Field(default=3, ge=1, le=60)
    reopen_days: int = Field(default=14, ge=0, le=365)
    retention_months: int = Field(default=12, ge=1, le=120)  # closed cases keep personal data
    directory_stale_months: int = Field(default=12, ge=1, le=120)  # then entries are reviewed
    nudge_days_before: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [7, 1])
    nudge_overdue_every_working_days: int = Field(default=3, ge=1, le=60)
    escalate_manager_after_working_days: int = Field(default=5, ge=1, le=250)
    escalate_coordinator_after_working_days: int = Field(default=10, ge=1, le=250)
    working_hours_start: int = Field(default=8, ge=0, le=23)
    working_hours_end: int = Field(default=18, ge=1, le=23)
    # after the bot was down longer than this, the coordinators get one summary of what the
    # reminder sweep caught up (sent late as one current message, or skipped)
    catch_up_summary_after_minutes: int = Field(default=240, ge=1, le=60 * 24 * 30)
    log_json: bool = False
    # `bezirksbot serve`: the webhook server (also health, metrics and Open311)
    webhook_url: str | None = None  # public base URL Telegram posts to, e.g. https://bot.example
    webhook_secret: SecretStr | None = None  # Telegram sends it in X-Telegram-Bot-Api-Secret-Token
    webhook_path: str = "/telegram"
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8080, ge=1, le=65535)
    health_max_outbox_backlog: int = Field(default=500, ge=0)
    health_max_reminder_backlog: int = Field(default=500, ge=0)
    # a resident's free text answers a case the management wrote to within this many days
    resident_reply_window_days: int = Field(default=30, ge=1)
    # District council: the city sets the inquiry deadline (working days before a session);
    # until then None, and the bot only marks an inquiry that arrives late as such.
    council_inquiry_deadline_working_days: int | None = Field(default=None, ge=0, le=60)
    council_statement_working_days: int = Field(default=5, ge=0, le=60)  # due before a session
    council_nudge_working_days: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [3, 1]
    )
    # The residents' verdict: asked this many working days after a case is closed, reminded
    # once this many working days later (0: no reminder).
    verdict_working_days: int = Field(default=5, ge=1, le=60)
    verdict_reminder_working_days: int = Field(default=3, ge=0, le=60)
    # The city's targets for the evaluation report (shares as fractions).
    target_first_response_working_days: int = Field(default=2, ge=0, le=60)
    target_first_response_share: float = Field(default=0.9, ge=0, le=1)
    target_kept_share: float = Field(default=0.8, ge=0, le=1)
    target_conferences_per_year: int = Field(default=2, ge=0, le=52)
    target_satisfaction: float = Field(default=4.0, ge=1, le=5)

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("nudge_days_before", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("council_nudge_working_days", mode="before")
    @classmethod
    def _split_council_days(cls, value: object) -> object:
        return cls._split_days(value)

    @field_validator("nudge_days_before")
    @classmethod
    def _days_before_positive(cls, value: list[int]) -> list[int]:
        if any(not 1 <= day <= 365 for day in value):
            raise ValueError("every day must be between 1 and 365 (the due date is always nudged)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone, e.g. Europe/Berlin") from None
        return value

    @model_validator(mode="after")
    def _in_order(self) -> Settings:
        if self.working_hours_start >= self.working_hours_end:
            raise ValueError(
                "WORKING_HOURS_START must be before WORKING_HOURS_END "
                f"(got {self.working_hours_start} and {self.working_hours_end})"
            )
        if (
            self.escalate_manager_after_working_days
            >= self.escalate_coordinator_after_working_days
        ):
            raise ValueError(
                "ESCALATE_MANAGER_AFTER_WORKING_DAYS must be less than "
                "ESCALATE_COORDINATOR_AFTER_WORKING_DAYS (got "
                f"{self.escalate_manager_after_working_days} and "
                f"{self.escalate_coordinator_after_working_days})"
            )
        return self

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in available_languages():
            raise ValueError(f"DEFAULT_LANGUAGE must be one of {available_languages()}")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        """The bot token, or None when it is missing or an obvious placeholder."""
        if self.telegram_bot_token is None:
            return None
        value = self.telegram_bot_token.get_secret_value().strip()
        return None if value in PLACEHOLDER_TOKENS else value

    @property
    def webhook_secret_value(self) -> str | None:
        """The webhook secret, or None when it is missing or an obvious placeholder."""
        if self.webhook_secret is None:
            return None
        value = self.webhook_secret.get_secret_value().strip()
        return None if value.lower() in PLACEHOLDER_SECRETS or not value else value

    def webhook_full_url(self) -> str:
        """The URL given to setWebhook: the public base URL and the webhook path."""
        return (self.webhook_url or "").rstrip("/") + self.webhook_path

    def webhook_problems(self) -> list[str]:
        """Why `bezirksbot serve` cannot start with these settings (empty when it can)."""
        problems = []
        url = (self.webhook_url or "").strip()
        if not url.startswith(("https://", "http://")):
            problems.append(
                "WEBHOOK_URL must be the public base URL, e.g. https://bot.example.org"
            )
        secret = self.webhook_secret_value
        if secret is None:
            problems.append("WEBHOOK_SECRET is missing or a placeholder")
        elif not WEBHOOK_SECRET.fullmatch(secret):
            problems.append("WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (1-256)")
        elif len(secret) < MIN_WEBHOOK_SECRET_LENGTH:
            problems.append(
                f"WEBHOOK_SECRET is too short (at least {MIN_WEBHOOK_SECRET_LENGTH} characters)"
            )
        path = self.webhook_path
        if not path.startswith("/") or path == "/" or any(ch.isspace() for ch in path):
            problems.append("WEBHOOK_PATH must start with / and name a path, e.g. /telegram")
        elif any(
            path == r or path.startswith(r + "/") or path.startswith(r + ".")
            for r in RESERVED_PATHS
        ):
            problems.append(f"WEBHOOK_PATH must not be one of {', '.join(RESERVED_PATHS)}")
        return problems

    def sqlite_path(self) -> Path | None:
        """The database file for SQLite URLs (to create its folder), else None."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            rest = self.database_url[len(prefix) :]
            return None if rest in ("", ":memory:") else Path(rest)
        return None


class SettingsError(ValueError):
    """The settings cannot be used; the message names every setting that is wrong."""


def describe(error: ValidationError) -> str:
    """One line per problem, each naming the environment variable and the value given."""
    lines = []
    for problem in error.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        if problem["loc"]:
            name = str(problem["loc"][0]).upper()
            lines.append(f"  - {name}={problem.get('input')!s}: {message}")
        else:
            lines.append(f"  - {message}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment and `.env`; a `SettingsError` names what is wrong."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(
            "Invalid settings (in .env or the environment):\n"
            + describe(error)
            + "\nSee .env.example for what each setting means."
        ) from None
