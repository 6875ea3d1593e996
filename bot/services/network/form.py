"""The steps of the entry dialogue and how a typed answer changes the entry's data. Pure
functions: the handler keeps the data between steps; `entries.validate` checks it all again
before it is saved."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

from bot.services.basics.reference import ReferenceData, fold
from bot.services.network import channels
from bot.services.network.channels import CHANNELS, InvalidValue
from bot.services.network.entries import EntryData

STEPS = (
    "kind", "name", "role", "topics", "where", *CHANNELS, "channels", "languages",
    "visibility", "basis", "notes", "confirm",
)  # fmt: skip
TYPED = frozenset({"name", "role", "where", *CHANNELS, "languages", "notes"})
CITY_WIDE = {"stadtweit", "city wide", "citywide", "alle"}


def next_step(step: str, data: EntryData) -> str:
    """The step after `step` (the legal basis only for persons)."""
    following = STEPS[STEPS.index(step) + 1]
    if following == "basis" and data.kind != "person":
        return next_step(following, data)
    return following


def choose_kind(data: EntryData, kind: str) -> EntryData:
    basis = data.legal_basis if kind == "person" else None
    return replace(data, kind=kind, legal_basis=basis, consent=data.consent and basis == "consent")


def toggle(values: list[str], value: str) -> list[str]:
    return [v for v in values if v != value] if value in values else [*values, value]


def default_channels(data: EntryData) -> EntryData:
    """Entering the channel step of a new entry: an office's channels are for residents,
    a person's are not until someone marks them."""
    if data.kind == "person":
        return data
    return replace(data, resident_channels=[c for c in CHANNELS if getattr(data, c)])


def choose_basis(data: EntryData, basis: str) -> EntryData:
    return replace(data, legal_basis=basis, consent=basis == "consent")


def _where(
    text: str, reference: ReferenceData, own: Collection[str] | None
) -> tuple[list[str], list[str]]:
    if text.strip() == "-" or fold(text) in CITY_WIDE:
        if own is None:
            return [], []  # a coordinator: city-wide
        if fold(text) in CITY_WIDE:
            raise InvalidValue("outside", text)
        return sorted(own)[:1], []
    districts: list[str] = []
    quarters: list[str] = []
    for part in (p.strip() for p in re.split(r"[,;]", text) if p.strip()):
        quarter = reference.quarter(part) or next(iter(reference.alias(part)), None)
        district = reference.district_by_name(part)
        if district is None and part.isdigit() and reference.has_district(part):
            district = reference.district(part)
        if quarter is not None:
            quarters.append(quarter.name)
            districts.append(quarter.district_number)
        elif district is not None:
            districts.append(district.number)
        else:
            raise InvalidValue("quarter", part)
    if own is not None and not set(districts) <= set(own):
        raise InvalidValue("outside", text)
    return sorted(set(districts)), quarters


def typed(
    step: str,
    text: str,
    data: EntryData,
    reference: ReferenceData,
    own: Collection[str] | None,
) -> EntryData:
    """The data with the typed answer of `step`; "-" empties it. Raises InvalidValue."""
    value = text.strip()
    empty = value == "-"
    if step == "name":
        if empty or not value or len(value) > 200:
            raise InvalidValue("name", value)
        return replace(data, name=value)
    if step == "role":
        if len(value) > 200:
            raise InvalidValue("role", value[:40])
        return replace(data, role=None if empty else value)
    if step == "where":
        districts, quarters = _where(value, reference, own)
        return replace(data, districts=districts, quarters=quarters)
    if step in CHANNELS:
        checked = None if empty else channels.channel(step, value)
        marked = [c for c in data.resident_channels if c != step or checked]
        changed = replace(data, resident_channels=marked)
        setattr(changed, step, checked)
        return changed
    if step == "languages":
        return replace(data, languages=[] if empty else channels.languages(value))
    if step == "notes":
        if len(value) > 4000:
            raise InvalidValue("staff_notes", value[:40])
        return replace(data, staff_notes=None if empty else value)
    raise InvalidValue("name", step)
