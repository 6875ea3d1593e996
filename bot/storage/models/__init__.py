"""The database schema, one module per domain. Every timestamp is UTC; districts are referenced
by their number. Importing this package registers every table on `Base.metadata` (Alembic
and the migration test rely on that)."""

from bot.storage.models.agreements import (
    ActionPlan,
    AgendaItem,
    Agreement,
    AgreementEvent,
    Conference,
    ConferenceInvite,
    Project,
)
from bot.storage.models.base import NAMING_CONVENTION, Base
from bot.storage.models.bookkeeping import PersistenceEntry, ProcessedUpdate
from bot.storage.models.cases import (
    Case,
    CaseEvent,
    CaseMessage,
    CasePhoto,
    ReferenceCounter,
    SavedReply,
)
from bot.storage.models.council import CouncilFollowUp, CouncilSession, Inquiry, Statement
from bot.storage.models.departments import DepartmentName
from bot.storage.models.messaging import OutboxMessage, Reminder
from bot.storage.models.needs import (
    FocusArea,
    Need,
    NeedCall,
    NeedParticipant,
    NeedRank,
    NeedSupport,
)
from bot.storage.models.network import (
    NetworkEntry,
    NetworkMeeting,
    NetworkMeetingEntry,
    NetworkReferral,
)
from bot.storage.models.news import NewsDelivery, NewsItem, NewsSubscription
from bot.storage.models.people import Absence, Invitation, Person, RoleAssignment
from bot.storage.models.verdicts import Verdict

__all__ = [
    "NAMING_CONVENTION",
    "Absence",
    "ActionPlan",
    "AgendaItem",
    "Agreement",
    "AgreementEvent",
    "Base",
    "Case",
    "CaseEvent",
    "CaseMessage",
    "CasePhoto",
    "Conference",
    "ConferenceInvite",
    "CouncilFollowUp",
    "CouncilSession",
    "DepartmentName",
    "FocusArea",
    "Inquiry",
    "Invitation",
    "Need",
    "NeedCall",
    "NeedParticipant",
    "NeedRank",
    "NeedSupport",
    "NetworkEntry",
    "NetworkMeeting",
    "NetworkMeetingEntry",
    "NetworkReferral",
    "NewsDelivery",
    "NewsItem",
    "NewsSubscription",
    "OutboxMessage",
    "PersistenceEntry",
    "Person",
    "ProcessedUpdate",
    "Project",
    "ReferenceCounter",
    "Reminder",
    "RoleAssignment",
    "SavedReply",
    "Statement",
    "Verdict",
]
