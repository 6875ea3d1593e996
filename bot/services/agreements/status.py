"""The states of an agreement (the `agreements.status` column); their labels live in
`bot.messages.agreements`."""

from __future__ import annotations

from enum import StrEnum


class AgreementStatus(StrEnum):
    OPEN = "open"
    DONE_REPORTED = "done_reported"  # the rep says done; the manager has not confirmed yet
    DONE = "done"  # confirmed by the manager
    EXTENSION_REQUESTED = "extension_requested"
    PROBLEM = "problem"
    CANCELLED = "cancelled"


CLOSED_STATUSES = (AgreementStatus.DONE, AgreementStatus.CANCELLED)
ACTIVE_STATUSES = tuple(s for s in AgreementStatus if s not in CLOSED_STATUSES)
# The ball is with the manager in the other active states, so the rep hears nothing then.
NUDGE_STATUSES = (AgreementStatus.OPEN,)
ESCALATION_STATUSES = (
    AgreementStatus.OPEN,
    AgreementStatus.EXTENSION_REQUESTED,
    AgreementStatus.PROBLEM,
)
