"""Wires the two Telegram bots into the running services (aiogram is imported only when a bot runs:
its Bot API models take seconds to import)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.container import Services
from app.replica import alive_replicas
from app.settings import Settings
from channels.knowledge_replay import KnowledgeReplay
from channels.left_behind import LeftBehind

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from admin_bot.notifier import ManagerNotifier
    from bot.transport import TelegramRuntime


@dataclass(slots=True)
class AdminBot:
    telegram: TelegramRuntime
    notifier: ManagerNotifier


def build_customer_bot(settings: Settings, services: Services) -> TelegramRuntime | None:
    telegram = settings.telegram
    if telegram.bot_token is None:
        return None
    from bot.adapter import TelegramOutbound
    from bot.business import BusinessChats, TelegramBusinessOutbound
    from bot.factory import create_customer_bot
    from bot.fsm import SharedClientMongoStorage
    from storage.business_connections import BusinessConnectionRepository

    # FSM state lives in the same MongoDB: it survives restarts and is shared by replicas.
    storage = SharedClientMongoStorage(services.clients.mongo, db_name=settings.mongo.db, collection_name="fsm_states")
    repos = services.repos
    connections = BusinessConnectionRepository(services.clients.db)
    business = BusinessChats(connections, repos.contacts, repos.conversations, repos.messages, services.ownership)
    alive = alive_replicas(repos.replicas, settings.reliability.replica_timeout_s)
    runtime = create_customer_bot(
        telegram.bot_token.get_secret_value(),
        telegram.api_base,
        services.hub,
        LeftBehind(repos.inbox, services.hub.worker, alive),
        storage=storage,
        business=business,
        webhook_secret=telegram.webhook_secret.get_secret_value() if telegram.webhook_secret else None,
        public_base_url=settings.http.public_base_url,
        intake=services.hub.intake,
    )
    services.outbox.register(TelegramOutbound(runtime.bot, services.media.library.assets))
    if services.outbox.media is not None:  # a file_id belongs to one bot: cached under this bot's id
        services.outbox.media.bot_keys.update(telegram=str(runtime.bot.id), telegram_business=str(runtime.bot.id))
    services.outbox.register(TelegramBusinessOutbound(runtime.bot, connections, services.media.library.assets))
    return runtime


def build_admin_bot(
    settings: Settings,
    services: Services,
    customer: TelegramRuntime | None,
    downloaders: dict[str, Callable[[str], Awaitable[bytes]]] | None = None,
) -> AdminBot | None:
    """`downloaders`: other channels' media (attachment id or URL → bytes) for the managers' relay."""
    managers = settings.managers
    if managers.bot_token is None:
        return None
    from admin_bot.board import CardBoard
    from admin_bot.factory import create_admin_dispatcher
    from admin_bot.i18n import Translator, build_i18n
    from admin_bot.notifier import ManagerNotifier
    from bot.factory import create_bot
    from bot.transport import TelegramRuntime

    bot = create_bot(managers.bot_token.get_secret_value(), settings.telegram.api_base)
    repos = services.repos
    downloaders = dict(downloaders or {})
    if customer is not None:
        customer_bot = customer.bot

        async def download_from_customer_bot(file_id: str) -> bytes:
            buffer = await customer_bot.download(file_id)
            return buffer.read() if buffer else b""

        downloaders["telegram"] = downloaders["telegram_business"] = download_from_customer_bot
    translator = Translator(build_i18n(managers.language), repos.managers)
    board = CardBoard(bot, sorted(managers.everyone), repos.conversations, translator, managers.chat_id)
    notifier = ManagerNotifier(
        bot,
        board,
        translator,
        leads=repos.leads,
        messages=repos.messages,
        contacts=repos.contacts,
        conversations=repos.conversations,
        cards=repos.manager_cards,
        managers=repos.managers,
        downloaders=downloaders,
    )
    services.events.subscribe(notifier)

    async def alert_admins(text: str) -> None:
        """Every admin who can be reached; raises only when none could (the alert is then tried again)."""
        told = 0
        for admin_id in sorted(managers.admin_ids):
            try:
                await bot.send_message(admin_id, text)
                told += 1
            except Exception:  # an admin who blocked the bot must not keep the alert from the others
                log.warning("admin %s could not be alerted", admin_id, exc_info=True)
        if managers.admin_ids and not told:
            raise RuntimeError("no admin could be alerted")

    services.alerts.subscribe(alert_admins)
    dispatcher = create_admin_dispatcher(
        managers=set(managers.manager_ids),
        admins=set(managers.admin_ids),
        manager_chat_id=managers.chat_id,
        ownership=services.ownership,
        leads=repos.leads,
        lead_corrections=services.lead_corrections,
        messages=repos.messages,
        conversations=repos.conversations,
        contacts=repos.contacts,
        outbox=services.outbox,
        knowledge_base=services.knowledge,
        documents=repos.documents,
        learned=services.learned,
        files_dir=settings.data_dir / "files",
        translator=translator,
        managers_repo=repos.managers,
        playbook=lambda: services.brain.playbook,
        refresh_card=notifier.refresh,
        media_library=services.media.library,
        stats=repos.stats,
        timezone=settings.timezone,
        events=services.events,
        insights=services.insights,
        replay=KnowledgeReplay(services.brain, repos.messages),
    )
    return AdminBot(TelegramRuntime(bot, dispatcher, LeftBehind(repos.inbox)), notifier)  # never a webhook
