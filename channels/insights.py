"""`/ask` end to end: the question's language, its reading onto the metric catalogue, the product's own
read-only query, and the answer in that language (or what can be asked instead)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from brain.insight_words import answer_text, group_label, title, unanswerable_text
from brain.insights import InsightMapper, MetricQuery
from brain.language import detect_language
from storage.insights import InsightQueries, InsightResult

LANGUAGES = ("en", "ru", "uk")
MAX_QUESTION_CHARS = 500


@dataclass(slots=True)
class InsightAnswer:
    question: str
    language: str
    text: str
    query: MetricQuery | None = None
    result: InsightResult | None = None

    @property
    def answered(self) -> bool:
        return self.query is not None

    def chart(self) -> tuple[str, dict[str, float]] | None:
        """A bar chart's title and bars, when the answer is a split (by channel, day or temperature)."""
        if self.result is None or len(self.result.breakdown) < 2 or self.query is None:
            return None
        bars = {group_label(key, self.language): value for key, value in self.result.breakdown.items()}
        return title(self.query, self.language), bars

    def to_dict(self) -> dict[str, Any]:
        result = self.result
        return {
            "question": self.question,
            "language": self.language,
            "answered": self.answered,
            "text": self.text,
            "query": self.query.to_dict() if self.query else None,
            "value": result.value if result else None,
            "unit": result.unit if result else None,
            "previous": result.previous if result else None,
            "breakdown": result.breakdown if result else {},
            "items": result.items if result else [],
            "since": result.since.isoformat() if result else None,
            "until": result.until.isoformat() if result else None,
        }


class Insights:
    def __init__(self, mapper: InsightMapper, queries: InsightQueries, timezone: str) -> None:
        self._mapper = mapper
        self._queries = queries
        self._timezone = timezone

    async def ask(self, question: str) -> InsightAnswer:
        question = question.strip()[:MAX_QUESTION_CHARS]
        language = detect_language(question)
        language = language if language in LANGUAGES else "en"
        query = await self._mapper.read(question) if question else None
        if query is None:
            return InsightAnswer(question, language, unanswerable_text(language))
        result = await self._queries.run(query, self._timezone)
        return InsightAnswer(question, language, answer_text(result, language), query, result)
