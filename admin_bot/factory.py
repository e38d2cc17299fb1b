"""Builds the admin bot's dispatcher: access control first, then commands, buttons, uploads and the relay.

Dependencies go into the dispatcher by name (aiogram's workflow data); each handler names the ones it uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram import Dispatcher

from admin_bot import ask, commands, knowledge, lead_buttons, media, relay, teaching
from admin_bot import stats as stats_commands
from admin_bot.access import AccessMiddleware
from admin_bot.handled import HandledConversation
from admin_bot.i18n import ManagerLocale, Translator
from bot.inflight import InFlightUpdates
from brain.knowledge.base import KnowledgeBase
from brain.learning import LearnedAnswers
from brain.media_library import MediaLibrary
from brain.playbook import Playbook
from brain.qualification import LeadCorrections
from channels.events import ConversationEvents
from channels.insights import Insights
from channels.knowledge_replay import KnowledgeReplay
from channels.outbox import Outbox
from channels.ownership import Ownership
from storage.documents import DocumentRepository
from storage.leads import LeadRepository
from storage.managers import ManagerRepository
from storage.messages import MessageRepository
from storage.repositories import ContactRepository, ConversationRepository
from storage.stats import StatsRepository


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
    contacts: ContactRepository,
    outbox: Outbox,
    knowledge_base: KnowledgeBase,
    documents: DocumentRepository,
    learned: LearnedAnswers,
    files_dir: Path,
    translator: Translator,
    managers_repo: ManagerRepository,
    playbook: Callable[[], Playbook],
    refresh_card: Callable[[str], Awaitable[None]],
    media_library: MediaLibrary,
    stats: StatsRepository,
    timezone: str,
    events: ConversationEvents,
    insights: Insights,
    replay: KnowledgeReplay,
) -> Dispatcher:
    dispatcher = Dispatcher(
        manager_chat_id=manager_chat_id,
        ownership=ownership,
        leads=leads,
        lead_corrections=lead_corrections,
        messages=messages,
        conversations=conversations,
        contacts=contacts,
        managers=managers_repo,
        playbook=playbook,
        refresh_card=refresh_card,
        outbox=outbox,
        knowledge=knowledge_base,
        documents=documents,
        learned=learned,
        files_dir=files_dir,
        library=media_library,
        stats=stats,
        timezone=timezone,
        events=events,
        insights=insights,
        replay=replay,
    )
    access = AccessMiddleware(managers, admins, translator)
    dispatcher.message.outer_middleware(access)
    dispatcher.callback_query.outer_middleware(access)
    # After access control: strangers are never remembered; managers get their own language.
    ManagerLocale(translator.i18n, managers_repo).setup(dispatcher)
    dispatcher.message.middleware(HandledConversation(ownership, conversations, manager_chat_id))
    inflight = InFlightUpdates()
    dispatcher.update.outer_middleware(inflight)
    dispatcher["inflight"] = inflight
    # Private chats with managers, and the managers' forum group when there is one.
    dispatcher.message.filter(lambda message: message.chat.type == "private" or message.chat.id == manager_chat_id)
    # Knowledge uploads come before the relay: a file from an admin who handles no chat teaches the bot.
    dispatcher.include_routers(
        commands.build_router(),
        stats_commands.build_router(),
        ask.build_router(),
        lead_buttons.build_router(),
        teaching.build_router(),
        media.build_router(),
        knowledge.build_router(),
        relay.build_router(),
        lead_buttons.build_fallback_router(),  # last: buttons nobody above understood
    )
    return dispatcher
