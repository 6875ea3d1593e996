"""The offline demo: the real bot with its real handlers and a local SQLite file, in a terminal.

The newcomer plays residents, the district manager of Linden-Limmer, a department's
representative and the coordination unit 18.6 through the Telegram stand-in (FakeBotAPI +
Simulator): no token, no network. `:zeit` moves the demo's clock and runs the reminder sweep.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import sys
import warnings
from collections import defaultdict
from pathlib import Path

from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.context import BotApplication
from bot.delivery import flush_outbox
from bot.handlers.verdicts import run_verdict_survey
from bot.jobs import run_sweep
from bot.messages.formatting import format_moment
from bot.offline.demo_tools import DemoClock, prepare, save_file, target
from bot.offline.fake_api import FakeBotAPI, JSONDict, SentMessage
from bot.offline.personas import (
    COORDINATION,
    DEFAULT_SPOT,
    ERIKA,
    INTRO,
    PERSONAS,
    coordinates,
    help_text,
)
from bot.offline.simulator import Simulator, SimUser, running
from bot.offline.terminal import Screen, read_line, reply_keys, typable
from bot.services.basics.languages import available_languages


class Demo:
    def __init__(self, app: BotApplication, api: FakeBotAPI, sim: Simulator, screen: Screen):
        self.app, self.api, self.screen = app, api, screen
        self.clock: DemoClock | None = None  # set by _run: `:zeit` moves it
        self.files = Path("./data/demo-files")
        self.versions: dict[tuple[int, int], int] = {}  # edits shown, per message
        self.users = {p.key: sim.user(p.user_id, first_name=p.first_name) for p in PERSONAS}
        self.persona = ERIKA
        self.seen: dict[int, int] = defaultdict(int)  # bot messages shown, per chat
        self.announced: dict[int, int] = defaultdict(int)  # messages a notice covered
        self.keyboard_explained = False

    @property
    def user(self) -> SimUser:
        return self.users[self.persona.key]

    def prompt(self) -> str:
        return self.screen.paint(f"{self.persona.label} › ", "me")

    async def step(self, line: str) -> bool:
        """Carry out one input line and show what came back; False ends the demo."""
        try:
            if line.startswith(":") or line.split()[0] == "/lang":
                if not await self.command(line.lstrip(":/").split()):
                    return False
            elif re.fullmatch(r"#\d+", line):
                await self.press_number(int(line[1:]))
            elif line.isdigit() and self.numbered(int(line)):
                # "1" for "#1": what newcomers type when the newest message shows [#1] …
                self.screen.say(f"   („{line}“ als Knopf #{line} verstanden)", "dim")
                await self.press_number(int(line))
            elif line.startswith("!") and len(line) > 1:
                await self.press_label(line[1:].strip())
            else:
                await self.user.send(line)
            await flush_outbox(self.app)
        except Exception as exc:  # a typo or a failing handler must not end the demo
            self.screen.block("⚠️  ", f"Das hat nicht geklappt: {exc}", "error")
        self.show_new()
        return True

    async def command(self, words: list[str]) -> bool:
        name, args = (words[0].lower(), words[1:]) if words else ("hilfe", [])
        if name in ("ende", "exit", "quit"):
            return False
        if name == "als":
            self.switch(" ".join(args).strip().casefold())
        elif name in ("personen", "wer"):
            self.list_personas()
        elif name == "verlauf":
            self.history()
        elif name == "ort":
            await self.user.send_location(*coordinates(args))
        elif name == "foto":
            await self.user.send_photo(caption=" ".join(args) or None)
        elif name == "antworte":
            await self.reply_to(args)
        elif name == "zeit":
            await self.travel(args)
        elif name in ("lang", "sprache"):
            self.set_language(args[0].lower() if args else "")
        else:
            if name != "hilfe":
                self.screen.say(
                    f"Unbekannter Demo-Befehl „{' '.join(words)}“. So geht es:", "error"
                )
            self.screen.say(help_text(str(self.files)), "dim")
        return True

    async def reply_to(self, args: list[str]) -> None:
        """`:antworte 2 Text`: Telegram's "reply" to the 2nd last bot message of this chat."""
        shown = [m for m in self.user.messages if not m.deleted]
        if len(args) < 2 or not args[0].isdigit() or not 1 <= int(args[0]) <= len(shown):
            raise ValueError(f"so: :antworte <1 bis {len(shown)}> Text (1 = neueste Nachricht)")
        quoted = shown[-int(args[0])]
        excerpt = quoted.plain_text.strip().splitlines()[0][:60] if quoted.plain_text else ""
        self.screen.say(f"   (Antwort auf: „{excerpt}“)", "dim")
        await self.user.reply_to(quoted, " ".join(args[1:]))

    async def travel(self, args: list[str]) -> None:
        """`:zeit +3d`: move the clock, then run the reminder sweep and the outbox."""
        services = self.app.bot_data.services
        assert self.clock is not None and services is not None
        tz = services.settings.tz
        self.clock.travel_to(target(args, self.clock.now(), tz))
        local = format_moment(self.clock.now(), tz, lang="de")
        self.screen.say(f"⏩ Demo-Zeit jetzt: {local} ({tz.key})", "notice")
        due = await run_sweep(self.app)
        self.screen.say(f"   {due} fällige Erinnerung(en) verarbeitet", "dim")
        asked = await run_verdict_survey(self.app)  # the daily job, as the clock passes 10:05
        if asked:
            self.screen.say(f"   {asked} Bewertungsfrage(n) an Einwohner/innen gestellt", "dim")

    def set_language(self, code: str) -> None:
        if code not in available_languages():
            raise ValueError("bitte :lang " + " oder :lang ".join(available_languages()))
        self.user.user["language_code"] = code  # Telegram's language_code of later updates
        self.screen.say(
            f"{self.persona.label} nutzt Telegram jetzt auf „{code}“ (eine im Bot "
            "mit /sprache gewählte Sprache hat Vorrang).",
            "dim",
        )

    def switch(self, wanted: str) -> None:
        names = {p: (p.key, p.first_name.casefold(), *p.aliases) for p in PERSONAS}
        found = [p for p, n in names.items() if wanted in n] or [
            p for p, n in names.items() if wanted and any(x.startswith(wanted) for x in n)
        ]
        if len(found) != 1:
            self.list_personas()
            return
        self.persona = found[0]
        self.screen.say(f"\n── Sie sind jetzt: {self.persona.label} ──", "notice")
        if self.seen[self.persona.user_id] == len(self.api.sent.get(self.persona.user_id, [])):
            self.screen.say("(keine neuen Nachrichten)", "dim")

    def list_personas(self) -> None:
        self.screen.say("Personen in dieser Demo – wechseln mit :als <name>:")
        for persona in PERSONAS:
            new = len(self.api.sent.get(persona.user_id, [])) - self.seen[persona.user_id]
            mark = "→" if persona is self.persona else " "
            extra = self.screen.paint(f"  ({new} neu)", "notice") if new else ""
            self.screen.say(f"  {mark} {persona.key:<13} {persona.label}{extra}")

    # -- the chats --------------------------------------------------------------------------
    def show_new(self) -> None:
        """Print the current persona's new messages, and a notice for everyone else's."""
        chat = self.persona.user_id
        messages = self.api.sent.get(chat, [])
        for message in messages[: self.seen[chat]]:
            if len(message.edited) > self.versions.get((chat, message.message_id), 0):
                self.render(message)
        for message in messages[self.seen[chat] :]:
            if not message.deleted:
                self.render(message)
        self.seen[chat] = len(messages)
        for persona in PERSONAS:
            count = len(self.api.sent.get(persona.user_id, []))
            new = count - max(self.seen[persona.user_id], self.announced[persona.user_id])
            if persona is not self.persona and new > 0:
                self.announced[persona.user_id] = count
                what = "Neue Nachricht" if new == 1 else f"{new} neue Nachrichten"
                self.screen.say(
                    f"🔔 {what} für {persona.label} – :als {persona.key} zum Ansehen", "notice"
                )

    def render(self, message: SentMessage) -> None:
        key = (message.chat_id, message.message_id)
        parts = ["✏️ bearbeitet:"] if len(message.edited) > self.versions.get(key, 0) else []
        self.versions[key] = len(message.edited)
        if message.photo:
            parts.append("🖼️  [Foto]")
        saved = save_file(self.files, message)
        if message.document:
            parts.append(f"📄 [Dokument: {message.document.file_name or 'Datei'}]")
        if message.location:
            where = message.location
            parts.append(f"📍 [Standort {where['latitude']}, {where['longitude']}]")
        if message.plain_text.strip():
            parts.append(message.plain_text.strip())
        self.screen.block("🤖 ", "\n".join(parts) or f"[{message.method}]", "bot")
        if saved is not None:  # on a line of its own: a path must not be wrapped
            self.screen.say(f"   💾 gespeichert: {saved}", "dim")
        number = itertools.count(1)
        for row in (message.reply_markup or {}).get("inline_keyboard") or []:
            labels = [
                f"[#{next(number)}] {b['text']}" + (f" → {b['url']}" if "url" in b else "")
                for b in row
            ]
            self.screen.say("   " + self.screen.paint("   ".join(labels), "button"))
        keys = reply_keys(message.reply_markup)
        if keys:
            labels = [f"[{text}{' → :ort' if location else ''}]" for text, location in keys]
            self.screen.say("   ⌨️  " + self.screen.paint("  ".join(labels), "button"))
            if not self.keyboard_explained:
                self.keyboard_explained = True
                example = typable(keys[0][0])
                self.screen.say(f"      (Tastatur unten im Chat; drücken mit !{example})", "dim")
        if (message.reply_markup or {}).get("remove_keyboard"):
            self.screen.say("   ⌨️  (Tastatur ausgeblendet)", "dim")

    def history(self) -> None:
        """The whole chat of the current persona, its own messages included."""
        chat = self.persona.user_id
        own = {mid: m for (cid, mid), m in self.api.user_messages.items() if cid == chat}
        bot = {m.message_id: m for m in self.api.messages(chat)}
        self.screen.say(f"── Verlauf von {self.persona.label} ──", "notice")
        if not own and not bot:
            self.screen.say("(noch keine Nachrichten)", "dim")
        for message_id in sorted(own.keys() | bot.keys()):  # both sides share the counter
            if message_id in bot:
                self.render(bot[message_id])
                continue
            sent = own[message_id]
            marker = "🖼️  [Foto] " if "photo" in sent else ""
            marker = "📍 [Standort] " if "location" in sent else marker
            self.screen.block(
                "👤 ", marker + (sent.get("text") or sent.get("caption") or ""), "me"
            )
        self.seen[chat] = len(self.api.sent.get(chat, []))

    # -- buttons ----------------------------------------------------------------------------
    def with_buttons(self) -> list[SentMessage]:
        return [m for m in reversed(self.user.messages) if m.inline_buttons]

    def numbered(self, number: int) -> bool:
        """Whether the newest message shown in this chat has a button #number."""
        newest = self.user.messages[-1] if self.user.messages else None
        return newest is not None and 1 <= number <= len(newest.inline_buttons)

    async def press_number(self, number: int) -> None:
        newest = self.with_buttons()
        if not newest:
            keys = [f"!{typable(text)}" for text, _ in self.reply_keys()]
            raise ValueError(
                "hier gibt es gerade keine nummerierten Knöpfe"
                + (f"; Tastatur-Knöpfe drücken Sie mit {', '.join(keys)}" if keys else "")
            )
        buttons = newest[0].inline_buttons
        if not 1 <= number <= len(buttons):
            raise ValueError(f"Knopf #{number} gibt es nicht – wählen Sie #1 bis #{len(buttons)}")
        await self.press(newest[0], buttons[number - 1])

    async def press_label(self, label: str) -> None:
        wanted = label.casefold()
        newest = self.with_buttons()
        exact, part = (lambda t: t.casefold() == wanted), (lambda t: wanted in t.casefold())
        for fits in (exact, part):
            for message in newest:
                hits = [b for b in message.inline_buttons if fits(b["text"])]
                if len(hits) > 1:
                    names = ", ".join(b["text"] for b in hits)
                    raise ValueError(f"„{label}“ passt auf mehrere Knöpfe: {names}")
                if hits:
                    await self.press(message, hits[0])
                    return
        keys = [(text, loc) for text, loc in self.reply_keys() if wanted in text.casefold()]
        if len(keys) == 1:
            text, asks_location = keys[0]
            self.screen.say(f"   (gedrückt: {text})", "dim")
            if asks_location:  # Telegram sends the location, not the label
                await self.user.send_location(*DEFAULT_SPOT)
            else:
                await self.user.send(text)
            return
        buttons = newest[0].inline_buttons if newest else []
        offered = ", ".join(f"#{n} {b['text']}" for n, b in enumerate(buttons, 1)) or ", ".join(
            f"!{typable(text)}" for text, _ in self.reply_keys()
        )
        raise ValueError(
            f"keinen Knopf „{label}“ gefunden" + (f"; zur Wahl: {offered}" if offered else "")
        )

    def reply_keys(self) -> list[tuple[str, bool]]:
        """The reply keyboard shown now: that of the newest message that set or removed one."""
        for message in reversed(self.user.messages):
            if {"keyboard", "remove_keyboard"} & (message.reply_markup or {}).keys():
                return reply_keys(message.reply_markup)
        return []

    async def press(self, message: SentMessage, button: JSONDict) -> None:
        if "callback_data" not in button:
            self.screen.say(f"🔗 Dieser Knopf öffnet nur einen Link: {button.get('url')}", "dim")
            return
        self.screen.say(f"   (gedrückt: {button['text']})", "dim")
        answer = await self.user.press(button["text"], message=message)
        if answer is not None and answer.text:
            self.screen.say(f"   💬 {answer.text}", "notice")


