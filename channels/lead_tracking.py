"""After every customer turn: qualify the conversation, store the lead, tell whoever listens."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from brain.leads import LeadQualifier
from brain.llm_leads import LLMLeadQualifier
from brain.playbook import Playbook
from storage.leads import Lead, LeadChange, LeadRepository
from storage.mongo import Database
from storage.records import Contact, Conversation
from storage.repositories import utcnow

log = logging.getLogger(__name__)

LeadListener = Callable[[LeadChange, Conversation], Awaitable[None]]
QUESTION_GAP_TURNS = 3  # at most one qualification question every three customer messages


@dataclass(slots=True)
class Question:
    field: str
    text: str


class LeadTracker:
    def __init__(self, qualifier: LeadQualifier | LLMLeadQualifier, leads: LeadRepository, db: Database) -> None:
        self.qualifier = qualifier
        self.leads = leads
        self._examples = db.lead_examples
        self.listeners: list[LeadListener] = []

    async def load_corrections(self) -> int:
        """Managers' past corrections become the qualifier's labelled examples at start-up."""
        docs = [doc async for doc in self._examples.find({})]
        await self.qualifier.learn([d["text"] for d in docs], [d["temperature"] for d in docs])
        return len(docs)

    async def correct(self, lead_id: str, temperature: str, manager_id: int, text: str | None) -> None:
        """A manager's Mark hot/warm/cold: stored on the lead and learned as an example."""
        lead = await self.leads.mark(lead_id, temperature, manager_id)
        if lead is None:
            raise LookupError(f"no lead {lead_id}")
        if text:
            await self._examples.insert_one(
                {
                    "text": text,
                    "temperature": temperature,
                    "lead_id": lead_id,
                    "manager_id": manager_id,
                    "created_at": utcnow(),
                }
            )
            await self.qualifier.learn([text], [temperature])

    async def next_question(self, lead: Lead, language: str, playbook: Playbook) -> Question | None:
        """The one question worth asking now, if any: interested leads only, missing facts only."""
        qualification = playbook.qualification
        if qualification is None or lead.temperature == "cold":
            return None
        order = ["contact"] if lead.temperature == "hot" else ["need", "timeline", "contact"]
        asked = await self.leads.asked(lead.conversation_id)
        for field in order:
            if field in asked or field in lead.fields or field not in qualification.questions:
                continue
            if not await self.leads.claim_question(lead.conversation_id, field, QUESTION_GAP_TURNS):
                return None
            texts = qualification.questions[field]
            return Question(field, texts.get(language) or texts.get(playbook.default_language) or "")
        return None

    async def note(self, lead: Lead, fields: dict[str, str]) -> None:
        """Fields the support agent noted with the update_lead tool (the customer's own words)."""
        await self.leads.set_fields(lead.conversation_id, fields)

    async def track(self, conversation: Conversation, contact: Contact, customer_texts: list[str]) -> LeadChange:
        assessment = await self.qualifier.assess(customer_texts[-10:])
        change = await self.leads.record(
            conversation.id,
            contact.id,
            conversation.channel,
            temperature=assessment.temperature,
            score=assessment.score,
            reasons=assessment.reasons,
            fields=assessment.fields,
            name=contact.name,
        )
        for listener in self.listeners:
            try:
                await listener(change, conversation)
            except Exception:  # an alert or CRM failure must not lose the customer's turn; it is logged
                log.exception("lead listener %s failed", getattr(listener, "__qualname__", listener))
        return change
