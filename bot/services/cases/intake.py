"""From a place match to the next question; from a confirmed draft to a routed case."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import district_recipients
from bot.services.basics.env import ServiceEnv
from bot.services.basics.routing import PlaceMatch
from bot.services.cases import records as cases
from bot.services.cases.new_case import CaseConfirmed, new_case_notice, summary_of
from bot.services.cases.records import Draft
from bot.services.cases.triage import similar_open, similar_open_cases
from bot.services.council.access import MEMBER_ROLES, holds_council_seat
from bot.services.messaging import outbox
from bot.services.messaging.intents import to_params
from bot.storage.models import Case, OutboxMessage, Person, RoleAssignment


@dataclass(frozen=True)
class PlaceDecision:
    """What the conversation does with a match: confirm, ask the quarter, or ask the district."""

    kind: str  # confirm | choose_quarter | choose_district | unknown
    district: str | None = None
    quarter: str | None = None
    districts: tuple[str, ...] = ()
    reason: str | None = None
    # a postcode's quarters: the quarter question offers only these (and a way to all)
    quarters: tuple[str, ...] = ()


def place_decision(match: PlaceMatch) -> PlaceDecision:
    hints = tuple(q.name for q in match.quarter_hints) if match.source == "postcode" else ()
    if match.kind == "quarter" and match.quarter is not None:
        return PlaceDecision("confirm", match.quarter.district_number, match.quarter.name)
    if match.kind == "district" and match.district is not None:
        return PlaceDecision("choose_quarter", match.district.number, quarters=hints)
    if match.kind == "choices" and match.choices:
        numbers = tuple(d.number for d in match.choices)
        if len(numbers) == 1:
            return PlaceDecision("choose_quarter", numbers[0], quarters=hints)
        return PlaceDecision("choose_district", districts=numbers, quarters=hints)
    return PlaceDecision("unknown", reason=match.reason)


# --- contact --------------------------------------------------------------------------------
MAX_CONTACT = 200
# Typed instead of pressing "Skip" (folded to lower case).
SKIP_WORDS = frozenset(
    {"skip", "überspringen", "ueberspringen", "keine", "kein", "nein", "no", "none", "-"}
)


@dataclass(frozen=True)
class ContactCheck:
    """A typed contact: ``skip``, a normalised ``value`` (E.164 phone or e-mail), or a
    ``problem`` (too_long | invalid_email | invalid_phone | unclear)."""

    value: str | None = None
    problem: str | None = None
    skip: bool = False


_SEPARATORS = re.compile(r"\s*(?:[,;]|\s(?:und|and|oder|or)\s)\s*", re.IGNORECASE)


def check_contact(text: str) -> ContactCheck:
    """Validate phone numbers (German by default) and e-mail addresses and normalise them;
    several are separated by commas or "or" ("0511 1234567 oder name@example.org")."""
    text = text.strip()
    if text.casefold() in SKIP_WORDS:
        return ContactCheck(skip=True)
    if not text or len(text) > MAX_CONTACT:
        return ContactCheck(problem="too_long" if text else "unclear")
    values = []
    for part in filter(None, _SEPARATORS.split(text)):
        check = _check_one(part)
        if check.problem is not None:
            return check
        values.append(check.value)
    if not values:
        return ContactCheck(problem="unclear")
    return ContactCheck(value=", ".join(v for v in values if v))


def _check_one(text: str) -> ContactCheck:
    if "@" in text:
        from email_validator import EmailNotValidError, validate_email  # first use, not start

        try:
            valid = validate_email(text, check_deliverability=False)
        except EmailNotValidError:
            return ContactCheck(problem="invalid_email")
        return ContactCheck(value=valid.normalized)
    if not any(c.isdigit() for c in text):
        return ContactCheck(problem="unclear")
    phone = _phone(text)
    if phone is None:
        return ContactCheck(problem="invalid_phone")
    return ContactCheck(value=phone)


def _phone(text: str) -> str | None:
    """E.164 for a valid number; "0511 …" is German, "+44 …" keeps its country. A shared
    Telegram contact may come without its "+" ("49511…")."""
    import phonenumbers  # imported where first needed, not at start

    candidates = [text]
    if text.isdigit() and not text.startswith("0"):
        candidates.insert(0, "+" + text)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, "DE")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


# The resident, whether they hold a council seat, and the case this intake filed already
# (none for a key of None): built once, so SQLAlchemy reuses its cache key and compiled form.
_SENDER = select(
    Person,
    select(RoleAssignment.id)
    .where(
        RoleAssignment.person_id == Person.id,
        RoleAssignment.role.in_(MEMBER_ROLES),
        RoleAssignment.ended_at.is_(None),
    )
    .exists(),
    select(Case.id).where(Case.intake_key == bindparam("intake_key")).scalar_subquery(),
).where(Person.telegram_id == bindparam("telegram_id"))
_OUTBOX: Any = OutboxMessage.__table__
# A held card made due with its similar cases, unless it went meanwhile (its hold ran out).
_RELEASE = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        _OUTBOX.c.sent_at.is_(None),
        _OUTBOX.c.next_attempt_at == bindparam("held_until", type_=_OUTBOX.c.next_attempt_at.type),
    )
    .values(
        params=bindparam("card", type_=_OUTBOX.c.params.type),
        next_attempt_at=bindparam("now", type_=_OUTBOX.c.next_attempt_at.type),
    )
)


@dataclass(frozen=True)
class SenderFacts:
    """What "Send" needs to know of the resident, read in one statement (`read_sender`)."""

    person: Person
    council_seat: bool  # a council member's concerns keep priority
    filed_case_id: int | None  # the case this intake already filed (a repeated "Send")


async def read_sender(
    session: AsyncSession, *, telegram_id: int, intake_key: str | None
) -> SenderFacts | None:
    """The resident, whether they hold a council seat and whether the intake was filed
    already, in one query; None when the person is not stored yet."""
    values = {"telegram_id": telegram_id, "intake_key": intake_key}
    row = (await session.execute(_SENDER, values)).first()
    if row is None:
        return None
    person, council_seat, filed_case_id = row
    if person.unreachable_since is not None:
        person.unreachable_since = None  # they wrote to us, so they can be reached again
    return SenderFacts(person, bool(council_seat), filed_case_id)


@dataclass(frozen=True)
class Filed:
    case: Case
    routed_as: str  # manager | deputy | coordinator, or "already" for a repeat
    queued: list[OutboxMessage]  # the district's cards, then the receipt (if asked for)


async def _file(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    draft: Draft,
    resident: Person,
    language: str,
    now: datetime,
    facts: SenderFacts | None = None,
    receipt_chat: int | None = None,
    hold_cards: bool = False,
) -> Filed:
    """Reads first, then the number, the case, its two events and the outbox rows: one
    statement each, so the district's counter (and on SQLite the write lock) is held for
    four statements and the commit."""
    if facts is not None:
        existing = await session.get(Case, facts.filed_case_id) if facts.filed_case_id else None
    else:
        existing = await cases.case_for_intake(session, key=draft.key)
    if existing is not None:
        return Filed(existing, "already", [])
    case = cases.new_case(draft=draft, resident=resident, language=language, now=now)
    council_seat = (
        facts.council_seat if facts is not None else await holds_council_seat(session, resident.id)
    )
    if council_seat:  # a council member's keep priority
        case.priority = max(case.priority, cases.ACTOR_PRIORITY["council"])
    # Every read comes before the number is taken (see `cases.file_case`).
    chat_ids, routed_as = await district_recipients(
        session, district_number=case.district_number, now=now, admin_ids=env.admin_ids
    )
    # Held cards get their similar cases after the resident's answer (`release_cards`).
    similar = [] if hold_cards else await similar_open_cases(session, case)
    routed = {"to": routed_as, "recipients": len(chat_ids)}
    case = await cases.file_case(session, case, resident=resident, tz=env.tz, routed=routed)
    # Rendered at delivery in each reader's language (the default when they chose none).
    notice = new_case_notice(case, routed_as=routed_as, similar=similar, photos=draft.photos)
    hold = outbox.BACKUP_SECONDS if hold_cards else None
    rows = [
        outbox.told(
            chat_id=chat_id,
            intent=notice,
            now=now,
            kind="new_case",
            case_id=case.id,
            backup_for=hold,
        )
        for chat_id in chat_ids
    ]
    if receipt_chat is not None:
        rows.append(
            _receipt(case, chat_id=receipt_chat, resident=resident, language=language, now=now)
        )
    return Filed(case, routed_as, await outbox.tell_all(session, rows) if rows else [])


def _receipt(
    case: Case, *, chat_id: int, resident: Person, language: str, now: datetime
) -> OutboxMessage:
    return outbox.told(
        chat_id=chat_id,
        intent=CaseConfirmed(
            reference=case.reference,
            district=case.district_number,
            summary=summary_of(case.description or ""),
        ),
        now=now,
        person_id=resident.id,
        case_id=case.id,
        language=language,
        kind="confirmation",
        backup_for=outbox.BACKUP_SECONDS,
    )


async def confirm_draft(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    draft: Draft,
    resident: Person,
    language: str,
    now: datetime,
) -> tuple[Case, str]:
    """Create the case and put the district's notifications into the outbox, in one transaction.

    Returns the case and who was notified (manager, deputy or coordinator).
    """
    filed = await _file(session, env, draft=draft, resident=resident, language=language, now=now)
    return filed.case, filed.routed_as


@dataclass(frozen=True)
class Submitted:
    """A confirmed intake: its case, who was notified ("already" for a repeat), and the
    resident's receipt, queued as a backup for the handler to send at once (None: a repeat
    whose receipt went out already)."""

    case: Case
    routed_as: str
    receipt: OutboxMessage | None
    cards: tuple[OutboxMessage, ...] = ()  # held for `release_cards`
    photos: tuple[str, ...] = ()


async def submit(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    draft: Draft,
    resident: Person,
    chat_id: int,
    language: str,
    now: datetime,
    facts: SenderFacts | None = None,
    hold_cards: bool = False,
) -> Submitted:
    """File the draft (once per intake key) and queue the resident's receipt with the number.

    The receipt only backs up the handler's immediate send: if the process dies between the
    commit and the send, the outbox sends it a little later, so a resident never files the
    same concern twice for want of an answer. `facts` (from `read_sender`) saves the reads
    of the resident; with `hold_cards` the district's cards wait (at most
    `outbox.BACKUP_SECONDS`) for `release_cards`, which the caller runs after answering.
    """
    filed = await _file(
        session,
        env,
        draft=draft,
        resident=resident,
        language=language,
        now=now,
        facts=facts,
        receipt_chat=chat_id,
        hold_cards=hold_cards,
    )
    if filed.routed_as == "already":
        receipt = await _receipt_again(
            session, filed.case, chat_id=chat_id, resident=resident, language=language, now=now
        )
        return Submitted(filed.case, filed.routed_as, receipt)
    *cards, receipt = filed.queued
    held = tuple(cards) if hold_cards else ()
    return Submitted(filed.case, filed.routed_as, receipt, held, tuple(draft.photos))


async def _receipt_again(
    session: AsyncSession,
    case: Case,
    *,
    chat_id: int,
    resident: Person,
    language: str,
    now: datetime,
) -> OutboxMessage | None:
    """A repeated "Send" (the update replayed after a crash): the receipt queued the first
    time, to be sent now if it has not gone (its backup time keeps the outbox off it
    meanwhile), or None if it went or was given up; a new one only if none was queued."""
    earlier = await session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.case_id == case.id,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.kind == "confirmation",
        )
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    if earlier is None:
        receipt = _receipt(case, chat_id=chat_id, resident=resident, language=language, now=now)
        session.add(receipt)
        return receipt
    return earlier if earlier.sent_at is None and earlier.failed_at is None else None


async def release_cards(session: AsyncSession, submitted: Submitted, *, now: datetime) -> None:
    """After the resident has their answer: look up similar open cases for the district's
    held cards and make them due. A card whose hold ran out (the process died meanwhile)
    has gone or goes without them, and is left alone."""
    if not submitted.cards:
        return
    case = submitted.case
    notice = new_case_notice(
        case,
        routed_as=submitted.routed_as,
        similar=await similar_open(session, case),
        photos=submitted.photos,
    )
    values = {
        "ids": [card.id for card in submitted.cards],
        "held_until": submitted.cards[0].next_attempt_at,
        "card": to_params(notice),
        "now": now,
    }
    await session.execute(_RELEASE, values)
