"""A conversation that is the only one waiting for a person's typed text.

Several persistent conversations can wait for text at once: a manager presses "📝 Note",
then starts an agreement instead and types its measure, and the first conversation in the
handler list would take that text as the note. A `Dialogue` that starts (through one of its
entry points) ends every other dialogue of the same chat and user, so the text goes where the
person last began. Nothing typed is lost by this: the ended dialogue was still waiting.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ConversationHandler

from bot.context import BotContext

__all__ = ["Dialogue"]


class Dialogue(ConversationHandler[BotContext]):
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
