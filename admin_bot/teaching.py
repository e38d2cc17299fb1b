"""Managers teach the bot with their own answers: pairs captured during a takeover, reviewed on hand-back."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from admin_bot.callbacks import ReviewAnswer
from brain.knowledge.base import KnowledgeBase
from brain.language import detect_language
from brain.learning import LearnedAnswers
from storage.messages import MessageRepository

log = logging.getLogger(__name__)

MIN_QUESTION_WORDS = 3  # "ok", "thanks", "and when?" depend on the chat around them; not worth teaching
LOOKBACK = 10
MAX_CARDS = 5


async def propose_example(
    learned: LearnedAnswers, messages: MessageRepository, conversation_id: str, answer: str, manager_id: int
) -> None:
    """Pair what a manager just sent with the customer's latest question in that chat (kept pending)."""
    if not answer.strip():
        return
    recent = await messages.recent(conversation_id, limit=LOOKBACK)
    question = next((m.text for m in reversed(recent) if m.direction == "in" and m.text.strip()), None)
    if question is None or len(question.split()) < MIN_QUESTION_WORDS:
        return
    await learned.repository.propose(conversation_id, question, answer, detect_language(question), manager_id)


async def offer_examples(message: Message, learned: LearnedAnswers, conversation_id: str) -> None:
    """After a hand-back: one card per answer the manager gave, to keep for the bot or skip."""
    pending = await learned.repository.pending_for(conversation_id)
    for example in pending[:MAX_CARDS]:
        await message.answer(
            _("📚 Teach the bot this answer?\n\nCustomer: {question}\n\nYou: {answer}").format(
                question=example.question[:600], answer=example.answer[:1500]
            ),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("✅ Use this answer"),
                            callback_data=ReviewAnswer(verdict="ok", example_id=example.id).pack(),
                        ),
                        InlineKeyboardButton(
                            text=_("✖ Skip"), callback_data=ReviewAnswer(verdict="no", example_id=example.id).pack()
                        ),
                    ]
                ]
            ),
        )


async def on_review(
    query: CallbackQuery, callback_data: ReviewAnswer, learned: LearnedAnswers, knowledge: KnowledgeBase
) -> None:
    approved = callback_data.verdict == "ok"
    example_id = callback_data.example_id
    reviewed = await learned.review(example_id, approved, query.from_user.id, await knowledge.version())
    if reviewed is None:
        await query.answer(_("Already reviewed."), show_alert=True)
        return
    log.info("example %s %s by manager %s", example_id, reviewed.status, query.from_user.id)
    await query.answer(_("Learned.") if approved else _("Skipped."))
    if isinstance(query.message, Message):
        if approved:
            note = _("✅ Learned: the bot will give your answer when this question comes again.")
        else:
            note = _("✖ Skipped.")
        await query.message.edit_text(f"{query.message.text or ''}\n\n{note}", reply_markup=None)


def build_router() -> Router:
    router = Router(name="admin-teaching")
    router.callback_query.register(on_review, ReviewAnswer.filter())
    return router
