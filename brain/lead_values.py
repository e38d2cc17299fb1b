"""Lead fields as values, whichever qualifier judged the temperature: the rules of `brain.lead_fields`
read quantities, dates, budget, company, role, products and contacts from the customer's own words.
A model's structured-output fields fill only what the rules did not find, and only after the same
validation: its phrase must parse into the same kind of value (a quantity with a unit, a date, an
amount with a currency, a named product), or, for a company, appear in what the customer wrote. So a
card never shows a clipped quote or a value nobody said."""

from __future__ import annotations

from datetime import UTC, date, datetime

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
        today = datetime.now(UTC).date()
        kept = {k: v for k, v in assessment.fields.items() if k not in VALUE_FIELDS}
        values = extract_fields(texts, products=self._products, today=today)
        gaps = self._validated(assessment.fields, texts, today)
        assessment.fields = {**kept, **{k: v for k, v in gaps.items() if k not in values}, **values}
        return assessment

    def _validated(self, proposed: dict[str, object], texts: list[str], today: date) -> dict[str, object]:
        """A qualifier's own field phrases, kept only when they parse like the customer's words would."""
        said = " ".join(texts).casefold()
        out: dict[str, object] = {}
        for key, raw in proposed.items():
            if key not in VALUE_FIELDS or not isinstance(raw, str) or not raw.strip():
                continue
            if key == "company" and raw.strip().casefold() in said:
                out["company"] = raw.strip()
                continue
            parsed = extract_fields([raw], products=self._products, today=today)
            target = "decision_role" if key == "decision_maker" else key
            if target in parsed and target != "company":
                out[target] = parsed[target]
        return out

    async def learn(self, texts: list[str], temperatures: list[str]) -> None:
        await self._inner.learn(texts, temperatures)
