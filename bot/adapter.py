"""The Telegram adapter: aiogram messages and button taps in as `InboundMessage`, `OutboundMessage` out
through the Bot API within Telegram's limits."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from bot.media import FileIds, TelegramMedia
from channels.messages import (
    CONTACT_PAYLOAD,
    Attachment,
    ChannelCapabilities,
    DeliveryError,
    InboundMessage,
    OutboundMessage,
)

CHANNEL = "telegram"
_LANGUAGES = {"ru": "ru", "uk": "uk", "en": "en", "be": "ru"}
CALLBACK_DATA_MAX = 64  # bytes, Bot API limit


class ReplyButton(CallbackData, prefix="b", sep="|"):
    """A button of a bot reply; `payload` is the brain's (e.g. `human`, `confirm:<token>`)."""

    payload: str


def button_data(payload: str) -> str:
    """Packed callback data, cut to what Telegram accepts (payloads are short; this is a safety net)."""
    packed = ReplyButton(payload=payload.replace("|", "/")).pack()
    return packed.encode()[:CALLBACK_DATA_MAX].decode(errors="ignore")


def _attachments(message: Message) -> list[Attachment]:
    found: list[Attachment] = []
    if message.photo:
        found.append(Attachment("photo", file_id=message.photo[-1].file_id))
    for kind in ("document", "video", "audio", "voice", "sticker", "video_note", "animation"):
        item = getattr(message, kind, None)
        if item is not None:
            found.append(
                Attachment(
                    kind,
                    file_id=item.file_id,
                    mime_type=getattr(item, "mime_type", None),
                    name=getattr(item, "file_name", None),
                )
            )
    if message.location or message.venue:
        found.append(Attachment("location"))
    if message.contact:
        found.append(Attachment("contact"))
    if not found and not message.text and not message.caption:
        found.append(Attachment("other"))
    return found


def language_of(code: str | None) -> str | None:
    return _LANGUAGES.get((code or "").split("-")[0].lower())


def inbound_from_message(
    message: Message, payload: str | None = None, *, channel: str = CHANNEL, chat_key: str | None = None
) -> InboundMessage:
    """`chat_key` names the customer on `channel` (the bot's own chats: the chat id)."""
    user = message.from_user
    if message.contact is not None and (user is None or message.contact.user_id in (None, user.id)):
        # The customer's own number, shared with the contact button: handled as data, not as text to answer.
        payload, text = CONTACT_PAYLOAD, message.contact.phone_number
    else:
        text = message.text or message.caption or ""
    key = chat_key or str(message.chat.id)
    return InboundMessage(
        channel=channel,
        channel_user_id=key,
        # Message ids are unique per chat; chat key + message id is unique for the channel.
        channel_message_id=f"{key}:{message.message_id}",
        text=text,
        attachments=[] if payload == CONTACT_PAYLOAD else _attachments(message),
        payload=payload,
        language_hint=language_of(user.language_code) if user else None,
        user_name=user.full_name if user else None,
        username=user.username if user else None,
    )


def inbound_from_callback(
    query: CallbackQuery, payload: str, *, channel: str = CHANNEL, chat_key: str | None = None
) -> InboundMessage:
    chat_id = query.message.chat.id if query.message else query.from_user.id
    return InboundMessage(
        channel=channel,
        channel_user_id=chat_key or str(chat_id),
        channel_message_id=f"cb:{query.id}",
        payload=payload,
        language_hint=language_of(query.from_user.language_code),
        user_name=query.from_user.full_name,
        username=query.from_user.username,
    )


class TelegramOutbound:
    name = CHANNEL
    capabilities = ChannelCapabilities(max_text=4096, max_buttons=8, button_title_max=64, drafts=True)

    def __init__(self, bot: Bot, file_ids: FileIds | None = None) -> None:
        self._bot = bot
        self._media = TelegramMedia(bot, file_ids)

    async def draft(self, recipient_id: str, draft_id: int, text: str) -> None:
        """A streamed preview (Bot API 9.3+, private chats); "" shows Telegram's "Thinking…" placeholder.
        The final message, sent with sendMessage, replaces it."""
        chat_id = int(recipient_id)
        if chat_id < 0:
            return  # drafts exist in private chats only
        try:
            await self._bot.send_message_draft(chat_id=chat_id, draft_id=draft_id, text=text)
        except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as exc:
            raise DeliveryError(str(exc), transient=True) from exc
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            raise DeliveryError(str(exc), transient=False) from exc

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None:
        return await self.send_to_chat(int(recipient_id), message)

    async def send_to_chat(
        self, chat_id: int, message: OutboundMessage, business_connection_id: str | None = None
    ) -> str:
        """One piece to one chat; with `business_connection_id`, on behalf of that business account."""
        markup = _markup(message, reply_keyboard=business_connection_id is None)
        try:
            if message.media:
                return await self._media.send(chat_id, message, markup, business_connection_id)
            sent = await self._bot.send_message(
                chat_id, message.text, reply_markup=markup, business_connection_id=business_connection_id
            )
        except TelegramRetryAfter as exc:
            raise DeliveryError(str(exc), transient=True, retry_after_s=float(exc.retry_after)) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise DeliveryError(str(exc), transient=True) from exc
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            raise DeliveryError(str(exc), transient=False) from exc
        return str(sent.message_id)


def _markup(message: OutboundMessage, *, reply_keyboard: bool) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """Buttons as an inline keyboard; the share-my-number button as a reply keyboard where one may be sent
    (not on behalf of a business account: there the question's text asks for the number)."""
    if message.buttons:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=b.title, callback_data=button_data(b.payload))] for b in message.buttons
            ]
        )
    if message.contact_request and reply_keyboard:
        return ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=message.contact_request, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    return None
