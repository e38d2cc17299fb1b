"""Messages accepted but never answered by a replica that is gone (killed mid-turn, or stopped before reaching
them) are adopted by a live one: compare-and-set on the message's worker, so exactly one replica answers each.
A replica's own messages whose turns failed (MongoDB away for longer than a turn waits) are queued again."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from channels.context import Accepted
from channels.hub import Hub
from channels.messages import InboundMessage
from channels.stores import Stores
from storage.records import StoredMessage

log = logging.getLogger(__name__)

ORPHAN_WINDOW = timedelta(hours=24)  # older unanswered messages are past the platforms' reply windows
# A turn waits out about a minute of outage, and a model call can take another: older, and in no turn, it failed.
STUCK_AFTER = timedelta(minutes=3)


async def adopt_orphans(hub: Hub, stores: Stores, alive: list[str], window: timedelta = ORPHAN_WINDOW) -> int:
    """Queue on `hub` the orphans of replicas not in `alive`; returns how many this replica adopted (their
    turns run in the queue like any other)."""
    adopted = 0
    for message in await stores.messages.orphans(alive, datetime.now(UTC) - window):
        accepted = await restored(stores, message)
        if accepted is None:
            continue
        if not await stores.messages.adopt(message, hub.worker):
            continue  # another replica took it first
        hub.requeue(accepted)
        adopted += 1
    return adopted


async def retry_stuck(hub: Hub, stores: Stores, stuck_after: timedelta = STUCK_AFTER) -> int:
    """Queue again this replica's own messages left unanswered by a failed turn (none is queued or running
    here for them); each is tried at most MAX_ADOPTIONS times (counted as adoptions). Its turn answers it, or sets
    it aside when a later message was answered meanwhile. Returns how many were queued."""
    now = datetime.now(UTC)
    retried = 0
    for message in await stores.messages.stuck_of(hub.worker, now - stuck_after, now - ORPHAN_WINDOW):
        if hub.in_hand(message.id) or (accepted := await restored(stores, message)) is None:
            continue
        if await stores.messages.adopt(message, hub.worker):
            hub.requeue(accepted)
            retried += 1
    return retried


async def unanswered(stores: Stores, worker: str, window: timedelta = ORPHAN_WINDOW) -> list[Accepted]:
    """The messages `worker` accepted and nobody answered yet (to queue again when their entries were lost)."""
    found = await stores.messages.unanswered_of(worker, datetime.now(UTC) - window)
    return [accepted for message in found if (accepted := await restored(stores, message)) is not None]


async def restore(stores: Stores, message_id: str) -> Accepted | None:
    """A message accepted by another replica, as its turn needs it; None when it is gone."""
    message = await stores.messages.get(message_id)
    return await restored(stores, message) if message is not None else None


async def restored(stores: Stores, message: StoredMessage) -> Accepted | None:
    conversation = await stores.conversations.get(message.conversation_id)
    contact = await stores.contacts.get(conversation.contact_id) if conversation else None
    if conversation is None or contact is None:
        log.warning("cannot restore message %s: its conversation or contact is gone", message.id)
        return None
    inbound = InboundMessage(
        channel=message.channel,
        channel_user_id=conversation.channel_user_id,
        channel_message_id=message.channel_message_id or message.id,
        text=message.text,
        payload=message.meta.get("payload"),
        referral=message.meta.get("referral"),
    )
    return Accepted(inbound, contact, conversation, message)
