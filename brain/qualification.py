"""Lead qualification decisions around the qualifier: which question to ask next, and learning from
managers' corrections (their persistence lives in storage repositories)."""

from __future__ import annotations

from typing import Protocol

from brain.playbook import Playbook
from brain.types import LeadAssessment, Question
from storage.lead_corrections import LeadCorrectionRepository
from storage.leads import Lead, LeadRepository

QUESTION_GAP_TURNS = 3  # at most one qualification question every three customer messages
# Turns that say nothing about buying: they are not qualified at all.
NOT_QUALIFIED = frozenset({"greeting", "unsupported", "empty", "too_long", "partner_application", "csat"})


class Qualifier(Protocol):
    """LeadQualifier offline, LLMLeadQualifier with a model: same two methods."""

    async def assess(self, texts: list[str]) -> LeadAssessment: ...
    async def learn(self, texts: list[str], temperatures: list[str]) -> None: ...


def next_question(lead: Lead | None, assessment: LeadAssessment, language: str, playbook: Playbook) -> Question | None:
    """The one question worth asking now, if any: interested leads only, missing facts only, never the
    same twice, and not within QUESTION_GAP_TURNS of the previous one. `lead` is the state before this turn."""
    qualification = playbook.qualification
    if qualification is None or assessment.temperature == "cold":
        return None
    asked = lead.asked if lead is not None else []
    this_turn = (lead.turns if lead is not None else 0) + 1
    last_asked = lead.asked_turn if lead is not None else None
    if last_asked is not None and this_turn - last_asked < QUESTION_GAP_TURNS:
        return None
    known = {**(lead.fields if lead is not None else {}), **assessment.fields}
    order = ["contact"] if assessment.temperature == "hot" else ["need", "timeline", "contact"]
    for field in order:
        if field in asked or field in known or field not in qualification.questions:
            continue
        return Question(field, playbook.localized(qualification.questions[field], language))
    return None


class LeadCorrections:
    """A manager's Mark hot/warm/cold: stored on the lead, kept as a labelled example, learned at once."""

    def __init__(self, qualifier: Qualifier, leads: LeadRepository, corrections: LeadCorrectionRepository) -> None:
        self._qualifier = qualifier
        self._leads = leads
        self._corrections = corrections

    async def load(self) -> int:
        """Managers' past corrections become the qualifier's labelled examples at start-up."""
        found = await self._corrections.all()
        await self._qualifier.learn([c.text for c in found], [c.temperature for c in found])
        return len(found)

    async def correct(self, lead_id: str, temperature: str, manager_id: int, text: str | None) -> Lead:
        lead = await self._leads.mark(lead_id, temperature, manager_id)
        if lead is None:
            raise LookupError(f"no lead {lead_id}")
        if text:
            await self._corrections.add(text, temperature, lead_id, manager_id)
            await self._qualifier.learn([text], [temperature])
        return lead
