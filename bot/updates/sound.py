"""Sound updates only (group -1000): updates whose fields do not have the types the Bot API
promises are dropped before any handler builds a context for them. Only a broken or forged
sender produces them."""

from __future__ import annotations

import logging
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, Literal, Union, get_args, get_origin

import telegram
from telegram import TelegramObject, Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import BotContext

log = logging.getLogger(__name__)

MAX_INT = 2**63  # BIGINT: larger ids cannot be stored and never come from Telegram
MAX_DEPTH = 8

Check = Callable[[object, int], "str | None"]  # (value, depth) -> None, or the misfit's path
Field = tuple[str, Check, bool]  # name, the check of its type hint, whether None is allowed
_FIELDS: dict[type, tuple[Field, ...]] = {}
_CHECKS: dict[Any, Check] = {}


def _fields(cls: type) -> tuple[Field, ...]:
    """The constructor's typed fields of a Telegram class (resolved once per class)."""
    if cls not in _FIELDS:
        try:
            # mypy refuses __init__ read from a class object; here it is only inspected
            init = cls.__init__  # type: ignore[misc]  # inspected, never called
            hints = typing.get_type_hints(init, globalns=vars(telegram))
        except Exception:  # a class whose hints do not resolve is not checked, not refused
            hints = {}
        hints.pop("return", None)
        hints.pop("api_kwargs", None)
        _FIELDS[cls] = tuple(
            (name, _check(hint), _check(hint)(None, 0) is None) for name, hint in hints.items()
        )
    return _FIELDS[cls]


def _check(hint: Any) -> Check:
    """The check of one type hint, built once: every update runs it for every field, and
    taking the hint apart (get_origin, get_args) each time cost more than the check."""
    try:
        return _CHECKS[hint]
    except KeyError:
        pass
    except TypeError:  # an unhashable hint: built each time
        return _build(hint)
    check = _CHECKS[hint] = _build(hint)
    return check


def _build(hint: Any) -> Check:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [_check(arg) for arg in get_args(hint)]

        def union(value: object, depth: int) -> str | None:
            misfits = []
            for option in options:
                path = option(value, depth)
                if path is None:
                    return None
                misfits.append(path)
            return max(misfits, key=len)

        return union
    if hint is type(None):
        return lambda value, _depth: None if value is None else ""
    if origin is Literal:
        allowed = get_args(hint)
        return lambda value, _depth: None if value in allowed else ""
    if origin in (Sequence, list, tuple) or hint in (list, tuple):
        args = [a for a in get_args(hint) if a is not Ellipsis]
        item_check = _check(args[0]) if args else None

        def sequence(value: object, depth: int) -> str | None:
            if not isinstance(value, list | tuple):
                return ""
            for index, item in enumerate(value if item_check is not None else ()):
                below = item_check(item, depth)  # type: ignore[misc]  # set when iterated
                if below is not None:
                    return f"[{index}]{below}"
            return None

        return sequence
    if hint is bool:
        return lambda value, _depth: None if isinstance(value, bool) else ""
    if hint is int:
        return lambda value, _depth: (
            None if type(value) is int and -MAX_INT <= value < MAX_INT else ""
        )
    if hint is float:
        return lambda value, _depth: None if type(value) in (int, float) else ""
    if hint is str:
        return lambda value, _depth: None if isinstance(value, str) and _encodable(value) else ""
    if isinstance(hint, type) and issubclass(hint, TelegramObject):
        cls = hint

        def telegram_object(value: object, depth: int) -> str | None:
            if not isinstance(value, cls):
                return ""
            below = problem(value, depth + 1)
            return None if below is None else "." + below

        return telegram_object
    return lambda _value, _depth: None  # dates, enums and the like: PTB has converted them


def _encodable(text: str) -> bool:
    """False for lone surrogates (valid JSON escapes, but neither UTF-8 nor storable)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def problem(obj: TelegramObject, depth: int = 0) -> str | None:
    """The first field whose value does not have the type the Bot API promises, else None."""
    if depth > MAX_DEPTH:
        return "nesting"
    for name, check, nullable in _fields(type(obj)):
        value = getattr(obj, name, None)
        if value is None:
            if nullable:
                continue
            return name  # a required field is missing
        below = check(value, depth)
        if below is not None:
            return name + below
    return None


def malformed(update: Update) -> str | None:
    """Why an update cannot have come from Telegram, or None if it is sound."""
    if type(update.update_id) is not int or not 0 <= update.update_id < MAX_INT:
        return "update_id"
    found = problem(update)
    if found is not None:
        return found
    chat, user = update.effective_chat, update.effective_user
    if user is not None and user.id <= 0:
        return "user id"  # Telegram's user ids are positive; negative ids are chats
    if chat is not None and chat.type == "private":
        # In a private chat the chat id is the user's id; handlers rely on both.
        if user is None or user.id != chat.id:
            return "private chat without its user"
    query = update.callback_query
    if query is not None and not (query.data or query.game_short_name):
        # Telegram always sends one of them; without either, every pattern handler matches
        return "callback without data"
    return None


class SoundUpdates(TypeHandler[Update, BotContext, None]):
    """A filter that never handles anything: malformed updates are dropped in `check_update`.

    It sits in the first group of all, before any handler that matches every update (the
    metrics' TypeHandler at -100): matching makes the application build a context, which reads
    `user_data` under the sender's id and fails for an id of the wrong type before any
    callback could refuse the update. python-telegram-bot treats ApplicationHandlerStop raised
    in `check_update` like one raised in a callback.
    """

    def __init__(self) -> None:
        super().__init__(Update, _never_called)

    def check_update(self, update: object) -> bool:
        if isinstance(update, Update):
            reason = malformed(update)
            if reason is not None:
                update_id = update.update_id if type(update.update_id) is int else None
                log.warning("update %s dropped: malformed (%s)", update_id, reason)
                raise ApplicationHandlerStop
        return False


async def _never_called(update: Update, context: BotContext) -> None:
    """SoundUpdates only filters."""
