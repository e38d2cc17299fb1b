"""`/stats [day|week|month]`: the key numbers as text, then the charts (rendered in a worker thread)."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, InputMediaPhoto, Message
from aiogram.utils.i18n import gettext

from admin_bot.charts import activity_chart, funnel_chart
from admin_bot.i18n import Translate
from brain.insight_words import duration_parts
from storage.stats import PERIOD_DAYS, StatsReport, StatsRepository


def _duration(seconds: float | None, _: Translate) -> str:
    if seconds is None:
        return "—"
    amount, unit = duration_parts(seconds)
    worded = {"s": _("{n} s"), "min": _("{n} min"), "h": _("{n} h")}[unit]
    return worded.format(n=f"{amount:g}")


def period_name(period: str, _: Translate = gettext) -> str:
    return {"day": _("the last 24 hours"), "week": _("the last 7 days"), "month": _("the last 30 days")}[period]


def stats_text(report: StatsReport, _: Translate = gettext) -> str:
    """The key numbers; `_` is the reader's translation (the handler's context by default)."""
    channels = ", ".join(f"{name} {n}" for name, n in sorted(report.by_channel.items(), key=lambda i: -i[1]))
    funnel, outcomes = report.funnel, report.outcomes
    lines = [
        _("Stats for {period}").format(period=period_name(report.period, _)),
        _("Conversations: {n}").format(n=report.conversations) + (f" ({channels})" if channels else ""),
        _("Messages: {incoming} in, {outgoing} out").format(incoming=report.messages_in, outgoing=report.messages_out),
        _("New leads: {n} · 🔥 {hot} · 🌤 {warm} · ❄️ {cold}").format(
            n=report.new_leads, hot=funnel.get("hot", 0), warm=funnel.get("warm", 0), cold=funnel.get("cold", 0)
        ),
        _("Won {won} · lost {lost}").format(won=outcomes.get("won", 0), lost=outcomes.get("lost", 0)),
        _("Resolved by the bot: {ai} · handed to a person: {human}").format(
            ai=report.ai_resolved, human=report.handed_to_human
        ),
        _("First response p50 {p50}, p95 {p95}").format(
            p50=_duration(report.first_response_s.get("p50"), _),
            p95=_duration(report.first_response_s.get("p95"), _),
        ),
        _("Resolution p50 {p50}, p95 {p95}").format(
            p50=_duration(report.resolution_s.get("p50"), _),
            p95=_duration(report.resolution_s.get("p95"), _),
        ),
    ]
    if report.top_intents:
        top = ", ".join(f"{i['intent']} {i['count']}" for i in report.top_intents)
        lines.append(_("Top intents: {top}").format(top=top))
    if report.knowledge_gaps:
        lines.append(_("Questions the bot could not answer:"))
        lines += [f"• {g['example'][:100]} (×{g['count']})" for g in report.knowledge_gaps]
    csat = report.csat
    if csat.get("responses"):
        lines.append(_("CSAT {average} of 5 ({n} answers)").format(average=csat["average"], n=csat["responses"]))
    return "\n".join(lines)


async def on_stats(message: Message, command: CommandObject, stats: StatsRepository, timezone: str) -> None:
    _ = gettext
    period = (command.args or "week").strip().lower()
    if period not in PERIOD_DAYS:
        await message.answer(_("Usage: /stats [day|week|month]"))
        return
    status = await message.answer(_("Counting…"))
    report = await stats.report(period, timezone)  # type: ignore[arg-type]
    await status.edit_text(stats_text(report))
    if not report.conversations and not report.new_leads:
        return
    labels = {"hot": _("Hot"), "warm": _("Warm"), "cold": _("Cold"), "won": _("Won"), "lost": _("Lost")}
    activity, funnel = await asyncio.gather(
        asyncio.to_thread(activity_chart, report, _("Conversations per day by channel"), _("new leads")),
        asyncio.to_thread(funnel_chart, report, _("Lead funnel"), labels),
    )
    await message.answer_media_group(
        [
            InputMediaPhoto(media=BufferedInputFile(activity, "activity.png")),
            InputMediaPhoto(media=BufferedInputFile(funnel, "funnel.png")),
        ]
    )


def build_router() -> Router:
    router = Router(name="stats")
    router.message.register(on_stats, Command("stats"))
    return router
