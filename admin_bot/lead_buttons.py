"""The buttons on lead cards: Take over, Mark hot/warm/cold, Won/Lost, History, Return to bot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from admin_bot.callbacks import CloseLead, History, MarkLead, Release, SetAudience, TakeOver
from admin_bot.cards import history_text, release_keyboard
from admin_bot.commands import returned_text
from admin_bot.teaching import offer_examples
from brain.learning import LearnedAnswers
from brain.qualification import LeadCorrections
from channels.events import ConversationEvents
from channels.ownership import Ownership
from storage.leads import LeadRepository
from storage.messages import MessageRepository
from storage.repositories import ContactRepository, ConversationRepository


async def on_take(
    query: CallbackQuery, callback_data: TakeOver, ownership: Ownership, messages: MessageRepository
) -> None:
    conversation_id = callback_data.conversation_id
    result = await ownership.take_over(conversation_id, query.from_user.id)
    if not result.won:
        if result.owner_id:
            text = _("Already taken by manager {manager}.").format(manager=result.owner_id)
        else:
            text = _("Nobody can take it: the chat was closed.")
        await query.answer(text, show_alert=True)
        return
    await query.answer(_("The chat is yours."))
    recent = await messages.recent(conversation_id, limit=10)
    if query.message is not None:
        await query.message.answer(
            _("You now handle this chat: what you send here goes to the customer. /reply offers canned replies.")
            + "\n\n"
            + history_text(recent, _),
            reply_markup=release_keyboard(conversation_id, _),
        )


async def on_mark(
    query: CallbackQuery,
    callback_data: MarkLead,
    leads: LeadRepository,
    messages: MessageRepository,
    lead_corrections: LeadCorrections,
    refresh_card: Callable[[str], Awaitable[None]],
) -> None:
    lead = await leads.get(callback_data.lead_id)
    if lead is None:
        await query.answer(_("This lead no longer exists."), show_alert=True)
        return
    recent = await messages.recent(lead.conversation_id, limit=10)
    last_customer = next((m.text for m in reversed(recent) if m.direction == "in" and m.text), None)
    await lead_corrections.correct(lead.id, callback_data.temperature, query.from_user.id, last_customer)
    await refresh_card(lead.conversation_id)  # every manager's card shows the corrected temperature
    await query.answer(_("Marked {temperature}. I will learn from it.").format(temperature=callback_data.temperature))


async def on_close(
    query: CallbackQuery,
    callback_data: CloseLead,
    leads: LeadRepository,
    conversations: ConversationRepository,
    events: ConversationEvents,
) -> None:
    """Won / lost / reopen: the card, the CRM and the stats' funnel hear of it (as lead events)."""
    if await leads.get(callback_data.lead_id) is None:
        await query.answer(_("This lead no longer exists."), show_alert=True)
        return
    lead = await leads.close(callback_data.lead_id, callback_data.outcome, query.from_user.id)
    conversation = await conversations.get(lead.conversation_id) if lead is not None else None
    if lead is None or conversation is None:
        await query.answer(_("Already decided."), show_alert=True)
        return
    await events.lead_closed(lead, conversation, query.from_user.id)
    done = {"won": _("Marked won."), "lost": _("Marked lost."), "open": _("The lead is open again.")}
    await query.answer(done[callback_data.outcome])


async def on_audience(
    query: CallbackQuery,
    callback_data: SetAudience,
    conversations: ConversationRepository,
    contacts: ContactRepository,
    refresh_card: Callable[[str], Awaitable[None]],
) -> None:
    """A manager's word on who the customer is outranks what the bot read from their messages."""
    conversation = await conversations.get(callback_data.conversation_id)
    if conversation is None:
        await query.answer(_("This chat no longer exists."), show_alert=True)
        return
    await contacts.set_audience(conversation.contact_id, callback_data.audience, "manager")
    await refresh_card(conversation.id)
    partner = callback_data.audience == "partner"
    await query.answer(_("Now a partner: partner materials are open to them.") if partner else _("Now a buyer."))


async def on_history(query: CallbackQuery, callback_data: History, messages: MessageRepository) -> None:
    await query.answer()
    if query.message is not None:
        await query.message.answer(history_text(await messages.recent(callback_data.conversation_id, limit=30), _))


async def on_release(
    query: CallbackQuery, callback_data: Release, ownership: Ownership, learned: LearnedAnswers
) -> None:
    conversation_id = callback_data.conversation_id
    if not await ownership.release(conversation_id, query.from_user.id):
        await query.answer(_("You are not handling this chat."), show_alert=True)
        return
    await query.answer(_("Returned to the bot."))
    if isinstance(query.message, Message):
        await query.message.answer(returned_text())
        await offer_examples(query.message, learned, conversation_id)


async def on_stale_button(query: CallbackQuery) -> None:
    """Last: data no router understands (an old or tampered button) gets an answer, not a spinner."""
    await query.answer(_("This button is no longer valid."), show_alert=True)


def build_router() -> Router:
    router = Router(name="admin-lead-buttons")
    router.callback_query.register(on_take, TakeOver.filter())
    router.callback_query.register(on_mark, MarkLead.filter())
    router.callback_query.register(on_close, CloseLead.filter())
    router.callback_query.register(on_history, History.filter())
    router.callback_query.register(on_audience, SetAudience.filter())
    router.callback_query.register(on_release, Release.filter())
    return router


def build_fallback_router() -> Router:
    router = Router(name="admin-stale-buttons")
    router.callback_query.register(on_stale_button, F.data)
    return router
