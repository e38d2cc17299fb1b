"""`/ask` answers in the language of the question (ru / uk / en): the number, one sentence that interprets
it (against the period before, or what leads a split), and the list of what can be asked when the catalogue
has no answer. Labels are "name: value" so no word needs a plural form."""

from __future__ import annotations

from typing import Any, Protocol

from brain.insights import MetricQuery

METRIC_NAMES = {
    "conversations": {"en": "Conversations", "ru": "Диалоги", "uk": "Діалоги"},
    "messages": {"en": "Customer messages", "ru": "Сообщения клиентов", "uk": "Повідомлення клієнтів"},
    "leads": {"en": "New leads", "ru": "Новые лиды", "uk": "Нові ліди"},
    "won": {"en": "Won (became customers)", "ru": "Сделки (стали клиентами)", "uk": "Угоди (стали клієнтами)"},
    "lost": {"en": "Lost leads", "ru": "Потерянные лиды", "uk": "Втрачені ліди"},
    "conversion": {"en": "Conversion to customers", "ru": "Конверсия в клиентов", "uk": "Конверсія в клієнтів"},
    "handed_to_human": {"en": "Handed to a person", "ru": "Переданы менеджеру", "uk": "Передано менеджеру"},
    "ai_resolved": {
        "en": "Resolved by the bot alone",
        "ru": "Решены ботом без людей",
        "uk": "Вирішено ботом без людей",
    },
    "first_response": {
        "en": "First response (median)",
        "ru": "Первый ответ (медиана)",
        "uk": "Перша відповідь (медіана)",
    },
    "resolution": {"en": "Resolution time (median)", "ru": "Время решения (медиана)", "uk": "Час вирішення (медіана)"},
    "csat": {"en": "Satisfaction (CSAT)", "ru": "Удовлетворённость (CSAT)", "uk": "Задоволеність (CSAT)"},
    "knowledge_gaps": {
        "en": "Questions the bot could not answer",
        "ru": "Вопросы без ответа бота",
        "uk": "Питання, на які бот не відповів",
    },
    "top_intents": {"en": "What customers ask about", "ru": "О чём спрашивают клиенты", "uk": "Про що питають клієнти"},
}
TEMPERATURE_NAMES = {
    "hot": {"en": "hot", "ru": "горячие", "uk": "гарячі"},
    "warm": {"en": "warm", "ru": "тёплые", "uk": "теплі"},
    "cold": {"en": "cold", "ru": "холодные", "uk": "холодні"},
}
PERIOD_NAMES = {
    "day": {"en": "last 24 hours", "ru": "за 24 часа", "uk": "за 24 години"},
    "week": {"en": "last 7 days", "ru": "за 7 дней", "uk": "за 7 днів"},
    "month": {"en": "last 30 days", "ru": "за 30 дней", "uk": "за 30 днів"},
}
PHRASES = {
    "more": {
        "en": "That is {delta} more than the period before ({previous}).",
        "ru": "Это на {delta} больше, чем в предыдущий период ({previous}).",
        "uk": "Це на {delta} більше, ніж у попередній період ({previous}).",
    },
    "less": {
        "en": "That is {delta} less than the period before ({previous}).",
        "ru": "Это на {delta} меньше, чем в предыдущий период ({previous}).",
        "uk": "Це на {delta} менше, ніж у попередній період ({previous}).",
    },
    "same": {
        "en": "The same as the period before.",
        "ru": "Столько же, сколько в предыдущий период.",
        "uk": "Стільки ж, скільки в попередній період.",
    },
    "nothing": {
        "en": "No data for this period yet.",
        "ru": "За этот период данных пока нет.",
        "uk": "За цей період даних поки немає.",
    },
    "leader": {
        "en": "Most: {label} ({value}).",
        "ru": "Больше всего: {label} ({value}).",
        "uk": "Найбільше: {label} ({value}).",
    },
    "unanswerable": {
        "en": "I cannot answer that from Closer's data. You can ask about:",
        "ru": "На этот вопрос я не могу ответить по данным Closer. Можно спросить:",
        "uk": "На це питання я не можу відповісти за даними Closer. Можна запитати:",
    },
    "scope": {
        "en": "for the last day, week or month, for one channel, split by channel, day or temperature. "
        "For example: how many hot leads came from Instagram this week?",
        "ru": "за день, неделю или месяц, по одному каналу, с разбивкой по каналам, дням или температуре. "
        "Например: сколько горячих лидов пришло из Instagram на этой неделе?",
        "uk": "за день, тиждень чи місяць, по одному каналу, з розбивкою за каналами, днями чи температурою. "
        "Наприклад: скільки гарячих лідів прийшло з Instagram цього тижня?",
    },
}
UNITS = {
    "s": {"en": "s", "ru": "с", "uk": "с"},
    "min": {"en": "min", "ru": "мин", "uk": "хв"},
    "h": {"en": "h", "ru": "ч", "uk": "год"},
    "of5": {"en": "of 5", "ru": "из 5", "uk": "з 5"},
}
CHANNEL_NAMES = {
    "telegram": "Telegram",
    "instagram": "Instagram",
    "messenger": "Messenger",
    "whatsapp": "WhatsApp",
    "web": "Web chat",
}


