"""The four stores a turn works with, and the same stores waiting out a short MongoDB outage.

Accepting a message must fail fast (the platform redelivers what was not acknowledged), so `Hub.accept` uses the
stores as they are. A turn has already been acknowledged: each of its reads and writes waits for MongoDB for about
a minute (`channels.storage_retry`), so a blip in the middle of a turn delays its answer instead of losing it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast

from channels.ports import ContactStore, ConversationStore, LeadStore, MessageStore
from channels.storage_retry import with_storage_retries

S = TypeVar("S")


@dataclass(slots=True)
class Stores:
    contacts: ContactStore
    conversations: ConversationStore
    messages: MessageStore
    leads: LeadStore

    def waiting_out_outages(self) -> Stores:
        return Stores(
            waiting_out_outages(self.contacts, "contacts"),
            waiting_out_outages(self.conversations, "conversations"),
            waiting_out_outages(self.messages, "messages"),
            waiting_out_outages(self.leads, "leads"),
        )


class _WaitingOutOutages:
    """Every coroutine method of the store, retried while MongoDB cannot be reached; the rest as it is."""

    def __init__(self, store: object, what: str) -> None:
        self._store = store
        self._what = what

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)  # looked up at each call: a replaced method is the one used
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await with_storage_retries(f"{self._what}.{name}", partial(attribute, *args, **kwargs))

        return call


def waiting_out_outages(store: S, what: str) -> S:
    """`store` whose calls wait out a short MongoDB outage. The turn's writes are `$set`s, compare-and-sets and
    inserts: repeated, the `$set`s change nothing; an insert (or an `$inc`) whose reply was lost on a dropped
    connection can land twice, as without the retry it would have been lost with the turn."""
    return cast(S, _WaitingOutOutages(store, what))
