"""The brain's one entry point: `reply(turn)` returns the complete decision for a customer turn.

Route, guard, retrieve, answer (LLM or offline), guard again, then qualify the lead and pick the one
qualification question worth asking. Nothing here knows about channels or storage documents.
"""

from __future__ import annotations

import logging

import numpy as np

from brain.answer_cache import AnswerCache, CachedAnswer
from brain.answering import Part, PassagePicker
from brain.breaker import CircuitBreaker
from brain.confirmations import PendingActions, StateStore, is_confirmation
from brain.drafts import guarded_drafts
from brain.guard import OutboundCheck, check_inbound, check_reply
from brain.knowledge.base import KnowledgeBase
from brain.knowledge.passages import Passage
from brain.knowledge.staging import current_view
from brain.learning import LearnedAnswers
from brain.llm import LLMResponder, LLMUnavailable
from brain.llm_router import LLMRouter, RouterUnavailable
from brain.media_reply import MediaDesk
from brain.offline import OfflineResponder
from brain.partner_application import PartnerApplications
from brain.payloads import payload_reply
from brain.playbook import Category, Playbook
from brain.qualification import NOT_QUALIFIED, Qualifier, next_question
from brain.router import OfflineRouter, Route
from brain.types import (
    HUMAN_PAYLOAD,
    BrainReply,
    DraftSink,
    Escalation,
    LeadAssessment,
    Turn,
)

log = logging.getLogger(__name__)

