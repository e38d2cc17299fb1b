"""The brain's one entry point: `reply(turn)` returns the complete decision for a customer turn.

Route, guard, retrieve, answer (LLM or offline), guard again, then qualify the lead and pick the one
qualification question worth asking. Nothing here knows about channels or storage documents.
"""

from __future__ import annotations

import logging

import numpy as np

from brain.answer_cache import AnswerCache, CachedAnswer
from brain.breaker import CircuitBreaker
from brain.confirmations import PendingActions, StateStore, is_confirmation
from brain.guard import check_inbound, check_reply
from brain.knowledge.base import KnowledgeBase, Passage
from brain.learning import LearnedAnswers
from brain.llm import LLMResponder, LLMUnavailable
from brain.llm_router import LLMRouter, RouterUnavailable
from brain.offline import OfflineResponder
from brain.playbook import Category, Playbook
from brain.qualification import NOT_QUALIFIED, Qualifier, next_question
from brain.router import OfflineRouter, Route
from brain.types import (
    CONTACT_PAYLOAD,
    HUMAN_PAYLOAD,
    START_PAYLOAD,
    BrainReply,
    Escalation,
    LeadAssessment,
    Turn,
)

log = logging.getLogger(__name__)

OUT_OF_SCOPE_MARGIN = 0.03  # an out-of-scope question needs a clearly better passage to be answered
ACKNOWLEDGE_MIN_SCORE = 0.7  # "your order is with a manager" only when the router is sure it is an order
GUARD_ESCALATIONS = {"self_harm": "self_harm_support", "legal": "guard_escalation", "abuse": "guard_escalation"}


