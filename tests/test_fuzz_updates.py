"""Fuzz: more than 10,000 random and malformed updates against the whole application.

Random users (never the seeded staff) send texts of every kind (commands with random
arguments, deep links, 100,000 characters, RTL marks, zero-width and combining characters,
emoji, lone surrogates), photos, files, locations, contacts, replies, edits, presses of real,
forged and unknown buttons, in private chats, groups and channels; some updates lose fields or
get values of the wrong type. Afterwards: nothing reached the error handler, nothing was logged
as an error, no secret of the seeded world was shown, and the only rows that changed belong to
the fuzz users themselves.

Every run uses the same seed unless FUZZ_SEED=<n> replays another or FUZZ_SEED=random draws
one (the seed is printed); FUZZ_UPDATES=<n> changes the number of updates.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from bot.offline.fake_api import JSONDict
from bot.services.access import invitations
from bot.web.metrics import WebMetrics
from tests.test_authorisation_property import (
    SECRETS,
    World,
    callback_patterns,
    command_names,
    open_env,
    prefix_of,
    seed_world,
    snapshot,
    unknown,
    violations,
    visible_to,
    vocabulary,
)

UPDATES = int(os.environ.get("FUZZ_UPDATES", "10000"))
# One fixed seed by default, so a red build is reproducible; FUZZ_SEED=random draws a new one.
_seed = os.environ.get("FUZZ_SEED", "20261125")
SEED = random.SystemRandom().randrange(10**9) if _seed == "random" else int(_seed)
BATCH = 500
FUZZ_USERS = range(800_000, 800_600)  # disjoint from every seeded account
HEAVY_USERS = (801_500, 801_501, 801_502)  # they flood
GROUPS = (-4_000_001, -4_000_002, -1_000_000_000_001)
CHANNELS = (-1_000_000_000_777,)

ODD = [
    "\u200f",
    "\u200e",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u00ad",
    "\u0301\u0301\u0301",
    "Z\u0364\u0351\u0313\u0308",
    "🏳️‍🌈",
    "👨‍👩‍👧‍👦",
    "\U0001f600",
    "\U0010ffff",
    "\uffff",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\t",
    "ß",
    "İ",
    "ﷺ",
    "𝕳𝖆𝖓𝖓𝖔𝖛𝖊𝖗",
    "\ud83d",
    "\udc00",  # lone surrogates: valid JSON escapes, never valid UTF-8
    "<b>",
    "</i>",
    "&amp;",
    "<a href='x'>",
    "{reference}",
    "{0}",
    "%s",
    "%(x)s",
    "\\",
    "' OR 1=1 --",
    "'; DROP TABLE cases; --",
    "../../etc/passwd",
    "@everyone",
]
WORDS = [
    "linden sued",
    "Bult",
    "30449",
    "Limmerstraße 1",
    "Atlantis",
    "Mitte",
    "Yes",
    "No",
    "Send",
    "Skip",
    "heute",
    "bis Freitag",
    "15.4. um 10 Uhr",
    "in zwei Wochen",
    "10-2026-0001",
    "+49 511 1234567",
    "erika@example.org",
    "📝 New concern",
    "📋 My concerns",
    "❓ Help",
    "🌐 Language",
    "Hilfe",
    "Feuer! Notfall",
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999",
]

# Arguments that make a command do something when its sender may use it.
PLAUSIBLE = [
    "manager",
    "deputy",
    "rep",
    "coordinator",
    "admin",
    "10",
    "06",
    "66",
    "32",
    "1",
    "2",
    "3",
    "Linden-Limmer",
    "10-2026-0001",
    "10-2026-0002",
    "10-2026-0003",
    "bis Freitag",
    "Hallo",
]


class Fuzzer:
    """Random updates as raw JSON, the way Telegram (or a broken client) might send them."""

    def __init__(
        self, rng: random.Random, world: World, commands: list[str], callback_words: list[str]
    ) -> None:
        self.rng, self.world = rng, world
        self.commands, self.callback_words = commands, callback_words
        self.sim = world.sim
        self.query_ids = itertools.count(1)

    # -- pieces ------------------------------------------------------------------------------
    def text(self) -> str:
        r = self.rng
        kind = r.random()
        if kind < 0.25:
            return self.command()
        if kind < 0.30:
            unit = r.choice(["x", "Ä", "🏳️‍🌈", "\u202e", "a b "])
            return unit * r.choice([4097, 20_000, 100_000])
        if kind < 0.55:
            return r.choice(WORDS)
        parts = [r.choice(ODD + WORDS) for _ in range(r.randint(1, 8))]
        if r.random() < 0.3:
            parts.append("".join(chr(r.randint(32, 0x2FFFF)) for _ in range(r.randint(1, 40))))
        return "".join(parts)

    def command(self) -> str:
        r = self.rng
        name = r.choice([*self.commands, "frobnicate", "start@BezirksbotTestBot", "START", ""])
        args = [
            r.choice(PLAUSIBLE if r.random() < 0.6 else ODD + WORDS)
            for _ in range(r.randint(0, 3))
        ]
        if name == "start" and r.random() < 0.6:
            args = [
                r.choice(
                    [
                        invitations.payload_for("A" * r.randint(1, 60)),
                        "inv-" + "".join(r.choice("abcXYZ-_019") for _ in range(r.randint(0, 70))),
                        "inv-",
                        "inv",
                        "x" * 64,
                        "\u202e",
                        "case-1",
                    ]
                )
            ]
        return "/" + name + ("" if not args else " " + " ".join(args))

    def user(self, user_id: int | None = None) -> JSONDict:
        r = self.rng
        user_id = user_id or self.user_id()
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": r.choice(["Erika", "", "\u202eakirE", "🦊", "x" * 300]),
        }
        if r.random() < 0.7:
            user["language_code"] = r.choice(["de", "en", "tr", "ar", "de-AT", "", "xx-YY"])
        if r.random() < 0.2:
            user["username"] = r.choice(["fuzz", "a" * 40, "Ünïcode"])
        return user

    def user_id(self) -> int:
        r = self.rng
        return r.choice(HEAVY_USERS) if r.random() < 0.1 else r.choice(FUZZ_USERS)

    def chat(self, user: JSONDict) -> JSONDict:
        r = self.rng
        roll = r.random()
        if roll < 0.8:
            return {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if roll < 0.95:
            chat_id = r.choice(GROUPS)
            return {
                "id": chat_id,
                "type": "supergroup" if chat_id < -(10**12) else "group",
                "title": "Nachbarn",
            }
        return {"id": r.choice(CHANNELS), "type": "channel", "title": "Kanal"}

    def photo_sizes(self) -> list[JSONDict]:
        r = self.rng
        return [
            {
                "file_id": f"fuzz-photo-{r.randint(1, 10**6)}",
                "file_unique_id": "u",
                "width": r.choice([1, 90, 1280, 10**5]),
                "height": r.choice([1, 68, 960]),
                "file_size": r.choice([None, 0, 1000, 10 * 1024 * 1024 + 1, 2**40]),
            }
            for _ in range(r.randint(1, 4))
        ]

    def content(self) -> JSONDict:
        r = self.rng
        kind = r.random()
        if kind < 0.6:
            text = self.text()
            content: JSONDict = {"text": text}
            if text.startswith("/") and r.random() < 0.9:
                length = len(text.split(" ")[0].encode("utf-16-le")) // 2
                content["entities"] = [
                    {
                        "type": "bot_command",
                        "offset": 0,
                        "length": r.choice([length, length, 1, 0, 500]),
                    }
                ]
            return content
        if kind < 0.7:
            content = {"photo": self.photo_sizes()}
            if r.random() < 0.5:
                content["caption"] = self.text()[:1024]
            return content
        if kind < 0.77:
            return {
                "document": {
                    "file_id": "fuzz-doc",
                    "file_unique_id": "d",
                    "file_name": r.choice(["a.pdf", "../../x", "\u202eexe.pdf"]),
                    "mime_type": r.choice(["application/pdf", "image/jpeg", "x/y"]),
                    "file_size": r.choice([None, 10, 50 * 1024 * 1024]),
                }
            }
        if kind < 0.84:
            return {
                "location": {
                    "latitude": r.choice([52.37, 52.36, -91.0, 0.0, 1e308]),
                    "longitude": r.choice([9.73, 9.71, 181.0, -0.0]),
                }
            }
        if kind < 0.9:
            contact: JSONDict = {
                "phone_number": r.choice(["+49 511 1234567", "", "x" * 300]),
                "first_name": "Erika",
            }
            if r.random() < 0.5:
                contact["user_id"] = r.choice([*FUZZ_USERS[:3], 710_010])
            return {"contact": contact}
        if kind < 0.94:
            return {
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                    "emoji": "👍",
                }
            }
        return {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}

    def message(self) -> JSONDict:
        r = self.rng
        user = self.user()
        chat = self.chat(user)
        message: JSONDict = {
            "message_id": r.randint(1, 10**6),
            "date": int(time.time()),
            "chat": chat,
            **self.content(),
        }
        if chat["type"] != "channel":
            message["from"] = user
        else:
            message["sender_chat"] = chat
        if r.random() < 0.15:
            message["reply_to_message"] = self.quoted(chat)
        if r.random() < 0.05:
            message["media_group_id"] = "album-1"
        if r.random() < 0.05:
            message["forward_origin"] = {
                "type": "hidden_user",
                "sender_user_name": "X",
                "date": int(time.time()),
            }
        return message

    def quoted(self, chat: JSONDict) -> JSONDict:
        """A bot message of this chat, of another chat, or one that never existed."""
        r = self.rng
        chats = [c for c in self.sim.api.sent if self.sim.api.sent[c]]
        source = chat["id"] if r.random() < 0.5 or not chats else r.choice(chats)
        sent = self.sim.api.messages(source)
        if sent:
            quoted = r.choice(sent).to_dict()
            quoted.pop("reply_to_message", None)
            return quoted
        return {"message_id": r.randint(1, 10**9), "date": 0, "chat": chat}

    def callback_data(self) -> str:
        r = self.rng
        roll = r.random()
        if roll < 0.4:
            return r.choice(self.world.seen_data)
        if roll < 0.8:
            data = r.choice(self.callback_words)
            return data.replace("ID", str(r.choice([*self.world.real_ids, 0, 10**12])))
        return "".join(r.choice(ODD + WORDS + [":", "tr", "ag", "1"]) for _ in range(3))[:200]

    def callback_query(self) -> JSONDict:
        r = self.rng
        user = self.user()
        query: JSONDict = {
            "id": str(r.randint(1, 10**12)),
            "from": user,
            "chat_instance": str(r.randint(1, 10**6)),
        }
        if r.random() < 0.95:
            query["data"] = self.callback_data()
        if r.random() < 0.9:
            chat = self.chat(user)
            sent = self.sim.api.messages(chat["id"])
            query["message"] = (
                r.choice(sent).to_dict()
                if sent and r.random() < 0.8
                else {"message_id": r.randint(1, 10**6), "date": 0, "chat": chat}
            )
        else:
            query["inline_message_id"] = "inline-1"
        return query

    def other(self) -> JSONDict:
        """Update types the bot does not handle at all."""
        r = self.rng
        user = self.user()
        chat = {"id": r.choice(GROUPS), "type": "group", "title": "G"}
        return r.choice(
            [
                {
                    "inline_query": {
                        "id": "1",
                        "from": user,
                        "query": self.text()[:256],
                        "offset": "",
                    }
                },
                {"chosen_inline_result": {"result_id": "1", "from": user, "query": "q"}},
                {"poll_answer": {"poll_id": "p", "user": user, "option_ids": [0]}},
                {
                    "my_chat_member": {
                        "chat": chat,
                        "from": user,
                        "date": 0,
                        "old_chat_member": {"status": "left", "user": user},
                        "new_chat_member": {"status": "member", "user": user},
                    }
                },
                {
                    "chat_join_request": {
                        "chat": chat,
                        "from": user,
                        "user_chat_id": user["id"],
                        "date": 0,
                    }
                },
                {
                    "message_reaction": {
                        "chat": chat,
                        "message_id": 1,
                        "date": 0,
                        "user": user,
                        "old_reaction": [],
                        "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                    }
                },
                {
                    "shipping_query": {
                        "id": "s",
                        "from": user,
                        "invoice_payload": "x",
                        "shipping_address": {
                            "country_code": "DE",
                            "state": "",
                            "city": "H",
                            "street_line1": "",
                            "street_line2": "",
                            "post_code": "",
                        },
                    }
                },
            ]
        )

    # -- whole updates -----------------------------------------------------------------------
    def update(self) -> JSONDict:
        r = self.rng
        roll = r.random()
        if roll < 0.5:
            payload: JSONDict = {"message": self.message()}
        elif roll < 0.82:
            payload = {"callback_query": self.callback_query()}
        elif roll < 0.88:
            payload = {"edited_message": {**self.message(), "edit_date": int(time.time())}}
        elif roll < 0.93:
            message = self.message()
            chat = {"id": r.choice(CHANNELS), "type": "channel", "title": "Kanal"}
            message.update(chat=chat, sender_chat=chat)
            message.pop("from", None)
            payload = {r.choice(["channel_post", "edited_channel_post"]): message}
        else:
            payload = self.other()
        payload = copy.deepcopy(payload)  # quoted messages share dicts with the fake API
        if r.random() < 0.15:
            self.mutate(payload)
        query = payload.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            query["id"] = f"fuzz-{next(self.query_ids)}"  # Telegram's ids are unique
        if r.random() < 0.02:
            payload["update_id"] = r.choice(["7", -1, 2**64, None, 1.5, 1])
        return payload

    def mutate(self, payload: JSONDict) -> None:
        """Drop a field or give it a value of the wrong type, somewhere in the tree."""
        r = self.rng
        node: Any = payload
        for _ in range(r.randint(1, 4)):
            keys = (
                [k for k, v in node.items() if isinstance(v, dict)]
                if isinstance(node, dict)
                else []
            )
            if not keys or r.random() < 0.3:
                break
            node = node[r.choice(keys)]
        if not isinstance(node, dict) or not node:
            return
        key = r.choice(list(node))
        if r.random() < 0.4:
            del node[key]
        else:
            node[key] = r.choice(
                [None, 0, -1, 2**70, 1.5, True, "", "x", [], {}, ["a"], {"id": "x"}, "\ud800"]
            )


def _callback_words(world: World) -> list[str]:
    assert world.env.app is not None
    prefixes = sorted({prefix_of(p) for p in callback_patterns(world.env.app)} - {""})
    verbs = vocabulary()
    return [f"{p}:{v}:ID" for p in prefixes for v in verbs] + [f"{p}:ID" for p in prefixes]


@pytest.fixture
async def fuzz_world(tmp_path: Path) -> Any:
    async with open_env(tmp_path, flood_messages_per_minute=30) as env:  # the default
        assert env.app is not None
        WebMetrics().instrument(env.app)  # as the webhook server does: a handler at -100
        yield await seed_world(env)


async def test_random_and_malformed_updates_break_nothing(
    fuzz_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world, rng = fuzz_world, random.Random(SEED)
    sim, app = world.sim, world.env.app
    assert app is not None
    sim.settle_timeout = 120
    errors = world.errors
    fuzzer = Fuzzer(rng, world, command_names(app), _callback_words(world))
    before = await snapshot(world.env)
    caplog.set_level(logging.WARNING)
    started, accepted, rejected = time.monotonic(), 0, 0
    while accepted < UPDATES:
        for _ in range(BATCH):
            payload = fuzzer.update()
            try:
                sim.enqueue(payload)
            except Exception:  # Update.de_json refused it: it never reaches the application
                rejected += 1
            else:
                accepted += 1
        await sim.settle()
    elapsed = time.monotonic() - started
    after = await snapshot(world.env)

    distinct = sorted({e.split(": ", 1)[1] for e in unknown(errors)})
    assert not distinct, f"seed {SEED}: {len(errors)} errors, distinct: {distinct}"
    fuzz_ids = {*FUZZ_USERS, *HEAVY_USERS}
    bad = violations(before, after, telegram_id=fuzz_ids, prefix="in")
    assert not bad, f"seed {SEED}: fuzz users changed {bad[:10]}"
    logged = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR
        and not r.getMessage().startswith("error while handling update")
    ]
    assert not logged, f"seed {SEED}: {logged[0].getMessage()}"
    for chat_id in [*fuzz_ids, *GROUPS, *CHANNELS]:
        shown = visible_to(world, chat_id)
        leaked = [secret for secret in SECRETS if secret in shown]
        assert not leaked, f"seed {SEED}: chat {chat_id} was shown {leaked}"
    malformed = sum("dropped: malformed" in r.getMessage() for r in caplog.records)
    print(
        f"\nfuzz seed {SEED}: {accepted} updates in {elapsed:.1f} s "
        f"({rejected} more refused by the parser, {malformed} dropped as malformed, "
        f"{len(errors)} known issues: {sorted({e.rsplit(' at ', 1)[1] for e in errors})})"
    )
    assert accepted >= UPDATES


def test_the_fuzzer_builds_what_it_promises() -> None:
    """The generator itself: huge texts, odd Unicode and wrong types do occur."""
    texts = []

    class Stub:
        seen_data, real_ids = ["tr:kue:1"], [1]
        sim = type(
            "S",
            (),
            {"api": type("A", (), {"sent": {}, "messages": staticmethod(lambda chat_id: [])})()},
        )()

    fuzzer = Fuzzer(random.Random(1), Stub(), ["start", "neu"], ["tr:kue:ID"])  # type: ignore[arg-type]

    def text_of(payload: JSONDict) -> str:
        message = payload.get("message")
        return str(message.get("text", "")) if isinstance(message, dict) else ""

    for _ in range(3000):
        texts.append(text_of(fuzzer.update()))
    assert any(len(t) >= 100_000 for t in texts)
    assert any("\u202e" in t for t in texts) and any("\ud83d" in t for t in texts)
    assert any(t.startswith("/start inv-") for t in texts)


async def test_a_chat_id_of_the_wrong_type_is_dropped_quietly(fuzz_world: World) -> None:
    sim = fuzz_world.sim
    user = {"id": 800_001, "is_bot": False, "first_name": "X"}
    sim.enqueue(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/hilfe",
                "from": user,
                "chat": {"id": {"forged": 1}, "type": "private"},
            }
        }
    )
    await sim.settle()
    assert not fuzz_world.errors
