"""Start time and idle memory of `bezirksbot run` beside a bare python-telegram-bot process.

    .venv/bin/python bench/start_bench.py [--runs N]

Both run as their own process against the offline Bot API stand-in behind a real HTTP port
(bot/offline/http_api.py, TELEGRAM_API_BASE_URL), so they import and use what production
does (httpx included). "start" = from spawning the process until its first getUpdates call
reaches the stand-in (for the bot: settings, imports, migration check, leader lock, the
command menus, jobs); "CPU" = the process's CPU time by then (less noisy than "start" on a
busy machine); "idle RSS" = the process's VmRSS one second after that, "peak" its VmHWM.
The bot's first start migrates a new SQLite file and is shown apart; the figures
are the median of the restarts that follow (the usual case: the schema is up to date).
The bare process is an Application with one echo handler calling run_polling().

Prints figures, asserts nothing; intake_bench.py prints the same table at its end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.offline.http_api import BotApiServer

TARGET_RSS_MIB, TARGET_START_S = 90.0, 1.5
IDLE_WAIT = 1.0  # seconds after the first getUpdates before reading the RSS
TOKEN = "123456:BENCH"

BARE = """
import os
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await update.message.reply_text(update.message.text)

base = os.environ["TELEGRAM_API_BASE_URL"] + "/bot"
app = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(base).build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling()
"""


@dataclass(frozen=True)
class Start:
    seconds: float
    rss_mib: float
    peak_mib: float
    cpu_seconds: float = float("nan")  # the process's CPU time until polling (less noisy)


def _cpu_seconds(pid: int) -> float:
    """User and system time of the process so far (/proc/<pid>/stat, fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_mib(pid: int, field_name: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def start_once(command: list[str], env: dict[str, str], cwd: Path) -> Start:
    """Spawn `command`, wait for its first getUpdates, read its memory, stop it (SIGTERM)."""
    polling = asyncio.Event()
    async with BotApiServer(long_poll_max=1.0) as server:

        def on_call(method: str, _params: object) -> None:
            if method == "getUpdates":
                polling.set()

        server.on_call = on_call
        env = {**env, "TELEGRAM_API_BASE_URL": server.url}
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *command,
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            waiting = asyncio.create_task(polling.wait())
            ended = asyncio.create_task(process.wait())
            await asyncio.wait({waiting, ended}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
            seconds = time.perf_counter() - started
            cpu = _cpu_seconds(process.pid) if process.returncode is None else float("nan")
            if not polling.is_set():
                waiting.cancel()
                error = await process.stderr.read() if process.stderr else b""
                raise SystemExit(f"{command} did not poll:\n{error.decode(errors='replace')}")
            await asyncio.sleep(IDLE_WAIT)
            rss, peak = _status_mib(process.pid, "VmRSS"), _status_mib(process.pid, "VmHWM")
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()
    return Start(seconds, rss, peak, cpu)


async def measure(runs: int, *, compiled: bool = False) -> dict[str, list[Start]]:
    """The bot's first start (new database), then `runs` restarts of each, taking turns.
    `compiled`: the first start writes every module's bytecode into a folder of its own
    (PYTHONPYCACHEPREFIX), which the restarts read, as after `pip install`; without it the
    bot's own modules are compiled at every start when the environment says
    PYTHONDONTWRITEBYTECODE and the checkout holds no bytecode (~0.3 s)."""
    with tempfile.TemporaryDirectory(prefix="start-bench-") as folder:
        cwd = Path(folder)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE"))}
        base["PYTHONDONTWRITEBYTECODE"] = "1"
        if compiled:
            del base["PYTHONDONTWRITEBYTECODE"]
            base["PYTHONPYCACHEPREFIX"] = str(cwd / "bytecode")
        bot_env = {
            **base,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_URL": f"sqlite+aiosqlite:///{cwd / 'start.sqlite3'}",
            "ADMIN_TELEGRAM_IDS": "900001",
        }
        bot = [sys.executable, "-m", "bot", "run"]
        results: dict[str, list[Start]] = {"first": [], "bot": [], "bare": []}
        results["first"].append(await start_once(bot, bot_env, cwd))
        for _ in range(runs):
            results["bot"].append(await start_once(bot, bot_env, cwd))
            bare_env = {**base, "TELEGRAM_BOT_TOKEN": TOKEN}
            results["bare"].append(await start_once([sys.executable, "-c", BARE], bare_env, cwd))
        return results


def report(results: dict[str, list[Start]]) -> list[str]:
    """The table (lines), also printed by intake_bench.py."""

    def median(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    lines = [
        "D. Start until polling and idle memory (own processes, offline Bot API over HTTP; "
        f"median of {len(results['bot'])} restarts)",
        f"{'':34} {'start':>8} {'CPU':>7} {'idle RSS':>10} {'peak RSS':>10}  target",
    ]
    lines.append("-" * (len(lines[1]) + 30))
    bare_start = median([s.seconds for s in results["bare"]])
    bare_rss = median([s.rss_mib for s in results["bare"]])
    for label, starts, goal in (
        ("bare python-telegram-bot", results["bare"], False),
        ("bezirksbot run", results["bot"], True),
        ("bezirksbot run, first (migrates)", results["first"], False),
    ):
        start = median([s.seconds for s in starts])
        rss = median([s.rss_mib for s in starts])
        peak = median([s.peak_mib for s in starts])
        cpu = median([s.cpu_seconds for s in starts])
        target = ""
        if goal:
            meets_rss = "meets" if rss <= TARGET_RSS_MIB else "MISSES"
            meets_start = "meets" if start <= TARGET_START_S else "MISSES"
            target = (
                f"RSS ≤ {TARGET_RSS_MIB:g} MiB {meets_rss} ({rss / bare_rss:.2f}× bare), "
                f"start ≤ {TARGET_START_S:g} s {meets_start} ({start / bare_start:.1f}× bare)"
            )
        lines.append(
            f"{label:34} {start:>7.2f}s {cpu:>6.2f}s {rss:>6.1f} MiB {peak:>6.1f} MiB  "
            f"{target}".rstrip()
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="restarts of each (default 3)")
    parser.add_argument(
        "--compiled",
        action="store_true",
        help="restarts read bytecode written by the first start, as after pip install",
    )
    args = parser.parse_args()
    results = asyncio.run(measure(args.runs, compiled=args.compiled))
    print("\n".join(report(results)))
    if args.compiled:
        print("(restarts read the bytecode the first start wrote, as after pip install)")


if __name__ == "__main__":
    main()