class Measured(Protocol):
    """What an executed query gives (storage's InsightResult), as the wording needs it."""

    query: MetricQuery
    value: float | None
    unit: str
    breakdown: dict[str, float]
    previous: float | None
    items: list[dict[str, Any]]


def _pick(table: dict[str, str], language: str) -> str:
    return table.get(language) or table["en"]


def formatted(value: float | None, unit: str, language: str) -> str:
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:g}%"
    if unit == "rating":
        return f"{value:g} {_pick(UNITS['of5'], language)}"
    if unit == "seconds":
        amount, unit_key = duration_parts(value)
        return f"{amount:g} {_pick(UNITS[unit_key], language)}"
    return f"{value:g}"


def duration_parts(seconds: float) -> tuple[float, str]:
    """A duration as a manager reads it: seconds under 90 s, minutes under 90 min, else hours (one decimal)."""
    if seconds < 90:
        return round(seconds), "s"
    if seconds < 5400:
        return round(seconds / 60), "min"
    return round(seconds / 3600, 1), "h"


def title(query: MetricQuery, language: str) -> str:
    name = _pick(METRIC_NAMES[query.metric], language)
    if query.temperature:
        name += f" ({_pick(TEMPERATURE_NAMES[query.temperature], language)})"
    if query.channel:
        name += f", {CHANNEL_NAMES.get(query.channel, query.channel)}"
    return f"{name} — {_pick(PERIOD_NAMES[query.period], language)}"


def answer_text(result: Measured, language: str) -> str:
    query, unit = result.query, result.unit
    lines = [f"{title(query, language)}: {formatted(result.value, unit, language)}"]
    if result.items:
        lines += [f"• {str(item['label'])[:100]} (×{item['count']})" for item in result.items]
    elif result.value is None or (result.value == 0 and not result.previous):
        lines.append(_pick(PHRASES["nothing"], language))
    elif result.previous is not None:
        delta = result.value - result.previous
        kind = "same" if delta == 0 else "more" if delta > 0 else "less"
        lines.append(
            _pick(PHRASES[kind], language).format(
                delta=formatted(abs(delta), unit, language), previous=formatted(result.previous, unit, language)
            )
        )
    if result.breakdown and query.group_by != "day":
        labelled = {group_label(key, language): value for key, value in result.breakdown.items()}
        lines += [f"{label}: {formatted(value, unit, language)}" for label, value in labelled.items()]
        if len(labelled) > 1:
            label, value = next(iter(labelled.items()))
            leader = _pick(PHRASES["leader"], language)
            lines.append(leader.format(label=label, value=formatted(value, unit, language)))
    return "\n".join(lines)


def group_label(key: str, language: str) -> str:
    """A breakdown's key as a manager reads it: a channel's name or a temperature in their language."""
    if key in TEMPERATURE_NAMES:
        return _pick(TEMPERATURE_NAMES[key], language)
    return CHANNEL_NAMES.get(key, key)


def unanswerable_text(language: str) -> str:
    metrics = "; ".join(_pick(METRIC_NAMES[m], language) for m in METRIC_NAMES)
    return f"{_pick(PHRASES['unanswerable'], language)} {metrics} — {_pick(PHRASES['scope'], language)}"
