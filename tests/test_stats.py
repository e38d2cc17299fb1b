"""Stats checked against conversations the test creates: counts per channel, leads and the funnel, response
times, knowledge gaps; the same numbers in the admin bot's /stats, with real PNG charts."""

from __future__ import annotations

from tests.meta_support import ADMIN, ADMIN_TOKEN, MANAGER, messenger_text, meta_app, post_signed

WEB_QUESTIONS = [
    "What is the warranty period?",
    "How often should I descale the machine?",
    "We want to buy 20 coffee machines for our offices this week, call me at +380501234567",
]
GAP = "Is the grinder burr made of titanium or ceramic?"  # nothing in the example knowledge says


async def test_stats_api_and_admin_stats_count_what_happened(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with meta_app(services_factory, base) as app:
        for i, text in enumerate(WEB_QUESTIONS):
            answer = await app.web.post("/api/v1/chat", json={"session_id": f"stats-web-{i}", "text": text})
            assert answer.json()["replies"]
        for i, text in enumerate(["Do you ship to Lviv?", GAP]):
            await post_signed(app.web, "messenger", messenger_text(f"psid-stats-{i}", f"m_stats_{i}", text))
            await app.graph.wait_for(f"psid-stats-{i}")
        await app.services.hub.drain(10)
        db = app.services.clients.db
        leads = [lead async for lead in db.leads.find({})]

        stats = (await app.web.get("/api/v1/stats", params={"period": "week"})).json()
        assert stats["conversations"] == 5 and stats["by_channel"] == {"web": 3, "messenger": 2}
        assert stats["messages_in"] == 5 and stats["messages_out"] == 5
        assert stats["new_leads"] == len(leads)
        assert sum(stats["funnel"].values()) == len(leads)
        assert stats["funnel"]["hot"] == sum(lead["temperature"] == "hot" for lead in leads) >= 1
        assert stats["ai_resolved"] + stats["handed_to_human"] == 5
        assert 0 <= stats["first_response_s"]["p50"] <= stats["first_response_s"]["p95"] < 60  # a fast bot: 0.0 s
        assert sum(i["count"] for i in stats["top_intents"]) <= 5 and stats["top_intents"]
        assert stats["knowledge_gaps"] == [{"example": GAP, "count": 1}]  # the bot had no answer to it
        day = next(iter(stats["conversations_by_day"].values()))
        assert day == {"web": 3, "messenger": 2}
        assert (await app.web.get("/api/v1/stats", params={"period": "year"})).status_code == 422

        await fake.inject(fake.message_update(MANAGER, "/stats week"), token=ADMIN_TOKEN)
        [album] = await fake.wait_for("sendMediaGroup", chat_id=MANAGER)
        summary = fake.sent(MANAGER, "editMessageText")[-1].params["text"]
        assert "Conversations: 5" in summary and "messenger 2" in summary and "web 3" in summary
        assert f"New leads: {len(leads)}" in summary and GAP in summary
        charts = [fake.files[m["photo"][0]["file_id"]][1] for m in album.result]
        assert len(charts) == 2 and all(
            chart.startswith(b"\x89PNG\r\n\x1a\n") and len(chart) > 5000 for chart in charts
        )

        await fake.inject(fake.message_update(MANAGER, "/stats year"), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("Usage: /stats" in t for t in fake.texts(MANAGER)))


async def test_the_daily_digest_goes_to_the_managers_once_a_day_at_the_hour(services_factory, fake_telegram):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from admin_bot.digest import DailyDigest
    from app.scheduler import Jobs
    from storage.repositories import utcnow

    fake, base = fake_telegram
    now = utcnow()
    hour = now.astimezone(ZoneInfo("Europe/Kyiv")).hour
    async with meta_app(services_factory, base, timezone="Europe/Kyiv", digest_hour=hour) as app:
        await app.web.post("/api/v1/chat", json={"session_id": "digest-web", "text": WEB_QUESTIONS[0]})
        await app.services.hub.drain(10)
        repos, notifier = app.services.repos, app.admin.notifier

        def digest(at_hour: int) -> DailyDigest:
            return DailyDigest(
                notifier.board, repos.stats, repos.meta, repos.conversations, timezone="Europe/Kyiv", hour=at_hour
            )

        if hour < 23:
            assert await digest(hour + 1).run(now) == 0  # not the hour yet
        assert await Jobs(app.services, notifier).send_daily_digest() == 2  # MANAGER and ADMIN (admins manage too)
        [sent] = await fake.wait_for("sendMessage", chat_id=MANAGER)
        await fake.wait_for("sendMessage", chat_id=ADMIN)
        assert sent.params["text"].startswith("☀️ Daily digest\nStats for the last 24 hours\nConversations: 1 (web 1)")
        assert await digest(hour).run(now) == 0  # once a day, whichever replica or restart runs it
        await app.services.clients.db.meta.delete_many({"_id": {"$regex": "^digest:"}})
        assert await Jobs(app.services, None).send_daily_digest() == 0  # no admin bot: no digest

        # Back two hours after the hour (across midnight too): sent late, for the day of that hour.
        assert await digest((hour - 2) % 24).run(now) == 2
        day = (now.astimezone(ZoneInfo("Europe/Kyiv")) - timedelta(hours=2)).strftime("%Y-%m-%d")
        assert await app.services.clients.db.meta.count_documents({"_id": f"digest:{day}"}) == 1
        assert await digest((hour - 7) % 24).run(now) == 0  # more than 6 hours late: skipped