class Brain:
    def __init__(
        self,
        playbook: Playbook,
        router: OfflineRouter,
        knowledge: KnowledgeBase,
        offline: OfflineResponder,
        qualifier: Qualifier,
        *,
        llm: LLMResponder | None = None,
        llm_router: LLMRouter | None = None,
        breaker: CircuitBreaker | None = None,
        cache: AnswerCache | None = None,
        state: StateStore | None = None,
        learned: LearnedAnswers | None = None,
        max_inbound_chars: int = 8000,
    ) -> None:
        self.playbook = playbook
        self.router = router
        self.qualifier = qualifier
        self.cache = cache
        self.learned = learned  # answers managers approved (DESIGN "Learning")
        self._knowledge = knowledge
        self._offline = offline
        self._llm = llm
        self._llm_router = llm_router
        self._breaker = breaker or CircuitBreaker()
        self._pending = PendingActions(state)
        self._max_chars = max_inbound_chars

    def use_playbook(self, playbook: Playbook, router: OfflineRouter) -> None:
        """Swap in a new playbook and its router at once (a reload, without a restart)."""
        self._offline = OfflineResponder(playbook, self._offline.similarity_floor)
        for part in (self._llm, self._llm_router, self.qualifier):
            if hasattr(part, "playbook"):
                part.playbook = playbook  # type: ignore[union-attr]
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

    async def reply(self, turn: Turn) -> BrainReply:
        """The complete decision: the answer, then the lead's qualification and the next question."""
        reply = await self._answer_turn(turn)
        if reply.intent not in NOT_QUALIFIED and turn.message_text.strip():
            reply.lead = await self.qualify(turn)
            reply.lead.fields.update(reply.lead_fields)  # what the agent noted with update_lead
            plain = not reply.escalate and not reply.request_contact and reply.mode not in ("guard", "canned")
            if plain:
                reply.question = next_question(turn.lead, reply.lead, reply.language, self.playbook)
        if reply.request_contact or (reply.question is not None and reply.question.field == "contact"):
            reply.contact_button = self.playbook.text("share_phone_button", reply.language)
        await self._pending.store(reply)
        return reply

    async def qualify(self, turn: Turn) -> LeadAssessment:
        """Hot / Warm / Cold from the customer's recent messages (also while a manager owns the chat)."""
        return await self.qualifier.assess(turn.customer_texts[-10:])

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

    async def _answer_turn(self, turn: Turn) -> BrainReply:
        language = turn.previous_language or turn.language_hint
        if turn.payload == START_PAYLOAD:
            return self.greeting(turn.language_hint or language)
        if turn.payload == CONTACT_PAYLOAD:
            return self.canned("contact_thanks", language, "contact")
        if not turn.text.strip():
            if turn.attachments:
                return self.canned("unsupported_message", language, "unsupported")
            return self.canned("empty_message", language, "empty")
        if len(turn.text) > self._max_chars:
            return self.canned("too_long", language, "too_long")
        route = await self.route(turn)
        reply = await self._decide(turn, route)
        reply.urgency, reply.audience, reply.secondary = route.urgency, route.audience, route.secondary
        return reply

    async def _decide(self, turn: Turn, route: Route) -> BrainReply:
        language = route.language
        if is_confirmation(turn.payload):
            return await self._pending.resolve(turn, self._language(language), self.playbook)
        inbound = check_inbound(turn.text)
        if inbound.trip is not None:
            reply = self.canned(GUARD_ESCALATIONS.get(inbound.trip, "guard_refusal"), language, route.category, "guard")
            reply.guard = f"inbound:{inbound.trip}"
            if inbound.escalate:
                reply.escalation = Escalation("guard", inbound.trip)
            return reply
        if route.wants_human:
            reply = self.canned("handoff", language, "human")
            pressed = turn.payload == HUMAN_PAYLOAD
            reply.escalation = Escalation("human", "pressed the manager button" if pressed else "asked for a person")
            return reply
        category = self.playbook.category(route.category)
        greeting_like = len(turn.text) < 40 and any(ch.isalpha() for ch in turn.text)
        if category is not None and category.action == "greet" and greeting_like:
            return self.greeting(language)
        if category is not None and category.action == "acknowledge" and route.score >= ACKNOWLEDGE_MIN_SCORE:
            return BrainReply(self.playbook.text("purchase_ack", language), language, category.id, "offline")
        return await self._from_knowledge(turn, route, category)

    async def _from_knowledge(self, turn: Turn, route: Route, category: Category | None) -> BrainReply:
        language = route.language
        vector = await self._knowledge.embed_query(turn.text)
        version = await self._knowledge.version()
        learned = self.learned.direct(vector, language, version) if self.learned is not None else None
        if learned is not None:
            return BrainReply(learned.answer, language, route.category, "learned")
        # Extractive answers depend only on the question; LLM answers may lean on earlier turns
        # ("and how much is it?"), so with an LLM only a conversation's first question is cached.
        cache = self.cache if self._llm is None or not turn.history else None
        if cache is not None:
            hit = await cache.get(version, language, turn.text, vector)
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
        if cache is not None and reply.sources and reply.mode in ("offline", "llm") and plain:
            await cache.put(version, language, turn.text, vector, CachedAnswer(reply.text, reply.sources, reply.intent))
        return reply

    async def _answer(self, turn: Turn, route: Route, passages: list[Passage], vector: np.ndarray) -> BrainReply:
        if self._llm is None or self._breaker.open:
            mode = "fallback" if self._llm is not None else "offline"
            return self._offline.answer(route, passages, turn.max_reply_chars, mode=mode)
        examples = self.learned.similar(vector, route.language) if self.learned is not None else []

        async def search(query: str, namespace: str | None) -> list[Passage]:
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

    def _check_llm_reply(self, turn: Turn, reply: BrainReply, passages: list[Passage]) -> BrainReply:
        """A generated reply may only state what its evidence supports; anything else is replaced."""
        evidence = "\n".join([*(p.text for p in passages), *reply.evidence])
        customer_words = " ".join([turn.text, *(h.text for h in turn.history if h.role == "customer")])
        company = self.playbook.company
        allowed = [c for c in (company.phone, company.email) if c]
        check = check_reply(reply.text, evidence, customer_words, allowed)
        if check.breach is None:
            return reply if reply.pending_action is None else self._pending.ask(turn, reply, self.playbook)
        log.warning("reply blocked by the guard: %s (%s)", check.breach, check.detail[:40])
        safe = self.canned("guard_breach", reply.language, reply.intent, mode="guard")
        safe.guard, safe.usage = f"outbound:{check.breach}", reply.usage
        safe.escalation = Escalation("guard", f"reply blocked: {check.breach}")
        return safe
