"""What the news feature sends, as intents (rendered by `bot.messages.news`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.messaging.intents import Intent, intent


@intent("news.item")
@dataclass(frozen=True)
class NewsMessage(Intent):
    """One news item for a subscriber; `district` is the subscription that reached them
    (for the one-tap unsubscribe)."""

    news_id: int
    district: str
    city_wide: bool
    topics: tuple[str, ...]
    text: str
    link: str | None = None
    file_id: str | None = None
    file_kind: str | None = None


@intent("news.report")
@dataclass(frozen=True)
class NewsReport(Intent):
    """To the sender once every delivery is settled."""

    news_id: int
    delivered: int
    failed: int
    blocked: int
