"""The brain's one entry point: route, retrieve, answer (LLM or offline), never leave a customer silent."""

from __future__ import annotations

import logging
import time

from brain.knowledge.base import KnowledgeBase
from brain.llm import LLMResponder, LLMUnavailable
from brain.offline import OfflineResponder
from brain.playbook import Playbook
from brain.router import OfflineRouter, Route
from brain.types import HUMAN_PAYLOAD, BrainReply, Turn

log = logging.getLogger(__name__)


class CircuitBreaker:
    """After `threshold` failures in a row the LLM is skipped for `cooldown_s` (served offline)."""

    def __init__(self, threshold: int = 3, cooldown_s: float = 30.0, clock=time.monotonic) -> None:
        self.threshold, self.cooldown_s, self._clock = threshold, cooldown_s, clock
        self._failures = 0
        self._open_until = 0.0

    @property
    def open(self) -> bool:
        return self._clock() < self._open_until

    def success(self) -> None:
        self._failures = 0

    def failure(self) -> None:
        self._failures += 1
        if self._failures >= self.threshold:
            self._open_until = self._clock() + self.cooldown_s
            self._failures = 0


class Brain:
    def __init__(
        self,
        playbook: Playbook,
        router: OfflineRouter,
        knowledge: KnowledgeBase,
        offline: OfflineResponder,
        llm: LLMResponder | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.playbook = playbook
        self._router = router
        self._knowledge = knowledge
        self._offline = offline
        self._llm = llm
        self._breaker = breaker or CircuitBreaker()

    @property
    def llm_enabled(self) -> bool:
        return self._llm is not None

    def greeting(self, language: str | None) -> BrainReply:
        language = language if language in self.playbook.languages else self.playbook.default_language
        return BrainReply(self.playbook.text("greeting", language), language, "greeting", "canned")

    def canned(self, key: str, language: str | None, intent: str) -> BrainReply:
        language = language if language in self.playbook.languages else self.playbook.default_language
        buttons = [self._offline.manager_button(language)] if key == "no_answer" else []
        return BrainReply(self.playbook.text(key, language), language, intent, "canned", buttons=buttons)

    async def route(self, turn: Turn) -> Route:
        route = await self._router.route(turn.text, turn.previous_language or turn.language_hint)
        if turn.payload == HUMAN_PAYLOAD:
            route.wants_human = True
        return route

    async def reply(self, turn: Turn) -> BrainReply:
        route = await self.route(turn)
        category = self.playbook.category(route.category)
        if route.wants_human:
            reply = self.canned("handoff", route.language, "human")
            reply.escalate = True
            return reply
        if category is not None and category.action == "greet" and route.score >= 0.9 and len(turn.text) < 40:
            return self.greeting(route.language)
        namespaces = [category.namespace] if category is not None and category.action == "answer" else None
        passages = await self._knowledge.search(turn.text, language=route.language, namespaces=namespaces)
        if namespaces and not any(p.similarity >= self._offline.similarity_floor for p in passages):
            # The router may have picked the wrong namespace; the whole knowledge base is the safer net.
            passages = await self._knowledge.search(turn.text, language=route.language)
        if self._llm is not None and not self._breaker.open:
            try:
                reply = await self._llm.answer(turn, route, passages)
            except LLMUnavailable as exc:
                self._breaker.failure()
                log.warning("LLM failed, serving the offline answer: %s", exc)
                reply = self._offline.answer(route, passages, turn.max_reply_chars, mode="fallback")
                reply.error = str(exc)
                return reply
            self._breaker.success()
            return reply
        mode = "fallback" if self._llm is not None else "offline"
        return self._offline.answer(route, passages, turn.max_reply_chars, mode=mode)
