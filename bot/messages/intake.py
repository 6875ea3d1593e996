"""The resident's intake in the reader's language: each step's question and buttons, the
review, and the receipt with the reference number. No Telegram here.

Replies are plain text (`html=False`) except the review, which is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.cases import ACTOR_LABELS, EMERGENCY
from bot.messages.reference import topic_label
from bot.messages.reply import Button, Reply, Rows, chunked, rows
from bot.services.basics.reference import ReferenceData
from bot.services.cases.intake import PlaceDecision

IN = callbacks.INTAKE
PUBLICATION_NOTE = N_(
    "Only the description, without your name, contact details, photos or exact address, can "
    "appear in the city's open data interface (Open311). If you agree, please leave personal "
    "details out of it."
)
ACTOR_CHOICES = (("none", N_("No, privately")), *ACTOR_LABELS.items())
EDITABLE = (
    ("where", N_("Place")),
    ("topic", N_("Topic")),
    ("description", N_("Description")),
    ("photos", N_("Photos")),
    ("contact", N_("Contact")),
    ("actor", N_("Organisation")),
)
# What a step expects, said when the resident sends something else (keys: the states).
EXPECTED = {
    "where": N_("Please share a location, type a place, or use the buttons."),
    "topic": N_("Please choose a topic with the buttons above."),
    "description": N_("Please describe your concern as text."),
    "photos": N_("Please send a photo, or press 'Continue'."),
    "contact": N_("Please type your contact details as text, or skip."),
    "actor": N_("Please answer with the buttons above."),
    "actor_name": N_("Please type the name of the organisation."),
    "review": N_("Please use the buttons: send, change or cancel."),
}
# The resident's main menu (the same msgids as `bot.handlers.menu`), shown with the receipt.
MENU = ((N_("📝 New concern"), N_("📋 My concerns")), (N_("🌐 Language"), N_("❓ Help")))


# The steps the resident walks through, in order ("Step 2 of 6" on each question).
STEPS = ("where", "topic", "description", "photos", "contact", "actor")
CONTACT_PROBLEMS = {
    "too_long": N_("That is too long for contact details (at most 200 characters)."),
    "invalid_email": N_("That does not look like a valid e-mail address."),
    "invalid_phone": N_("That does not look like a valid phone number."),
    "unclear": N_("That is neither a phone number nor an e-mail address."),
}


def say(text: str, buttons: Rows = ()) -> Reply:
    return Reply(text, buttons=buttons, html=False)


def step(t: Translator, state: str, question: str) -> str:
    """The question under the resident's position: "Step 2 of 6"."""
    number = STEPS.index(state) + 1
    return t("Step {number} of {total}", number=number, total=len(STEPS)) + "\n" + question


def menu_keyboard(t: Translator) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(t(label) for label in line) for line in MENU)


# --- where --------------------------------------------------------------------------------------
def where_prompt(t: Translator) -> tuple[Reply, Reply]:
    """The question with a one-button keyboard that shares the location (the handler makes
    the button ask for it), then the way to the list."""
    question = step(
        t,
        "where",
        t(
            "Where is your concern? Share a location with the button below, type the quarter, "
            "postcode or address, or choose from the list."
        ),
    )
    pick = say(t("Or choose:"), rows([Button(t("Choose district from list"), IN.data("pick"))]))
    return Reply(question, html=False, keyboard=((t("📍 Share location"),),)), pick


def districts(t: Translator, ref: ReferenceData, only: Sequence[str] = ()) -> Reply:
    items = [
        Button(d.name, IN.data("d", d.number))
        for d in ref.districts
        if not only or d.number in only
    ]
    return say(step(t, "where", t("Which district?")), chunked(items, 2))


def quarters(
    t: Translator, ref: ReferenceData, district_number: str, only: Sequence[str] = ()
) -> Reply:
    """The district's quarters; `only` (a postcode's quarters) narrows them, with a way to
    all of them."""
    district = ref.district(district_number)
    narrowed = [q for q in only if q in district.quarters]
    items = [
        Button(q, IN.data("q", district.number, i))
        for i, q in enumerate(district.quarters)
        if not narrowed or q in narrowed
    ]
    more = [Button(t("Other quarter"), IN.data("d", district.number))] if narrowed else []
    buttons = (
        *chunked(items, 2),
        tuple([*more, Button(t("I don't know"), IN.data("q", district.number, "-"))]),
    )
    question = t("Which quarter of {district}?", district=district.name)
    return say(step(t, "where", question), buttons)


