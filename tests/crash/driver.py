"""The crash test's driver: scripted people talk to a bot that is killed again and again.

The bot runs as its own process (`python -m bot run`) against the HTTP Bot API stand-in
(`bot.offline.http_api`, in this process). Residents file concerns, managers take cases on
("Kümmerer"), refer them ("Lotse"), answer with `/antwort` and resolve some (summary,
preview, "Yes, resolve"), while a killer task sends SIGKILL at moments spread over the run
(some while the bot confirms a concern or delivers a notification) and restarts the bot.

The people behave like people, not like a replay: each looks at the newest bot message it
understands and answers that. When the bot does not answer (it was killed while holding the
update), they try again; when the screen and the bot disagree (after a kill the conversation
may be a step behind what the resident saw, or a keyboard is gone), they cancel and tell the
concern again. A concern counts as confirmed only when its resident saw "Thank you! Your
concern has the number …".

Afterwards `analyse()` compares the database with what the stand-in received: every
confirmed concern stored exactly once, every outbox row (notifications, status messages,
relayed answers, nudges) received by its chat, duplicates only from messages in flight at a
kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bot.config import Settings
from bot.i18n import Translations
from bot.messages.reference import topic_label
from bot.messages.render import OutboxRenderer
from bot.offline.fake_api import JSONDict, SentMessage
from bot.offline.http_api import BotApiServer
from bot.services.access import people
from bot.services.access.roles import Role, assign_role
from bot.services.basics.reference import ReferenceData, load_reference_data
from bot.services.messaging import outbox
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import Case, CaseEvent, OutboxMessage, Reminder

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST"
RESIDENT_IDS = 2_000_001
MANAGER_IDS = 700_001
ADMIN_IDS = (900_001, 900_002)  # coordinators; the first one plays, the second only receives
MANAGED_DISTRICTS = ("01", "02", "07", "10")  # the others go to the coordinators
STALE = "This button is no longer valid."
OUTDATED = "Already done: "  # a button whose action the case's state no longer allows
REFERENCE = re.compile(r"\b\d{2}-\d{4}-\d{4}\b")
HELD = timedelta(minutes=5)  # longer than a send is ever held back (outbox.BACKUP_SECONDS)
TOPICS = (
    "public_space",
    "family",
    "culture_leisure",
    "health_environment",
    "permits",
    "education",
    "local_economy",
    "other",
)


@dataclass
class CrashConfig:
    conversations: int = 60
    kills: int = 5
    seed: int = 20260311
    concurrency: int = 16  # residents talking at the same time
    manager_share: float = 0.25  # of the conversations: a manager handling one case
    # A person tries again when the bot lost their message: it was taken by a process that
    # was then killed, and the new process has not answered within `lost_grace` seconds.
    # Otherwise they wait (a busy bot is slow, not deaf), at most `reply_timeout` seconds of
    # bot uptime. Impatient retries would blame the bot for duplicates no kill caused.
    lost_grace: float = 2.0
    reply_timeout: float = 30.0
    think: tuple[float, float] = (0.05, 0.35)  # a person's pause between two actions
    restart_pause: tuple[float, float] = (0.2, 1.5)
    max_actions: int = 80  # per intake, including retries; then the resident gives up
    drain_timeout: float = 60.0

    @property
    def intakes(self) -> int:
        return max(1, round(self.conversations * (1 - self.manager_share)))

    @property
    def manager_conversations(self) -> int:
        return self.conversations - self.intakes


# --- the bot as a child process ---------------------------------------------------------------
class BotProcess:
    """`python -m bot run` against the stand-in: start, SIGKILL, SIGTERM; tracks its uptime."""

    def __init__(self, server: BotApiServer, env: dict[str, str], workdir: Path) -> None:
        self.server, self.env, self.workdir = server, env, workdir
        self.log_path = workdir / "bot.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kill_times: list[float] = []  # time.monotonic()
        self.kill_clock: list[datetime] = []  # the same moments in UTC, to compare with rows
        self._ready_since: float | None = None
        self._uptime = 0.0
        self._started_at = 0.0
        self.watch: Callable[[str, JSONDict], None] | None = None  # sees every call
        server.on_call = self._on_call

    def _on_call(self, method: str, params: JSONDict) -> None:
        # The first getUpdates of a new process: it is initialised and polls now.
        if method == "getUpdates" and self.alive and self._ready_since is None:
            self._ready_since = time.monotonic()
        if self.watch is not None:
            self.watch(method, params)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def ready(self) -> bool:
        return self._ready_since is not None

    def uptime(self) -> float:
        """Seconds the bot has been up and polling, over all its runs."""
        if self._ready_since is None:
            return self._uptime
        return self._uptime + time.monotonic() - self._ready_since

    def up_for(self) -> float:
        """Seconds the current run has been polling (0 while down or starting)."""
        return 0.0 if self._ready_since is None else time.monotonic() - self._ready_since

    async def start(self) -> None:
        assert not self.alive, "the bot is already running"
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts} at {_wall()} =====\n".encode())
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self._started_at = time.monotonic()

    async def wait_ready(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while not self.ready:
            if not self.alive:
                raise RuntimeError(f"the bot exited during start; see {self.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bot did not start polling; see {self.log_path}")
            await asyncio.sleep(0.05)

    def _went_down(self) -> None:
        if self._ready_since is not None:
            self._uptime += time.monotonic() - self._ready_since
        self._ready_since = None

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no persistence flush, no offset confirmation."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.kill_times.append(time.monotonic())
        self.kill_clock.append(datetime.now(UTC))
        self._went_down()
        await self.proc.wait()
        with self.log_path.open("ab") as log:
            log.write(f"\n===== SIGKILL at {_wall()} =====\n".encode())

    async def terminate(self, within: float = 30.0) -> int:
        """SIGTERM: python-telegram-bot stops cleanly (offset confirmed, persistence flushed)."""
        if not self.alive:
            return self.proc.returncode if self.proc and self.proc.returncode is not None else 0
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(within):
                code = await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            code = await self.proc.wait()
        self._went_down()
        return code


def _wall() -> str:
    return datetime.now().strftime("%H:%M:%S.%f")[:-3]


def bot_environment(base_url: str, database_url: str) -> dict[str, str]:
    """The child's environment: ours without any Bezirksbot setting, plus the test's."""
    settings_names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in settings_names}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": base_url,
            "DATABASE_URL": database_url,
            "ADMIN_TELEGRAM_IDS": ",".join(str(i) for i in ADMIN_IDS),
            "OUTBOX_INTERVAL_SECONDS": "1",
            "PERSISTENCE_INTERVAL_SECONDS": "0.5",
            "FLOOD_MESSAGES_PER_MINUTE": "0",  # scripted people retry faster than people do
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


async def bind_staff(maker: SessionMaker, reference: ReferenceData) -> dict[int, str | None]:
    """Managers for a few districts, the coordinators as persons; returns chat -> district."""
    now = datetime.now(UTC)
    staff: dict[int, str | None] = {}
    async with session_scope(maker) as session:
        for index, district in enumerate(MANAGED_DISTRICTS):
            assert reference.has_district(district)
            person = await people.get_or_create_person(
                session,
                telegram_id=MANAGER_IDS + index,
                first_name=f"Manager {district}",
                language="en",
                now=now,
            )
            person.language = "en"
            await assign_role(
                session, person=person, role=Role.MANAGER, now=now, district_number=district
            )
            staff[MANAGER_IDS + index] = district
        for admin_id in ADMIN_IDS:  # ADMIN_TELEGRAM_IDS makes them coordinators
            person = await people.get_or_create_person(
                session, telegram_id=admin_id, first_name="Coordinator", language="en", now=now
            )
            person.language = "en"
        staff[ADMIN_IDS[0]] = None
    return staff


# --- what the people say --------------------------------------------------------------------
@dataclass
class Concern:
    token: str
    resident_id: int
    district_number: str
    district_name: str
    quarter: str
    topic_label: str
    description: str
    typed_place: bool
    photo: bool
    contact: str | None
    actor: tuple[str, str] | None  # (button label, organisation name)
    reference: str | None = None
    confirmed_at: float | None = None
    send_presses: list[float] = field(default_factory=list)
    restarts: Counter[str] = field(default_factory=Counter)  # why the resident started over
    restarts_at_kill: int = 0  # ... with a kill since their step before (in flight at it)
    restart_notes: list[str] = field(default_factory=list)  # the others: what they saw
    actions: int = 0
    abandoned: bool = False


def make_concerns(
    config: CrashConfig, reference: ReferenceData, rng: random.Random
) -> list[Concern]:
    places = [(d.number, d.name, q) for d in reference.districts for q in d.quarters]
    residents = max(1, (config.intakes + 1) // 2)  # most residents tell two concerns
    concerns = []
    for index in range(config.intakes):
        number, name, quarter = rng.choice(places)
        topic = topic_label(Translations().get("en"), reference.topic(rng.choice(TOPICS)))
        token = f"C{index:04d}"
        actor = rng.choice([None, None, None, ("Club or association", f"Verein {token} e.V.")])
        concerns.append(
            Concern(
                token=token,
                resident_id=RESIDENT_IDS + index % residents,
                district_number=number,
                district_name=name,
                quarter=quarter,
                topic_label=topic,
                description=f"Crash test concern {token}: the benches at the square are broken "
                f"and need repair ({quarter}).",
                typed_place=rng.random() < 0.6,
                photo=rng.random() < 0.25,
                contact=f"{token.lower()}@example.org" if rng.random() < 0.3 else None,
                actor=actor,
            )
        )
    return concerns


# --- reading a chat ---------------------------------------------------------------------------
def text_of(message: SentMessage) -> str:
    return message.plain_text


def buttons(message: SentMessage) -> list[JSONDict]:
    return [b for b in message.inline_buttons if "callback_data" in b]


def classify(message: SentMessage) -> str | None:
    """What a resident understands a bot message to be, or None (e.g. a status update)."""
    text = text_of(message)
    text = re.sub(r"^Step \d+ of \d+\n", "", text)  # the intake's step counter
    if "Your concern has the number" in text:
        return "confirmed"
    if text.startswith("Hello") and "Privacy:" in text:
        return "consent"
    if text.startswith(("Hello", "Thank you. What would you like")):
        return "menu"
    # free text outside an intake, from a resident with an open case: the bot asks which case
    # it belongs to; a resident telling a new concern starts it again with /neu
    if text.startswith(("Which of your concerns does your message", "Your message was discarded")):
        return "menu"
    if text.startswith("Please accept the privacy notice first"):
        return "need_consent"
    if text.startswith(("Cancelled", "There is nothing to cancel")):
        return "cancelled"
    if text.startswith("Where is your concern?"):
        return "where"
    if text == "Or choose:":
        return "pick"  # the second half of "where": holds its list button, not an answer
    if re.fullmatch(r"(.+, district .+|District .+)\?", text):
        return "guess"
    if text.startswith(("Sorry, I could not find", "That postcode covers")):
        return "confused"  # a district list follows; without it, start again
    if text == "Which district?":
        return "districts"
    if text.startswith("Which quarter of "):
        return "quarters"
    if text == "What is it about?":
        return "topic"
    if text.startswith("Please describe your concern in a few sentences"):
        return "description"
    if text.startswith(("You may send up to", "You have already added")):
        return "photos"
    if re.match(r"Photo \d+ saved", text):
        return "photo_saved"
    if text.startswith("Optional: how can the district management reach you"):
        return "contact"
    if text.startswith("Are you writing on behalf of an organisation?"):
        return "actor"
    if text.startswith("What is the name of the organisation"):
        return "actor_name"
    if text.startswith("Your concern\n") and "Description:" in text:
        return "review"
    if "To stop, send /abbrechen." in text or text.startswith(
        (
            "You are in the middle of a concern",
            "Something is still missing",
            "Please describe your concern in words",
            "Please enter",
            # outside the intake (it ended at a kill): the fallbacks and the resident's relay
            "To send a concern, press",
            "I do not know that command",
            "Sorry, something went",
            "Thank you, your message was added to",
        )
    ):
        return "confused"
    return None


class ChatPlayer:
    """One person in a private chat with the bot, through the stand-in."""

    def __init__(self, driver: CrashDriver, user_id: int, first_name: str) -> None:
        self.driver, self.user_id = driver, user_id
        self.user = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "en",
        }
        self.last_query: str | None = None
        self.last_update = 0  # update_id of the last thing this person did
        self.last_pushed = 0.0  # time.monotonic() when they did it

    @property
    def api(self) -> Any:
        return self.driver.server.api

    @property
    def messages(self) -> list[SentMessage]:
        return self.api.sent.get(self.user_id, [])

    def send(self, text: str) -> None:
        self.last_query = None
        self.last_pushed = time.monotonic()
        self.last_update = self.driver.server.push({"message": {"from": self.user, "text": text}})

    def send_photo(self, file_id: str) -> None:
        self.last_query = None
        self.api.add_file("photo", b"\xff\xd8 crash photo \xff\xd9", file_id=file_id)
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "width": 1280,
                "height": 960,
                "file_size": 20,
            }
        ]
        self.last_pushed = time.monotonic()
        self.last_update = self.driver.server.push(
            {"message": {"from": self.user, "photo": photo}}
        )

    def press(self, message: SentMessage, label: str) -> bool:
        """Press a button shown now (exact label, else a unique substring); False if gone."""
        shown = buttons(message)
        found = [b for b in shown if b["text"] == label] or [
            b for b in shown if label.casefold() in b["text"].casefold()
        ]
        if not found:
            return False
        query_id = f"q{self.user_id}-{next(self.driver.query_ids)}"
        self.last_pushed = time.monotonic()
        self.last_update = self.driver.server.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user,
                    "chat_instance": str(self.user_id),
                    "data": found[0]["callback_data"],
                    "message": message.to_dict(),
                }
            }
        )
        self.last_query = query_id
        return True

    def stale_answer(self) -> bool:
        answer = self.api.callback_answers.get(self.last_query) if self.last_query else None
        text = answer.text or "" if answer is not None else ""
        return text == STALE or text.startswith(OUTDATED)

    def texts_now(self) -> dict[int, str | None]:
        """The text of every message of the chat now: an answer may replace a question in
        place (the bot edits the pressed message into the next question)."""
        return {m.message_id: m.text for m in self.messages}

    def _rewritten(self, before: dict[int, str | None], mark: int) -> list[SentMessage]:
        return [m for m in self.messages[:mark] if m.text != before.get(m.message_id, m.text)]

    async def wait_reply(
        self,
        mark: int,
        understood: Callable[[SentMessage], bool],
        patience: float = 1.0,
        texts: dict[int, str | None] | None = None,
    ) -> bool:
        """Wait until a message after `mark` that `understood` accepts arrives, or one of
        the earlier ones is rewritten into such a message (`texts`: their texts before), then
        a little longer for the rest of the answer; or the pressed button was refused as
        stale: True. False when the bot lost the last update (see `lost`), or after `patience`
        x `reply_timeout` seconds of bot uptime without an answer."""
        bot, config = self.driver.bot, self.driver.config
        deadline = bot.uptime() + config.reply_timeout * patience
        while bot.uptime() < deadline or not bot.ready:
            fresh = self.messages[mark:] + (self._rewritten(texts, mark) if texts else [])
            if any(understood(m) for m in fresh):
                await asyncio.sleep(0.3)  # prompts come in one or two messages
                return True
            if self.stale_answer():
                return True
            if self.lost(patience):
                return False
            await asyncio.sleep(0.05)
        return False

    def lost(self, patience: float = 1.0) -> bool:
        """The last update was taken by a process killed since, and the new process has been
        polling for `patience` x `lost_grace` seconds without answering (if the update was not
        confirmed, it got it again; the guard may skip it, or the answer was cut off)."""
        taken = self.driver.server.first_handed_out.get(self.last_update)
        kills = self.driver.bot.kill_times
        return (
            taken is not None
            and bool(kills)
            and kills[-1] >= taken
            and self.driver.bot.up_for() > self.driver.config.lost_grace * patience
        )

    async def think(self) -> None:
        await asyncio.sleep(self.driver.rng.uniform(*self.driver.config.think))


# --- residents --------------------------------------------------------------------------------
class Resident(ChatPlayer):
    why = ""  # the reason for a restart now

    async def tell(self, concern: Concern) -> None:
        """One concern from /neu to the confirmation, however often the bot dies meanwhile."""
        start = len(self.messages)
        photo_tries = silent = 0
        while concern.actions < self.driver.config.max_actions:
            newest = self._newest(start, concern)
            kind = classify(newest) if newest is not None else None
            if kind == "confirmed" and newest is not None:
                match = REFERENCE.search(text_of(newest))
                concern.reference = match.group(0) if match else None
                concern.confirmed_at = time.monotonic()
                return
            mark, texts = len(self.messages), self.texts_now()
            concern.actions += 1
            step_before = self.last_pushed  # the step whose answer (or none) they act on
            self.why = "bot confused"
            if self.stale_answer() or silent >= 2:  # twice no answer to the same thing
                kind, self.why = "confused", "button refused" if silent < 2 else "no answer"
            acted = self._act(concern, kind, newest, photo_tries)
            if acted == "photo":
                photo_tries += 1
            elif acted == "restart":
                concern.restarts[self.why] += 1
                # a kill since the step before: that step was in flight at the kill
                if any(k >= step_before for k in self.driver.bot.kill_times):
                    concern.restarts_at_kill += 1
                else:
                    concern.restart_notes.append(self._note(concern, kind, newest, step_before))
                photo_tries = 0
            # After "Send" a person waits longer: the number is what they came for.
            patience = 5.0 if kind == "review" and acted == "press" else 1.0
            answered = await self.wait_reply(
                mark, lambda m: self._answers(m, concern), patience, texts
            )
            if answered:
                silent = 0
            else:
                silent = 0 if acted == "restart" else silent + 1
            await self.think()
        concern.abandoned = True

    def _note(
        self, concern: Concern, kind: str | None, newest: SentMessage | None, step_before: float
    ) -> str:
        """What a resident saw when they started over without a kill to explain it."""
        started = self.driver.started
        labels = [b["text"] for b in buttons(newest)] if newest is not None else []
        text = text_of(newest)[:60] if newest is not None else ""
        kills = ", ".join(f"+{k - started:.1f}s" for k in self.driver.bot.kill_times) or "none"
        return (
            f"{concern.token} (resident {self.user_id}) started over ({self.why}) at "
            f"+{time.monotonic() - started:.1f}s, their step before at "
            f"+{step_before - started:.1f}s; newest {kind} {text!r} buttons {labels}; "
            f"kills {kills}"
        )

    @staticmethod
    def _answers(message: SentMessage, concern: Concern) -> bool:
        """Whether `message` answers the resident's step: not a receipt that quotes another
        of their concerns (sent late, after a kill), which they read and pass over."""
        kind = classify(message)
        if kind == "confirmed":
            return concern.token in text_of(message)
        return kind not in (None, "pick")

    def _newest(self, start: int, concern: Concern | None = None) -> SentMessage | None:
        """The newest message the resident understands; a receipt that quotes another of
        their concerns (sent late, after a restart) is read and passed over, as a person
        would."""
        for message in reversed(self.messages[start:]):
            kind = classify(message)
            if (
                kind == "confirmed"
                and concern is not None
                and concern.token not in text_of(message)
            ):
                continue
            if kind not in (None, "pick"):
                return message
        return None

    def _pick(self, where: SentMessage) -> SentMessage | None:
        """The "Or choose:" message that followed the where prompt (it may come late)."""
        after = [m for m in self.messages if m.message_id > where.message_id]
        return next((m for m in after if classify(m) == "pick"), None)

    def _act(self, c: Concern, kind: str | None, m: SentMessage | None, photo_tries: int) -> str:
        """Do what the newest understood message asks; returns what was done."""
        if m is None or kind in ("menu", "cancelled"):
            self.send("/neu")
            return "new"
        if kind == "need_consent" or (kind == "consent" and not buttons(m)):
            self.send("/start")
            return "start"
        if kind == "consent":
            return "press" if self.press(m, "I agree") else self._restart("keyboard gone")
        if kind == "where":
            pick = self._pick(m)
            if not c.typed_place and pick and self.press(pick, "Choose district from list"):
                return "press"
            self.send(c.quarter)
            return "text"
        if kind == "guess":
            return "press" if self.press(m, "Yes") else self._restart("keyboard gone")
        if kind == "districts":
            if self.press(m, c.district_name) or self._press_first(m):
                return "press"
            return self._restart("keyboard gone")
        if kind == "quarters":
            if self.press(m, c.quarter) or self._press_first(m):
                return "press"
            return self._restart("keyboard gone")
        if kind == "topic":
            return "press" if self.press(m, c.topic_label) else self._restart("keyboard gone")
        if kind == "description":
            self.send(c.description)
            return "text"
        if kind == "photos" and c.photo and photo_tries < 2 and text_of(m).startswith("You may"):
            self.send_photo(f"crash-photo-{c.token}")
            return "photo"
        if kind in ("photos", "photo_saved"):
            if self.press(m, "Continue without more photos"):
                return "press"
            return self._restart("keyboard gone")
        if kind == "contact":
            if c.contact:
                self.send(c.contact)
                return "text"
            return "press" if self.press(m, "Skip") else self._restart("keyboard gone")
        if kind == "actor":
            label = c.actor[0] if c.actor else "No, privately"
            return "press" if self.press(m, label) else self._restart("keyboard gone")
        if kind == "actor_name":
            self.send(c.actor[1] if c.actor else "Verein")
            return "text"
        if kind == "review":
            if self.press(m, "Send"):
                c.send_presses.append(time.monotonic())
                self.driver.send_targets.add((self.user_id, m.message_id))
                return "press"
            return self._restart("keyboard gone")
        return self._restart(self.why)  # "confused": the bot and the screen disagree

    def _press_first(self, m: SentMessage) -> bool:
        shown = buttons(m)
        return bool(shown) and self.press(m, shown[0]["text"])

    def _restart(self, why: str) -> str:
        """Cancel and tell the concern again: what a person does when the chat makes no sense."""
        self.why = why
        self.send("/abbrechen")
        return "restart"


# --- managers -------------------------------------------------------------------------------
class Manager(ChatPlayer):
    def __init__(self, driver: CrashDriver, user_id: int, district: str | None) -> None:
        super().__init__(driver, user_id, "Manager")
        self.district = district
        self.handled: set[str] = set()

    def open_notification(self) -> tuple[str, SentMessage] | None:
        for message in self.messages:
            text = text_of(message)
            match = re.match(r"New concern (\d{2}-\d{4}-\d{4})", text)
            if match and match.group(1) not in self.handled and buttons(message):
                return match.group(1), message
        return None

    async def run(self) -> None:
        driver = self.driver
        while True:
            found = self.open_notification()
            if found is None:
                if driver.residents_done.is_set() and driver.outbox_quiet:
                    return
                await asyncio.sleep(0.3)
                continue
            reference, message = found
            self.handled.add(reference)
            if not driver.take_manager_turn():
                continue  # the quota is used up: the case stays new
            await self.think()
            if driver.rng.random() < 0.35 and await self.lotse(reference, message):
                continue
            await self.kuemmerer(reference, message)

    async def _step(
        self, message: SentMessage, label: str, expected: str, tries: int = 6
    ) -> SentMessage | None:
        """Press `label` until a message containing `expected` comes; None if the button went
        away or was refused (the step happened, or can no longer happen)."""
        for _ in range(tries):
            found = self._find(expected)
            if found is not None:
                return found
            mark = len(self.messages)
            if not self.press(message, label):
                return None
            await self.wait_reply(mark, lambda m: expected in text_of(m))
            if self.stale_answer():
                return None
        return self._find(expected)

    def _find(self, expected: str) -> SentMessage | None:
        return next((m for m in reversed(self.messages) if expected in text_of(m)), None)

    async def kuemmerer(self, reference: str, notification: SentMessage) -> None:
        await self._step(notification, "Kümmerer", f"You are the Kümmerer for {reference}")
        await self.think()
        token = f"A{next(self.driver.answer_ids):04d}"
        expected = f"Sent to the resident of {reference}."
        for _ in range(4):  # a retry after a lost answer may relay twice: counted apart
            mark = len(self.messages)
            self.send(f"/antwort {reference} Crash answer {token}: we will repair the benches.")
            if await self.wait_reply(mark, lambda m: expected in text_of(m)):
                break
        if self.driver.rng.random() < 0.5:
            await self.think()
            await self.resolve(reference)

    def _card(self, reference: str) -> SentMessage | None:
        """The newest card of the case that offers "Resolve" (the notification, edited)."""
        return next(
            (
                m
                for m in reversed(self.messages)
                if reference in text_of(m) and any(b["text"] == "✅ Resolve" for b in buttons(m))
            ),
            None,
        )

    async def resolve(self, reference: str) -> None:
        """Resolve from the card: the summary, its preview, then "Yes, resolve"."""
        card = self._card(reference)
        if card is None:
            return
        asked = f"Type a short summary of the solution for {reference}"
        if await self._step(card, "✅ Resolve", asked) is None:
            return
        await self.think()
        expected = f"Resolve {reference}? The resident reads:"
        for _ in range(4):  # the text may be lost with a killed process: typed again
            if self._find(expected) is not None:
                break
            mark = len(self.messages)
            self.send(f"Crash resolution of {reference}: the benches are repaired.")
            await self.wait_reply(mark, lambda m: expected in text_of(m))
        preview = self._find(expected)
        if preview is None:
            return
        await self.think()
        await self._step(preview, "Yes, resolve", f"{reference} is resolved.")

    async def lotse(self, reference: str, notification: SentMessage) -> bool:
        """Refer the case to a contact; False if its topic has none (then take it on)."""
        contacts = await self._step(
            notification, "Lotse", f"Which contact should the resident of {reference} get?"
        )
        if contacts is None:
            return True
        choices = [b for b in buttons(contacts) if b["callback_data"].startswith("tr:ref:")]
        if not choices:
            return False
        await self.think()
        prompt = await self._step(
            contacts, choices[0]["text"], f"Add a sentence for the resident of {reference}"
        )
        if prompt is None:
            return True
        await self.think()
        await self._step(
            prompt,
            "without a sentence",  # "Send …", or "Send anyway, …" for a card without a contact
            f"Referred. The case {reference} is closed as referred.",
        )
        return True


# --- the run ----------------------------------------------------------------------------------
class CrashDriver:
    def __init__(
        self,
        config: CrashConfig,
        server: BotApiServer,
        bot: BotProcess,
        maker: SessionMaker,
        reference: ReferenceData,
        staff: dict[int, str | None],
    ) -> None:
        self.config, self.server, self.bot, self.maker = config, server, bot, maker
        self.rng = random.Random(config.seed)
        self.concerns = make_concerns(config, reference, self.rng)
        self.managers = [Manager(self, chat, district) for chat, district in staff.items()]
        self.query_ids = itertools.count(1)
        self.answer_ids = itertools.count(1)
        self.send_targets: set[tuple[int, int]] = set()  # review messages pressed "Send" on
        self.confirming = asyncio.Event()  # the bot took a "Send" (removed the buttons)
        self.delivering = asyncio.Event()  # the outbox sender sent a manager's notification
        bot.watch = self._watch
        self.residents_done = asyncio.Event()
        self.outbox_quiet = False
        self.manager_turns = 0
        self.finished = 0  # conversations done, for the killer's timing
        self.kill_kinds: list[str] = []
        self.graceful_restarts = 0
        self.started = time.monotonic()

    def _watch(self, method: str, params: JSONDict) -> None:
        # on_confirm first removes the review's buttons, then stores the case, then thanks.
        if method == "editMessageReplyMarkup":
            key = (params.get("chat_id"), params.get("message_id"))
            if key in self.send_targets:
                self.confirming.set()
        elif method == "sendMessage" and str(params.get("text")).startswith("<b>New concern"):
            self.delivering.set()

    def diagnose(self) -> str:
        """Where the unfinished conversations stand (for a run that timed out)."""
        lines = [
            f"bot: alive={self.bot.alive} ready={self.bot.ready} starts={self.bot.starts}"
            f" kills={len(self.bot.kill_times)}; finished intakes {self.finished}, "
            f"manager turns {self.manager_turns}, residents done "
            f"{self.residents_done.is_set()}, outbox quiet {self.outbox_quiet}"
        ]
        for concern in self.concerns:
            if concern.reference is not None:
                continue
            chat = self.server.api.sent.get(concern.resident_id, [])
            seen = [(classify(m), text_of(m)[:40], len(buttons(m))) for m in chat[-3:]]
            lines.append(
                f"{concern.token} resident {concern.resident_id}: actions "
                f"{concern.actions}, restarts {dict(concern.restarts)}, last {seen}"
            )
        return "\n".join(lines)

    def take_manager_turn(self) -> bool:
        if self.manager_turns >= self.config.manager_conversations:
            return False
        self.manager_turns += 1
        return True

    async def run(self) -> None:
        await self.bot.start()
        await self.bot.wait_ready()
        killer = asyncio.create_task(self.killer(), name="killer")
        clock = asyncio.create_task(self.time_passes(), name="time passes")
        managers = [
            asyncio.create_task(m.run(), name=f"manager {m.user_id}") for m in self.managers
        ]
        try:
            await self.residents()
            self.residents_done.set()
            await self.settle_managers()
            await asyncio.gather(*managers)
            await killer  # remaining kills are skipped once the conversations are over
        finally:
            for task in (killer, clock, *managers):
                task.cancel()
            await asyncio.gather(killer, clock, *managers, return_exceptions=True)
        if not self.bot.alive:
            await self.bot.start()
        await self.bot.wait_ready()
        await self.drain()
        await asyncio.sleep(2.0)  # late duplicates would show up now
        code = await self.bot.terminate()
        if code != 0:
            raise RuntimeError(f"the bot exited with {code} on SIGTERM; see {self.bot.log_path}")

    async def residents(self) -> None:
        by_resident: dict[int, list[Concern]] = {}
        for concern in self.concerns:
            by_resident.setdefault(concern.resident_id, []).append(concern)
        gate = asyncio.Semaphore(self.config.concurrency)

        async def play(resident_id: int, concerns: list[Concern]) -> None:
            resident = Resident(self, resident_id, f"Resident {resident_id}")
            async with gate:
                for concern in concerns:
                    await resident.tell(concern)
                    self.finished += 1
                    await resident.think()

        await asyncio.gather(*(play(r, c) for r, c in by_resident.items()))

    async def settle_managers(self) -> None:
        """After the residents: let the managers answer what is still arriving."""
        quiet_since: float | None = None
        deadline = time.monotonic() + self.config.drain_timeout
        while time.monotonic() < deadline:
            waiting = any(m.open_notification() for m in self.managers)
            turns_left = self.manager_turns < self.config.manager_conversations
            busy = await self.pending_outbox() > 0 or (waiting and turns_left)
            if busy or not self.bot.ready:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 2.0:
                break
            await asyncio.sleep(0.2)
        self.outbox_quiet = True

    async def killer(self) -> None:
        """SIGKILL at moments spread over the run, in turn: at random; within 150 ms after the
        bot took a resident's "Send" (it removes the review's buttons, stores the case, then
        thanks); right after the outbox sender handed a notification to the Bot API (before
        it could record it as sent). The last two are where a kill hurts most."""
        rng, config = self.rng, self.config
        total = max(1, config.intakes)
        for index in range(config.kills):
            threshold = total * 0.85 * (index + rng.uniform(0.2, 0.8)) / config.kills
            while self.finished < threshold or self.bot.up_for() < 1.5:
                if self.residents_done.is_set():
                    return
                await asyncio.sleep(0.05)
            kind = ("random", "during a confirm", "during a delivery")[index % 3]
            if kind == "random":
                await asyncio.sleep(rng.uniform(0.0, 1.0))
            else:
                moment = self.confirming if kind == "during a confirm" else self.delivering
                moment.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(10):
                        await moment.wait()
                await asyncio.sleep(rng.uniform(0.0, 0.15 if moment is self.confirming else 0))
            if self.residents_done.is_set():
                return
            await self.bot.kill()
            self.kill_kinds.append(kind)
            await asyncio.sleep(rng.uniform(*config.restart_pause))
            await self.bot.start()
            await self.bot.wait_ready()

    async def time_passes(self) -> None:
        """Days pass quickly: pending reminders (nudges) become due a moment after they are
        scheduled, so the sweep has them to deliver."""
        while True:
            await asyncio.sleep(2.0)
            await self.make_reminders_due()

    async def make_reminders_due(self) -> int:
        now = datetime.now(UTC)
        async with session_scope(self.maker) as session:
            result = await session.execute(
                update(Reminder)
                .where(
                    Reminder.sent_at.is_(None),
                    Reminder.cancelled_at.is_(None),
                    Reminder.due_at > now,
                )
                .values(due_at=now - timedelta(seconds=1))
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def pending_outbox(self) -> int:
        async with session_scope(self.maker) as session:
            count = await session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.failed_at.is_(None),
                    OutboxMessage.next_attempt_at < datetime.now(UTC) + HELD,
                )
            )
        return int(count or 0)

    async def due_reminders(self) -> int:
        async with session_scope(self.maker) as session:
            count = await session.scalar(
                select(func.count(Reminder.id)).where(
                    Reminder.sent_at.is_(None),
                    Reminder.cancelled_at.is_(None),
                    Reminder.due_at <= datetime.now(UTC),
                )
            )
        return int(count or 0)

    async def drain(self) -> None:
        """Every due reminder rendered, every outbox row sent. The sweep runs every 30 s and
        2 s after a start, so a clean restart (SIGTERM, no kill) brings it forward."""
        await self.make_reminders_due()
        if await self.due_reminders():
            await self.bot.terminate()
            self.graceful_restarts += 1
            await self.bot.start()
            await self.bot.wait_ready()
        deadline = time.monotonic() + self.config.drain_timeout
        while time.monotonic() < deadline:
            if not await self.due_reminders() and not await self.pending_outbox():
                return
            await asyncio.sleep(0.25)


# --- the figures ------------------------------------------------------------------------------
@dataclass
class CrashReport:
    conversations: int = 0
    intakes: int = 0
    manager_conversations: int = 0
    kills: int = 0
    kill_kinds: Counter[str] = field(default_factory=Counter)
    graceful_restarts: int = 0
    resident_restarts: Counter[str] = field(default_factory=Counter)  # started over, and why
    resident_restarts_at_kill: int = 0  # ... because their step was in flight at a kill
    abandoned: int = 0
    concerns_confirmed: int = 0
    concerns_stored: int = 0
    concerns_lost: int = 0  # confirmed, but not stored under its number
    # a receipt of the resident's earlier concern that arrived (from the outbox, after a kill)
    # while they were already telling the next one: stored, only counted against the wrong one
    receipts_late: int = 0
    concerns_doubled: int = 0  # stored twice where no kill explains it
    unconfirmed_stored: int = 0  # a case whose resident never saw its number
    unconfirmed_in_flight: int = 0  # ... with a kill between its "Send" and any answer
    stored_twice_after_kill: int = 0  # the resident told it again, the first copy survived
    messages_expected: int = 0
    messages_held: int = 0  # written out of working hours: they wait for the morning
    messages_delivered: int = 0
    messages_lost: int = 0
    messages_duplicated: int = 0
    messages_failed: int = 0  # outbox rows the bot gave up on
    photos_duplicated: int = 0
    answers_relayed_twice: int = 0  # a manager repeated /antwort after a lost confirmation
    answers_relayed_twice_after_kill: int = 0
    updates_redelivered: int = 0  # handed out again: the bot died before confirming them
    updates_skipped: int = 0  # ... that the guard skipped as processed (from the bot's log)
    updates_replayed: int = 0  # taken by a process killed before it finished them (the inbox)
    reference_gaps: int = 0  # numbers skipped in a district's sequence (a counter not rolled back)
    nudges_due: int = 0
    nudges_sent: int = 0
    cases_resolved: int = 0  # by a manager, after the preview of what the resident reads
    resolved_twice: int = 0  # cases with more than one "resolved" event (none may have)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # which, and the kill before them

    def summary(self, database: str) -> str:
        """One line of the counts, for the end of the pytest output (tests/conftest.py)."""
        restarts = self.resident_restarts.total()
        return (
            f"crash test on {database}: {self.kills} kills; concerns confirmed "
            f"{self.concerns_confirmed}/{self.intakes}, lost {self.concerns_lost}, doubled "
            f"{self.concerns_doubled}; residents who repeated a step {restarts} (their step "
            f"in flight at a kill: {self.resident_restarts_at_kill}, otherwise: "
            f"{restarts - self.resident_restarts_at_kill}); updates in flight at a kill "
            f"{self.updates_replayed}, replayed; messages duplicated "
            f"{self.messages_duplicated}, lost {self.messages_lost}"
        )

    def format(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.kill_kinds.items())) or "none"
        restarts = ", ".join(f"{k}: {n}" for k, n in self.resident_restarts.most_common())
        rows = [
            (
                "conversations played",
                f"{self.conversations} ({self.intakes} intakes, "
                f"{self.manager_conversations} manager cases)",
            ),
            (
                "kills (SIGKILL)",
                f"{self.kills} ({kinds}); clean restarts: {self.graceful_restarts}",
            ),
            ("concerns confirmed", self.concerns_confirmed),
            ("concerns stored", self.concerns_stored),
            ("  confirmed but lost", self.concerns_lost),
            ("  receipt of the concern before, late", self.receipts_late),
            ("  doubled", self.concerns_doubled),
            (
                "  stored, never confirmed",
                f"{self.unconfirmed_stored} (in flight at a kill: {self.unconfirmed_in_flight})",
            ),
            ("  told again after a kill", self.stored_twice_after_kill),
            (
                "  residents who started over",
                f"{self.resident_restarts.total()} ({restarts}); with their step in flight "
                f"at a kill: {self.resident_restarts_at_kill}",
            ),
            ("  residents who gave up", self.abandoned),
            ("messages expected", self.messages_expected),
            ("messages held until working hours", self.messages_held),
            ("messages delivered", self.messages_delivered),
            (
                "messages lost",
                f"{self.messages_lost} (given up by the bot: {self.messages_failed})",
            ),
            (
                "messages duplicated",
                f"{self.messages_duplicated} (photos sent again: {self.photos_duplicated})",
            ),
            (
                "  answers relayed twice",
                f"{self.answers_relayed_twice} (the manager typed "
                f"it again; a kill between: "
                f"{self.answers_relayed_twice_after_kill})",
            ),
            ("nudges due / sent", f"{self.nudges_due} / {self.nudges_sent}"),
            ("cases resolved", f"{self.cases_resolved} (twice: {self.resolved_twice})"),
            (
                "updates in flight at a kill",
                f"{self.updates_replayed} (replayed from the inbox at the next start)",
            ),
            (
                "updates redelivered",
                f"{self.updates_redelivered} (skipped by the guard as "
                f"already processed: {self.updates_skipped})",
            ),
            ("reference numbers skipped", self.reference_gaps),
            ("duration", f"{self.seconds:.0f} s"),
        ]
        width = max(len(label) for label, _ in rows)
        lines = ["", "===== crash test ====="]
        lines += [f"{label.ljust(width)}  {value}" for label, value in rows]
        lines += [f"duplicate: {d}" for d in self.duplicates]
        lines += [f"problem: {p}" for p in self.problems]
        return "\n".join(lines)


def _first_version(message: SentMessage) -> tuple[str | None, str | None]:
    """(text, caption) as originally sent; edits change messages in place."""
    if message.edited:
        first = message.edited[0]
        return first.get("text"), first.get("caption")
    return message.text, message.caption


async def analyse(driver: CrashDriver) -> CrashReport:
    report = CrashReport(
        intakes=len(driver.concerns),
        manager_conversations=driver.manager_turns,
        kills=len(driver.bot.kill_times),
        kill_kinds=Counter(driver.kill_kinds),
        graceful_restarts=driver.graceful_restarts,
        seconds=time.monotonic() - driver.started,
    )
    report.conversations = report.intakes + report.manager_conversations
    report.resident_restarts = sum((c.restarts for c in driver.concerns), Counter())
    report.resident_restarts_at_kill = sum(c.restarts_at_kill for c in driver.concerns)
    report.problems += [note for c in driver.concerns for note in c.restart_notes]
    report.abandoned = sum(c.abandoned for c in driver.concerns)
    report.updates_redelivered = sum(
        n - 1 for n in driver.server.update_deliveries.values() if n > 1
    )
    log = driver.bot.log_path.read_text(errors="replace") if driver.bot.log_path.exists() else ""
    report.updates_skipped = log.count("was already processed; skipped")
    report.updates_replayed = log.count("replayed from the inbox")
    async with session_scope(driver.maker) as session:
        cases = list(await session.execute(select(Case.reference, Case.description)))
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        reminders = list(await session.scalars(select(Reminder)))
        resolutions = Counter(
            await session.scalars(select(CaseEvent.case_id).where(CaseEvent.kind == "resolved"))
        )
        languages = await outbox.languages_of(session, {r.chat_id for r in rows})
    # What each row said: intents rendered as the sender did (the readers kept their language)
    renderer = OutboxRenderer(Translations(), load_reference_data(), ZoneInfo("Europe/Berlin"))
    said = {
        row.id: renderer.payload(
            row.intent, row.params, row.payload, languages.get(row.chat_id), row.language
        )
        for row in rows
    }
    _concern_figures(driver, report, [(r, d or "") for r, d in cases])
    held = [r for r in rows if _held_for_working_hours(r)]
    report.messages_held = len(held)
    _message_figures(driver, report, [r for r in rows if r not in held], said)
    report.nudges_due = sum(1 for r in reminders if r.cancelled_at is None)
    report.nudges_sent = sum(1 for r in reminders if r.sent_at is not None)
    report.cases_resolved = len(resolutions)
    report.resolved_twice = sum(1 for n in resolutions.values() if n > 1)
    return report


def _concern_figures(
    driver: CrashDriver, report: CrashReport, cases: list[tuple[str, str]]
) -> None:
    by_token: dict[str, list[str]] = {}
    for reference, description in cases:
        match = re.search(r"Crash test concern (C\d{4})", description)
        by_token.setdefault(match.group(1) if match else "?", []).append(reference)
    report.concerns_stored = len(cases)
    sequences: dict[str, list[int]] = {}
    for reference, _ in cases:
        prefix, _, number = reference.rpartition("-")
        sequences.setdefault(prefix, []).append(int(number))
    report.reference_gaps = sum(max(ns) - len(set(ns)) for ns in sequences.values())
    kills = driver.bot.kill_times
    owner = {reference: token for token, refs in by_token.items() for reference in refs}
    resident_of = {c.token: c.resident_id for c in driver.concerns}
    for concern in driver.concerns:
        stored = by_token.get(concern.token, [])
        if concern.reference is not None:
            report.concerns_confirmed += 1
            earlier = owner.get(concern.reference)
            if (
                concern.reference not in stored
                and earlier is not None
                and resident_of.get(earlier) == concern.resident_id
            ):
                report.receipts_late += 1
            elif concern.reference not in stored:
                report.concerns_lost += 1
                report.problems.append(
                    f"{concern.token}: confirmed as {concern.reference}, stored as {stored}"
                )
        unconfirmed = [r for r in stored if r != concern.reference]
        if not unconfirmed:
            continue
        report.unconfirmed_stored += len(unconfirmed)
        first_press = min(concern.send_presses, default=None)
        end = concern.confirmed_at if concern.confirmed_at is not None else float("inf")
        in_flight = first_press is not None and any(first_press <= k <= end for k in kills)
        if in_flight:
            report.unconfirmed_in_flight += len(unconfirmed)
            if concern.reference is not None:
                report.stored_twice_after_kill += len(unconfirmed)
        else:
            report.concerns_doubled += len(unconfirmed)
            report.problems.append(
                f"{concern.token}: stored as {stored} without a kill in "
                f"flight; confirmed {concern.reference}"
            )
    for token in by_token.keys() - {c.token for c in driver.concerns}:
        report.problems.append(f"cases of no known concern: {by_token[token]}")


def _held_for_working_hours(row: OutboxMessage) -> bool:
    """A message the bot holds on purpose until the working day (e.g. a follow-up question
    whose reminder fell due at night or on a weekend, as this test's clock is the real one):
    never tried and due far later than it was written, while sending at once holds a row for
    seconds only (`outbox.BACKUP_SECONDS`)."""
    return (
        row.sent_at is None
        and row.failed_at is None
        and row.attempts == 0
        and row.next_attempt_at - row.created_at > HELD
    )


def _message_figures(
    driver: CrashDriver,
    report: CrashReport,
    rows: list[OutboxMessage],
    said: dict[int, dict[str, Any]],
) -> None:
    api = driver.server.api
    received: Counter[tuple[int, str]] = Counter()
    photos: Counter[tuple[int, str]] = Counter()
    for chat_id, messages in api.sent.items():
        for message in messages:
            text, caption = _first_version(message)
            if message.method in ("sendMessage", "sendDocument"):
                received[(chat_id, text if text is not None else caption or "")] += 1
            if message.photo is not None:
                photos[(chat_id, message.photo.file_id)] += 1
    expected: Counter[tuple[int, str]] = Counter()
    expected_photos: Counter[tuple[int, str]] = Counter()
    for row in rows:
        expected[(row.chat_id, str(said[row.id].get("text") or ""))] += 1
        for file_id in said[row.id].get("photos") or []:
            expected_photos[(row.chat_id, file_id)] += 1
        if row.failed_at is not None:
            report.messages_failed += 1
            report.problems.append(f"outbox {row.id} ({row.kind}) given up: {row.last_error}")
        elif row.sent_at is None:
            report.problems.append(f"outbox {row.id} ({row.kind}) never marked sent")
    report.messages_expected = len(rows)
    for key, count in expected.items():
        got = received.get(key, 0)
        report.messages_delivered += min(count, got)
        report.messages_lost += max(0, count - got)
        report.messages_duplicated += max(0, got - count)
        if got > count:
            report.duplicates.append(_explain_duplicate(driver, key, got))
        if got < count:
            report.problems.append(f"lost: {count - got} x to {key[0]}: {key[1][:60]!r}")
    report.photos_duplicated = sum(
        max(0, photos.get(key, 0) - count) for key, count in expected_photos.items()
    )
    relayed: dict[str, list[datetime]] = {}
    for row in rows:
        for token in re.findall(r"Crash answer (A\d{4})", str(said[row.id].get("text") or "")):
            relayed.setdefault(token, []).append(row.created_at)
    for moments in relayed.values():
        if len(moments) > 1:
            report.answers_relayed_twice += 1
            if any(min(moments) <= k <= max(moments) for k in driver.bot.kill_clock):
                report.answers_relayed_twice_after_kill += 1


def _explain_duplicate(driver: CrashDriver, key: tuple[int, str], got: int) -> str:
    """`got` copies of one text to one chat: when they went out, and the kill between them."""
    chat_id, text = key
    times = [
        call.time
        for call in driver.server.api.calls
        if call.method in ("sendMessage", "sendDocument")
        and call.error is None
        and call.params.get("chat_id") == chat_id
        and (call.params.get("text") or call.params.get("caption") or "") == text
    ]
    kills = [k for k in driver.bot.kill_times if times and times[0] <= k <= times[-1]]
    when = ", ".join(f"+{t - driver.started:.1f}s" for t in times)
    killed = ", ".join(f"+{k - driver.started:.1f}s" for k in kills) or "none"
    label = re.sub(r"<[^>]+>", "", text).split("\n", 1)[0][:50]
    return f"{got}x to {chat_id} {label!r} at {when}; kills between: {killed}"
