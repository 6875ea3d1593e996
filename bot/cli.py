"""The `bezirksbot` command: run, serve, demo, migrate, invite, report, reminders, start (run
with a token, else demo)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from bot import directory_cli, reminders_cli
from bot.config import Settings, SettingsError, load_settings
from bot.council_cli import register as register_council
from bot.logging_setup import configure_logging

NO_TOKEN = """\
No Telegram bot token is configured.

To run the real bot:
  1. In Telegram, open @BotFather, send /newbot and follow the questions.
  2. Copy the token it gives you into .env:  TELEGRAM_BOT_TOKEN=123456:ABC...
  3. Start again:  bezirksbot {command}

To try Bezirksbot without a token and without network:  bezirksbot demo
"""


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:  # refuse to start, naming every wrong setting
        print(error, file=sys.stderr)
        raise SystemExit(2) from None


def cmd_run(settings: Settings) -> int:
    if not settings.token:
        print(NO_TOKEN.format(command="run"), file=sys.stderr)
        return 2
    from bot.runner import run_polling

    return run_polling(settings)  # 0, or 3 when the leader lock was lost (restart us)


def cmd_serve(settings: Settings) -> int:
    """The webhook server (with /healthz, /metrics and Open311) until SIGTERM or Ctrl-C."""
    if not settings.token:
        print(NO_TOKEN.format(command="serve"), file=sys.stderr)
        return 2
    problems = settings.webhook_problems()
    if problems:
        print("Cannot start the webhook server:\n" + "".join(f"  - {p}\n" for p in problems)
              + "Set them in .env (see .env.example).", file=sys.stderr)  # fmt: skip
        return 2
    from telegram.error import TelegramError

    from bot.web.server import serve

    try:
        asyncio.run(serve(settings))
    except OSError as error:  # e.g. the port is taken
        print(f"Cannot listen on {settings.listen_host}:{settings.listen_port}: {error}",
              file=sys.stderr)  # fmt: skip
        return 1
    except TelegramError as error:  # e.g. setWebhook refused the URL
        print(f"Telegram answered with an error: {error.message}", file=sys.stderr)
        return 1
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.offline.demo import run_demo

    return asyncio.run(run_demo(settings, database=args.database, script=args.script))


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """SQLite: an online copy into a timestamped file. PostgreSQL: the pg_dump to run."""
    from bot.storage import backup

    output = args.output
    if settings.database_url.startswith("postgresql"):
        print("The database is PostgreSQL: back it up with pg_dump (password in PGPASSWORD or "
              "~/.pgpass), e.g. from cron:\n  "
              + backup.pg_dump_command(settings.database_url, output)
              + "\nRestore with pg_restore --clean --dbname=<database> <file>. "
              "No backup was written.")  # fmt: skip
        return 2
    source = settings.sqlite_path()
    if source is None:
        print(f"Cannot back up {settings.database_url!r}: not a SQLite file.", file=sys.stderr)
        return 2
    try:
        result = backup.backup_sqlite(source, backup.target_path(source, output))
    except backup.BackupError as error:
        print(f"Backup failed: {error}", file=sys.stderr)
        return 1
    print(f"Backup written: {result.path} ({result.size} bytes)")
    return 0


def cmd_migrate(settings: Settings) -> int:
    from bot.app import prepare_schema

    asyncio.run(prepare_schema(settings))
    print("Database schema is up to date.")
    return 0


INVITE_ERRORS = {
    "one_district": "manager and deputy invitations need exactly one --district",
    "no_department": "manager and deputy invitations take no --department",
    "unknown_district": "unknown district {value!r} (give its number 01-13 or its exact name)",
    "department_required": "rep invitations need --department and at least one --district",
    "district_required": "rep invitations need --department and at least one --district",
    "unknown_department": "unknown department {value!r}",
    "no_scope": "coordinator and admin invitations take no --district or --department",
    "days": "--days must be at least 1",
}


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_invite(settings, args))


async def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import open_storage
    from bot.i18n import Translations
    from bot.messages.formatting import format_date
    from bot.messages.invitations import describe
    from bot.services.access import invitations
    from bot.services.basics.reference import load_reference_data
    from bot.storage.db import session_scope

    role = invitations.parse_role(args.role) if args.role else None
    if not (args.list or args.revoke is not None or role is not None):
        unknown = f"Unknown role {args.role!r}. " if args.role else ""
        print(f"{unknown}Give a role (manager, deputy, rep, coordinator, admin), --list or "
              "--revoke ID.", file=sys.stderr)  # fmt: skip
        return 2
    engine, maker = await open_storage(settings)  # migrates, as `bezirksbot migrate` does
    try:
        reference = load_reference_data(settings.data_dir)
        t = Translations("en").get("en")
        now = datetime.now(UTC)
        async with session_scope(maker) as session:
            if args.list:
                rows = await invitations.list_open(session, now)
                for row in rows:
                    until = format_date(row.expires_at.astimezone(settings.tz), lang="en")
                    print(f"{row.id}: {describe(t, reference, row)}, valid until {until}")
                print(f"{len(rows)} open invitation(s).")
                return 0
            if args.revoke is not None:
                done = await invitations.revoke(session, invitation_id=args.revoke, now=now)
                print(f"Invitation {args.revoke} revoked." if done
                      else f"No open invitation {args.revoke}.")  # fmt: skip
                return 0 if done else 1
            assert role is not None
            try:
                invitation, token = await invitations.create_invitation(
                    session, reference=reference, role=role, now=now,
                    days=args.days or settings.invitation_days, districts=args.district,
                    department=args.department,
                )  # fmt: skip
            except invitations.InvitationError as error:
                text = INVITE_ERRORS.get(error.code, error.code).format(value=error.value)
                print(f"Cannot create the invitation: {text}", file=sys.stderr)
                return 2
    finally:
        await engine.dispose()
    until = format_date(invitation.expires_at.astimezone(settings.tz), lang="en")
    print(f"Invitation {invitation.id}: {describe(t, reference, invitation)}, "
          f"valid once until {until}.")  # fmt: skip
    username = await _bot_username(settings)
    if username:
        link = invitations.deep_link(username, token)
        print(f"Send this link only to the person concerned:\n{link}")
    else:
        print("The bot's username is unknown (set BOT_USERNAME or TELEGRAM_BOT_TOKEN), so there "
              "is no link. The person can instead send this to the bot in a private chat:\n"
              f"/start {invitations.payload_for(token)}")  # fmt: skip
    print(f"Revoke it with: bezirksbot invite --revoke {invitation.id}")
    return 0


async def _bot_username(settings: Settings) -> str | None:
    """BOT_USERNAME, else Telegram's getMe with the token, else None."""
    if settings.bot_username:
        return settings.bot_username.strip().lstrip("@")
    if not settings.token:
        return None
    from telegram import Bot
    from telegram.error import TelegramError

    base = (settings.telegram_api_base_url or "https://api.telegram.org").rstrip("/")
    try:
        async with Bot(settings.token, base_url=f"{base}/bot") as bot:  # initialize calls getMe
            return bot.username
    except TelegramError as error:
        print(f"Could not ask Telegram for the bot's username: {error}", file=sys.stderr)
        return None


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Write the report file (pseudonymised figures) and print its path."""
    from pathlib import Path

    result = asyncio.run(_report(settings, args))
    if isinstance(result, str):
        print(result, file=sys.stderr)
        return 2
    name, content = result
    path = Path(args.output) if args.output else Path.cwd() / name
    if path.is_dir():
        path = path / name
    path.write_bytes(content)
    print(path)
    return 0


async def _report(settings: Settings, args: argparse.Namespace) -> tuple[str, bytes] | str:
    if getattr(args, "kind", "figures") == "evaluation":
        from bot.evaluation_cli import evaluation_report

        return await evaluation_report(settings, args)
    if args.format == "docx":
        return "DOCX is a format of the evaluation report (--kind evaluation)."
    from bot.app import open_storage
    from bot.i18n import Translations
    from bot.messages.report_labels import report_labels
    from bot.services.basics.periods import PeriodError, parse_period
    from bot.services.basics.reference import load_reference_data
    from bot.services.reporting import figures, report_files
    from bot.storage.db import session_scope

    reference = load_reference_data(settings.data_dir)
    now = datetime.now(UTC)
    try:
        period = parse_period(args.period, now=now, tz=settings.tz)
    except PeriodError:
        return (f"Unknown period {args.period!r}; for example 2026-H1, 2026-Q3, 2026-03, 2026, "
                "letztes Quartal, 1.1.2026 - 31.3.2026.")  # fmt: skip
    if args.district is not None and not reference.has_district(args.district):
        return f"Unknown district {args.district!r} (give its number 01-13)."
    districts = ([reference.district(args.district).number] if args.district is not None
                 else [d.number for d in reference.districts])  # fmt: skip
    engine, maker = await open_storage(settings)  # migrates, as `bezirksbot migrate` does
    try:
        async with session_scope(maker) as session:
            result = await figures.compute(session, districts=districts, period=period, now=now)
    finally:
        await engine.dispose()
    t = Translations(settings.default_language).get(settings.default_language)
    return report_files.render(args.format, result, reference, report_labels(t, result, reference))


SETTINGS_NOTE = "Settings are read from the environment and from .env (see .env.example)."
COMMANDS = {
    "start": (
        "run the bot if a token is configured, otherwise the demo",
        "Run the bot with long polling when TELEGRAM_BOT_TOKEN is set; without a token, start\n"
        "the offline demo (./data/demo.sqlite3) instead.\n\n"
        "Settings: TELEGRAM_BOT_TOKEN (optional), DATABASE_URL, ADMIN_TELEGRAM_IDS.\n"
        + SETTINGS_NOTE,
    ),
    "run": (
        "run the bot with long polling (needs TELEGRAM_BOT_TOKEN)",
        "Run the bot with long polling: it asks Telegram for new updates, no public address\n"
        "is needed. Migrates the database first. Exits with 3 when the leader lock was lost.\n\n"
        "Settings: TELEGRAM_BOT_TOKEN (required), DATABASE_URL, ADMIN_TELEGRAM_IDS.\n"
        + SETTINGS_NOTE,
    ),
    "serve": (
        "run the bot behind a webhook, with /healthz, /metrics and "
        "Open311 (needs TELEGRAM_BOT_TOKEN, WEBHOOK_URL, WEBHOOK_SECRET)",
        "Run the bot behind a webhook: an HTTP server that Telegram calls, which also answers\n"
        "/healthz, /metrics and the Open311 API. Migrates the database first.\n\n"
        "Settings: TELEGRAM_BOT_TOKEN, WEBHOOK_URL (public https address) and WEBHOOK_SECRET\n"
        "(required); LISTEN_HOST and LISTEN_PORT (where to listen), DATABASE_URL,\n"
        "ADMIN_TELEGRAM_IDS.\n" + SETTINGS_NOTE,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bezirksbot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    parser.add_argument("-v", "--verbose", action="store_true", help="print INFO lines too")
    raw = argparse.RawDescriptionHelpFormatter
    for name, (summary, text) in COMMANDS.items():
        sub.add_parser(name, help=summary, description=text, formatter_class=raw)
    demo = sub.add_parser("demo", help="try the bot offline in the terminal, no token needed")
    demo.add_argument("--database", default="./data/demo.sqlite3", help="SQLite file for the demo")
    demo.add_argument("--script", default=None, help="read demo input lines from this file")
    sub.add_parser("migrate", help="bring the database schema up to date")
    backup = sub.add_parser(
        "backup",
        help="copy the SQLite database while the bot runs "
        "(PostgreSQL: prints the pg_dump command)",
    )
    backup.add_argument(
        "--output",
        help="file or folder for the copy (default: a "
        "timestamped file in backups/ beside the database)",
    )
    invite = sub.add_parser("invite", help="create a one-time invitation link for a staff role")
    invite.add_argument("role", nargs="?", help="manager, deputy, rep, coordinator or admin")
    invite.add_argument("--district", action="append", default=[],
                        help="district number or exact name (repeat for reps)")  # fmt: skip
    invite.add_argument("--department", help="department number (reps only)")
    invite.add_argument("--days", type=int, help="days the link stays valid (INVITATION_DAYS)")
    invite.add_argument("--revoke", type=int, metavar="ID", help="revoke an open invitation")
    invite.add_argument("--list", action="store_true", help="list the open invitations")
    coming = sub.add_parser(
        "reminders",
        help="list the coming nudges, follow-ups and escalations (who, what, when)",
        description="List the pending reminders of the reminders table: agreement nudges, "
        "overdue notices and escalations, referral follow-ups and conference reminders, in "
        "German, with Europe/Berlin (TIMEZONE) times. Reads DATABASE_URL.",
    )
    coming.add_argument("--district", help="one district (01-13); default: all districts")
    coming.add_argument("--days", type=int, default=14, help="how many days ahead (default 14)")
    coming.add_argument(
        "--at",
        metavar='"YYYY-MM-DD HH:MM"',
        help="show what the reminder sweep would send at that moment (Europe/Berlin) and "
        "which slots it would skip, without sending anything",
    )
    report = sub.add_parser("report", help="write the figures of a period as PDF, XLSX or CSV")
    report.add_argument("--period", required=True, help="2026-H1, 2026-Q3, 2026-03, 2026, ...")
    report.add_argument("--district", help="one district (01-13); default: all districts")
    report.add_argument("--format", choices=("pdf", "xlsx", "csv", "docx"), default="pdf")
    report.add_argument("--kind", choices=("figures", "evaluation"), default="figures",
                        help="figures (default) or evaluation: targets, trends, the districts "
                        "side by side and the residents' verdict (PDF or DOCX)")  # fmt: skip
    report.add_argument("--since", help="evaluation: the monthly trends start here (e.g. 2025); "
                        "default: the 24 months up to the period's end")  # fmt: skip
    report.add_argument("--output", help="file or folder to write to (default: this folder)")
    directory_cli.add_parser(sub)
    register_council(sub)  # calendar export, council pack (bot/council_cli.py)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = _settings()
    configure_logging(settings)  # plain or JSON lines (LOG_JSON), contact details redacted
    if not args.verbose:  # Alembic's "Context impl SQLiteImpl." etc. only with -v
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if getattr(args, "run_council", None):
        return int(args.run_council(settings, args))
    command = args.command or "start"
    if command == "start":
        if settings.token:
            return cmd_run(settings)
        print("No TELEGRAM_BOT_TOKEN in .env: starting the offline demo.\n")
        args.database, args.script = "./data/demo.sqlite3", None
        return cmd_demo(settings, args)
    if command == "run":
        return cmd_run(settings)
    if command == "serve":
        return cmd_serve(settings)
    if command == "demo":
        return cmd_demo(settings, args)
    if command == "backup":
        return cmd_backup(settings, args)
    if command == "migrate":
        return cmd_migrate(settings)
    if command == "invite":
        return cmd_invite(settings, args)
    if command == "reminders":
        return reminders_cli.cmd_reminders(settings, args)
    if command == "report":
        return cmd_report(settings, args)
    if command == "directory":
        return directory_cli.run(settings, args)
    build_parser().print_help()
    return 1
