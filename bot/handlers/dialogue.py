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

from telegram import Message, MessageEntity, Update
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
    _typed_entry: bool | None = None  # whether an entry point might take typed text

    def check_update(self, update: object) -> Any:
        """As ConversationHandler's, with a shortcut: a button press whose callback family
        none of the dialogue's handlers takes is not for it (most presses, since every
        update asks each dialogue registered before the one it belongs to)."""
        query = update.callback_query if isinstance(update, Update) else None
        if query is not None and isinstance(query.data, str) and query.data:
            prefixes = self.callback_prefixes()
            if prefixes is not None and query.data.split(":", 1)[0] not in prefixes:
                return None
        elif isinstance(update, Update) and self._idle_for_text(update):
            return None
        return super().check_update(update)

    def _idle_for_text(self, update: Update) -> bool:
        """A message that is no command, for a dialogue that waits for nobody in this chat
        and starts only with commands or buttons (most typed text asks every dialogue)."""
        if self._typed_entry is None:
            self._typed_entry = any(
                not isinstance(e, CommandHandler | CallbackQueryHandler) for e in self.entry_points
            )
        message = update.message
        if (
            self._typed_entry
            or self.per_message  # its key needs a button press
            or message is None
            or message.chat is None
            or message.from_user is None
            or starts_with_command(message)
        ):
            return False
        state = self._conversations.get(self._get_key(update))  # private: no public API
        return state is None

    def callback_prefixes(self) -> frozenset[str] | None:
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


def starts_with_command(message: Message | None) -> bool:
    """Whether a message begins with a bot command, the only kind a CommandHandler takes."""
    return bool(
        message is not None
        and message.entities
        and message.entities[0].type == MessageEntity.BOT_COMMAND
        and message.entities[0].offset == 0
    )


FAMILY_PATTERN = re.compile(r"\^([a-z_]{1,12}):")  # how callbacks.Family.pattern begins


def button_family(handler: CallbackQueryHandler[Any, Any]) -> str | None:
    """The family of the presses a button handler takes (its pattern built by
    bot.messages.callbacks), or None: it might take any press."""
    pattern = handler.pattern
    text = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    found = FAMILY_PATTERN.match(text) if isinstance(text, str) else None
    return found.group(1) if found else None


def _prefixes_of(dialogue: ConversationHandler[Any]) -> frozenset[str] | None:
    handlers = [*dialogue.entry_points, *dialogue.fallbacks]
    for state_handlers in dialogue.states.values():
        handlers += state_handlers
    prefixes = set()
    for handler in handlers:
        if isinstance(handler, MessageHandler | CommandHandler):
            continue  # never a button press
        family = button_family(handler) if isinstance(handler, CallbackQueryHandler) else None
        if family is None:
            return None
        prefixes.add(family)
    return frozenset(prefixes)
