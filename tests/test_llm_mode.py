"""LLM mode through the scripted OpenAI-compatible server, and the offline fallback when it fails."""

from __future__ import annotations

from app.http import create_app
from brain.types import Turn
from channels.messages import InboundMessage
from tests.conftest import unique_id
from tests.fakes.openai_api import Scripted
from tests.test_llm_tools import route


def inbound(text: str, user: str) -> InboundMessage:
    return InboundMessage("web", user, unique_id(), text=text)


async def test_llm_answers_with_retrieved_knowledge_in_the_prompt(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push(Scripted(content="Офис 200 стоит 1 450 EUR.", prompt_tokens=400, completion_tokens=20))
    async with services_factory(openai_base_url=base) as services:
        result = await services.hub.handle(inbound("Сколько стоит Office 200?", "u-llm-1"))
        assert result.reply is not None and result.reply.mode == "llm"
        assert result.replies[0].text.startswith("Офис 200 стоит 1 450 EUR.")
        system = llm.answer_requests()[0]["messages"][0]["content"]
        assert "Always answer in Russian" in system
        assert "1 450 EUR" in system  # the retrieved passage reached the model
        assert llm.answer_requests()[0]["model"] == "gpt-4.1-mini"
        conversation = await services.clients.db.conversations.find_one({"channel_user_id": "u-llm-1"})
        assert conversation["usage"]["tokens"] == 420


async def test_llm_sees_recent_history(services_factory, fake_openai):
    llm, base = fake_openai
    async with services_factory(openai_base_url=base) as services:
        await services.hub.handle(inbound("Which machine for a café?", "u-llm-2"))
        await services.hub.handle(inbound("And how much is it?", "u-llm-2"))
        second_answer = llm.answer_requests()[1]
        roles = [m["role"] for m in second_answer["messages"]]
        assert roles == ["system", "user", "assistant", "user"]
        assert second_answer["messages"][1]["content"] == "Which machine for a café?"


async def test_llm_server_error_falls_back_to_offline_answer(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push(Scripted(status=500), Scripted(status=500))
    async with services_factory(openai_base_url=base, llm_max_retries=1) as services:
        result = await services.hub.handle(inbound("How much does the Office 200 cost?", "u-llm-3"))
        assert result.reply is not None and result.reply.mode == "fallback"
        assert "1,450 EUR" in result.replies[0].text
        history = await services.repos.messages.recent(result.conversation_id)
        assert [(m.direction, m.status) for m in history] == [("in", "answered"), ("out", "sent")]


async def test_slow_llm_times_out_and_customer_still_gets_an_answer(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push(Scripted(content="too late", delay_s=3))
    async with services_factory(openai_base_url=base, llm_timeout_s=0.5, llm_max_retries=0) as services:
        result = await services.hub.handle(inbound("What is the warranty?", "u-llm-4"))
        assert result.reply is not None and result.reply.mode == "fallback"
        assert "24-month" in result.replies[0].text


async def test_circuit_breaker_stops_calling_a_failing_llm(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push(*[Scripted(status=503)] * 10)
    async with services_factory(openai_base_url=base, llm_max_retries=0) as services:
        for i in range(5):
            turn = Turn(text="What is the warranty?", conversation_id=f"c{i}", channel="web")
            reply = await services.brain.reply(turn)
            assert reply.mode == "fallback" and "24-month" in reply.text
        # Opened after three failures: the last two turns did not reach the answer model. (The offline route
        # was sure of "warranty", so the fast router model was never asked.)
        assert len(llm.answer_requests()) == 3 and len(llm.structured_requests()) == 0


async def test_llm_mode_over_http(services_factory, fake_openai):
    import httpx

    from tests.fakes.servers import serve_app

    _llm, base = fake_openai
    async with (
        services_factory(openai_base_url=base) as services,
        serve_app(create_app(services)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        body = (await http.post("/api/v1/chat", json={"session_id": "h1", "text": "Hi, what is Barista Pro?"})).json()
        assert body["replies"][0]["text"].startswith("LLM answer to: Hi, what is Barista Pro?")


async def test_llm_qualifies_leads_with_structured_output(services_factory, fake_openai):
    llm, base = fake_openai
    judgement = {
        "temperature": "hot",
        "score": 88,
        "reasons": ['asks for an invoice: "send the invoice"'],
        "fields": {
            "need": "office coffee",
            "budget": None,
            "timeline": "next week",
            "decision_maker": None,
            "product_interest": "Office 200",
            "quantity": "2",
        },
    }
    llm.push_structured(route("purchase"), Scripted(json_body=judgement, schema="lead_judgement"))
    async with services_factory(openai_base_url=base) as services:
        result = await services.hub.handle(
            inbound("Two Office 200 next week please, send the invoice to +380671234567", "u-llm-lead")
        )
        lead = await services.repos.leads.by_conversation(result.conversation_id)
        assert lead is not None and lead.temperature == "hot" and lead.score == 88
        # The temperature is the model's; the fields are values read from the customer's words.
        assert lead.fields["quantity"] == [{"amount": 2, "up_to": None, "unit": "machines"}]
        assert lead.fields["timeline"]["text"] == "next week" and lead.fields["timeline"]["date"]
        assert lead.fields["product_interest"] == ["Office 200"]
        assert lead.fields["contact"]["phone"] == "+380671234567"
        [call] = [
            r for r in llm.structured_requests() if r["response_format"]["json_schema"]["name"] == "lead_judgement"
        ]
        assert call["model"] == "gpt-4.1-nano"  # the fast model
        assert call["response_format"]["json_schema"]["name"] == "lead_judgement"
        assert "HOT: Ready to buy or rent soon" in call["messages"][0]["content"]


async def test_invalid_llm_judgement_falls_back_to_offline_qualifier(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push_structured(route("purchase"), Scripted(content='{"temperature": "boiling"', schema="lead_judgement"))
    async with services_factory(openai_base_url=base) as services:
        result = await services.hub.handle(inbound("We want to order two machines, send an invoice today", "u-llm-bad"))
        lead = await services.repos.leads.by_conversation(result.conversation_id)
        assert lead is not None and lead.temperature == "hot"  # the offline rules decided
        assert any("commitment" in reason for reason in lead.reasons)


async def test_manager_corrections_become_few_shot_examples(services_factory, fake_openai):
    llm, base = fake_openai
    async with services_factory(openai_base_url=base) as services:
        await services.brain.qualifier.learn(["we are just comparing prices"], ["cold"])
        await services.brain.qualifier.assess(["how much for two machines?"])
        prompt = llm.structured_requests()[-1]["messages"][0]["content"]
        assert '"we are just comparing prices" -> cold' in prompt


async def test_long_chat_keeps_a_rolling_summary_of_earlier_turns(services_factory, fake_openai):
    llm, base = fake_openai
    async with services_factory(openai_base_url=base) as services:
        await services.hub.handle(inbound("Our café in Lviv opens in March, we need a machine", "u-long"))
        questions = [
            "How much is the Barista Pro?",
            "Is installation included?",
            "How long is delivery to Lviv?",
            "What is the warranty?",
            "How often to descale?",
            "Can we pay in instalments?",
            "Do you train baristas?",
            "Which grinder goes with it?",
        ]
        for question in questions:  # all different, so none is served from the answer cache
            await services.hub.handle(inbound(question, "u-long"))
        last = llm.answer_requests()[-1]["messages"]
        system = last[0]["content"]
        assert "Earlier in this conversation the customer said: Our café in Lviv opens in March" in system
        assert len(last) == 1 + 12 + 1  # system prompt, the 12 most recent turns, the new message


async def test_with_a_model_many_customers_wait_on_it_at_once_not_32(services_factory, fake_openai):
    """Turns waiting on a model hold no CPU: 80 customers at once are all at the model together (offline,
    where turns are CPU-bound, 32 run at once)."""
    import asyncio

    llm, base = fake_openai
    llm.call_s = 1.5  # longer than accepting and embedding 80 messages takes on a slow machine (~35 ms each)
    async with services_factory(openai_base_url=base, llm_max_retries=0) as services:
        services.brain.cache = None
        questions = [inbound(f"What is the warranty on machine number {i}?", f"u-many-{i}") for i in range(80)]
        results = await asyncio.gather(*(services.hub.handle(q) for q in questions))
        assert all(r.reply is not None and r.reply.mode == "llm" for r in results)
        assert llm.peak_in_flight > 32
