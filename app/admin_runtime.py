"""Wires the admin bot into the running services: alerts, takeover, relay in both directions."""

from __future__ import annotations

from dataclasses import dataclass

from app.container import Services
from app.settings import Settings
from bot.runtime import TelegramRuntime
from channels.ownership import Ownership


@dataclass(slots=True)
class AdminRuntime:
    telegram: TelegramRuntime
    notifier: object  # admin_bot.notifier.ManagerNotifier (aiogram is imported lazily)
    ownership: Ownership


def build_admin_bot(settings: Settings, services: Services, customer: TelegramRuntime | None) -> AdminRuntime | None:
    if settings.admin_bot_token is None:
        return None
    from admin_bot.factory import create_admin_dispatcher
    from admin_bot.handlers import AdminServices
    from admin_bot.notifier import ManagerNotifier
    from bot.factory import create_bot

    bot = create_bot(settings.admin_bot_token.get_secret_value(), settings.telegram_api_base)
    ownership = Ownership(
        services.db, services.repos.conversations, services.leads, services.repos.events, services.crm
    )
    repos = services.repos
    notifier = ManagerNotifier(
        bot,
        sorted(settings.all_manager_ids),
        services.leads,
        repos.messages,
        repos.contacts,
        repos.conversations,
        settings.manager_chat_id,
    )
    if customer is not None:
        customer_bot = customer.bot

        async def download_from_customer_bot(file_id: str) -> bytes:
            buffer = await customer_bot.download(file_id)
            return buffer.read() if buffer else b""

        notifier.downloaders["telegram"] = download_from_customer_bot
    services.lead_tracker.listeners.append(notifier.on_lead_change)

    async def customer_wrote_to_human(conversation, inbound) -> None:
        await ownership.touch(conversation.id)
        await notifier.forward_to_manager(conversation, inbound)

    services.hub.human_listeners.append(customer_wrote_to_human)
    services.hub.escalation_listeners.append(notifier.on_escalation)
    admin = AdminServices(
        ownership,
        services.leads,
        services.lead_tracker,
        repos.messages,
        services.outbox,
        repos.conversations,
        settings.manager_chat_id,
        knowledge=services.knowledge,
        documents=services.documents,
        files_dir=settings.data_dir / "files",
        examples=services.examples,
    )
    dispatcher = create_admin_dispatcher(admin, set(settings.manager_ids), set(settings.admin_ids))
    return AdminRuntime(TelegramRuntime(bot, dispatcher, services.inbox), notifier, ownership)
