"""The brain as a customer sees it: cached answers, multi-intent, an empty knowledge base, odd LLM output."""

from __future__ import annotations

from brain.types import Turn
from channels.messages import InboundMessage
from tests.conftest import unique_id
from tests.fakes.openai_api import Scripted


async def ask(services, text: str, user: str | None = None):
    return await services.hub.handle(InboundMessage("web", user or f"u-{unique_id()}", unique_id(), text=text))


async def test_repeated_question_is_served_from_cache_until_knowledge_changes(services_factory):
    async with services_factory() as services:
        first = await ask(services, "How long does delivery take to EU countries?")
        second = await ask(services, "how long does delivery take to EU countries")
        assert first.reply.mode == "offline" and second.reply.mode == "cache"
        assert second.replies[0].text == first.replies[0].text
        assert services.brain.cache.hits == 1
        await services.knowledge.ingest_text(
            "en/delivery.md",
            "---\nnamespace: kb\n---\n# Delivery\n\n## Delivery times\n"
            "Delivery to EU countries now takes 3-4 working days.\n",
        )
        third = await ask(services, "How long does delivery take to EU countries?")
        assert third.reply.mode == "offline"
        assert "3-4 working days" in third.replies[0].text


async def test_near_identical_question_hits_the_semantic_cache(services_factory):
    async with services_factory() as services:
        await ask(services, "What is the warranty period for a new machine?")
        again = await ask(services, "What is the warranty period for new machine?")
        assert again.reply.mode == "cache"


async def test_multi_intent_message_reports_both_intents(services):
    turn = Turn(
        text="The grinder arrived broken and how much is delivery to Odesa?", conversation_id="x", channel="web"
    )
    route = await services.brain.route(turn)
    assert {route.category, *route.secondary} >= {"service", "delivery"}
    assert route.urgency == "high"


async def test_language_switch_mid_conversation(services):
    user = f"switch-{unique_id()}"
    english = await ask(services, "What is the warranty?", user)
    ukrainian = await ask(services, "А скільки коштує доставка по Україні?", user)
    assert english.reply.language == "en" and ukrainian.reply.language == "uk"
    assert "Джерело" in ukrainian.replies[0].text


async def test_empty_knowledge_base_offers_a_manager(services_factory, tmp_path):
    empty = tmp_path / "no-docs"
    empty.mkdir()
    async with services_factory(knowledge_seed_dir=empty) as services:
        assert await services.knowledge.is_empty()
        result = await ask(services, "How much does the Office 200 cost?")
        assert result.replies[0].buttons[0].payload == "human"
        assert "don't know" in result.replies[0].text


async def test_empty_llm_completion_falls_back(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push(Scripted(content=""))
    async with services_factory(openai_base_url=base) as services:
        result = await ask(services, "What is the warranty?")
        assert result.reply.mode == "fallback" and "24-month" in result.replies[0].text


async def test_llm_answers_that_depend_on_the_conversation_are_not_cached(services_factory, fake_openai):
    llm, base = fake_openai
    async with services_factory(openai_base_url=base) as services:
        await ask(services, "Which machine suits a café?", "ctx-a")
        first = await ask(services, "And how much is it?", "ctx-a")
        await ask(services, "Which machine suits an office of 10?", "ctx-b")
        second = await ask(services, "And how much is it?", "ctx-b")
        assert first.reply.mode == "llm" and second.reply.mode == "llm"  # each answered in its own context
        assert len(llm.answer_requests()) == 4


async def test_a_two_part_question_gets_a_passage_for_each_part_offline(services):
    english = await ask(services, "How much is the Office 200 and can you deliver to Lviv tomorrow?")
    text = english.replies[0].text
    assert "1,450 EUR" in text and "Nova Poshta" in text  # the price and the delivery times, not one of them
    assert text.count("Source") == 1 and "BrewPoint Office 200" in text.split("Source")[1]
    assert set(english.reply.sources) == {"en/products.md", "en/delivery.md"}
    ukrainian = await ask(services, "Скільки коштує Office 200 і чи доставите у Львів завтра?")
    assert "1 450 EUR" in ukrainian.replies[0].text and "Новою поштою" in ukrainian.replies[0].text
    # A one-part question still gets one passage.
    single = await ask(services, "What is the warranty period?")
    assert single.reply.sources == ["en/service.md"] and single.reply.text.count("\n\n") == 1
