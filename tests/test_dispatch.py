"""Group 0's shortcut (bot.updates.dispatch) and the dialogues' own: the handler that takes an
update is the one python-telegram-bot's loop over the whole group would have found."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.handlers.dialogue import Dialogue, button_family
from bot.offline.simulator import Simulator, SimUser
from bot.updates.dispatch import Shortcut
from tests.conftest import BotEnv


async def _consent(user: SimUser) -> None:
    await user.send("/start")
    await user.press("Ich stimme zu")


def _group(env: BotEnv) -> list[BaseHandler[Any, Any, Any]]:
    assert env.app is not None
    return env.app.handlers[0]


def _shortcut(env: BotEnv) -> Shortcut:
    first = _group(env)[0]
    assert isinstance(first, Shortcut), "the shortcut is the group's first handler"
    return first


def _plain_first(group: list[BaseHandler[Any, Any, Any]], update: Update) -> Any:
    """python-telegram-bot's own choice: the first handler after the shortcut that takes it."""
    for handler in group[1:]:
        check = handler.check_update(update)
        if check is not None and check is not False:
            return handler
    return None


def _updates(sim: Simulator, user: SimUser, families: set[str], commands: set[str]) -> list[Any]:
    """Presses of every family (and of none, unknown and empty data), typed text, every
    command, a command in the middle of a text, and a press on a message that starts with one."""
    bot_message = {
        "message_id": 1,
        "chat": user.chat,
        "date": 0,
        "from": {"id": 1, "is_bot": True, "first_name": "Bot", "username": "bezirksbot"},
        "text": "Schritt 2 von 6",
    }
    command_message = {
        **bot_message,
        "text": "/faelle shows them",
        "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
    }
    payloads: list[dict[str, Any]] = []
    for data in [*(f"{family}:1" for family in sorted(families)), "zz:1", "nothing", ""]:
        for message in (bot_message, command_message):
            query = {"id": "1", "from": user.user, "chat_instance": "1", "message": message}
            payloads.append({"callback_query": {**query, "data": data}})
    texts = ["Hallo", "linden sued", "Mein Anliegen: /neu bitte", *(f"/{c}" for c in commands)]
    for text in texts:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        payloads.append({"message": user.build_message(user.user, **content)})
    bot = sim.app.bot
    return [Update.de_json({"update_id": 10**6 + i, **p}, bot) for i, p in enumerate(payloads)]


async def _compare(env: BotEnv, sim: Simulator, user: SimUser) -> int:
    group, shortcut = _group(env), _shortcut(env)
    commands = {c for h in group if isinstance(h, CommandHandler) for c in h.commands}
    families = {button_family(h) for h in group if isinstance(h, CallbackQueryHandler)}
    families |= {f for h in group if isinstance(h, Dialogue) for f in h.callback_prefixes() or ()}
    updates = _updates(sim, user, {f for f in families if f}, commands)
    for update in updates:
        found = shortcut.check_update(update)
        expected = _plain_first(group, update)
        chosen = found[0] if found is not None else None
        assert chosen is expected, (update.to_dict(), chosen, expected)
    return len(updates)


async def test_the_shortcut_picks_the_handler_the_whole_group_would(env: BotEnv) -> None:
    """Idle, and in the middle of an intake (its dialogue waits for text), for presses of
    every family, typed text and every command."""
    sim = env.sim
    assert sim is not None
    user = sim.user(7001, language_code="de")
    await _consent(user)
    assert await _compare(env, sim, user) > 100
    await user.send("/neu")
    await user.send("linden sued")
    await user.press("Ja")
    await user.press("Öffentlicher Raum")  # the intake now waits for the description
    await _compare(env, sim, user)


async def test_a_press_asks_only_handlers_of_its_family(env: BotEnv) -> None:
    sim = env.sim
    assert sim is not None
    user = sim.user(7002, language_code="de")
    await _consent(user)
    press = _updates(sim, user, {"in"}, set())[0]
    assert press.callback_query is not None and press.callback_query.data == "in:1"
    shortcut = _shortcut(env)
    shortcut.check_update(press)
    asked = shortcut._candidates[shortcut._key(press)]
    buttons = [h for h in _group(env) if isinstance(h, CallbackQueryHandler)]
    assert len(buttons) > 30
    assert [h for h in asked if isinstance(h, CallbackQueryHandler)] == [
        h for h in buttons if button_family(h) in ("in", None)
    ]
    assert not [h for h in asked if isinstance(h, CommandHandler)]  # no command in the message


async def test_a_handler_added_after_the_start_is_asked(env: BotEnv) -> None:
    sim = env.sim
    assert sim is not None and env.app is not None
    user = sim.user(7003, language_code="de")
    await _consent(user)
    await user.send("Hallo")  # the shortcut has seen the group
    taken: list[str] = []

    async def take(update: Update, _context: Any) -> None:
        assert update.callback_query is not None
        taken.append(str(update.callback_query.data))

    _group(env).insert(1, CallbackQueryHandler(take, pattern=r"^zz:(?:\d+)$"))
    query = {"id": "9", "from": user.user, "chat_instance": "1", "data": "zz:5"}
    await sim.deliver({"callback_query": query})
    assert taken == ["zz:5"]


async def test_a_dialogue_declines_typed_text_as_its_conversation_handler_would(
    env: BotEnv,
) -> None:
    """The dialogues' own shortcut for text (waiting for nobody, started only by commands or
    buttons) gives python-telegram-bot's answer, idle and with a conversation waiting."""
    sim = env.sim
    assert sim is not None
    user = sim.user(7004, language_code="de")
    await _consent(user)
    dialogues = [h for h in _group(env) if isinstance(h, Dialogue)]
    assert len(dialogues) > 15

    def compare() -> None:
        for update in _updates(sim, user, set(), {"neu", "faelle"}):
            for dialogue in dialogues:
                ours = dialogue.check_update(update)
                theirs = ConversationHandler.check_update(dialogue, update)
                assert (ours is None) == (theirs is None), (dialogue.name, update.to_dict())
                if ours is not None and theirs is not None:
                    assert ours[:3] == theirs[:3]

    compare()
    key = (user.chat_id, user.chat_id)
    for dialogue in dialogues:  # each waiting in its first state, the others idle
        if dialogue.per_message:
            continue
        dialogue._conversations[key] = next(iter(dialogue.states))
        try:
            compare()
        finally:
            del dialogue._conversations[key]
