"""The `bezirksbot` command: run, demo, migrate, start (run with a token, else the demo)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.config import Settings

NO_TOKEN = """\
No Telegram bot token is configured.

To run the real bot:
  1. In Telegram, open @BotFather, send /newbot and follow the questions.
  2. Copy the token it gives you into .env:  TELEGRAM_BOT_TOKEN=123456:ABC...
  3. Start again:  bezirksbot run

To try Bezirksbot without a token and without network:  bezirksbot demo
"""


def _settings() -> Settings:
    return Settings()


def cmd_run(settings: Settings) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.runner import run_polling

    run_polling(settings)
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.offline.demo import run_demo

    return asyncio.run(run_demo(settings, database=args.database, script=args.script))


def cmd_migrate(settings: Settings) -> int:
    from bot.app import prepare_schema

    asyncio.run(prepare_schema(settings))
    print("Database schema is up to date.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bezirksbot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("start", help="run the bot if a token is configured, otherwise the demo")
    sub.add_parser("run", help="run the bot with long polling (needs TELEGRAM_BOT_TOKEN)")
    demo = sub.add_parser("demo", help="try the bot offline in the terminal, no token needed")
    demo.add_argument("--database", default="./data/demo.sqlite3", help="SQLite file for the demo")
    demo.add_argument("--script", default=None, help="read demo input lines from this file")
    sub.add_parser("migrate", help="bring the database schema up to date")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings()
    command = args.command or "start"
    if command == "start":
        if settings.token:
            return cmd_run(settings)
        print("No TELEGRAM_BOT_TOKEN in .env: starting the offline demo.\n")
        args.database, args.script = "./data/demo.sqlite3", None
        return cmd_demo(settings, args)
    if command == "run":
        return cmd_run(settings)
    if command == "demo":
        return cmd_demo(settings, args)
    if command == "migrate":
        return cmd_migrate(settings)
    build_parser().print_help()
    return 1
