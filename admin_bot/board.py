"""Where cards live on Telegram: post once (to every manager, or to the conversation's forum topic), edit in
place, and ping with a short reply to the card when a manager must act."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, ReplyParameters

from admin_bot.i18n import Translate, Translator
from storage.manager_cards import CardPost
from storage.repositories import ConversationRepository

log = logging.getLogger(__name__)

Render = Callable[[Translate], tuple[str, InlineKeyboardMarkup]]


class CardBoard:
    def __init__(
        self,
        bot: Bot,
        managers: list[int],
        conversations: ConversationRepository,
        translator: Translator,
        group_chat_id: int | None = None,
    ) -> None:
        self._bot = bot
        self._managers = managers
        self._conversations = conversations
        self._translator = translator
        self._group = group_chat_id

    @property
    def group_chat_id(self) -> int | None:
        return self._group

    async def translation_for(self, chat_id: int) -> Translate:
        """A manager's own language in a private chat; the default one in the shared group."""
        if chat_id == self._group:
            return self._translator.for_locale(None)
        return self._translator.for_locale(await self._translator.locale_of(chat_id))

    async def post(self, conversation_id: str, topic_name: str, render: Render) -> list[CardPost]:
        """A new card: one message per manager, or one in the conversation's topic (this notifies)."""
        posts = []
        if self._group is not None:
            thread = await self.topic(conversation_id, topic_name)
            text, keyboard = render(await self.translation_for(self._group))
            sent = await self._bot.send_message(self._group, text, message_thread_id=thread, reply_markup=keyboard)
            return [CardPost(self._group, sent.message_id, thread)]
        for manager_id in self._managers:
            text, keyboard = render(await self.translation_for(manager_id))
            try:
                sent = await self._bot.send_message(manager_id, text, reply_markup=keyboard)
            except TelegramAPIError as exc:  # one manager who blocked the bot must not hide the card from others
                log.warning("card for manager %s not sent: %s", manager_id, exc)
                continue
            posts.append(CardPost(manager_id, sent.message_id))
        return posts

    async def broadcast(self, text_for: Callable[[Translate], str]) -> int:
        """A message for every manager (the daily digest), each in their own language; how many got it."""
        told = 0
        for manager_id in self._managers:
            try:
                await self._bot.send_message(manager_id, text_for(await self.translation_for(manager_id)))
                told += 1
            except TelegramAPIError as exc:  # one manager who blocked the bot must not keep it from the others
                log.warning("message for manager %s not sent: %s", manager_id, exc)
        return told

    async def edit(self, posts: list[CardPost], render: Render) -> None:
        """The card in place, silently (Telegram does not notify about edits)."""
        for post in posts:
            text, keyboard = render(await self.translation_for(post.chat_id))
            try:
                await self._bot.edit_message_text(
                    text=text, chat_id=post.chat_id, message_id=post.message_id, reply_markup=keyboard
                )
            except TelegramBadRequest as exc:
                if "not modified" not in str(exc):  # unchanged cards are the common case, not an error
                    log.warning("card %s/%s not edited: %s", post.chat_id, post.message_id, exc)
            except TelegramAPIError as exc:
                log.warning("card %s/%s not edited: %s", post.chat_id, post.message_id, exc)

    async def ping(self, posts: list[CardPost], words: Callable[[Translate], str]) -> None:
        """A short reply to the card: the notification, and a tap away from the card itself."""
        for post in posts:
            text = words(await self.translation_for(post.chat_id))
            try:
                await self._bot.send_message(
                    post.chat_id,
                    text,
                    message_thread_id=post.thread_id,
                    reply_parameters=ReplyParameters(message_id=post.message_id, allow_sending_without_reply=True),
                )
            except TelegramAPIError as exc:
                log.warning("ping to %s not sent: %s", post.chat_id, exc)

    async def topic(self, conversation_id: str, name: str) -> int:
        """The conversation's forum topic, created on first use; a topic created by a replica that lost the
        race is closed, so a conversation has exactly one."""
        assert self._group is not None
        topic = await self._conversations.manager_topic(conversation_id)
        if topic is not None:
            return topic
        created = await self._bot.create_forum_topic(self._group, name[:128])
        winner = await self._conversations.set_manager_topic(conversation_id, created.message_thread_id)
        if winner != created.message_thread_id:
            await self._bot.delete_forum_topic(self._group, created.message_thread_id)
        return winner
