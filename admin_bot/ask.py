"""`/ask <question>`: a plain-language question about the numbers, answered in its language, with a chart
when the answer is a split."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _

from admin_bot.charts import bars_chart
from channels.insights import Insights

log = logging.getLogger(__name__)


async def on_ask(message: Message, command: CommandObject, insights: Insights) -> None:
    question = (command.args or "").strip()
    if not question:
        await message.answer(_("Ask about the numbers, e.g. /ask how many hot leads came from Instagram this week?"))
        return
    status = await message.answer(_("Counting…"))
    try:
        answer = await insights.ask(question)
    except Exception:  # a database outage: the manager is told, the status does not hang on "Counting…"
        log.exception("/ask failed")
        await status.edit_text(_("I could not count that right now. Please try again in a minute."))
        return
    await status.edit_text(answer.text)
    chart = answer.chart()
    if chart is not None:
        png = await asyncio.to_thread(bars_chart, *chart)
        await message.answer_photo(BufferedInputFile(png, "answer.png"))


def build_router() -> Router:
    router = Router(name="ask")
    router.message.register(on_ask, Command("ask"))
    return router
