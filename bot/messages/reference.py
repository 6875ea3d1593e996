"""Labels of the reference data in the reader's language.

Topic labels come from the catalogues, keyed by the topic's code; a code the city adds to
`topics.json` shows the file's German label until a translation is added here. Official
names (districts, quarters, departments, offices) are German data and stay as they are.
"""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.services.basics.reference import Department, ReferenceData, Topic

TOPIC_LABELS = {
    "integration": N_("Integration"),
    "civic_engagement": N_("Civic engagement"),
    "family": N_("Family"),
    "seniors": N_("Senior citizens"),
    "public_space": N_("Public space"),
    "health_environment": N_("Health and environment"),
    "education": N_("Education"),
    "culture_leisure": N_("Culture and leisure"),
    "local_economy": N_("Local economy and image"),
    "permits": N_("Permits"),
    "other": N_("Other"),
}
DEPARTMENT = N_("Department {number}")


def topic_label(t: Translator, topic: Topic) -> str:
    message = TOPIC_LABELS.get(topic.code)
    return t(message) if message is not None else topic.label_de


def topic_label_of(t: Translator, reference: ReferenceData, code: str) -> str:
    """The label of a stored topic code (the code itself if the data no longer has it)."""
    return topic_label(t, reference.topic(code)) if reference.has_topic(code) else code


def department_label(t: Translator, department: Department) -> str:
    """'Fachbereich 61 – Planen und Stadtentwicklung'; an unconfirmed name with a question
    mark, 'Fachbereich 66 (Tiefbau?)'; 'Department 42' without a name."""
    label = t(DEPARTMENT, number=department.number)
    if not department.name_de:
        return label
    if department.unconfirmed_name:
        return f"{label} ({department.name_de}?)"
    return f"{label} – {department.name_de}"
