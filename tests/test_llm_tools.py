"""LLM mode: the structured router, the support agent's tools, and confirmation before acting."""

from __future__ import annotations

from channels.messages import InboundMessage
from tests.conftest import unique_id
from tests.fakes.openai_api import Scripted


def route(intent: str, secondary: list[str] | None = None, **extra) -> Scripted:
    body = {
        "intent": intent,
        "secondary": secondary or [],
        "urgency": "normal",
        "audience": "buyer",
        "wants_human": False,
        "language": "en",
        **extra,
    }
    return Scripted(json_body=body, schema="route")


async def say(services, user: str, text: str = "", payload: str | None = None):
    return await services.hub.handle(InboundMessage("web", user, unique_id(), text=text, payload=payload))


async def test_llm_router_decides_when_the_offline_route_is_unsure(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push_structured(route("service", ["pricing"], urgency="high"))
    async with services_factory(openai_base_url=base) as services:
        # Out of context, the offline router cannot tell what "the second one" is: the fast model routes.
        result = await say(services, "r1", "What about the second one?")
        assert result.reply.intent == "service" and result.reply.secondary == ["pricing"]
        assert result.reply.urgency == "high"
        [router_call] = [r for r in llm.structured_requests() if r["response_format"]["json_schema"]["name"] == "route"]
        assert router_call["model"] == "gpt-4.1-nano"


async def test_a_sure_offline_route_leaves_one_model_call_before_the_reply(services_factory, fake_openai):
    llm, base = fake_openai
    async with services_factory(openai_base_url=base) as services:
        result = await say(services, "r1b", "How much does the Office 200 cost?")
        assert result.reply.intent == "pricing" and result.reply.mode == "llm"
        names = [r["response_format"]["json_schema"]["name"] for r in llm.structured_requests()]
        assert "route" not in names and len(llm.answer_requests()) == 1
        # The lead was judged by the model too, but after the reply had left.
        assert names == ["lead_judgement"]
        answer_at, judged_at = (llm.requests.index(r) for r in (llm.answer_requests()[0], llm.structured_requests()[0]))
        assert answer_at < judged_at


async def test_invalid_router_json_falls_back_to_offline_route(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push_structured(Scripted(content="{not json"))
    async with services_factory(openai_base_url=base) as services:
        result = await say(services, "r2", "What is the warranty period?")
        assert result.reply.intent == "service" and result.reply.mode == "llm"


async def test_tool_call_with_bad_arguments_is_corrected_by_the_model(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push_structured(route("service"))
    llm.push(
        Scripted(tool_calls=[("search_knowledge", '{"query": ""}'), ("no_such_tool", {})]),  # both rejected
        Scripted(tool_calls=[("search_knowledge", {"query": "descaling interval", "namespace": "kb"})]),
        Scripted(content="Descale every 3 months, or monthly with hard water."),
    )
    async with services_factory(openai_base_url=base) as services:
        result = await say(services, "t1", "How often should I descale?")
        assert result.replies[0].text.startswith("Descale every 3 months")
        answers = llm.answer_requests()
        tool_results = [m["content"] for m in answers[1]["messages"] if m["role"] == "tool"]
        assert tool_results[0].startswith("error: invalid arguments") and "unknown tool" in tool_results[1]
        assert any("every 3 months" in m["content"] for m in answers[2]["messages"] if m["role"] == "tool")
        assert result.reply.usage.llm_calls == 3


async def test_callback_waits_for_the_customers_yes(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push_structured(route("service"))
    llm.push(
        Scripted(tool_calls=[("request_callback", {"phone": "+380 67 123 45 67", "when": "tomorrow at 10"})]),
        Scripted(content="I can arrange a call at +380 67 123 45 67 tomorrow at 10. Please confirm."),
    )
    async with services_factory(openai_base_url=base) as services:
        user = f"cb-{unique_id()}"
        asked = await say(services, user, "Leaking machine; can a technician phone +380 67 123 45 67 tomorrow at 10?")
        yes, no = asked.replies[0].buttons
        assert yes.payload.startswith("confirm:") and no.payload.startswith("cancel:")
        conversation = await services.repos.conversations.get(asked.conversation_id)
        assert conversation.owner == "ai"  # nothing happened yet
        done = await say(services, user, yes.title, payload=yes.payload)
        assert "+380 67 123 45 67" in done.replies[0].text and "tomorrow at 10" in done.replies[0].text
        conversation = await services.repos.conversations.get(asked.conversation_id)
        assert conversation.owner == "pending_human"
        again = await say(services, user, yes.title, payload=yes.payload)
        assert "expired" in again.replies[0].text  # a confirmation acts once


async def test_llm_tool_escalation_hands_the_chat_to_a_human(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push_structured(route("service"))
    llm.push(
        Scripted(tool_calls=[("escalate", {"reason": "customer is very upset about a repair"})]),
        Scripted(content="I've asked a manager to join."),
    )
    async with services_factory(openai_base_url=base) as services:
        result = await say(services, "e1", "Third time the repair failed, I need someone senior")
        conversation = await services.repos.conversations.get(result.conversation_id)
        assert conversation.owner == "pending_human"


async def test_agent_notes_the_lead_and_asks_for_contacts_with_a_button(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push_structured(route("pricing"))
    llm.push(
        Scripted(tool_calls=[("update_lead", {"quantity": "  "}), ("update_lead", {"colour": "red"})]),
        Scripted(
            tool_calls=[
                ("update_lead", {"product_interest": "Office 200", "quantity": "3 machines", "timeline": "May"}),
                ("request_contact", {"reason": "to send the offer"}),
            ]
        ),
        Scripted(content="Three Office 200 for May: I'll prepare an offer. What number or email should we use?"),
    )
    async with services_factory(openai_base_url=base) as services:
        result = await say(services, "lead-tool", "We need three Office 200 for our offices by May, what's the price?")
        answers = llm.answer_requests()
        errors = [m["content"] for m in answers[1]["messages"] if m["role"] == "tool"]
        assert errors[0].startswith("error: give at least one") and errors[1].startswith("error: invalid arguments")
        lead = await services.repos.leads.by_conversation(result.conversation_id)
        assert lead.fields["product_interest"] == "Office 200" and lead.fields["quantity"] == "3 machines"
        assert lead.fields["timeline"] == "May"
        outbound = result.replies[0]
        assert outbound.contact_request and outbound.text.endswith("What number or email should we use?")
