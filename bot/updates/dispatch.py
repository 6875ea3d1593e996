"""Group 0's handlers, asked only where they could match.

python-telegram-bot asks the handlers of a group one after the other until one takes the
update. Group 0 holds about a hundred, and each step of a resident's intake asked the 30
registered before the intake (25 µs of a 0.55 ms step). `Shortcut`, the group's first
handler, asks in the same order only those that could take the update: a button press skips
the buttons of other families, and an update without a command skips the command handlers.
It hands the update to the first that takes it, which is the handler python-telegram-bot
would have found. When none does, it declines and the group is asked as before.
"""

from __future__ import annotations

from typing import Any, cast

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.context import BotContext
from bot.handlers.dialogue import Dialogue, button_family, starts_with_command

Key = tuple[str | None, bool]  # (the button's family, or None: not a button; a command?)
ANY_DATA = "\x00any"  # a button without text data: every button handler may take it
OTHER_FAMILY = "\x00other"  # a family no handler of the group takes


class Shortcut(BaseHandler[Update, BotContext, Any]):
    """First in group 0: finds the group's first handler that takes the update."""

    def __init__(self, group: list[BaseHandler[Any, Any, Any]]) -> None:
        super().__init__(_never_called)
        self._group = group
        self._seen: tuple[int, object] = (-1, None)  # the group's size and last handler
        self._families: frozenset[str] = frozenset()
        self._candidates: dict[Key, tuple[BaseHandler[Any, Any, Any], ...]] = {}
        self._off = False

    def check_update(self, update: object) -> tuple[BaseHandler[Any, Any, Any], Any] | None:
        if not isinstance(update, Update):
            return None
        self._follow_group()
        if self._off:
            return None
        key = self._key(update)
        candidates = self._candidates.get(key)
        if candidates is None:
            candidates = self._candidates[key] = tuple(
                h for h in self._group if h is not self and _could_take(h, key)
            )
        for handler in candidates:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return handler, check
        return None

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, BotContext, Any, Any, Any, Any],
        check_result: object,
        context: BotContext,
    ) -> Any:
        handler, check = cast("tuple[BaseHandler[Any, Any, Any], Any]", check_result)
        return await handler.handle_update(update, application, check, context)

    def _follow_group(self) -> None:
        """Start over when a handler was added or removed (tests do, after the start)."""
        seen = (len(self._group), self._group[-1] if self._group else None)
        if seen == self._seen:
            return
        self._seen, self._candidates = seen, {}
        handlers = [h for h in self._group if h is not self]
        # a non-blocking handler runs as a task of its own: python-telegram-bot's loop does that
        self._off = any(h.block is False for h in handlers)
        self._families = frozenset(family for h in handlers for family in (_families_of(h) or ()))

    def _key(self, update: Update) -> Key:
        query, command = update.callback_query, starts_with_command(update.effective_message)
        if query is None:
            return None, command
        if not isinstance(query.data, str) or not query.data:
            return ANY_DATA, command  # python-telegram-bot lets any button handler take it
        family = query.data.split(":", 1)[0]
        return (family if family in self._families else OTHER_FAMILY), command


def _could_take(handler: BaseHandler[Any, Any, Any], key: Key) -> bool:
    """False only where the handler's own check_update is certain to decline."""
    family, command = key
    if isinstance(handler, CommandHandler):
        return command  # it reads a bot command at the start of the message, or nothing
    if isinstance(handler, CallbackQueryHandler) and family is None:
        return False  # not a button press
    if isinstance(handler, CallbackQueryHandler | Dialogue) and family not in (None, ANY_DATA):
        own = _families_of(handler)
        return own is None or family in own
    return True


def _families_of(handler: BaseHandler[Any, Any, Any]) -> frozenset[str] | None:
    """The button families a handler takes; None if it might take any press."""
    if isinstance(handler, Dialogue):
        return handler.callback_prefixes()
    if isinstance(handler, CallbackQueryHandler):
        family = button_family(handler)
        return None if family is None else frozenset({family})
    return frozenset()


def register(app: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """After all other handlers: the shortcut goes to the front of group 0."""
    group = app.handlers[0]
    group.insert(0, Shortcut(group))


async def _never_called(update: Update, context: BotContext) -> None:
    """The shortcut hands every update to the handler it found."""
