"""Time to render `/stats week` (the aggregations, the text and both PNG charts) and to answer `/ask`
questions over a seeded database: 10,000 conversations and 100,000 messages by default, spread over 30 days
and five channels, with leads, handovers, CSAT answers and knowledge gaps.

python -m bench.stats_render [--conversations 10000] [--messages 100000] [--json bench/results/stats.json]
Uses the embedded MongoDB-compatible server (or MONGODB_URI when set), in a database it drops afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bson import ObjectId

from bench.report import report

CHANNELS = ["telegram", "instagram", "messenger", "whatsapp", "web"]
INTENTS = ["pricing", "delivery", "warranty", "rental", "partners", "service"]
QUESTIONS = [
    "сколько горячих лидов пришло из Instagram на этой неделе?",
    "конверсия за месяц по каналам",
    "How fast did we answer this week?",
    "скільки діалогів передали менеджеру по днях",
]


def _documents(conversations: int, messages: int, now) -> dict[str, list[dict]]:
    rng = random.Random(7)
    docs: dict[str, list[dict]] = {"conversations": [], "messages": [], "leads": [], "events": []}
    per_conversation = max(2, messages // conversations)
    for _ in range(conversations):
        cid = ObjectId()
        channel = rng.choice(CHANNELS)
        started = now - timedelta(days=rng.uniform(0, 30))
        docs["conversations"].append(
            {
                "_id": cid,
                "contact_id": str(ObjectId()),
                "channel": channel,
                "channel_user_id": str(cid),
                "owner": "ai",
                "created_at": started,
            }
        )
        at = started
        for turn in range(per_conversation):
            direction = "in" if turn % 2 == 0 else "out"
            at += timedelta(seconds=rng.uniform(1, 120))
            message = {
                "conversation_id": str(cid),
                "channel": channel,
                "direction": direction,
                "text": f"m{turn}",
                "status": "answered",
                "created_at": at,
            }
            if direction == "in":
                message["intent"] = rng.choice(INTENTS)
                if rng.random() < 0.03:
                    message |= {"gap": True, "text": rng.choice(["titanium burr?", "ceramic burr?", "milk foam?"])}
            docs["messages"].append(message)
        if rng.random() < 0.3:
            temperature = rng.choice(["hot", "warm", "warm", "cold"])
            status = rng.choice(["open", "open", "won", "lost"])
            lead = {
                "conversation_id": str(cid),
                "channel": channel,
                "temperature": temperature,
                "score": 50,
                "status": status,
                "created_at": started,
                "updated_at": at,
                "alerts": 0,
            }
            if status != "open":
                lead["closed_at"] = at
            docs["leads"].append(lead)
        if rng.random() < 0.1:
            docs["events"].append({"kind": "conversation.escalated", "conversation_id": str(cid), "created_at": at})
        if rng.random() < 0.05:
            docs["messages"].append(
                {
                    "conversation_id": str(cid),
                    "channel": channel,
                    "direction": "in",
                    "text": "4",
                    "intent": "csat",
                    "rating": rng.randint(1, 5),
                    "created_at": at,
                }
            )
    return docs


async def run(conversations: int, messages: int, repeats: int) -> dict:
    from admin_bot.charts import activity_chart, funnel_chart
    from admin_bot.stats import stats_text
    from brain.insights import InsightMapper
    from channels.insights import Insights
    from storage.embedded_mongo import EmbeddedMongoProcess
    from storage.insights import InsightQueries
    from storage.mongo import EmbeddedMongo, connect_mongo, ensure_indexes
    from storage.repositories import utcnow
    from storage.stats import StatsRepository

    with tempfile.TemporaryDirectory() as folder:
        embedded = None
        uri = os.environ.get("MONGODB_URI")
        if not uri:
            server_type = EmbeddedMongoProcess if EmbeddedMongoProcess.supported() else EmbeddedMongo
            embedded = server_type(Path(folder) / "mongo")
            uri = embedded.start()
        client, db = await connect_mongo(uri, "closer_bench_stats", 10000)
        try:
            await ensure_indexes(db)
            now = utcnow()
            started = time.perf_counter()
            for name, rows in _documents(conversations, messages, now).items():
                for i in range(0, len(rows), 5000):
                    await getattr(db, name).insert_many(rows[i : i + 5000], ordered=False)
            seed_s = time.perf_counter() - started
            stored = await db.messages.estimated_document_count()
            stats = StatsRepository(db)
            query_s, text_s, charts_s = [], [], []
            for _ in range(repeats):
                t0 = time.perf_counter()
                week = await stats.report("week", "Europe/Kyiv", now)
                t1 = time.perf_counter()
                stats_text(week, lambda text: text)
                t2 = time.perf_counter()
                labels = {"hot": "Hot", "warm": "Warm", "cold": "Cold", "won": "Won", "lost": "Lost"}
                await asyncio.gather(
                    asyncio.to_thread(activity_chart, week, "Conversations per day by channel", "new leads"),
                    asyncio.to_thread(funnel_chart, week, "Lead funnel", labels),
                )
                t3 = time.perf_counter()
                query_s.append(t1 - t0)
                text_s.append(t2 - t1)
                charts_s.append(t3 - t2)
            insights = Insights(InsightMapper(), InsightQueries(db), "Europe/Kyiv")
            ask_s = {}
            for question in QUESTIONS:
                t0 = time.perf_counter()
                await insights.ask(question)
                ask_s[question] = round(time.perf_counter() - t0, 3)
            return {
                "conversations": conversations,
                "messages": stored,
                "week_conversations": week.conversations,
                "seed_s": round(seed_s, 1),
                "stats_week_query_s_median": round(statistics.median(query_s), 3),
                "stats_week_text_s_median": round(statistics.median(text_s), 4),
                "stats_week_charts_s_median": round(statistics.median(charts_s), 3),
                "stats_week_total_s_median": round(
                    statistics.median(map(sum, zip(query_s, text_s, charts_s, strict=True))), 3
                ),
                "ask_s": ask_s,
                "repeats": repeats,
            }
        finally:
            await client.drop_database("closer_bench_stats")
            await client.close()
            if embedded is not None:
                embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("bench/results/stats.json"))
    args = parser.parse_args()
    results = asyncio.run(run(args.conversations, args.messages, args.repeats))
    rows = [
        ("conversations / messages seeded", f"{results['conversations']} / {results['messages']}"),
        ("conversations in the last week", str(results["week_conversations"])),
        ("/stats week: aggregations (median)", f"{results['stats_week_query_s_median']} s"),
        ("/stats week: text", f"{results['stats_week_text_s_median']} s"),
        ("/stats week: two PNG charts", f"{results['stats_week_charts_s_median']} s"),
        ("/stats week: total", f"{results['stats_week_total_s_median']} s"),
        *((f"/ask {q[:40]}", f"{s} s") for q, s in results["ask_s"].items()),
    ]
    report(rows, results, args.json)


if __name__ == "__main__":
    main()
