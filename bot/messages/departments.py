"""What /fachbereich says: the directory's departments with their names, and the answer to a
coordinator's correction. No Telegram here."""

from __future__ import annotations

from bot.i18n import Translator
from bot.messages.reference import department_label
from bot.messages.reply import Reply
from bot.services.access.departments import MAX_NAME, Refusal, Renamed
from bot.services.basics.reference import ReferenceData


def overview(t: Translator, reference: ReferenceData) -> Reply:
    """The departments as the bot names them, and how to correct one."""
    lines = [t("Departments in the directory ('?' = name unconfirmed):")]
    lines += ["• " + department_label(t, d) for d in reference.departments]
    lines += [
        "",
        t("Correct a name with /fachbereich <number> <name>, e.g. /fachbereich 66 Tiefbau."),
    ]
    return Reply("\n".join(lines), html=False)


def refused(t: Translator, refusal: Refusal, number: str) -> Reply:
    if refusal is Refusal.UNKNOWN:
        body = t("There is no department {number} in the directory.", number=number)
    else:
        body = t("Please give a name of at most {limit} characters.", limit=MAX_NAME)
    return Reply(body, html=False)


def renamed(t: Translator, reference: ReferenceData, done: Renamed) -> Reply:
    label = department_label(t, reference.department(done.number))
    if done.old is None:
        return Reply(t("Saved: {label}.", label=label), html=False)
    return Reply(t("Saved: {label} (before: {old}).", label=label, old=done.old), html=False)
