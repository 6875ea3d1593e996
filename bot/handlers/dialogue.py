"""A conversation that is the only one waiting for a person's typed text.

Several persistent conversations can wait for text at once: a manager presses "📝 Note",
then starts an agreement instead and types its measure, and the first conversation in the
handler list would take that text as the note. A `Dialogue` that starts (through one of its
entry points) ends every other dialogue of the same chat and user, so the text goes where the
person last began. Nothing typed is lost by this: the ended dialogue was still waiting.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.context import BotContext

__all__ = ["Dialogue"]


class Dialogue(ConversationHandler[BotContext]):
    _prefixes: frozenset[str] | None = None
    _prefixes_known = False

    def check_update(self, update: object) -> Any:
        """As ConversationHandler's, with a shortcut: a button press whose callback family
        none of the dialogue's handlers takes is not for it (most presses, since every
        update asks each dialogue registered before the one it belongs to)."""
        query = update.callback_query if isinstance(update, Update) else None
        if query is not None and isinstance(query.data, str):
            prefixes = self._callback_prefixes()
            if prefixes is not None and query.data.split(":", 1)[0] not in prefixes:
                return None
        return super().check_update(update)

    def _callback_prefixes(self) -> frozenset[str] | None:
        """The callback families the dialogue's handlers take; None when one of them might
        take any button press (no pattern, or one not built by bot.messages.callbacks)."""
        if not self._prefixes_known:
            self._prefixes, self._prefixes_known = _prefixes_of(self), True
        return self._prefixes

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, BotContext, Any, Any, Any, Any],
        check_result: Any,
        context: BotContext,
    ) -> object | None:
        key, chosen = check_result[1], check_result[2]
        try:
            return await super().handle_update(update, application, check_result, context)
        finally:
            if chosen in self.entry_points and self._conversations.get(key) is not None:
                _end_others(application, self, key)


def _end_others(
    application: Application[Any, BotContext, Any, Any, Any, Any],
    started: Dialogue,
    key: Any,
) -> None:
    for group in application.handlers.values():
        for handler in group:
            if (
                isinstance(handler, Dialogue)
                and handler is not started
                # only a dialogue that is waiting: ending the others would write (delete)
                # one persistence row per dialogue of the bot on every start
                and handler._conversations.get(key) is not None
            ):
                # through the tracking dict, so persistence forgets the ended state too
                handler._update_state(handler.END, key)  # no public API for this


_FAMILY_PATTERN = re.compile(r"\^([a-z_]{1,12}):")  # how callbacks.Family.pattern begins


def _prefixes_of(dialogue: ConversationHandler[Any]) -> frozenset[str] | None:
    handlers = [*dialogue.entry_points, *dialogue.fallbacks]
    for state_handlers in dialogue.states.values():
        handlers += state_handlers
    prefixes = set()
    for handler in handlers:
        if isinstance(handler, MessageHandler | CommandHandler):
            continue  # never a button press
        pattern = (
            getattr(handler, "pattern", None)
            if isinstance(handler, CallbackQueryHandler)
            else None
        )
        text = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
        found = _FAMILY_PATTERN.match(text) if isinstance(text, str) else None
        if found is None:
            return None
        prefixes.add(found.group(1))
    return frozenset(prefixes)
