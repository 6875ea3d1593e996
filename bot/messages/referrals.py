"""The referral directory's names and descriptions in the reader's language.

Keyed by the referral's key in `bot/data/referrals.json`; the English texts are the msgids,
their translations (German included) live in the catalogues. A key the city adds shows the
file's German name and description until it is added here. Offices' names inside the texts
are official German names and stay German in every language.
"""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.services.basics.reference import ReferralContact

NAMES = {
    "easter_fire": N_("Easter fires and other traditional bonfires"),
    "green_space_use": N_("Events and special use of green space"),
    "large_event": N_("Large events"),
    "street_special_use": N_("Special use of street space"),
    "street_damage": N_("Street damage, potholes, road works"),
    "regional_roads": N_("Roads owned by the Region Hannover"),
    "street_lighting": N_("Street lighting"),
    "green_spaces": N_("Parks, playgrounds, street trees, allotments"),
    "waste_cleaning": N_("Waste and street cleaning"),
    "schools": N_("Schools and libraries"),
    "youth_family": N_("Youth and family"),
    # the topic of the same English name is "Senioren": a distinct msgid (English unchanged)
    "seniors": N_("Senior citizens (referral)"),
    "urban_planning": N_("Urban planning and development"),
    "general_115": N_("City switchboard (general questions)"),
    "district_management": N_("District management"),
    "public_order_service": N_("City enforcement service"),
}
DESCRIPTIONS = {
    "easter_fire": N_(
        "Traditional bonfires (Easter, midsummer and St Martin's fires) need a permit "
        "under the city's public-order ordinance (SOG-VO). Only traditional fires are "
        "allowed. The public-order authority is responsible; the exact office is "
        "unconfirmed (probably the department Öffentliche Ordnung). On city green space "
        "the department Umwelt und Stadtgrün must also agree."
    ),
    "green_space_use": N_(
        "Using city green space for an event or an Easter fire needs the consent of "
        "the department Umwelt und Stadtgrün, which manages the land."
    ),
    "large_event": N_(
        "For large events, the Veranstaltungsservice Hannover bundles all the permits needed."
    ),
    "street_special_use": N_(
        "Containers, scaffolding or outdoor seating on the street or pavement are a "
        "special use and need a permit from the road authority; the exact office is "
        "unconfirmed (probably the department Tiefbau)."
    ),
    "street_damage": N_(
        "Potholes, broken pavements and road works on city streets are handled by the "
        "department Tiefbau. Roads owned by the Region Hannover are the Region's "
        "task."
    ),
    "regional_roads": N_(
        "Roads owned by the Region Hannover are the Region's responsibility, not the city's."
    ),
    "street_lighting": N_(
        "Street lights that are out are reported to enercity, the municipal utility."
    ),
    "green_spaces": N_(
        "Parks, playgrounds, street trees, allotments and environmental matters are "
        "looked after by the department Umwelt und Stadtgrün."
    ),
    "waste_cleaning": N_(
        "Waste, bulky waste and street cleaning are handled by aha, the Region "
        "Hannover's waste company (not the city)."
    ),
    "schools": N_(
        "Questions about city schools and libraries go to the department Bibliothek und Schule."
    ),
    "youth_family": N_(
        "Concerns about children, young people and families are handled by the "
        "department Jugend und Familie."
    ),
    "seniors": N_("Concerns of older people go to the department Senioren (department 57)."),
    "urban_planning": N_(
        "Questions about urban planning and development go to department 61, Planen "
        "und Stadtentwicklung."
    ),
    "general_115": N_(
        "General questions to the administration are answered by the city switchboard. "
        "Whether the public-administration number 115 serves Hannover is unconfirmed."
    ),
    "district_management": N_(
        "The district managers are the city's contact in each district and bring "
        "concerns together with the responsible bodies."
    ),
    "public_order_service": N_(
        "The city's enforcement service (Städtischer Ordnungsdienst) can be reached by phone "
        "and e-mail."
    ),
}


def referral_name(t: Translator, contact: ReferralContact) -> str:
    message = NAMES.get(contact.key)
    return t(message) if message is not None else contact.name_de


def referral_description(t: Translator, contact: ReferralContact) -> str:
    message = DESCRIPTIONS.get(contact.key)
    return t(message) if message is not None else contact.description_de
