"""Validation of an entry's channels and lists: phone numbers (phonenumbers), e-mail
(email-validator), web pages, office hours. Each check returns the value to store or raises
`InvalidValue` with a reason code the message layer words."""

from __future__ import annotations

import re

CHANNELS = ("phone", "email", "web", "address", "office_hours")
KINDS = ("office", "external", "organisation", "person")
VISIBILITIES = ("residents", "staff")
LEGAL_BASES = ("consent", "public_office")
_HOST = re.compile(
    r"^(https?://)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d{1,5})?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)
_DAY = re.compile(
    r"\b(mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun|montags?|dienstags?|mittwochs?|"
    r"donnerstags?|freitags?|samstags?|sonntags?|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|werktags|täglich|daily)\b\.?",
    re.IGNORECASE,
)
_TIME = re.compile(r"\b([01]?\d|2[0-3])([:.][0-5]\d)?\s*(uhr|h|am|pm)?\b", re.IGNORECASE)
_APPOINTMENT = re.compile(r"nach vereinbarung|by appointment|termine? nach absprache", re.I)
_LANGUAGE = re.compile(r"[a-z]{2,3}")


class InvalidValue(ValueError):
    """A value that cannot be stored; `reason` names the field's rule."""

    def __init__(self, reason: str, value: str = "") -> None:
        super().__init__(f"{reason}: {value!r}")
        self.reason, self.value = reason, value


def phone(value: str) -> str:
    """A German (or international, +..) number that phonenumbers accepts; kept as typed."""
    import phonenumbers  # imported where first needed, not at start

    text = value.strip()
    try:
        parsed = phonenumbers.parse(text, "DE")
    except phonenumbers.NumberParseException:
        raise InvalidValue("phone", text) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidValue("phone", text)
    return text


def email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email  # first use, not start

    text = value.strip()
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidValue("email", text) from None


def web(value: str) -> str:
    """A web address, optionally followed by a note ("serviceportal… – Dienstleistung …")."""
    text = value.strip()
    first = text.split()[0] if text else ""
    if not _HOST.match(first) or len(text) > 300:
        raise InvalidValue("web", text)
    return text


def office_hours(value: str) -> str:
    """Days and times ("Di 10–12 Uhr") or "nach Vereinbarung"."""
    text = value.strip()
    if len(text) > 300 or not (
        _APPOINTMENT.search(text) or (_DAY.search(text) and _TIME.search(text))
    ):
        raise InvalidValue("office_hours", text)
    return text


def address(value: str) -> str:
    text = value.strip()
    if len(text) < 5 or len(text) > 300 or not re.search(r"\d", text):
        raise InvalidValue("address", text)
    return text


def languages(value: str) -> list[str]:
    """Language codes separated by commas or spaces ("de, en, tr")."""
    codes = [c.strip().lower() for c in re.split(r"[,;\s]+", value) if c.strip()]
    if not codes or any(not _LANGUAGE.fullmatch(c) for c in codes):
        raise InvalidValue("languages", value)
    return sorted(set(codes), key=codes.index)


CHECKS = {
    "phone": phone,
    "email": email,
    "web": web,
    "address": address,
    "office_hours": office_hours,
}


def channel(name: str, value: str) -> str:
    return CHECKS[name](value)