def place_guess(t: Translator, ref: ReferenceData, decision: PlaceDecision) -> Reply:
    """ "Linden-Süd, district Linden-Limmer?" with yes / no."""
    assert decision.district is not None
    name = ref.district(decision.district).name
    question = (
        t("{quarter}, district {district}?", quarter=decision.quarter, district=name)
        if decision.quarter
        else t("District {district}?", district=name)
    )
    answers = [Button(t("Yes"), IN.data("ok")), Button(t("No, choose from list"), IN.data("pick"))]
    return say(question, rows(answers))


def several_districts(t: Translator) -> Reply:
    return say(t("That postcode covers several districts. Please choose:"))


def place_unknown(t: Translator) -> Reply:
    return say(
        t(
            "Sorry, I could not find that place in Hannover. "
            "Please try again or choose from the list."
        )
    )


def location_found(t: Translator, ref: ReferenceData, decision: PlaceDecision) -> Reply:
    name = ref.district(decision.district).name if decision.district else ""
    place = f"{decision.quarter} ({name})" if decision.quarter else name
    return say(t("Thank you, the location is in {place}.", place=place))


def location_elsewhere(t: Translator, *, outside: bool) -> Reply:
    if outside:
        return say(t("This location seems to be outside Hannover. Please choose the district:"))
    return say(t("Thank you, the location is saved. Please also choose the district:"))


# --- what ---------------------------------------------------------------------------------------
def topics(t: Translator, ref: ReferenceData) -> Reply:
    items = [Button(topic_label(t, topic), IN.data("t", topic.code)) for topic in ref.topics]
    return say(step(t, "topic", t("What is it about?")), chunked(items, 2))


def description_prompt(t: Translator, limit: int) -> Reply:
    question = t(
        "Please describe your concern in a few sentences (at most {limit} characters).",
        limit=limit,
    )
    return say(step(t, "description", question))


def description_empty(t: Translator) -> Reply:
    return say(t("Please describe your concern in words."))


def description_too_long(t: Translator, *, length: int, limit: int) -> Reply:
    return say(
        t(
            "That is {length} characters; please shorten it to at most {limit}. "
            "Nothing was saved yet, your text is still in your message above.",
            length=length,
            limit=limit,
        )
    )


def emergency(t: Translator) -> Reply:
    return say(t(EMERGENCY))


def _continue(t: Translator) -> Rows:
    return rows([Button(t("Continue without more photos"), IN.data("photos_done"))])


def photos_prompt(t: Translator, limit: int) -> Reply:
    text = t("You may send up to {limit} photos. Press 'Continue' when done.", limit=limit)
    return say(step(t, "photos", text), _continue(t))


def photo_saved(t: Translator, *, count: int, left: int) -> Reply:
    text = t("Photo {count} saved. You can send {left} more.", count=count, left=left)
    return say(text, _continue(t))


def photos_full(t: Translator, limit: int) -> Reply:
    text = t("You have already added {limit} photos, the most allowed.", limit=limit)
    return say(text, _continue(t))


# --- who ----------------------------------------------------------------------------------------
def contact_prompt(t: Translator) -> Reply:
    text = t(
        "Optional: how can the district management reach you besides this chat? "
        "Type a phone number or e-mail address, or skip."
    )
    return say(step(t, "contact", text), _skip(t))


def _skip(t: Translator) -> Rows:
    return rows([Button(t("Skip"), IN.data("skip_contact"))])


def contact_invalid(t: Translator, problem: str) -> Reply:
    """Why the typed contact was not taken, and the question again (skipping stays open)."""
    text = (
        t(CONTACT_PROBLEMS.get(problem, CONTACT_PROBLEMS["unclear"]))
        + "\n"
        + t(
            "Please type a phone number (e.g. 0511 1234567) or an e-mail address "
            "(e.g. name@example.org), or skip."
        )
    )
    return say(text, _skip(t))


def actor_prompt(t: Translator) -> Reply:
    buttons = tuple((Button(t(label), IN.data("a", code)),) for code, label in ACTOR_CHOICES)
    return say(step(t, "actor", t("Are you writing on behalf of an organisation?")), buttons)


def actor_name_prompt(t: Translator) -> Reply:
    question = t("What is the name of the organisation (or your council group)?")
    return say(step(t, "actor", question))


def actor_name_invalid(t: Translator) -> Reply:
    return say(t("Please enter the name (at most 120 characters)."))
