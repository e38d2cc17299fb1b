"""Lead fields as values, whichever qualifier judged the temperature: the rules of `brain.lead_fields`
read quantities, dates, budget, company, role, products and contacts from the customer's own words
(a model's fields are replaced by the same validated values, so a card never shows a clipped quote)."""

from __future__ import annotations

from datetime import UTC, datetime

from brain.lead_fields import extract_fields
from brain.playbook import Playbook
from brain.qualification import Qualifier
from brain.types import LeadAssessment

# Keys the value extractor owns; a qualifier's free-text guesses for them are dropped.
VALUE_FIELDS = (
    "quantity",
    "timeline",
    "budget",
    "company",
    "decision_role",
    "decision_maker",
    "product_interest",
    "contact",
)


class ValuedQualifier:
    """A Qualifier whose assessments carry field values (same protocol: assess, learn)."""

    def __init__(self, inner: Qualifier, playbook: Playbook) -> None:
        self._inner = inner
        self.playbook = playbook

    @property
    def playbook(self) -> Playbook:
        return self._playbook

    @playbook.setter
    def playbook(self, playbook: Playbook) -> None:
        """A playbook reload reaches the inner qualifier (a model's prompt) and the product names."""
        self._playbook = playbook
        self._products = {p.name: p.aliases for p in playbook.products}
        if hasattr(self._inner, "playbook"):
            self._inner.playbook = playbook  # type: ignore[attr-defined]

    async def assess(self, texts: list[str]) -> LeadAssessment:
        assessment = await self._inner.assess(texts)
        kept = {k: v for k, v in assessment.fields.items() if k not in VALUE_FIELDS}
        values = extract_fields(texts, products=self._products, today=datetime.now(UTC).date())
        assessment.fields = {**kept, **values}
        return assessment

    async def learn(self, texts: list[str], temperatures: list[str]) -> None:
        await self._inner.learn(texts, temperatures)
