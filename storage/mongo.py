"""MongoDB connection: a real server from MONGODB_URI, or an embedded one on local disk."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

Database = AsyncDatabase[dict[str, Any]]
INBOX_KEPT_S = 7 * 24 * 3600  # how long a handled webhook payload is kept (redeliveries come within hours)


class StorageUnavailable(RuntimeError):
    """A database the service needs cannot be reached; the message says which and why."""


EMBEDDED_NOT_INSTALLED = (
    "MONGODB_URI is not set and the embedded server is not installed: "
    "pip install 'closer[embedded]' or point MONGODB_URI at a MongoDB server"
)


EMBEDDED_IDLE_TIMEOUT_S = 300.0  # SecantusDB closes a connection idle this long (its default)


def embedded_uri_options(idle_timeout_s: float = EMBEDDED_IDLE_TIMEOUT_S) -> str:
    """The driver options for the embedded server.

    It keeps every retryable write's reply for 30 minutes (up to 10,000) and walks them all on each write: at a
    few writes a turn that was a tenth of its CPU. So its clients do not ask for retryable writes. The one
    drop a retry used to hide, a pooled connection the server closed after `idle_timeout_s`, is avoided
    instead: the pool lets a connection go before then. Otherwise a retry only helps when a connection drops
    while the server lives on, which a server on this machine's loopback all but never does (and a restarted
    one has forgotten its replies anyway).
    """
    return f"?retryWrites=false&maxIdleTimeMS={int(idle_timeout_s * 800)}"


class EmbeddedMongo:
    """An in-process MongoDB-compatible server (SecantusDB) storing its data under `path`.

    Only for development and single-box demos: production sets MONGODB_URI to a real MongoDB.
    """

    def __init__(self, path: Path, port: int = 0, idle_timeout_s: float = EMBEDDED_IDLE_TIMEOUT_S) -> None:
        self._path = path
        self._port = port  # 0: any free port
        self._idle_timeout_s = idle_timeout_s
        self._server: Any = None

    def start(self) -> str:
        try:
            from secantus import SecantusDBServer
        except ImportError as exc:
            raise StorageUnavailable(EMBEDDED_NOT_INSTALLED) from exc
        from storage import secantus_fixes

        secantus_fixes.apply()
        self._path.mkdir(parents=True, exist_ok=True)
        self._server = SecantusDBServer(
            storage_path=str(self._path), port=self._port, client_idle_timeout_s=self._idle_timeout_s
        )
        self._server.start()
        log.info("embedded MongoDB-compatible server started on %s", self._server.address)
        return str(self._server.uri) + embedded_uri_options(self._idle_timeout_s)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


async def connect_mongo(
    uri: str, db_name: str, timeout_ms: int, listeners: list[monitoring.CommandListener] | None = None
) -> tuple[AsyncMongoClient[dict[str, Any]], Database]:
    """Connect and ping; a server that does not answer raises StorageUnavailable."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        uri,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        tz_aware=True,
        event_listeners=listeners or [],
    )
    try:
        await client.admin.command("ping")
    except PyMongoError as exc:
        await client.close()
        raise StorageUnavailable(f"MongoDB is unreachable ({type(exc).__name__}): {str(exc)[:200]}") from exc
    return client, client[db_name]


async def ping(db: Database, timeout_s: float = 3.0) -> str:
    """`ok`, or what went wrong, for /readyz."""
    try:
        await asyncio.wait_for(db.command("ping"), timeout=timeout_s)
    except (PyMongoError, TimeoutError) as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


async def ensure_indexes(db: Database) -> None:
    """Create every index the repositories rely on; unique ones enforce dedupe."""
    await db.contacts.create_indexes(
        [IndexModel([("channel", ASCENDING), ("channel_user_id", ASCENDING)], unique=True)]
    )
    await db.conversations.create_indexes(
        [
            IndexModel([("channel", ASCENDING), ("channel_user_id", ASCENDING)], unique=True),
            IndexModel([("owner", ASCENDING), ("updated_at", DESCENDING)]),
            IndexModel([("owner", ASCENDING), ("last_turn_at", ASCENDING)]),  # quiet chats for the CSAT question
        ]
    )
    await db.messages.create_indexes(
        [
            # A platform message id can be stored once per channel and direction: redelivered
            # webhooks and repeated Telegram updates hit DuplicateKeyError instead of a second answer.
            IndexModel(
                [("channel", ASCENDING), ("direction", ASCENDING), ("channel_message_id", ASCENDING)],
                unique=True,
                partialFilterExpression={"channel_message_id": {"$type": "string"}},
                name="unique_platform_message",
            ),
            IndexModel([("conversation_id", ASCENDING), ("created_at", ASCENDING)]),
            IndexModel([("created_at", ASCENDING)]),  # stats and /ask read one period's messages
            IndexModel(
                [("platform_message_id", ASCENDING)],
                partialFilterExpression={"platform_message_id": {"$type": "string"}},
                name="platform_message_id",
            ),
            # The recovery sweep's query: unanswered inbound messages (a few at any time).
            IndexModel(
                [("status", ASCENDING), ("created_at", ASCENDING)],
                partialFilterExpression={"status": "received"},
                name="unanswered",
            ),
        ]
    )
    await db.inbox.create_indexes(
        [
            IndexModel([("source", ASCENDING), ("key", ASCENDING)], unique=True),
            # The sweep's query: pending payloads nobody holds (a few at any time).
            IndexModel(
                [("source", ASCENDING), ("held_at", ASCENDING)],
                partialFilterExpression={"status": "pending"},
                name="pending",
            ),
            # Handled webhook payloads go after a week (long after any redelivery); pending ones have no done_at.
            IndexModel([("done_at", ASCENDING)], expireAfterSeconds=INBOX_KEPT_S, name="handled_expire"),
        ]
    )
    await db.events.create_indexes([IndexModel([("created_at", DESCENDING)])])
    await db.documents.create_indexes([IndexModel([("sha256", ASCENDING)]), IndexModel([("name", ASCENDING)])])
    await db.examples.create_indexes(
        [IndexModel([("conversation_id", ASCENDING), ("status", ASCENDING)]), IndexModel([("status", ASCENDING)])]
    )
