"""Telegram's command menu per staff member: the commands of their roles, in their language,
set in their own chat (`BotCommandScopeChat`); removed when their roles end, so that the
residents' default menu (set per language at start) shows again.

Handlers call `refresh_menus` right after a role or language change (after a redeemed
invitation for everyone, since a new manager ends the predecessor's role); the job
`menu_sync_job` catches what changed elsewhere (the command line, the admin list in the
settings, new texts after a deployment). A fingerprint of the menu last set
is stored per person, so an unchanged menu is never sent again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection
from typing import Any

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.messages.home import command_menu_for
from bot.services.access.home import MenuTarget, menu_targets, record_menu
from bot.storage.db import session_scope

log = logging.getLogger(__name__)


def fingerprint(commands: list[tuple[str, str]]) -> str:
    """A short digest of the menu's commands and texts (so also of its language)."""
    encoded = json.dumps(commands, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:32]


async def refresh_menus(app: Any, *, person_ids: Collection[int] | None = None) -> int:
    """Set or remove the command menus that differ from what their chats show; returns how
    many were changed. Telegram is called outside the transaction that read the targets."""
    services = app.bot_data.services
    async with session_scope(services.session_maker) as session:
        targets = await menu_targets(
            session, admin_ids=services.settings.admin_telegram_ids, person_ids=person_ids
        )
    changed = 0
    for target in targets:
        if await _apply(app, target):
            changed += 1
    return changed


async def _apply(app: Any, target: MenuTarget) -> bool:
    services = app.bot_data.services
    scope = BotCommandScopeChat(target.telegram_id)
    commands: list[tuple[str, str]] = []
    if target.parts:
        t = services.translations.get(target.language)
        commands = command_menu_for(t, target.parts)
    wanted = fingerprint(commands) if commands else None
    if wanted == target.fingerprint:
        return False
    try:
        if commands:
            await app.bot.set_my_commands([BotCommand(n, d) for n, d in commands], scope=scope)
        else:
            await app.bot.delete_my_commands(scope=scope)
    except TelegramError as error:  # blocked, or never opened the chat: try again next run
        log.warning("command menu of person %s not changed: %s", target.person_id, error)
        return False
    async with session_scope(services.session_maker) as session:
        await record_menu(session, person_id=target.person_id, fingerprint=wanted)
    return True


async def menu_sync_job(context: Any) -> None:
    await refresh_menus(context.application)
