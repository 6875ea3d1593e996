"""Configuration from the environment and `.env`, read once in `main()` and passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationInfo, field_validator
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
    max_text_length: int = 2000
    max_photos: int = 3
    max_upload_bytes: int = 10 * 1024 * 1024  # a larger photo or file is refused
    flood_messages_per_minute: int = 30  # per user; 0 switches flood control off
    max_concurrent_updates: int = 64
    persistence_interval_seconds: float = 2.0
    outbox_interval_seconds: float = 5.0
    invitation_days: int = 7
    referral_followup_working_days: int = 3
    reopen_days: int = 14
    retention_months: int = Field(default=12, ge=1)  # closed cases keep personal data this long
    nudge_days_before: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [7, 1])
    nudge_overdue_every_working_days: int = 3
    escalate_manager_after_working_days: int = 5
    escalate_coordinator_after_working_days: int = 10
    working_hours_start: int = 8
    working_hours_end: int = 18
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

    @field_validator("working_hours_end")
    @classmethod
    def _hours_in_order(cls, value: int, info: ValidationInfo) -> int:
        start = info.data.get("working_hours_start", 8)
        if not 0 <= start < value <= 23:
            raise ValueError("WORKING_HOURS_START must be before WORKING_HOURS_END (0-23)")
        return value

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