async def _converse(demo: Demo, screen: Screen, script: list[str] | None) -> None:
    """Read lines (from the terminal, a pipe or the script) until the end."""
    echo = script is not None or not sys.stdin.isatty()
    while script is None or script:
        if script is not None:
            line = script.pop(0).strip()
        else:
            line = (await read_line("" if echo else demo.prompt())).strip()
        if echo:
            screen.say(demo.prompt() + line)
        if line and not await demo.step(line):
            return


async def run_demo(settings: Settings, *, database: str, script: str | None) -> int:
    """Run the demo in the terminal (or the lines of `script`); returns the exit code."""
    quiet = [logging.getLogger(name) for name in ("telegram", "apscheduler", "httpx", "alembic")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:  # library chatter would drown the chat
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():  # per_message=False is deliberate
            warnings.simplefilter("ignore", PTBUserWarning)
            return await _run(settings, database=database, script=script)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


async def _run(settings: Settings, *, database: str, script: str | None) -> int:
    # Imported here, once the loggers are quiet: importing Alembic already logs.
    from bot.app import build_application, make_services, open_storage

    admins = [i for i in settings.admin_telegram_ids if i != COORDINATION.user_id]
    settings = settings.model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{database}",
            "admin_telegram_ids": [*admins, COORDINATION.user_id],
        }
    )
    lines = None
    if script is not None:
        try:
            text = await asyncio.to_thread(Path(script).read_text, encoding="utf-8")
        except OSError as exc:
            print(f"Das Demo-Skript lässt sich nicht lesen: {exc}", file=sys.stderr)
            return 2
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("# ")]
    screen = Screen()
    engine, maker = await open_storage(settings)
    try:
        clock = DemoClock()
        services = make_services(settings, maker, clock=clock)
        last_message_id, last_update_id = await prepare(maker, clock.now())
        api = FakeBotAPI()
        api.clock = clock.timestamp
        # Go on numbering after earlier runs: the database links message ids to cases.
        api._message_ids = defaultdict(lambda: last_message_id)
        app = build_application(settings, services, request=api, rate_limit=False)
        async with running(app):
            sim = Simulator(app, api, clock=clock.timestamp)
            sim._update_ids = itertools.count(last_update_id + 1)
            demo = Demo(app, api, sim, screen)
            demo.clock, demo.files = clock, Path(database).parent / "demo-files"
            screen.say("Bezirksbot – Offline-Demo", "title")
            screen.say(INTRO.format(database=database))
            screen.say(help_text(str(demo.files)) + "\n", "dim")
            screen.say("Erster Schritt: Tippen Sie " + screen.paint("/start", "title") + "\n")
            try:
                await _converse(demo, screen, lines)
            except (EOFError, KeyboardInterrupt, asyncio.CancelledError):
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    task.uncancel()  # Ctrl-C under asyncio.run: we end normally instead
                screen.say()
            screen.say(f"Auf Wiedersehen! Die Daten bleiben in {database}.", "dim")
    finally:
        await engine.dispose()
    return 0
