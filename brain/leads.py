"""Lead qualification: BANT-style fields, a 0-100 score, Hot / Warm / Cold, and reasons in the customer's words.

Offline it judges by phrase rules (ru / uk / en, `brain/lead_signals.py`) written from the labelling
rule in `bench/data/leads.md`, message by message through the conversation, with labelled examples (the
playbook's, managers' corrections, or an eval training file) as a second opinion: a near-identical
example gives its label (a message a manager corrected is classified the corrected way from then on),
and a regression over the examples overrules the rules only when it is sure. `bench.lead_temperature`
measures both.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np

from brain.lead_cues import CUES
from brain.lead_signals import MASKED_BY, NEGATABLE, NEGATED, SIGNALS, normal
from brain.limits import bounded
from brain.router import find_contacts
from brain.softmax import SoftmaxRegression
from brain.types import LeadAssessment, Temperature
from storage.embeddings import Embedder

HOT_FROM, WARM_FROM = 50, 20
# Cosine above which an example counts as the same message: on the sample's examples distinct messages
# reach 0.96, the same one re-typed (case, punctuation, a typo, "thanks" added) 0.96-1.0, mostly over 0.97.
SAME_MESSAGE = 0.97
EXAMPLE_SCORES = {"hot": 85, "warm": 40, "cold": 5}
BLEND_MIN_EXAMPLES = 30  # fewer examples: only a near-identical one counts
SURE = 0.95  # the regression's probability needed to overrule the rules
NEIGHBOURS = 5


def temperature_of(score: int) -> Temperature:
    return "hot" if score >= HOT_FROM else "warm" if score >= WARM_FROM else "cold"


def _quote(text: str, start: int, end: int, width: int = 30) -> str:
    left = text.rfind(" ", 0, max(0, start - width)) + 1
    right = text.find(" ", min(len(text), end + width))
    return text[left : right if right != -1 else len(text)].strip(" ,.;")


def _cues(text: str) -> dict[str, str]:
    """Each cue found in one message, quoted from it."""
    plain, index = normal(text)
    found = {}
    masked = {}
    for mask in set(MASKED_BY.values()):
        masked[mask] = CUES[mask].sub(lambda m: " " * len(m.group()), plain)
    for name, pattern in CUES.items():
        read = masked.get(MASKED_BY.get(name, ""), plain)
        matches = pattern.finditer(read)
        if name in NEGATABLE:
            matches = (m for m in matches if not NEGATED.search(read, max(0, m.start() - 20), m.start()))
        match = next(matches, None)
        if match and match.end() > match.start():
            found[name] = _quote(text, index[match.start()], index[match.end() - 1] + 1)
    emails, phones = find_contacts(text)
    if emails or phones or "handle" in found:
        found["contact"] = (phones + emails)[0] if phones or emails else found["handle"]
    return found


@dataclass(slots=True)
class _Judgement:
    hot: list[str] = field(default_factory=list)  # reasons of a standing commitment
    warm: list[str] = field(default_factory=list)  # reasons of standing interest
    cold: list[str] = field(default_factory=list)  # why interest was lowered or is absent
    support: bool = False  # the conversation is about a machine the customer owns
    item: bool = False  # a product, a machine or a quantity has been named

    def read(self, text: str) -> None:
        """One customer message, in order: it may commit, show interest, defer, or withdraw."""
        c = _cues(text)
        r = {name: f'{name.replace("_", " ")}: "{quote}"' for name, quote in c.items()}
        self.item = self.item or "item" in c
        commitment = [r[n] for n in ("commitment", "want_product", "paid_machine") if n in c]
        if ("spam" in c or "job" in c or ("off_topic" in c and "interest" not in c)) and not commitment:
            self.cold = [r[n] for n in ("spam", "job", "off_topic") if n in c]
            return
        if "rejection" in c or "withdrawal" in c:  # what was said before no longer stands
            self.hot, self.warm, self.support = [], [], False
            self.cold = [r[n] for n in ("rejection", "withdrawal") if n in c]
            if "rejection" in c or not commitment:  # "cancel the Office 200, we'll take the Compact 80" commits
                return
        wants = "need" in c or "want_product" in c or "commitment" in c
        if "near_date" in c and self.item and wants and "demo" not in c:
            commitment.append(r["near_date"])
        if "approved" in c and (wants or "item" in c):
            commitment.append(r["approved"])
        interest = [r[n] for n in ("interest", "product_question", "price_list", "demo") if n in c]
        if "need" in c and "item" in c and "maintenance" not in c:
            interest.append(r["need"])  # "we're looking for a machine for the hotel"
        if "contact" in c and ("call_back" in c or ("price_list" not in c and (interest or self.warm or wants))):
            commitment.append(r["contact"])
        owned = "support" in c or "owned" in c
        # Buying something for a machine they own (parts, a service) is support; buying a machine is not.
        buys_machine = ("commitment" in c or "paid_machine" in c) and "item" in c and "maintenance" not in c
        moves_on = "new_machine" in c or buys_machine or (self.support and not owned and "item" in c)
        if (owned or self.support) and not moves_on:
            self.support = True
            self.cold = [r[n] for n in ("support", "owned", "maintenance") if n in c] or self.cold
            return
        if ("complaint" in c or "paperwork" in c) and not buys_machine:
            self.cold = [r[n] for n in ("complaint", "paperwork") if n in c]
            return
        self.support = False
        if commitment:
            self.hot = self.hot + commitment
        elif "deferral" in c:
            self.hot, self.warm, self.cold = [], [], [r["deferral"]]
        elif interest:
            self.warm = self.warm + interest


def rule_assessment(texts: list[str]) -> LeadAssessment:
    """Judged message by message, oldest first, on the labelling rule (bench/data/leads.md): a commitment
    is Hot and stands until withdrawn or deferred; concrete interest is Warm unless "not now / next
    year / just comparing" lowers it; support for an owned machine, paperwork, complaints, greetings
    and off-topic messages are Cold. The score says how much stands behind the temperature.
    """
    texts = [bounded(t) for t in texts]
    # The older phrase signals still name the need (the qualification question "need" is asked when it is
    # missing); the value fields come from `brain.lead_fields` (see `brain.lead_values`).
    fields: dict[str, object] = {}
    for signal in SIGNALS:
        for text in reversed(texts):
            match = signal.pattern.search(text)
            if match:
                if signal.field:
                    fields[signal.field] = _quote(text, match.start(), match.end())
                break
    emails, phones = [], []
    for text in texts:
        found_emails, found_phones = find_contacts(text)
        emails += found_emails
        phones += found_phones
    if emails or phones:
        fields["contact"] = {"phone": phones[0] if phones else None, "email": emails[0] if emails else None}
    judgement = _Judgement()
    for text in texts:
        judgement.read(text)
    if judgement.hot:  # why it is Hot: the commitment, not the questions around it
        reasons = list(dict.fromkeys(judgement.hot))
        score = min(100, HOT_FROM + 10 * len(reasons))
    elif judgement.warm:
        reasons = list(dict.fromkeys(judgement.warm))
        score = min(HOT_FROM - 1, WARM_FROM + 10 * len(reasons))
    else:
        reasons = judgement.cold
        score = 10 if reasons else 0
    return LeadAssessment(temperature_of(score), score, reasons, fields)


class LeadQualifier:
    """The rules, with labelled examples (the playbook's, managers' corrections, an eval training file)
    as a second opinion on the message that decides.

    A near-identical example gives its label. Otherwise, with enough examples, a softmax regression over
    the examples' embeddings and their nearest neighbours must agree, and be sure, to overrule the rules:
    to decide what the rules left Cold for want of any reason, or a Warm either way. A commitment the
    rules found, or a reason for Cold (support, a deferral, paperwork...), stands. In a conversation they
    only judge the last message when it alone gives the rules' temperature: "thanks" after an order does
    not cool it.
    """

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._texts: list[str] = []
        self._labels: list[str] = []
        self._vectors = np.zeros((0, 0), np.float32)
        self._model: tuple[SoftmaxRegression, list[str]] | None = None

    async def learn(self, texts: list[str], temperatures: list[str]) -> None:
        if not texts:
            return
        vectors = await self._embedder.embed_queries(texts)
        self._vectors = np.vstack([self._vectors, vectors]) if self._texts else vectors
        self._texts += texts
        self._labels += temperatures
        self._model = await asyncio.to_thread(self._fit, self._vectors, list(self._labels))

    @staticmethod
    def _fit(vectors: np.ndarray, labels: list[str]) -> tuple[SoftmaxRegression, list[str]] | None:
        classes = sorted(set(labels))
        if len(labels) < BLEND_MIN_EXAMPLES or len(classes) < 2:
            return None
        y = np.array([classes.index(label) for label in labels])
        return SoftmaxRegression(l2=1e-3, scale=30).fit(vectors, y, len(classes)), classes

    async def assess(self, texts: list[str]) -> LeadAssessment:
        """Qualify a conversation from the customer's messages (oldest first)."""
        texts = [t for t in texts if t.strip()]
        assessment = await asyncio.to_thread(rule_assessment, texts)  # pure-Python rules: off the event loop
        if not texts or not self._texts:
            return assessment
        if (
            len(texts) > 1
            and (await asyncio.to_thread(rule_assessment, texts[-1:])).temperature != assessment.temperature
        ):
            return assessment  # the last message does not decide the conversation
        vector = (await self._embedder.embed_queries([texts[-1]]))[0]
        sims = self._vectors @ vector
        best = int(np.argmax(sims))
        if sims[best] >= SAME_MESSAGE:
            label = self._labels[best]
            score = max(assessment.score, EXAMPLE_SCORES[label]) if label == "hot" else EXAMPLE_SCORES[label]
            reason = f'a manager marked a message like this {label}: "{self._texts[best][:60]}"'
            return LeadAssessment(label, score, [reason, *assessment.reasons], assessment.fields)  # type: ignore[arg-type]
        label = self._second_opinion(vector, sims)
        if label is None or label == assessment.temperature or assessment.temperature == "hot":
            return assessment  # a commitment the rules found stands
        if assessment.temperature == "cold" and assessment.reasons:
            return assessment  # so does a reason for Cold they found (support, a deferral, paperwork...)
        reason = f'like the {label} examples: "{_quote(texts[-1], 0, 0, 60)}"'
        return LeadAssessment(label, EXAMPLE_SCORES[label], [reason, *assessment.reasons], assessment.fields)  # type: ignore[arg-type]

    def _second_opinion(self, vector: np.ndarray, sims: np.ndarray) -> str | None:
        """The examples' temperature when the regression is sure and the nearest examples agree."""
        if self._model is None:
            return None
        model, classes = self._model
        probs = np.exp(model.log_proba(vector[None, :])[0])
        top = np.argsort(-sims)[:NEIGHBOURS]
        votes = dict.fromkeys(classes, 0.0)
        for i in top:
            votes[self._labels[i]] += max(float(sims[i]), 0.0) ** 4
        label = classes[int(np.argmax(probs))]
        return label if probs.max() >= SURE and max(votes, key=votes.__getitem__) == label else None
