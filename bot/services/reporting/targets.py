"""The city's targets for the evaluation (set in the settings: TARGET_*), and whether a
figure meets its target."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Targets:
    first_response_working_days: int = 2  # a first response within this many working days ...
    first_response_share: float = 0.9  # ... for this share of the cases
    kept_share: float = 0.8  # agreements kept on time
    conferences_per_year: int = 2  # district conferences per district and year (concept)
    satisfaction: float = 4.0  # the residents' average verdict, 1–5
    projects_per_year: int = 1  # the concept's rule: a project per district and year


def assess(value: float | None, target: float | None) -> str | None:
    """ "met", "missed", or None when there is no target or no value yet."""
    if target is None or value is None:
        return None
    return "met" if value >= target - 1e-9 else "missed"
