"""Qualification questions: asked naturally, one at a time, only when useful, never as an interrogation."""

from __future__ import annotations

from channels.messages import InboundMessage
from tests.conftest import unique_id
from tests.test_telegram_bot import TOKEN, bot_settings, running_bot

NEED_QUESTION = "Where will the machine work"
CONTACT_QUESTION = "best phone number or e-mail"


async def say(services, user: str, text: str):
    return await services.hub.handle(InboundMessage("web", user, unique_id(), text=text))


async def test_interested_buyer_is_asked_one_question_at_a_time(services):
    user = f"q-{unique_id()}"
    first = await say(services, user, "How much does the Office 200 cost?")
    assert "1,450 EUR" in first.replies[0].text and NEED_QUESTION in first.replies[0].text
    second = await say(services, user, "And what is the rental price of the Barista Pro?")
    third = await say(services, user, "Is installation included?")
    assert NEED_QUESTION not in second.replies[0].text and NEED_QUESTION not in third.replies[0].text
    assert "?" not in second.replies[0].text.split("\n\n")[-1]  # no question piled on in between


async def test_browsers_and_support_questions_are_not_interrogated(services):
    for text in ("Hi", "My machine is leaking water", "What are your working hours?"):
        result = await say(services, f"q-{unique_id()}", text)
        for question in (NEED_QUESTION, CONTACT_QUESTION):
            assert question not in result.replies[0].text


async def test_hot_lead_in_telegram_gets_a_share_phone_button_and_the_contact_is_stored(
    services_factory, fake_telegram
):
    fake, base = fake_telegram
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        await fake.inject(fake.message_update(801, "We want to order two Office 200 next week, send an invoice"))
        [reply] = await fake.wait_for("sendMessage", chat_id=801)
        assert CONTACT_QUESTION in reply.params["text"]
        keyboard = reply.params["reply_markup"]["keyboard"]
        assert keyboard[0][0] == {"text": "Share my phone number", "request_contact": True}
        contact = {"contact": {"phone_number": "+380671112233", "first_name": "Olena", "user_id": 801}}
        await fake.inject(fake.message_update(801, None, extra=contact))
        thanks = (await fake.wait_for("sendMessage", count=2, chat_id=801))[-1]
        assert thanks.params["text"].startswith("Thank you! A manager will contact you")
        stored = await services.clients.db.contacts.find_one({"channel": "telegram", "channel_user_id": "801"})
        assert stored["phone"] == "+380671112233"
        lead = await services.clients.db.leads.find_one({"contact_id": str(stored["_id"])})
        assert lead["fields"]["contact"]["phone"] == "+380671112233"
        assert TOKEN  # the customer bot answered through the local Bot API server
