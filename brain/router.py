"""The router: what a customer wants, how urgent, who they are, and whether they asked for a human."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from brain.classifier import OUT_OF_SCOPE, IntentClassifier
from brain.language import detect_language
from brain.limits import MAX_CLAUSES, bounded
from brain.playbook import Playbook

Audience = Literal["buyer", "partner", "unknown"]
Urgency = Literal["high", "normal"]

_HUMAN = re.compile(
    r"\b(human|real person|operator|manager|live agent|call me|call back|"
    r"человек\w*|оператор\w*|менеджер\w*|перезвон\w*|позвон\w*|"
    r"людин\w*|передзвон\w*|зателефону\w*)\b",
    re.IGNORECASE,
)
_URGENT = re.compile(
    r"\b(urgent\w*|asap|immediately|right now|emergency|broke\w*|leak\w*|not working|"
    r"срочн\w*|немедленно|сломал\w*|не работает|теч[её]т|протека\w*|"
    r"терміново|негайно|зламал\w*|не працює|протіка\w*)",
    re.IGNORECASE,
)
_PARTNER = re.compile(r"\b(dealer\w*|reseller\w*|partner\w*|distribut\w*|дилер\w*|партн[её]р\w*|дистриб\w*)", re.I)
_CLAUSES = re.compile(r"[.!?;\n]+|,? \b(?:and also|and|also|plus|а также|и ещё|и еще|и|а ещё|і|та|а також)\b ", re.I)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s().-]{7,}\d(?!\w)")
_NAME = re.compile(r"\b(?:my name is|i am|i'm|меня зовут|мене звати)\s+([A-ZА-ЯІЇЄҐ][\w'-]+)", re.IGNORECASE)


@dataclass(slots=True)
class Route:
    category: str
    score: float
    language: str
    secondary: list[str] = field(default_factory=list)
    urgency: Urgency = "normal"
    audience: Audience = "unknown"
    wants_human: bool = False
    out_of_scope: bool = False
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    name: str | None = None
    parts: list[tuple[str, str]] = field(default_factory=list)  # (clause, category) when it asks several things


def find_contacts(text: str) -> tuple[list[str], list[str]]:
    """E-mails and phone numbers written in the message."""
    phones = [p.strip() for p in _PHONE.findall(text) if sum(ch.isdigit() for ch in p) >= 9]
    return _EMAIL.findall(text), phones


def clauses(text: str) -> list[str]:
    """Parts of a message that may each carry an intent ("it arrived broken and skip next month")."""
    # Runs of spaces are collapsed first: `\s+` before a conjunction would otherwise backtrack quadratically.
    text = _SPACES.sub(" ", text)
    return [part.strip() for part in _CLAUSES.split(text) if part and len(part.split()) >= 2]


class OfflineRouter:
    """Classifier over the playbook's example utterances, plus phrase rules for the rest."""

    def __init__(self, playbook: Playbook, classifier: IntentClassifier) -> None:
        self._playbook = playbook
        self._classifier = classifier

    @classmethod
    async def build(
        cls, playbook: Playbook, classifier: IntentClassifier, extra: list[tuple[str, str]] | None = None
    ) -> OfflineRouter:
        texts, labels = [], []
        for category in playbook.categories:
            for examples in category.examples.values():
                texts += examples
                labels += [category.id] * len(examples)
        for examples in playbook.out_of_scope.values():
            texts += examples
            labels += [OUT_OF_SCOPE] * len(examples)
        for text, label in extra or []:
            texts.append(text)
            labels.append(label)
        if texts:
            await classifier.fit(texts, labels)
        return cls(playbook, classifier)

    async def learn(self, texts: list[str], labels: list[str]) -> None:
        await self._classifier.add(texts, labels)

    async def route(self, text: str, previous_language: str | None = None) -> Route:
        text = bounded(text)
        language = detect_language(text, previous_language, self._playbook.default_language)
        parts = clauses(text)[:MAX_CLAUSES]
        predictions = await self._classifier.predict([text, *parts] if len(parts) > 1 else [text])
        primary = predictions[0]
        secondary: list[str] = []
        for prediction in predictions[1:]:
            if prediction.label not in (OUT_OF_SCOPE, primary.label, *secondary):
                secondary.append(prediction.label)
        asked = [(part, p.label) for part, p in zip(parts, predictions[1:], strict=False) if p.label != OUT_OF_SCOPE]
        emails, phones = find_contacts(text)
        name = _NAME.search(text)
        category = self._playbook.category(primary.label)
        audience: Audience = "unknown"
        if _PARTNER.search(text) or (category is not None and category.audience == "partner"):
            audience = "partner"
        elif category is not None and category.audience == "buyer":
            audience = "buyer"
        # A part of a message that merely resembles the "human" examples ("my phone is ...") is not a request
        # for a person; the whole message's intent or explicit words are.
        wants_human = primary.label == "human" or bool(_HUMAN.search(text))
        return Route(
            category=primary.label,
            score=primary.score,
            language=language,
            secondary=secondary,
            urgency="high" if _URGENT.search(text) else "normal",
            audience=audience,
            wants_human=wants_human,
            out_of_scope=primary.label == OUT_OF_SCOPE,
            emails=emails,
            phones=phones,
            name=name.group(1) if name else None,
            parts=asked if len(parts) > 1 else [],
        )
