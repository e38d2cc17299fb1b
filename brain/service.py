"""The brain's one entry point: route, guard, retrieve, answer (LLM or offline), guard again."""

from __future__ import annotations

import json
import logging
import secrets
import time

import numpy as np

from brain.answer_cache import AnswerCache, CachedAnswer
from brain.guard import check_inbound, check_reply
from brain.knowledge.base import KnowledgeBase
from brain.llm import LLMResponder, LLMUnavailable
from brain.llm_router import LLMRouter, RouterUnavailable
from brain.offline import OfflineResponder
from brain.playbook import Playbook
from brain.reviewed import ReviewedExamples
from brain.router import OfflineRouter, Route
from brain.types import HUMAN_PAYLOAD, BrainReply, Button, Turn
from storage.cache import Cache

log = logging.getLogger(__name__)

OUT_OF_SCOPE_MARGIN = 0.03  # an out-of-scope question needs a clearly better passage to be answered
ACKNOWLEDGE_MIN_SCORE = 0.7  # "your order is with a manager" only when the router is sure it is an order


CONFIRM_TTL_S = 15 * 60


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
        cache: AnswerCache | None = None,
        llm_router: LLMRouter | None = None,
        state: Cache | None = None,
        examples: ReviewedExamples | None = None,
    ) -> None:
        self._llm_router = llm_router
        # Short-lived state (actions waiting for the customer's Yes/No); Redis in production.
        self._state = state
        self.playbook = playbook
        self.router = router
        self._knowledge = knowledge
        self._offline = offline
        self._llm = llm
        self._breaker = breaker or CircuitBreaker()
        self.cache = cache
        self.examples = examples  # answers managers approved (DESIGN "Learning")

    def use_playbook(self, playbook: Playbook, router: OfflineRouter) -> None:
        """Swap in a new playbook and its router at once (a reload, without a restart)."""
        self._offline = OfflineResponder(playbook, self._offline.similarity_floor)
        if self._llm is not None:
            self._llm.playbook = playbook
        if self._llm_router is not None:
            self._llm_router.playbook = playbook
        self.playbook, self.router = playbook, router

    @property
    def llm_enabled(self) -> bool:
        return self._llm is not None

    def _language(self, language: str | None) -> str:
        return language if language in self.playbook.languages else self.playbook.default_language

    def greeting(self, language: str | None) -> BrainReply:
        language = self._language(language)
        return BrainReply(self.playbook.text("greeting", language), language, "greeting", "canned")

    def canned(self, key: str, language: str | None, intent: str, mode: str = "canned") -> BrainReply:
        language = self._language(language)
        buttons = [self._offline.manager_button(language)] if key == "no_answer" else []
        return BrainReply(self.playbook.text(key, language), language, intent, mode, buttons=buttons)  # type: ignore[arg-type]

    async def route(self, turn: Turn) -> Route:
        route = await self.router.route(turn.text, turn.previous_language or turn.language_hint)
        if self._llm_router is not None and not self._breaker.open and turn.text.strip():
            try:
                route = await self._llm_router.route(turn.text, turn.history, route)
            except RouterUnavailable as exc:
                self._breaker.failure()
                log.warning("LLM router unavailable, routing offline: %s", exc)
        if turn.payload == HUMAN_PAYLOAD:
            route.wants_human = True
        return route

    async def reply(self, turn: Turn) -> BrainReply:
        route = await self.route(turn)
        reply = await self._decide(turn, route)
        reply.urgency, reply.audience, reply.secondary = route.urgency, route.audience, route.secondary
        return reply

    async def _decide(self, turn: Turn, route: Route) -> BrainReply:
        language = route.language
        if turn.payload and turn.payload.split(":", 1)[0] in ("confirm", "cancel"):
            return await self._confirmation(turn, language)
        inbound = check_inbound(turn.text)
        if inbound.trip is not None:
            key = {"self_harm": "self_harm_support", "legal": "guard_escalation", "abuse": "guard_escalation"}
            reply = self.canned(key.get(inbound.trip, "guard_refusal"), language, route.category, mode="guard")
            reply.guard, reply.escalate = f"inbound:{inbound.trip}", inbound.escalate
            return reply
        if route.wants_human:
            reply = self.canned("handoff", language, "human")
            reply.escalate = True
            return reply
        category = self.playbook.category(route.category)
        greeting_like = len(turn.text) < 40 and any(ch.isalpha() for ch in turn.text)
        if category is not None and category.action == "greet" and greeting_like:
            return self.greeting(language)
        if category is not None and category.action == "acknowledge" and route.score >= ACKNOWLEDGE_MIN_SCORE:
            return BrainReply(self.playbook.text("purchase_ack", language), language, category.id, "offline")

        vector = await self._knowledge.embed_query(turn.text)
        version = await self._knowledge.version()
        learned = self.examples.direct(vector, language, version) if self.examples is not None else None
        if learned is not None:
            return BrainReply(learned.answer, language, route.category, "learned")
        # Extractive answers depend only on the question; LLM answers may lean on earlier turns
        # ("and how much is it?"), so with an LLM only a conversation's first question is cached.
        cacheable = self.cache is not None and (self._llm is None or not turn.history)
        if cacheable:
            assert self.cache is not None
            hit = await self.cache.get(version, language, turn.text, vector)
            if hit is not None:
                return BrainReply(hit.text, language, hit.intent, "cache", sources=hit.sources)

        namespaces = [category.namespace] if category is not None and category.action == "answer" else None
        passages = await self._knowledge.search(
            turn.text, language=language, namespaces=namespaces, vector=vector, version=version
        )
        if namespaces and not any(p.confident(self._offline.similarity_floor) for p in passages):
            # The router may have picked the wrong namespace; the whole knowledge base is the safer net.
            passages = await self._knowledge.search(turn.text, language=language, vector=vector, version=version)
        if route.out_of_scope:
            floor = self._offline.similarity_floor + OUT_OF_SCOPE_MARGIN
            passages = [p for p in passages if p.confident(floor)]

        reply = await self._answer(turn, route, passages, vector)
        if reply.mode == "llm":
            reply = self._check_llm_reply(turn, reply, passages)
        plain = not reply.escalate and not reply.buttons and reply.pending_action is None
        if cacheable and self.cache is not None and reply.sources and reply.mode in ("offline", "llm") and plain:
            await self.cache.put(
                version, language, turn.text, vector, CachedAnswer(reply.text, reply.sources, reply.intent)
            )
        return reply

    async def _answer(self, turn: Turn, route: Route, passages: list, vector: np.ndarray) -> BrainReply:
        if self._llm is not None and not self._breaker.open:
            examples = self.examples.similar(vector, route.language) if self.examples is not None else []

            async def search(query: str, namespace: str | None) -> list:
                return await self._knowledge.search(
                    query, language=route.language, namespaces=[namespace] if namespace else None
                )

            try:
                reply = await self._llm.answer(turn, route, passages, search, examples)
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

    def _check_llm_reply(self, turn: Turn, reply: BrainReply, passages: list) -> BrainReply:
        """A generated reply may only state what its evidence supports; anything else is replaced."""
        evidence = "\n".join([*(p.text for p in passages), *reply.evidence])
        customer_words = " ".join([turn.text, *(h.text for h in turn.history if h.role == "customer")])
        company = self.playbook.company
        allowed = [c for c in (company.phone, company.email) if c]
        check = check_reply(reply.text, evidence, customer_words, allowed)
        if check.breach is None:
            return reply if reply.pending_action is None else self._ask_confirmation(turn, reply)
        log.warning("reply blocked by the guard: %s (%s)", check.breach, check.detail[:40])
        safe = self.canned("guard_breach", reply.language, reply.intent, mode="guard")
        safe.guard, safe.escalate, safe.usage = f"outbound:{check.breach}", True, reply.usage
        return safe

    def _ask_confirmation(self, turn: Turn, reply: BrainReply) -> BrainReply:
        """Attach Yes/No buttons; the action itself waits in the state store until the customer taps Yes."""
        token = secrets.token_hex(6)
        reply.buttons = [
            Button(self.playbook.text("confirm_yes", reply.language), f"confirm:{token}"),
            Button(self.playbook.text("confirm_no", reply.language), f"cancel:{token}"),
        ]
        reply.pending_action = {**(reply.pending_action or {}), "token": token, "conversation": turn.conversation_id}
        return reply

    async def store_pending(self, reply: BrainReply) -> None:
        if reply.pending_action and self._state is not None:
            action = reply.pending_action
            key = f"pending:{action['conversation']}:{action['token']}"
            await self._state.set(key, json.dumps(action), CONFIRM_TTL_S)

    async def _confirmation(self, turn: Turn, language: str) -> BrainReply:
        kind, _, token = (turn.payload or "").partition(":")
        key = f"pending:{turn.conversation_id}:{token}"
        raw = await self._state.get(key) if self._state is not None else None
        if raw is None:
            return self.canned("action_expired", language, "confirmation")
        await self._state.delete(key)  # type: ignore[union-attr]
        if kind == "cancel":
            return self.canned("action_cancelled", language, "confirmation")
        action = json.loads(raw)
        text = self.playbook.text("callback_confirmed", self._language(language)).format(
            phone=action.get("phone", ""), when=action.get("when", "")
        )
        reply = BrainReply(text, self._language(language), "callback", "canned")
        reply.escalate = True  # a manager now owes the customer a call
        return reply
