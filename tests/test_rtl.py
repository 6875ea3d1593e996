"""Arabic reads right to left: reference numbers, dates, phone numbers, postcodes, e-mail
addresses, URLs and German names inside an Arabic sentence are isolated (FSI … PDI), so they
keep their order; other languages get no marks at all."""

from __future__ import annotations

import re

from bot.i18n import FSI, PDI, Translations
from bot.messages.formatting import isolate
from bot.messages.triage import contact_card
from bot.services.basics.reference import load_reference_data

VALUES = {
    "reference": "10-2026-0042",
    "date": "Fr, 13.03.2026",
    "phone": "0511 168-0",
    "postcode": "30449",
    "email": "stadtbezirksmanagement@hannover-stadt.de",
    "url": "https://www.hannover.de",
    "name": "Linden-Süd",
}


def _isolated(text: str, value: str) -> bool:
    return f"{FSI}{value}{PDI}" in text


def test_every_value_in_an_arabic_sentence_is_isolated() -> None:
    t = Translations().get("ar")
    assert t.language == "ar" and t.rtl
    for key, value in VALUES.items():
        text = t("Your concern {reference} is now: {status}.", reference=value, status="—")
        assert _isolated(text, value), key
        assert re.search("[\u0600-\u06ff]", text), "the sentence itself is Arabic"


def test_plural_counts_are_isolated_in_arabic() -> None:
    t = Translations().get("ar")
    text = t.plural("{count} district", "{count} districts", 11)
    assert _isolated(text, "11")


def test_german_and_russian_get_no_direction_marks() -> None:
    for language in ("de", "ru"):
        t = Translations().get(language)
        text = t("Your concern {reference} is now: {status}.", reference="10-2026-0042", status="")
        assert FSI not in text and PDI not in text
        assert isolate(t, "10-2026-0042") == "10-2026-0042"


def test_contact_card_channels_are_isolated_in_arabic() -> None:
    reference = load_reference_data()
    t = Translations().get("ar")
    contact = reference.referral("general_115")
    card = contact_card(t, contact, None, reference.general)
    phones = [v for v in (contact.phone, reference.general and reference.general.phone) if v]
    assert phones and all(_isolated(card, phone) for phone in phones)
