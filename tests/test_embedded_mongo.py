"""The embedded MongoDB-compatible server, in process so its storage engine can be watched."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import AsyncMongoClient, ReturnDocument

from storage.mongo import EmbeddedMongo


@pytest.fixture
async def embedded(tmp_path):
    server = EmbeddedMongo(tmp_path / "mongo")
    uri = server.start()
    client: AsyncMongoClient = AsyncMongoClient(uri)
    try:
        yield server, client.closer
    finally:
        await client.close()
        server.stop()


@pytest.fixture
def scans(monkeypatch):
    """Every full scan of a collection the server's write and read paths make, by collection name."""
    from secantus.storage import Storage

    seen: list[str] = []
    scan = Storage._scan_docs

    def counting(self, db, coll):
        seen.append(coll)
        return scan(self, db, coll)

    monkeypatch.setattr(Storage, "_scan_docs", counting)
    return seen


async def test_an_upsert_of_a_known_customer_does_not_read_every_customer(embedded, scans):
    _, db = embedded
    await db.contacts.create_index([("channel", 1), ("channel_user_id", 1)], unique=True)
    await db.contacts.insert_many([{"channel": "web", "channel_user_id": f"c{n}"} for n in range(2000)])
    scans.clear()

    doc = await db.contacts.find_one_and_update(
        {"channel": "web", "channel_user_id": "c1234"},
        {"$set": {"name": "Olena"}, "$setOnInsert": {"created_at": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )

    assert doc["name"] == "Olena" and "created_at" not in doc  # found, not inserted again
    assert scans == []  # the write found its document through `_id`, not by walking 2,000 others
    assert await db.contacts.count_documents({"name": "Olena"}) == 1


async def test_an_id_lookup_with_more_conditions_still_applies_all_of_them(embedded, scans):
    _, db = embedded
    inserted = await db.leads.insert_one({"alerts": 1, "status": "open"})
    lead_id = inserted.inserted_id

    stale = await db.leads.update_one({"_id": lead_id, "$and": [{"alerts": 0}]}, {"$inc": {"alerts": 1}})
    fresh = await db.leads.update_one({"_id": lead_id, "$and": [{"alerts": 1}]}, {"$inc": {"alerts": 1}})
    closed = await db.leads.find_one_and_update(
        {"_id": lead_id, "$or": [{"status": "won"}, {"status": "lost"}]}, {"$set": {"status": "open"}}
    )
    found = await db.leads.find_one({"_id": lead_id, "$and": [{"status": "open"}]})

    assert (stale.modified_count, fresh.modified_count, closed) == (0, 1, None)
    assert found is not None and found["alerts"] == 2
    assert scans == []


async def test_writes_to_the_embedded_server_leave_no_retry_records_behind(embedded):
    server, db = embedded
    for n in range(20):
        await db.events.insert_one({"n": n})
        await db.events.update_one({"n": n}, {"$set": {"seen": True}})

    assert await db.events.count_documents({"seen": True}) == 20
    # Each record would be walked on every later write (up to 10,000 of them, for 30 minutes).
    assert server._server.transactions._retryable == {}


async def test_a_write_after_the_server_closed_an_idle_connection_goes_through(tmp_path):
    server = EmbeddedMongo(tmp_path / "mongo", idle_timeout_s=1.0)  # the real server's is 300 s
    client: AsyncMongoClient = AsyncMongoClient(server.start())
    try:
        await client.closer.events.insert_one({"n": 1})
        await asyncio.sleep(1.5)  # the server has closed the pooled connection by now
        await client.closer.events.insert_one({"n": 2})  # not retried: it must not go out on that connection
        assert await client.closer.events.count_documents({}) == 2
    finally:
        await client.close()
        server.stop()
