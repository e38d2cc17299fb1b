"""Every MongoDB repository, built on one database (the composition root holds one of these)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.crm_events import CrmEventRepository
from storage.documents import DocumentRepository
from storage.inbox import InboxRepository
from storage.instagram_comments import InstagramCommentRepository
from storage.lead_corrections import LeadCorrectionRepository
from storage.leads import LeadRepository
from storage.manager_cards import ManagerCardRepository
from storage.managers import ManagerRepository
from storage.messages import MessageRepository
from storage.meta import MetaRepository
from storage.mongo import Database
from storage.replicas import ReplicaRegistry
from storage.repositories import AuditLog, ContactRepository, ConversationRepository
from storage.reviewed_answers import ReviewedAnswerRepository
from storage.stats import StatsRepository


@dataclass(slots=True)
class Repositories:
    """Every MongoDB repository; nothing outside `storage/` touches a collection."""

    contacts: ContactRepository
    conversations: ConversationRepository
    messages: MessageRepository
    leads: LeadRepository
    lead_corrections: LeadCorrectionRepository
    audit: AuditLog
    documents: DocumentRepository
    reviewed_answers: ReviewedAnswerRepository
    inbox: InboxRepository
    crm_events: CrmEventRepository
    meta: MetaRepository
    manager_cards: ManagerCardRepository
    managers: ManagerRepository
    instagram_comments: InstagramCommentRepository
    replicas: ReplicaRegistry
    stats: StatsRepository

    @classmethod
    def on(cls, db: Database) -> Repositories:
        return cls(
            ContactRepository(db),
            ConversationRepository(db),
            MessageRepository(db),
            LeadRepository(db),
            LeadCorrectionRepository(db),
            AuditLog(db),
            DocumentRepository(db),
            ReviewedAnswerRepository(db),
            InboxRepository(db),
            CrmEventRepository(db),
            MetaRepository(db),
            ManagerCardRepository(db),
            ManagerRepository(db),
            InstagramCommentRepository(db),
            ReplicaRegistry(db),
            StatsRepository(db),
        )
