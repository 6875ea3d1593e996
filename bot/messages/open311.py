"""The words of the public Open311 interface (status notes, service descriptions, agency and
address), in the city's language: the interface is the city's open data, not a chat."""

from __future__ import annotations

from bot.i18n import Translator
from bot.messages.reference import topic_label
from bot.messages.referrals import referral_name
from bot.services.basics.reference import ReferenceData
from bot.services.cases.records import CaseStatus
from bot.services.reporting.open311 import PublicWords


def public_words(t: Translator, reference: ReferenceData) -> PublicWords:
    return PublicWords(
        topic_names={topic.code: topic_label(t, topic) for topic in reference.topics},
        referral_names={c.key: referral_name(t, c) for c in reference.referrals},
        language=t.language,
        status_notes={
            CaseStatus.REFERRED.value: t("Referred to the responsible office."),
            CaseStatus.RESOLVED.value: t("Resolved."),
            CaseStatus.MERGED.value: t("Merged with a similar concern."),
        },
        field_service=t(
            "Concerns in the field of action “{topic}” to the district management of the city "
            "of Hannover."
        ),
        other_service=t("Concerns “{topic}” to the district management of the city of Hannover."),
        group_fields=t("Fields of action"),
        group_other=t("Other concerns"),
        agency=t("District management {district}"),
        district=t("District {name}"),
        city=t("Hannover"),
    )
