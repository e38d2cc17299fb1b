"""Whichever qualifier judged the lead, its fields are values read from the customer's words; a model's
own field phrases only fill gaps, and only when they validate like the customer's words would."""

from __future__ import annotations

from brain.lead_values import ValuedQualifier
from brain.playbook import load_playbook
from brain.types import LeadAssessment


class ModelLike:
    """Stands in for a model's structured output (the temperature and free-text fields it returns)."""

    def __init__(self, fields: dict[str, object]) -> None:
        self.fields = fields

    async def assess(self, texts: list[str]) -> LeadAssessment:
        return LeadAssessment("hot", 90, ['asks for an invoice: "invoice"'], dict(self.fields))

    async def learn(self, texts: list[str], temperatures: list[str]) -> None:
        return None


async def test_rule_values_win_and_valid_model_phrases_fill_gaps() -> None:
    model = ModelLike(
        {
            "need": "coffee for the office",
            "quantity": "three machines",  # the rules find "2 machines" in the text: theirs wins
            "timeline": "by Friday",  # not in the text, but a valid timeline phrase: fills the gap
            "company": "Initech",  # never said by the customer: dropped
            "budget": "a lot",  # does not parse as an amount: dropped
        }
    )
    qualifier = ValuedQualifier(model, load_playbook())
    assessment = await qualifier.assess(["We want two Office 200, send the invoice please"])
    fields = assessment.fields
    assert fields["quantity"] == [{"amount": 2, "up_to": None, "unit": "machines"}]
    assert fields["product_interest"] == ["Office 200"]
    assert fields["timeline"]["text"].lower().endswith("friday") and fields["timeline"]["date"]
    assert "company" not in fields and "budget" not in fields
    assert fields["need"] == "coffee for the office"  # not a value field: kept as the qualifier wrote it
    assert assessment.temperature == "hot"  # the temperature stays the qualifier's
