"""Builds the admin bot's dispatcher: access control first, then commands, buttons, uploads and the relay.

Dependencies go into the dispatcher by name (aiogram's workflow data); each handler names the ones it uses.
"""

from __future__ import annotations

from pathlib import Path

from aiogram import Dispatcher

from admin_bot import commands, knowledge, lead_buttons, relay, teaching
from admin_bot.access import AccessMiddleware
from admin_bot.handled import HandledConversation
from bot.inflight import InFlightUpdates
from brain.knowledge.base import KnowledgeBase
from brain.learning import LearnedAnswers
from brain.qualification import LeadCorrections
from channels.outbox import Outbox
from channels.ownership import Ownership
from storage.documents import DocumentRepository
from storage.leads import LeadRepository
from storage.repositories import ConversationRepository, MessageRepository


def create_admin_dispatcher(
    *,
    managers: set[int],
    admins: set[int],
    manager_chat_id: int | None,
    ownership: Ownership,
    leads: LeadRepository,
    lead_corrections: LeadCorrections,
    messages: MessageRepository,
    conversations: ConversationRepository,
    outbox: Outbox,
    knowledge_base: KnowledgeBase,
    documents: DocumentRepository,
    learned: LearnedAnswers,
    files_dir: Path,
) -> Dispatcher:
    dispatcher = Dispatcher(
        manager_chat_id=manager_chat_id,
        ownership=ownership,
        leads=leads,
        lead_corrections=lead_corrections,
        messages=messages,
        conversations=conversations,
        outbox=outbox,
        knowledge=knowledge_base,
        documents=documents,
        learned=learned,
        files_dir=files_dir,
    )
    access = AccessMiddleware(managers, admins)
    dispatcher.message.outer_middleware(access)
    dispatcher.callback_query.outer_middleware(access)
    dispatcher.message.middleware(HandledConversation(ownership, conversations, manager_chat_id))
    inflight = InFlightUpdates()
    dispatcher.update.outer_middleware(inflight)
    dispatcher["inflight"] = inflight
    # Private chats with managers, and the managers' forum group when there is one.
    dispatcher.message.filter(lambda message: message.chat.type == "private" or message.chat.id == manager_chat_id)
    # Knowledge uploads come before the relay: a file from an admin who handles no chat teaches the bot.
    dispatcher.include_routers(
        commands.build_router(),
        lead_buttons.build_router(),
        teaching.build_router(),
        knowledge.build_router(),
        relay.build_router(),
        lead_buttons.build_fallback_router(),  # last: buttons nobody above understood
    )
    return dispatcher
