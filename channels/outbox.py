"""The outbox: the only way a message leaves. Splits, maps buttons, retries, records delivery."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import replace
from datetime import timedelta

from brain.types import Button
from channels.media_delivery import MediaDelivery
from channels.messages import (
    ChannelCapabilities,
    DeliveryError,
    DraftingChannel,
    DraftSink,
    OutboundChannel,
    OutboundMessage,
)
from channels.pacing import OutboundPacer
from channels.stores import waiting_out_outages
from storage.messages import MessageRepository
from storage.records import Conversation
from storage.repositories import ConversationRepository, utcnow

log = logging.getLogger(__name__)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line, sentence or word boundaries."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(". "), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        elif window[cut] == ".":
            cut += 1
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def fit_to_channel(message: OutboundMessage, caps: ChannelCapabilities) -> list[OutboundMessage]:
    """Split long text; buttons go on the last piece, or become text where the channel has none."""
    buttons = [Button(b.title[: caps.button_title_max], b.payload) for b in message.buttons[: caps.max_buttons]]
    text = message.text
    if buttons and not caps.supports_buttons:
        text += "\n\n" + "\n".join(f"• {b.title}" for b in buttons)
        buttons = []
    pieces = split_text(text, caps.max_text) or [""]
    if message.template is not None:  # the template is the message: its text is only our record of it
        pieces = [message.text]
    out = [OutboundMessage(text=piece, tag=message.tag) for piece in pieces]
    out[-1].template = message.template
    out[-1].buttons = buttons
    out[-1].media = list(message.media)
    out[-1].contact_request = message.contact_request
    return out


HUMAN_AGENT_TAG = "HUMAN_AGENT"
RETRY_WITHIN = timedelta(hours=1)  # older failures are stale news: the customer has moved on or written again
RETRY_ROUNDS = 5
DRAFT_EVERY_S = 0.4  # previews are throttled: Telegram allows about one message a second per chat


class Outbox:
    def __init__(
        self,
        messages: MessageRepository,
        conversations: ConversationRepository,
        attempts: int = 3,
        backoff_s: float = 0.5,
        media: MediaDelivery | None = None,
        pacer: OutboundPacer | None = None,
    ) -> None:
        self.media = media  # catalogue assets made sendable per channel
        self._pacer = pacer
        # What is being sent was decided already: a short MongoDB outage delays it instead of losing it.
        self._messages = waiting_out_outages(messages, "outbox messages")
        self._conversations = waiting_out_outages(conversations, "outbox conversations")
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._channels: dict[str, OutboundChannel] = {}

    def register(self, channel: OutboundChannel) -> None:
        self._channels[channel.name] = channel

    def channel(self, name: str) -> OutboundChannel:
        try:
            return self._channels[name]
        except KeyError:
            raise LookupError(f"no outbound adapter registered for channel {name!r}") from None

    def drafts_for(self, conversation: Conversation) -> DraftSink | None:
        """A sink that shows a streamed answer on the customer's channel as it grows, or None when the
        channel cannot. Drafts are previews: a failed one is logged and the rest are skipped, never retried."""
        channel = self.channel(conversation.channel)
        if not channel.capabilities.drafts or not hasattr(channel, "draft"):
            return None
        drafting: DraftingChannel = channel  # type: ignore[assignment]
        draft_id = secrets.randbelow(2**31 - 1) + 1
        shown_at = -DRAFT_EVERY_S
        broken = False

        async def show(text: str) -> None:
            nonlocal shown_at, broken
            now = time.monotonic()
            if broken or (text and now - shown_at < DRAFT_EVERY_S):
                return
            shown_at = now
            try:
                await drafting.draft(conversation.channel_user_id, draft_id, text[: channel.capabilities.max_text])
            except DeliveryError as exc:
                broken = True
                log.warning("drafts stopped for conversation %s: %s", conversation.id, exc)

        return show

    async def deliver(
        self,
        conversation: Conversation,
        message: OutboundMessage,
        meta: dict | None = None,
        sender: str = "bot",
    ) -> bool:
        """Send every piece; each is stored with its delivery status. True when all were sent.

        This is the one ownership check for outgoing messages: while a human owns the
        conversation, nothing the bot wrote leaves (it is stored as `suppressed`).
        """
        channel = self.channel(conversation.channel)
        if sender == "bot":
            current = await self._conversations.get(conversation.id)
            if current is not None and current.owner == "human":
                await self._messages.add(
                    conversation.id,
                    conversation.channel,
                    "out",
                    message.text,
                    status="suppressed",
                    meta={**(meta or {}), "sender": sender},
                )
                return False
        meta = {**(meta or {}), "sender": sender}
        window = "open" if message.template is not None else await self.reply_window(conversation, sender)
        if window == "closed":
            # The platform would refuse it (and count it against the page): record it, do not send.
            log.warning("conversation %s: outside the messaging window, not sent", conversation.id)
            await self._messages.add(
                conversation.id, conversation.channel, "out", message.text, status="outside_window", meta=meta
            )
            return False
        if window == "human_agent":
            message = replace(message, tag=HUMAN_AGENT_TAG)
            meta["tag"] = HUMAN_AGENT_TAG
        if self.media is not None:
            message = await self.media.prepare(conversation.channel, message, conversation.language)
        ok = True
        for piece in fit_to_channel(message, channel.capabilities):
            status = "sent" if channel.capabilities.in_process else "sending"
            stored = await self._messages.add(
                conversation.id, conversation.channel, "out", piece.text, status=status, meta=meta
            )
            if channel.capabilities.in_process:
                continue
            try:
                platform_id = await self._send_paced(channel, conversation, piece)
            except DeliveryError as exc:
                log.warning("delivery to %s failed for conversation %s: %s", channel.name, conversation.id, exc)
                # A passing failure (the platform down, a throttle) is tried again later by `retry_failed`.
                await self._messages.set_status(
                    stored.id, "failed", error=str(exc)[:300], retryable=exc.transient, rounds=1
                )
                ok = False
                continue
            await self._messages.set_status(stored.id, "sent", platform_message_id=platform_id)
        return ok

    async def retry_failed(self, within: timedelta = RETRY_WITHIN, rounds: int = RETRY_ROUNDS) -> int:
        """Messages whose delivery failed for a passing reason get another round (a scheduler job, so also
        after a restart): their text, as stored; each claimed by one replica. Returns how many went out."""
        sent = 0
        for message in await self._messages.retryable_failures(utcnow() - within, rounds):
            conversation = await self._conversations.get(message.conversation_id)
            channel = self._channels.get(conversation.channel) if conversation is not None else None
            if conversation is None or channel is None:
                continue  # this replica has no sender for that channel: one that has will take it
            sender = str(message.meta.get("sender", "bot"))
            if sender == "bot" and conversation.owner == "human":
                await self._messages.set_status(message.id, "suppressed")  # a person has the chat now
                continue
            if await self.reply_window(conversation, sender) == "closed":
                await self._messages.set_status(message.id, "outside_window")
                continue
            if not await self._messages.claim_retry(message.id):
                continue
            try:
                platform_id = await self._send_paced(channel, conversation, OutboundMessage(message.text))
            except DeliveryError as exc:
                log.warning("retried delivery for conversation %s failed again: %s", conversation.id, exc)
                await self._messages.set_status(message.id, "failed", error=str(exc)[:300], retryable=exc.transient)
                continue
            await self._messages.set_status(message.id, "sent", platform_message_id=platform_id)
            sent += 1
        return sent

    async def reply_window(self, conversation: Conversation, sender: str = "manager") -> str:
        """`open`, `human_agent` (past the window, but a manager may still answer with Meta's HUMAN_AGENT tag)
        or `closed` (only a template, where the channel has them)."""
        caps = self.channel(conversation.channel).capabilities
        if caps.reply_window_hours is None:
            return "open"
        now = utcnow()
        if await self._messages.customer_wrote_since(conversation.id, now - timedelta(hours=caps.reply_window_hours)):
            return "open"
        if (
            sender == "manager"
            and caps.human_agent_hours is not None
            and await self._messages.customer_wrote_since(
                conversation.id, now - timedelta(hours=caps.human_agent_hours)
            )
        ):
            return "human_agent"
        return "closed"

    async def _send_paced(
        self, channel: OutboundChannel, conversation: Conversation, piece: OutboundMessage
    ) -> str | None:
        """One piece, within the platform's pace, retried on passing failures."""
        if self._pacer is not None:
            await self._pacer.acquire(conversation.channel, conversation.channel_user_id)
        return await self._send_with_retry(channel, conversation.channel_user_id, piece)

    async def _send_with_retry(self, channel: OutboundChannel, recipient: str, piece: OutboundMessage) -> str | None:
        for attempt in range(1, self._attempts + 1):
            try:
                return await channel.send(recipient, piece)
            except DeliveryError as exc:
                if not exc.transient or attempt == self._attempts:
                    raise
                delay = exc.retry_after_s if exc.retry_after_s is not None else self._backoff_s * 2 ** (attempt - 1)
                await asyncio.sleep(min(delay, 30.0))
        raise AssertionError("unreachable")
