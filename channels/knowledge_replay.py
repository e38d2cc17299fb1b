"""Knowledge-change replay: before a new version of a document goes live, the recent customer questions that
were answered from it are asked again, against the serving version and against the staged one, and the
admin sees how many answers change, with examples before → after."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from brain.knowledge.staging import ReplayView, replaying
from brain.service import Brain
from brain.types import Turn
from storage.documents import DocumentRecord
from storage.messages import MessageRepository
from storage.repositories import utcnow

RECENT = timedelta(days=30)
QUESTIONS = 20
EXAMPLES = 3
Progress = Callable[[int, int], Awaitable[None]]


@dataclass(slots=True)
class ReplayExample:
    question: str
    before: str
    after: str


@dataclass(slots=True)
class ReplayReport:
    questions: int = 0
    changed: int = 0
    examples: list[ReplayExample] = field(default_factory=list)


def _same(first: str, second: str) -> bool:
    return " ".join(re.findall(r"\w+", first.lower())) == " ".join(re.findall(r"\w+", second.lower()))


class KnowledgeReplay:
    def __init__(self, brain: Brain, messages: MessageRepository) -> None:
        self._brain = brain
        self._messages = messages

    async def run(
        self, staged: DocumentRecord, serving: DocumentRecord, progress: Progress | None = None
    ) -> ReplayReport:
        questions = await self._messages.questions_answered_from(serving.name, utcnow() - RECENT, QUESTIONS)
        report = ReplayReport(questions=len(questions))
        for i, question in enumerate(questions):
            asked = f"replay-{staged.id}-{i}"
            with replaying(ReplayView()):  # the serving version, searched the same way as the staged one
                before = await self._brain.reply(
                    Turn(text=question, conversation_id=f"{asked}-before", channel="replay")
                )
            with replaying(ReplayView(hidden=serving.id, staged=staged.id)):
                after = await self._brain.reply(Turn(text=question, conversation_id=f"{asked}-after", channel="replay"))
            if not _same(before.text, after.text):
                report.changed += 1
                if len(report.examples) < EXAMPLES:
                    report.examples.append(ReplayExample(question, before.text, after.text))
            if progress is not None:
                await progress(i + 1, len(questions))
        return report
