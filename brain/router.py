"""The router: what a customer wants, in which language, and whether they asked for a human."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from brain.classifier import OUT_OF_SCOPE, ExampleClassifier
from brain.language import detect_language
from brain.playbook import Playbook

_HUMAN = re.compile(
    r"\b(human|real person|operator|manager|agent|call me|call back|"
    r"человек\w*|оператор\w*|менеджер\w*|перезвон\w*|позвон\w*|"
    r"людин\w*|оператор\w*|менеджер\w*|передзвон\w*|зателефону\w*)\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s().-]{7,}\d(?!\w)")


@dataclass(slots=True)
class Route:
    category: str
    score: float
    language: str
    wants_human: bool = False
    out_of_scope: bool = False
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)


def find_contacts(text: str) -> tuple[list[str], list[str]]:
    """E-mails and phone numbers written in the message."""
    phones = [p.strip() for p in _PHONE.findall(text) if sum(ch.isdigit() for ch in p) >= 9]
    return _EMAIL.findall(text), phones


class OfflineRouter:
    """Embedding classifier over the playbook's example utterances plus phrase rules."""

    def __init__(self, playbook: Playbook, classifier: ExampleClassifier) -> None:
        self._playbook = playbook
        self._classifier = classifier

    @classmethod
    async def build(cls, playbook: Playbook, classifier: ExampleClassifier) -> OfflineRouter:
        texts, labels = [], []
        for category in playbook.categories:
            for examples in category.examples.values():
                texts += examples
                labels += [category.id] * len(examples)
        if texts:
            await classifier.fit(texts, labels)
        return cls(playbook, classifier)

    async def route(self, text: str, previous_language: str | None = None) -> Route:
        language = detect_language(text, previous_language, self._playbook.default_language)
        prediction = (await self._classifier.predict([text]))[0]
        emails, phones = find_contacts(text)
        wants_human = prediction.label == "human" or bool(_HUMAN.search(text))
        return Route(
            category=prediction.label,
            score=prediction.score,
            language=language,
            wants_human=wants_human,
            out_of_scope=prediction.label == OUT_OF_SCOPE,
            emails=emails,
            phones=phones,
        )
