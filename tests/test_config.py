"""Every setting is checked at start: a wrong value stops the bot with a message naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def _load(**values: Any) -> Settings:
    return load_settings(_env_file=None, **values)


def _refused(**values: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        _load(**values)
    return str(caught.value)


def test_defaults_are_valid() -> None:
    settings = _load()
    assert settings.nudge_overdue_every_working_days == 3
    assert settings.escalate_manager_after_working_days < (
        settings.escalate_coordinator_after_working_days
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("nudge_overdue_every_working_days", 0),  # was: a nudge every 30 s without end
        ("nudge_overdue_every_working_days", -1),
        ("escalate_manager_after_working_days", -3),
        ("escalate_manager_after_working_days", 0),
        ("escalate_coordinator_after_working_days", -1),
        ("working_hours_start", -1),
        ("working_hours_start", 24),
        ("working_hours_end", 0),
        ("working_hours_end", 25),
        ("catch_up_summary_after_minutes", 0),
        ("persistence_interval_seconds", 0),
        ("outbox_interval_seconds", -5),
        ("invitation_days", 0),
        ("referral_followup_working_days", 0),
        ("reopen_days", -1),
        ("retention_months", 0),
        ("max_text_length", 0),
        ("max_text_length", 5000),
        ("max_photos", -1),
        ("max_upload_bytes", 0),
        ("max_upload_bytes", 21 * 1024 * 1024),
        ("flood_messages_per_minute", -1),
        ("max_concurrent_updates", 0),
        ("listen_port", 0),
        ("health_max_outbox_backlog", -1),
    ],
)
def test_a_value_out_of_range_is_refused_naming_the_setting(name: str, value: object) -> None:
    message = _refused(**{name: value})
    assert f"{name.upper()}={value}" in message
    assert "greater than" in message or "less than" in message


@pytest.mark.parametrize("value", ["0", "7,0", "-1", "400"])
def test_nudge_days_before_must_be_whole_days_before_the_due_date(value: str) -> None:
    message = _refused(nudge_days_before=value)
    assert "NUDGE_DAYS_BEFORE" in message
    assert "between 1 and 365" in message


def test_nudge_days_before_accepts_a_list() -> None:
    assert _load(nudge_days_before="14, 3,1").nudge_days_before == [14, 3, 1]


def test_a_setting_that_is_not_a_number_is_refused_naming_it() -> None:
    message = _refused(nudge_overdue_every_working_days="drei")
    assert "NUDGE_OVERDUE_EVERY_WORKING_DAYS=drei" in message
    assert "integer" in message


def test_the_manager_is_escalated_to_before_the_coordinators() -> None:
    for manager, coordinator in ((10, 10), (12, 10)):
        message = _refused(
            escalate_manager_after_working_days=manager,
            escalate_coordinator_after_working_days=coordinator,
        )
        assert "ESCALATE_MANAGER_AFTER_WORKING_DAYS must be less than" in message
        assert f"got {manager} and {coordinator}" in message
    assert _load(escalate_manager_after_working_days=2, escalate_coordinator_after_working_days=3)


def test_working_hours_start_before_they_end() -> None:
    for start, end in ((18, 8), (9, 9)):
        message = _refused(working_hours_start=start, working_hours_end=end)
        assert "WORKING_HOURS_START must be before WORKING_HOURS_END" in message
        assert f"got {start} and {end}" in message
    assert _load(working_hours_start=0, working_hours_end=23).working_hours_end == 23


def test_an_unknown_time_zone_is_refused() -> None:
    message = _refused(timezone="Europe/Hanover")
    assert "TIMEZONE=Europe/Hanover: unknown time zone" in message


def test_an_unknown_language_is_refused() -> None:
    assert "DEFAULT_LANGUAGE" in _refused(default_language="fr")


def test_every_problem_is_named_at_once() -> None:
    message = _refused(nudge_overdue_every_working_days=0, reopen_days=-2, timezone="Mars/Base")
    for name in ("NUDGE_OVERDUE_EVERY_WORKING_DAYS=0", "REOPEN_DAYS=-2", "TIMEZONE=Mars/Base"):
        assert name in message
    assert "See .env.example" in message


def test_every_setting_is_documented_in_env_example() -> None:
    documented = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"\n{name.upper()}=" in documented, name


def test_the_bot_refuses_to_start_with_a_clear_message(tmp_path: Path) -> None:
    """`bezirksbot run` with NUDGE_OVERDUE_EVERY_WORKING_DAYS=0 stops before doing anything."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NUDGE_"))}
    env.update(
        NUDGE_OVERDUE_EVERY_WORKING_DAYS="0",
        ESCALATE_MANAGER_AFTER_WORKING_DAYS="-3",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'never.sqlite3'}",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(['run']))"],
        cwd=tmp_path,  # no .env here
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Invalid settings" in result.stderr
    assert "NUDGE_OVERDUE_EVERY_WORKING_DAYS=0" in result.stderr
    assert "ESCALATE_MANAGER_AFTER_WORKING_DAYS=-3" in result.stderr
    assert not (tmp_path / "never.sqlite3").exists()
