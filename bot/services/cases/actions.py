"""What a manager may do with a case in its current state.

One rule for both sides: the case card shows the buttons of `allowed(case)`, and every press
(and every typed answer) is checked against it with the case read from the database, so a
button on an older message, or forged data, cannot act on a case that has moved on.
"""

from __future__ import annotations

from bot.services.cases.records import CaseStatus
from bot.storage.models import Case

# The steps that follow a button: a choice, a typed input or a confirmation.
STEPS: dict[str, tuple[str, ...]] = {
    "lotse": ("ref", "refsearch", "refsend"),
    "hand": ("handto", "handsend"),
    "dep": ("depadd",),
    "step": ("stepok", "stepno"),
    "resolve": ("resolveok", "resolveedit", "resolveno"),
    "reopen": ("reopenok",),
}
ALWAYS = ("show", "hist")  # the card itself and its history
# Not decided yet (new, or asked before a decision): refer, take on, ask, hand over, merge.
UNDECIDED = ("lotse", "kue", "ask", "hand", "merge")
# The Kümmerer's work on a case in progress or waiting for the resident.
CARETAKER = ("note", "step", "dep", "msg", "ask", "agreement", "lotse", "resolve")
# Referred or resolved: only reopening as Kümmerer (after a confirmation).
CLOSED = ("reopen",)


def entry_actions(case: Case) -> tuple[str, ...]:
    """The buttons the case's card offers, besides the card and the history."""
    status = case.status
    if status in (CaseStatus.REFERRED, CaseStatus.RESOLVED):
        return CLOSED
    if status == CaseStatus.MERGED:
        return ()
    if status == CaseStatus.IN_PROGRESS:
        return CARETAKER
    if status == CaseStatus.WAITING and case.mode == "kuemmerer":
        return CARETAKER
    return UNDECIDED  # new, or waiting for an answer before a decision (or handed over)


def allowed(case: Case) -> frozenset[str]:
    """Every action a press may take on the case now, with the steps that follow."""
    entries = entry_actions(case)
    steps = (step for entry in entries for step in STEPS.get(entry, ()))
    return frozenset((*ALWAYS, *entries, *steps))


def allows(case: Case, action: str) -> bool:
    return action in allowed(case)
