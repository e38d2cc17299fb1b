"""A manager answering after the platform's 24-hour window: told why nothing can be sent, and on WhatsApp
offered the playbook's approved templates (the one thing WhatsApp accepts then)."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from admin_bot.callbacks import SendTemplate
from admin_bot.handled import handled_from_button, send_to_customer
from brain.playbook import Playbook
from channels.messages import OutboundMessage, Template
from channels.outbox import Outbox
from channels.ownership import Ownership
from storage.records import Conversation
from storage.repositories import ConversationRepository


async def window_closed(message: Message, handled: Conversation, outbox: Outbox, playbook: Playbook) -> bool:
    """True (and the manager told) when the customer's channel no longer accepts a free-form message."""
    if await outbox.reply_window(handled, sender="manager") != "closed":
        return False
    if not outbox.channel(handled.channel).capabilities.templates:
        await message.answer(
            _(
                "⏳ The customer wrote more than 24 hours ago: {channel} accepts no messages now. "
                "You can answer as soon as the customer writes again."
            ).format(channel=handled.channel)
        )
        return True
    if not playbook.whatsapp_templates:
        await message.answer(
            _(
                "⏳ The customer wrote more than 24 hours ago: WhatsApp accepts only an approved template now, "
                "and the playbook has none (section whatsapp_templates)."
            )
        )
        return True
    rows = [
        [
            InlineKeyboardButton(
                text=t.title[:60], callback_data=SendTemplate(conversation_id=handled.id, template_id=t.id).pack()
            )
        ]
        for t in playbook.whatsapp_templates
    ]
    await message.answer(
        _("⏳ The customer wrote more than 24 hours ago: WhatsApp accepts only an approved template now. Send one:"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )
    return True


async def on_send_template(
    query: CallbackQuery,
    callback_data: SendTemplate,
    ownership: Ownership,
    outbox: Outbox,
    conversations: ConversationRepository,
    playbook: Callable[[], Playbook],
) -> None:
    handled = await handled_from_button(query, conversations, callback_data.conversation_id)
    current = playbook()
    template = current.whatsapp_template(callback_data.template_id)
    if handled is None:
        return
    if template is None:
        await query.answer(_("You are not handling any chat now. Tap Take over on a card first."), show_alert=True)
        return
    language = handled.language or current.default_language
    code = template.languages.get(language) or next(iter(template.languages.values()), "en_US")
    record = current.localized(template.text, language) or f"[template {template.name}]"
    outbound = OutboundMessage(text=record, template=Template(template.name, code))
    delivered = await send_to_customer(outbox, ownership, handled, outbound)
    sent = _("✓ Template sent. When the customer answers, you can write freely for 24 hours.")
    await query.answer(sent if delivered else _("⚠️ Could not deliver; see the logs."))
    if isinstance(query.message, Message) and delivered:
        await query.message.edit_reply_markup(reply_markup=None)  # one template per tap: no second send
        await query.message.answer(f"{sent}\n\n{record}")
