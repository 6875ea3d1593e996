"""Intents: what the bot must tell someone, as plain domain data (no text).

A service writes an intent into the outbox in the transaction that causes it; the message
layer renders it at delivery, in the language the recipient has then. So a queued message
survives a language change or a text fix. An intent is a frozen dataclass registered here
under a stable kind (renaming a class must not orphan queued rows); its fields are JSON
values, dates and datetimes (stored as ISO strings).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar, get_type_hints


class Intent:
    """Base of all intents; subclasses are frozen dataclasses decorated with `intent`."""

    kind: ClassVar[str]


IntentClass = TypeVar("IntentClass", bound=type[Intent])
INTENTS: dict[str, type[Intent]] = {}


class IntentError(ValueError):
    """A stored intent that cannot be read back (unknown kind, missing field)."""


def intent(kind: str) -> typing.Callable[[IntentClass], IntentClass]:
    """Register an intent class under `kind` (a dotted name, e.g. `case.status_changed`)."""

    def register(cls: IntentClass) -> IntentClass:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} must be a dataclass")
        if kind in INTENTS and INTENTS[kind] is not cls:
            raise IntentError(f"intent kind {kind!r} registered twice")
        cls.kind = kind
        INTENTS[kind] = cls
        return cls

    return register


def to_params(value: Intent) -> dict[str, Any]:
    """The intent's fields as JSON-ready values."""
    return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}  # type: ignore[arg-type]  # Intent subclasses are dataclasses


def from_params(kind: str, params: dict[str, Any]) -> Intent:
    """Read an intent back from the outbox; unknown extra keys are ignored (older rows)."""
    cls = INTENTS.get(kind)
    if cls is None:
        raise IntentError(f"unknown intent kind {kind!r}")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # registered classes are dataclasses
        if f.name in params:
            values[f.name] = _decode(hints[f.name], params[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise IntentError(f"{kind}: field {f.name!r} missing")
    return cls(**values)


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved field types of an intent class (resolving them is slow; they never change)."""
    key = f"{cls.__module__}.{cls.__qualname__}"
    if key not in _HINTS:
        _HINTS[key] = get_type_hints(cls)
    return _HINTS[key]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=False))
    if origin is list:
        (arg,) = typing.get_args(hint) or (Any,)
        return [_decode(arg, v) for v in value]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        inner = _hints(hint)
        return hint(**{k: _decode(inner[k], v) for k, v in value.items() if k in inner})
    return value
