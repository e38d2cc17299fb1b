"""Learning from managers: an answer given during a takeover, approved in the admin bot, is what the bot says
next time (offline), and what the LLM sees as an example; a knowledge change retires the direct answer."""

from __future__ import annotations

from tests.fakes.openai_api import Scripted
from tests.test_llm_tools import route, say
from tests.test_sales_loop import ADMIN_TOKEN, CUSTOMER_TOKEN, MANAGER_A, bots, loop_settings, make_hot

QUESTION = "Можно ли оплатить аренду криптовалютой USDT?"
ANSWER = "Да, принимаем USDT (сеть TRC20) по счёту; курс фиксируем в день оплаты."


async def approve(services, question: str, answer: str, language: str = "ru", reviewer: int = 1) -> str:
    proposed = await services.learned.repository.propose("conv-x", question, answer, language, reviewer)
    reviewed = await services.learned.review(proposed.id, True, reviewer, await services.knowledge.version())
    assert reviewed is not None and reviewed.status == "approved"
    return proposed.id


async def test_manager_answer_taught_in_the_admin_bot_is_served_to_the_next_customer(services_factory, fake_telegram):
    fake, base = fake_telegram
    buyer, next_buyer = 7101, 7102
    async with services_factory(**loop_settings(base)) as services, bots(services):
        take = await make_hot(fake, buyer)
        await fake.inject(fake.callback_update(MANAGER_A, take), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("You now handle" in t for t in fake.texts(MANAGER_A)))
        await fake.inject(fake.message_update(buyer, QUESTION, language="ru"), token=CUSTOMER_TOKEN)
        await fake.wait_until(lambda: any(QUESTION in t for t in fake.texts(MANAGER_A)))
        # Two messages from the manager make one answer.
        first, second = ANSWER.split("; ")
        await fake.inject(fake.message_update(MANAGER_A, first), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: fake.texts(MANAGER_A).count("✓ Sent to the customer.") == 1)
        await fake.inject(fake.message_update(MANAGER_A, second), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: fake.texts(MANAGER_A).count("✓ Sent to the customer.") == 2)

        await fake.inject(fake.callback_update(MANAGER_A, take.replace("take:", "release:")), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("Teach the bot" in t for t in fake.texts(MANAGER_A)))
        [card] = [c for c in fake.sent(MANAGER_A) if "Teach the bot" in c.params["text"]]
        assert QUESTION in card.params["text"] and first in card.params["text"] and second in card.params["text"]
        approve_data = card.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await fake.inject(fake.callback_update(MANAGER_A, approve_data), token=ADMIN_TOKEN)
        # The teaching card is edited to say so (the lead card's own edits are other messages).
        await fake.wait_until(
            lambda: any("Learned" in c.params["text"] for c in fake.sent(MANAGER_A, "editMessageText"))
        )
        # A second tap (another manager, a double click) changes nothing.
        await fake.inject(fake.callback_update(MANAGER_A, approve_data), token=ADMIN_TOKEN)
        answers = await fake.wait_for("answerCallbackQuery", count=4)  # take, release, approve, again
        assert answers[-1].params.get("text") == "Already reviewed."

        await fake.inject(fake.message_update(next_buyer, QUESTION, language="ru"), token=CUSTOMER_TOKEN)
        [reply] = await fake.wait_for("sendMessage", chat_id=next_buyer)
        assert reply.params["text"].startswith(f"{first}\n{second}")  # (a qualifying question may follow)


async def test_skipped_answers_are_never_served_and_short_replies_are_not_proposed(services_factory):
    async with services_factory() as services:
        proposed = await services.learned.repository.propose("conv-y", QUESTION, ANSWER, "ru", 5)
        assert await services.learned.review(proposed.id, False, 5, 1) is not None
        result = await say(services, "learn-skip", QUESTION)
        assert result.reply.mode != "learned" and ANSWER not in result.reply.text
        assert await services.learned.review("not-an-id", True, 5, 1) is None


async def test_a_knowledge_change_retires_the_direct_answer(services_factory):
    async with services_factory() as services:
        await approve(services, QUESTION, ANSWER)
        assert (await say(services, "learn-v1", QUESTION)).reply.text == ANSWER
        # The same question in other words is close enough; an unrelated one is not.
        assert (await say(services, "learn-v2", "можно ли оплатить аренду криптовалютой usdt")).reply.mode == "learned"
        assert (await say(services, "learn-v3", "Сколько идёт доставка во Львов?")).reply.mode != "learned"

        await services.knowledge.ingest_text("payments.md", "# Оплата\n\nБанковский перевод или карта.")
        after = await say(services, "learn-v4", QUESTION)
        assert after.reply.mode != "learned"


async def test_llm_sees_approved_answers_as_examples_and_may_repeat_their_facts(services_factory, fake_openai):
    llm, base = fake_openai
    async with services_factory(openai_base_url=base) as services:
        await approve(services, "Do you accept USDT for a rental?", "Yes, USDT on TRC20 against an invoice.", "en")
        await services.knowledge.ingest_text("rental.md", "# Rental\n\nRental plans start at 49 EUR per month.")
        llm.push_structured(route("pricing"))
        llm.push(Scripted(content="Yes: we take USDT on TRC20 against an invoice, and rental starts at 49 EUR."))
        result = await say(services, "learn-llm", "Can I pay for the rental with USDT crypto?")
        system = llm.answer_requests()[-1]["messages"][0]["content"]
        assert "APPROVED ANSWERS" in system and "USDT on TRC20 against an invoice" in system
        # The guard treats an approved answer as evidence: the reply is not replaced by a safe one.
        assert result.reply.mode == "llm" and result.reply.guard is None
        assert "TRC20" in result.replies[0].text
