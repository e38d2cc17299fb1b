"""Instagram comments to Direct: a comment that matches a playbook trigger gets one private reply in Direct
(and the optional short public one); the commenter's answer then arrives as an ordinary Direct message,
with the comment and our reply already in the conversation's history."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from brain.comments import comment_reply
from brain.playbook import Playbook
from brain.router import OfflineRouter
from channels.messages import DeliveryError
from channels.meta.events import Comment
from channels.meta.graph import GraphSender
from storage.instagram_comments import InstagramCommentRepository
from storage.messages import MessageRepository
from storage.repositories import ContactRepository, ConversationRepository

log = logging.getLogger(__name__)


class CommentResponder:
    def __init__(
        self,
        sender: GraphSender,
        brain: Callable[[], tuple[Playbook, OfflineRouter]],
        comments: InstagramCommentRepository,
        contacts: ContactRepository,
        conversations: ConversationRepository,
        messages: MessageRepository,
    ) -> None:
        self._sender = sender
        self._brain = brain
        self._comments = comments
        self._contacts = contacts
        self._conversations = conversations
        self._messages = messages
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, comment: Comment) -> None:
        """Answered after the webhook's 200 (routing and two Graph calls must not hold Meta up)."""
        task = asyncio.create_task(self._handle_logged(comment), name=f"comment:{comment.comment_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)

    async def _handle_logged(self, comment: Comment) -> None:
        try:
            await self.handle(comment)
        except Exception:  # a background task: logged here, the claim expires and a redelivery retries
            log.exception("instagram comment %s could not be handled", comment.comment_id)

    async def handle(self, comment: Comment) -> None:
        playbook, router = self._brain()
        reply = await comment_reply(comment.text, playbook, router)
        if reply is None:
            return
        if not await self._comments.claim(comment.comment_id, comment.author_id, comment.media_id, reply.reason):
            log.debug("instagram comment %s was handled already", comment.comment_id)
            return
        contact = await self._contacts.upsert("instagram", comment.author_id, username=comment.username)
        conversation = await self._conversations.open(contact, reply.language)
        if conversation.owner == "human":  # a manager talks to this person now: the bot does not cut in
            await self._comments.finish(comment.comment_id, "skipped: a manager owns the chat")
            return
        await self._messages.add(
            conversation.id,
            "instagram",
            "in",
            comment.text,
            status="comment",
            channel_message_id=f"comment:{comment.comment_id}",
            meta={"comment_id": comment.comment_id, "media_id": comment.media_id},
        )
        meta = {"sender": "bot", "comment_id": comment.comment_id, "kind": "private_reply"}
        stored = await self._messages.add(
            conversation.id, "instagram", "out", reply.private, status="sending", meta=meta
        )
        try:
            platform_id = await self._sender.private_reply(comment.comment_id, reply.private)
        except DeliveryError as exc:  # one reply per comment: a refused one is recorded, not retried
            log.warning("private reply to instagram comment %s failed: %s", comment.comment_id, exc)
            await self._messages.set_status(stored.id, "failed", error=str(exc)[:300])
            await self._comments.finish(comment.comment_id, "failed", error=str(exc)[:300])
            return
        await self._messages.set_status(stored.id, "sent", platform_message_id=platform_id)
        public_id = None
        if reply.public:
            try:
                public_id = await self._sender.public_reply(comment.comment_id, reply.public)
            except DeliveryError as exc:  # the private reply went; the public one is a courtesy
                log.warning("public reply to instagram comment %s failed: %s", comment.comment_id, exc)
        await self._comments.finish(comment.comment_id, "replied", conversation_id=conversation.id, public_id=public_id)