OUT_OF_SCOPE_MARGIN = 0.03  # an out-of-scope question needs a clearly better passage to be answered
ACKNOWLEDGE_MIN_SCORE = 0.7  # "your order is with a manager" only when the router is sure it is an order
# With an LLM, the offline route stands when it is this sure; below it the fast model routes (a second call
# before the answer). Measured in `python -m bench.llm_latency`.
OFFLINE_ROUTE_SURE = 0.6
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
        quick_qualifier: Qualifier | None = None,
        llm: LLMResponder | None = None,
        llm_router: LLMRouter | None = None,
        breaker: CircuitBreaker | None = None,
        cache: AnswerCache | None = None,
        state: StateStore | None = None,
        learned: LearnedAnswers | None = None,
        media: MediaDesk | None = None,
        max_inbound_chars: int = 8000,
    ) -> None:
        self.playbook = playbook
        self.router = router
        self.qualifier = qualifier
        # Judges the lead before the reply leaves (offline rules and examples); `qualifier` may be an LLM
        # that refines the judgement after the reply is out, so it never delays the customer.
        self.quick_qualifier = quick_qualifier or qualifier
        self.cache = cache
        self.learned = learned  # answers managers approved (DESIGN "Learning")
        self._knowledge = knowledge
        self._offline = offline
        self._llm = llm
        self._llm_router = llm_router
        self.breaker = breaker or CircuitBreaker()  # open: the model is skipped (metrics show it)
        self._pending = PendingActions(state)
        self._max_chars = max_inbound_chars
        self.media = media  # the catalogue of sendable files (presentations, videos, price lists)
        self.applications = PartnerApplications(state, lambda: self.playbook) if state is not None else None
        self.picker = PassagePicker(knowledge, knowledge.embedder)

    def use_playbook(self, playbook: Playbook, router: OfflineRouter) -> None:
        """Swap in a new playbook and its router at once (a reload, without a restart)."""
        self._offline = OfflineResponder(playbook, self._offline.similarity_floor)
        for part in (self._llm, self._llm_router, self.qualifier, self.quick_qualifier):
            if hasattr(part, "playbook"):
                part.playbook = playbook  # type: ignore[union-attr]
        self.playbook, self.router = playbook, router

    @property
    def similarity_floor(self) -> float:
        return self._offline.similarity_floor

    @property
    def llm_enabled(self) -> bool:
        return self._llm is not None

    def _language(self, language: str | None) -> str:
        return language if language in self.playbook.languages else self.playbook.default_language

    def greeting(self, language: str | None, audience: str = "unknown") -> BrainReply:
        language = self._language(language)
        partner = self.playbook.texts.partner_greeting if audience == "partner" else {}
        text = self.playbook.localized(partner, language) if partner else self.playbook.text("greeting", language)
        return BrainReply(text, language, "greeting", "canned", audience=audience)

    def canned(self, key: str, language: str | None, intent: str, mode: str = "canned") -> BrainReply:
        language = self._language(language)
        buttons = [self._offline.manager_button(language)] if key == "no_answer" else []
        reply = BrainReply(self.playbook.text(key, language), language, intent, mode, buttons=buttons)  # type: ignore[arg-type]
        reply.unanswered = key == "no_answer"
        return reply

    async def reply(self, turn: Turn, drafts: DraftSink | None = None) -> BrainReply:
        """The complete decision: the answer, then the lead's qualification and the next question.
        With `drafts`, a model's answer is shown as it is written (each piece checked by the guard first)."""
        reply = await self._answer_turn(turn, drafts)
        if reply.intent not in NOT_QUALIFIED and turn.message_text.strip():
            reply.lead = await self.quick_qualifier.assess(turn.customer_texts[-10:])
            reply.lead.fields.update(reply.lead_fields)  # what the agent noted with update_lead
            plain = not reply.escalate and not reply.request_contact and reply.mode not in ("guard", "canned")
            if plain and reply.question is None:
                reply.question = next_question(turn.lead, reply.lead, reply.language, self.playbook)
        if reply.request_contact or (reply.question is not None and reply.question.field == "contact"):
            reply.contact_button = self.playbook.text("share_phone_button", reply.language)
        await self._pending.store(reply)
        return reply

    async def qualify(self, turn: Turn) -> LeadAssessment:
        """Hot / Warm / Cold from the customer's recent messages (also while a manager owns the chat)."""
        return await self.qualifier.assess(turn.customer_texts[-10:])

    @property
    def refines_leads(self) -> bool:
        return self.qualifier is not self.quick_qualifier

    async def refine_lead(self, turn: Turn, reply: BrainReply) -> LeadAssessment | None:
        """After the reply has left: the model's judgement of the lead, or None when there is nothing to add."""
        if reply.lead is None or not self.refines_leads:
            return None
        refined = await self.qualify(turn)
        refined.fields.update(reply.lead_fields)
        return refined

    async def route(self, turn: Turn) -> Route:
        route = await self.router.route(turn.text, turn.previous_language or turn.language_hint)
        unsure = route.out_of_scope or route.score < OFFLINE_ROUTE_SURE
        if unsure and self._llm_router is not None and not self.breaker.open and turn.text.strip():
            try:
                route = await self._llm_router.route(turn.text, turn.history, route)
            except RouterUnavailable as exc:
                self.breaker.failure()
                log.warning("LLM router unavailable, routing offline: %s", exc)
        if turn.payload == HUMAN_PAYLOAD:
            route.wants_human = True
        return route

    async def _answer_turn(self, turn: Turn, drafts: DraftSink | None) -> BrainReply:
        language = turn.previous_language or turn.language_hint
        if (answered := payload_reply(self, turn, language)) is not None:
            return answered
        if self.media is not None and (asked := await self.media.reply(turn)) is not None:
            return asked
        applied, open_question = await self.applications.step(turn) if self.applications else (None, None)
        if applied is not None:
            return applied
        reply = await self._answer_turn_plain(turn, drafts, language)
        reply.question = open_question or reply.question  # mid-application: their question, then the open one
        return reply

    async def _answer_turn_plain(self, turn: Turn, drafts: DraftSink | None, language: str | None) -> BrainReply:
        if not turn.text.strip():
            if turn.attachments:
                return self.canned("unsupported_message", language, "unsupported")
            return self.canned("empty_message", language, "empty")
        if len(turn.text) > self._max_chars:
            return self.canned("too_long", language, "too_long")
        route = await self.route(turn)
        reply = await self._decide(turn, route, drafts)
        reply.urgency, reply.audience, reply.secondary = route.urgency, route.audience, route.secondary
        return reply

    async def _decide(self, turn: Turn, route: Route, drafts: DraftSink | None) -> BrainReply:
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
            return self.greeting(language, turn.audience)
        if category is not None and category.action == "acknowledge" and route.score >= ACKNOWLEDGE_MIN_SCORE:
            return BrainReply(self.playbook.text("purchase_ack", language), language, category.id, "offline")
        return await self._from_knowledge(turn, route, category, drafts)

    async def _from_knowledge(
        self, turn: Turn, route: Route, category: Category | None, drafts: DraftSink | None
    ) -> BrainReply:
        language = route.language
        vector = await self._knowledge.embed_query(turn.text)
        version = await self._knowledge.version()
        learned = self.learned.direct(vector, language, version) if self.learned is not None else None
        if learned is not None:
            return BrainReply(learned.answer, language, route.category, "learned")
        # Extractive answers depend only on the question; LLM answers may lean on earlier turns
        # ("and how much is it?"), so with an LLM only a conversation's first question is cached.
        cache = self.cache if (self._llm is None or not turn.history) and current_view() is None else None
        if cache is not None:
            hit = await cache.get(version, language, turn.text, vector)
            if hit is not None:
                return BrainReply(hit.text, language, hit.intent, "cache", sources=hit.sources)

        passages, picks = await self.choose_passages(turn, route, category, vector, version)
        reply = await self._answer(turn, route, passages, picks, vector, drafts)
        if reply.mode == "llm":
            reply = self._check_llm_reply(turn, reply, passages)
        plain = not reply.escalate and not reply.buttons and reply.pending_action is None
        if cache is not None and reply.sources and reply.mode in ("offline", "llm") and plain:
            await cache.put(version, language, turn.text, vector, CachedAnswer(reply.text, reply.sources, reply.intent))
        return reply

    async def choose_passages(
        self, turn: Turn, route: Route, category: Category | None, vector: np.ndarray, version: int
    ) -> tuple[list[Passage], list[Passage]]:
        """The passages retrieved for the whole question (the LLM's knowledge), and the ones that answer it:
        one, or one per part when it asks several things (the offline answer)."""
        floor = self._offline.similarity_floor
        namespaces = [category.namespace] if category is not None and category.action == "answer" else None
        language = route.language
        passages = await self.picker.ranked(
            turn.text, language=language, namespaces=namespaces, version=version, vector=vector
        )
        if namespaces and not any(p.confident(floor) for p in passages):
            # The router may have picked the wrong namespace; the whole knowledge base is the safer net.
            passages = await self.picker.ranked(
                turn.text, language=language, namespaces=None, version=version, vector=vector
            )
        if route.out_of_scope:
            passages = [p for p in passages if p.confident(floor + OUT_OF_SCOPE_MARGIN)]
        parts = [Part(text, self._namespaces(label)) for text, label in route.parts]
        picks = await self.picker.pick(
            passages, parts, language=route.language, version=version, floor=floor, context=vector
        )
        return passages, picks

    def _namespaces(self, category_id: str) -> list[str] | None:
        category = self.playbook.category(category_id)
        return [category.namespace] if category is not None and category.action == "answer" else None

    async def _answer(
        self,
        turn: Turn,
        route: Route,
        passages: list[Passage],
        picks: list[Passage],
        vector: np.ndarray,
        drafts: DraftSink | None,
    ) -> BrainReply:
        if self._llm is None or self.breaker.open:
            mode = "fallback" if self._llm is not None else "offline"
            return self._offline.answer(route, picks, turn.max_reply_chars, mode=mode)
        passages = passages + [p for p in picks if p not in passages]  # each part's passage reaches the model
        examples = self.learned.similar(vector, route.language) if self.learned is not None else []

        async def search(query: str, namespace: str | None) -> list[Passage]:
            return await self._knowledge.search(
                query, language=route.language, namespaces=[namespace] if namespace else None
            )

        try:
            on_text = None
            if drafts is not None:
                evidence = "\n".join([*(p.text for p in passages), *(e.answer for e in examples)])
                on_text = guarded_drafts(drafts, lambda text: self._guard_check(text, turn, evidence))
            reply = await self._llm.answer(turn, route, passages, search, examples, on_text)
        except LLMUnavailable as exc:
            self.breaker.failure()
            log.warning("LLM failed, serving the offline answer: %s", exc)
            reply = self._offline.answer(route, picks, turn.max_reply_chars, mode="fallback")
            reply.error = str(exc)
            return reply
        self.breaker.success()
        return reply

    def _guard_check(self, text: str, turn: Turn, evidence: str) -> OutboundCheck:
        customer_words = " ".join([turn.text, *(h.text for h in turn.history if h.role == "customer")])
        company = self.playbook.company
        return check_reply(text, evidence, customer_words, [c for c in (company.phone, company.email) if c])

    def _check_llm_reply(self, turn: Turn, reply: BrainReply, passages: list[Passage]) -> BrainReply:
        """A generated reply may only state what its evidence supports; anything else is replaced."""
        evidence = "\n".join([*(p.text for p in passages), *reply.evidence])
        check = self._guard_check(reply.text, turn, evidence)
        if check.breach is None:
            return reply if reply.pending_action is None else self._pending.ask(turn, reply, self.playbook)
        log.warning("reply blocked by the guard: %s (%s)", check.breach, check.detail[:40])
        safe = self.canned("guard_breach", reply.language, reply.intent, mode="guard")
        safe.guard, safe.usage = f"outbound:{check.breach}", reply.usage
        safe.escalation = Escalation("guard", f"reply blocked: {check.breach}")
        return safe
