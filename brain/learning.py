"""Learning from managers: approved question/answer pairs, served directly or shown to the LLM as examples.

DESIGN "Learning": answers managers give during a takeover become reviewed examples. An approved pair is
served as the answer to the same question asked again (cosine >= DIRECT_MIN) while the knowledge version
it was approved under stands; a document change ends that, because the answer may now be stale. Whatever
the version, the nearest approved pairs are the third layer of the LLM prompt (few-shot examples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storage.embeddings import Embedder
from storage.reviewed_answers import ReviewedAnswer, ReviewedAnswerRepository

DIRECT_MIN = 0.93
FEW_SHOT_MIN = 0.80
FEW_SHOT_K = 3


@dataclass(slots=True)
class LearnedAnswer:
    question: str
    answer: str
    language: str
    similarity: float


class LearnedAnswers:
    """Approved pairs in memory (a few hundred at most), reloaded from MongoDB on approval and periodically."""

    def __init__(self, repository: ReviewedAnswerRepository, embedder: Embedder) -> None:
        self.repository = repository
        self._embedder = embedder
        self._records: list[ReviewedAnswer] = []
        self._matrix = np.zeros((0, 0), np.float32)

    async def reload(self) -> None:
        records = [r for r in await self.repository.approved() if r.vector]
        dims = {len(r.vector) for r in records}
        if len(dims) > 1:  # the embedding model changed: keep the pairs that match the newest one
            newest = len(records[-1].vector)
            records = [r for r in records if len(r.vector) == newest]
        self._records = records
        self._matrix = np.array([r.vector for r in records], np.float32) if records else np.zeros((0, 0), np.float32)

    async def review(
        self, example_id: str, approved: bool, reviewer_id: int, knowledge_version: int
    ) -> ReviewedAnswer | None:
        """Approve (embedding the question) or discard a pending pair; None if it was already reviewed."""
        record = await self.repository.get(example_id)
        if record is None or record.status != "pending":
            return None
        vector = None
        if approved:
            vector = (await self._embedder.embed_queries([record.question]))[0].astype(float).tolist()
        reviewed = await self.repository.review(example_id, approved, reviewer_id, vector, knowledge_version)
        if reviewed is not None and approved:
            await self.reload()
        return reviewed

    def _scored(self, vector: np.ndarray, language: str) -> list[tuple[float, ReviewedAnswer]]:
        if not self._records or self._matrix.shape[1] != vector.shape[0]:
            return []
        scores = self._matrix @ vector
        ranked = sorted(zip(scores.tolist(), self._records, strict=True), key=lambda pair: -pair[0])
        return [(score, record) for score, record in ranked if record.language == language]

    def direct(self, vector: np.ndarray, language: str, knowledge_version: int) -> LearnedAnswer | None:
        """The approved answer to this very question, if the knowledge it was given under still stands."""
        for score, record in self._scored(vector, language):
            if score < DIRECT_MIN:
                return None
            if record.knowledge_version == knowledge_version:
                return LearnedAnswer(record.question, record.answer, record.language, score)
        return None

    def similar(self, vector: np.ndarray, language: str, k: int = FEW_SHOT_K) -> list[LearnedAnswer]:
        """The nearest approved pairs in the customer's language, for the prompt's examples layer."""
        return [
            LearnedAnswer(record.question, record.answer, record.language, score)
            for score, record in self._scored(vector, language)[:k]
            if score >= FEW_SHOT_MIN
        ]
