"""The items of the reference data (districts, quarters, postcodes, departments, topics,
referral contacts) and the one error a bad data file raises."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from anyascii import anyascii

_DIGRAPH = re.compile(r"([aou])e")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


class ReferenceDataError(ValueError):
    """A reference data file is missing or invalid; the message names file and problem."""

    def __init__(self, file: Path | str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file, self.problem = Path(file), problem


def fold(text: str) -> str:
    """Normalise for matching: case, ß→ss, umlauts and ae/oe/ue → a/o/u, punctuation → space;
    other scripts are transliterated first ("Линден-Зюд" → "linden zyud"), as residents
    write German names in their own alphabet."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    if not text.isascii():
        text = anyascii(text).casefold()
    return " ".join(_NON_ALNUM.split(_DIGRAPH.sub(r"\1", text))).strip()


@dataclass(frozen=True)
class Quarter:
    name: str
    district_number: str


@dataclass(frozen=True)
class District:
    number: str
    name: str
    quarters: tuple[str, ...]
    confidence: str | None = None


@dataclass(frozen=True)
class Postcode:
    code: str
    district_numbers: tuple[str, ...]
    quarter_hints: tuple[str, ...]
    confidence: str | None = None


@dataclass(frozen=True)
class Department:
    number: str
    name_de: str | None
    verified: bool
    invited_to_conferences: bool
    confidence: str | None = None

    @property
    def unconfirmed_name(self) -> bool:
        """A probable name that no record confirms (shown as 'FB 66 (Tiefbau?)')."""
        return bool(self.name_de) and not self.verified


@dataclass(frozen=True)
class Topic:
    """A field of action. Its label in the reader's language comes from the catalogues
    (`bot.messages.reference.topic_label`); `label_de` is the file's German label, shown for a
    code the catalogues do not know yet."""

    code: str
    label_de: str
    label_en: str | None = None  # the file's English, for search; shown: the catalogues
    field_of_action: bool = True


@dataclass(frozen=True)
class ReferralContact:
    """An entry of the referral directory. Name and description in the reader's language come
    from the catalogues (`bot.messages.referrals`); the `_de` fields are the file's German,
    shown for a key the catalogues do not know yet."""

    key: str
    name_de: str
    name_en: str | None
    responsible: str
    department: str | None
    topics: tuple[str, ...]
    keywords_de: tuple[str, ...]
    description_de: str
    description_en: str | None
    phone: str | None
    email: str | None
    address: str | None
    opening_hours: str | None
    web: str | None
    confidence: str
    keywords_en: tuple[str, ...] = ()

    @property
    def has_direct_contact(self) -> bool:
        """A phone, e-mail or address of the office itself (a web page alone is not)."""
        return bool(self.phone or self.email or self.address)


@dataclass(frozen=True)
class GeneralContact:
    """The city's general channels, given on a card whose office has no direct contact."""

    phone: str | None
    web: str | None
    confidence: str
