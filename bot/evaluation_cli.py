"""`bezirksbot report --kind evaluation`: the evaluation report (targets, trends, the
districts side by side, the residents' verdict) as PDF or DOCX, in the default language."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.config import Settings
from bot.services.reporting.targets import Targets


async def evaluation_report(
    settings: Settings, args: argparse.Namespace
) -> tuple[str, bytes] | str:
    """`report --kind evaluation`: the evaluation report (PDF or DOCX) of all districts."""
    from bot.app import open_storage
    from bot.i18n import Translations
    from bot.messages.evaluation_labels import evaluation_text
    from bot.services.basics.periods import PeriodError, parse_period
    from bot.services.basics.reference import load_reference_data
    from bot.services.reporting import evaluation, evaluation_files
    from bot.storage.db import session_scope

    if args.format not in ("pdf", "docx"):
        return "The evaluation report is written as PDF or DOCX (--format pdf|docx)."
    reference = load_reference_data(settings.data_dir)
    now = datetime.now(UTC)
    try:
        period = parse_period(args.period, now=now, tz=settings.tz)
        since = parse_period(args.since, now=now, tz=settings.tz).first if args.since else None
        evaluation.compared(period)
    except (PeriodError, evaluation.EvaluationError):
        return (f"Unknown period {args.period!r} (or --since {args.since!r}); the evaluation "
                "compares whole months, e.g. 2026, 2026-H1, 2026-Q3, 2026-03.")  # fmt: skip
    if args.district is not None and not reference.has_district(args.district):
        return f"Unknown district {args.district!r} (give its number 01-13)."
    districts = ([reference.district(args.district).number] if args.district is not None
                 else [d.number for d in reference.districts])  # fmt: skip
    engine, maker = await open_storage(settings)
    try:
        async with session_scope(maker) as session:
            result = await evaluation.compute(
                session, districts=districts, period=period, now=now,
                targets=settings_targets(settings), since=since,
            )  # fmt: skip
    finally:
        await engine.dispose()
    t = Translations(settings.default_language).get(settings.default_language)
    return evaluation_files.render(args.format, result, evaluation_text(t, result, reference))


def settings_targets(settings: Settings) -> Targets:
    """The city's targets (TARGET_* settings) for the evaluation report."""
    return Targets(
        first_response_working_days=settings.target_first_response_working_days,
        first_response_share=settings.target_first_response_share,
        kept_share=settings.target_kept_share,
        conferences_per_year=settings.target_conferences_per_year,
        satisfaction=settings.target_satisfaction,
    )
