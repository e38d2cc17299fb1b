"""Which knowledge passages answer what was asked: one per part of the question.

The whole question's best passage comes first (most questions are about one thing, and their clauses
are context: "we are a café in Lviv, which machine ..."); each further part then adds its own best, so
"How much is the Office 200 and can you deliver to Lviv tomorrow?" gets the price and the delivery
times, not only the one passage that half fits both. A very short part is read in the light of the whole
question ("shipping to Warsaw - how long and how much?": "how much" is about shipping). Measured on
`bench/data/kb_questions.csv` (`python -m bench.kb_retrieval`, README "Knowledge base").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brain.knowledge.base import KnowledgeBase
from brain.knowledge.passages import Passage
from storage.embeddings import Embedder

CONTEXT_WEIGHT = 0.5  # the whole question's share in each part's query vector; chosen on the dev split
SHORT_PART_WORDS = 3  # a part this short ("how much?") says too little on its own; longer parts stand alone
CANDIDATES = 5  # passages ranked per part
MAX_PASSAGES = 3  # an answer stays short


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a customer's question and the category the router gave it."""

    text: str
    namespaces: list[str] | None = None


class PassagePicker:
    def __init__(self, knowledge: KnowledgeBase, embedder: Embedder, context_weight: float = CONTEXT_WEIGHT) -> None:
        self._knowledge = knowledge
        self._embedder = embedder
        self.context_weight = context_weight
        self.short_part_words = SHORT_PART_WORDS

    async def ranked(
        self,
        query: str,
        *,
        language: str | None,
        namespaces: list[str] | None,
        version: int,
        vector: np.ndarray | None = None,
    ) -> list[Passage]:
        """The best passages for one question (or one part of it, when `vector` carries its context)."""
        return await self._knowledge.search(
            query, language=language, namespaces=namespaces, k=CANDIDATES, vector=vector, version=version
        )

    async def pick(
        self,
        first: list[Passage],
        parts: list[Part],
        *,
        language: str | None,
        version: int,
        floor: float,
        context: np.ndarray | None = None,
    ) -> list[Passage]:
        """The best of `first` (ranked for the whole question), then, when the question has several parts,
        each part's best confident passage not already chosen, in the order asked (at most MAX_PASSAGES)."""
        picks = first[:1]
        if len(parts) < 2:
            return picks
        for part in parts[:MAX_PASSAGES]:
            if len(picks) >= MAX_PASSAGES:
                break
            vector = None
            if context is not None and self.context_weight and len(part.text.split()) <= self.short_part_words:
                # A part is read in the light of the whole question: "how much" after "shipping to Warsaw".
                own = (await self._embedder.embed_queries([part.text]))[0]
                mixed = own + self.context_weight * context
                vector = mixed / max(float(np.linalg.norm(mixed)), 1e-9)
            ranked = await self.ranked(
                part.text,
                language=language,
                namespaces=part.namespaces,
                version=version,
                vector=vector,
            )
            chosen = {(p.document, p.section) for p in picks}
            best = next((p for p in ranked if (p.document, p.section) not in chosen and p.confident(floor)), None)
            if best is not None:
                picks.append(best)
        return picks
