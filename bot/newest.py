"""The newest message of each chat, sent or received, as far as this process has seen it.

A pressed button's message may be turned into the next question in place (one Bot API call
instead of removing its keyboard and sending a new message) only when nothing came after it
in the chat: otherwise the question would move up, out of sight. Kept in memory per bot and
bounded; after a restart nothing is known and a new message is sent, as before.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

from telegram import Bot

CHATS = 50_000  # the most recently active chats remembered per bot

# Keyed by the bot object's identity (python-telegram-bot's Bot hashes by its user, so two
# applications of one token would share an entry); the weak reference tells a reused id apart.
_NEWEST: dict[int, tuple[weakref.ref[Bot], OrderedDict[int, int]]] = {}


def _chats(bot: Bot) -> OrderedDict[int, int]:
    entry = _NEWEST.get(id(bot))
    if entry is None or entry[0]() is not bot:
        for key in [key for key, (ref, _chats) in _NEWEST.items() if ref() is None]:
            del _NEWEST[key]
        entry = _NEWEST[id(bot)] = (weakref.ref(bot), OrderedDict())
    return entry[1]


def note(bot: Bot, chat_id: int, message_id: int) -> None:
    """A message was sent to or received from `chat_id`."""
    chats = _chats(bot)
    if message_id > chats.get(chat_id, 0):
        chats[chat_id] = message_id
    chats.move_to_end(chat_id)
    if len(chats) > CHATS:
        chats.popitem(last=False)


def is_newest(bot: Bot, chat_id: int, message_id: int) -> bool:
    """True only if `message_id` is known to be the newest message of the chat."""
    return _chats(bot).get(chat_id) == message_id
