"""Answers to frequent questions, served without retrieval or an LLM call.

Exact hits: normalised text + language + knowledge version in the shared cache (Redis in
production). Semantic hits: a near-identical earlier question (cosine >= 0.97) in this process.
The knowledge version is part of every key, so changing a document invalidates everything at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from storage.cache import Cache

TTL_S = 7 * 24 * 3600
SEMANTIC_MIN = 0.97
_NOISE = re.compile(r"[^\w\s]", re.UNICODE)


@dataclass(slots=True)
class CachedAnswer:
    text: str
    sources: list[str]
    intent: str


def normalise(text: str) -> str:
    return " ".join(_NOISE.sub(" ", text.lower()).split())


class AnswerCache:
    def __init__(self, cache: Cache, capacity: int = 2000) -> None:
        self._cache = cache
        self._capacity = capacity
        self._vectors: OrderedDict[tuple[int, str, str], np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(version: int, language: str, text: str) -> str:
        digest = hashlib.sha1(normalise(text).encode()).hexdigest()
        return f"answer:{version}:{language}:{digest}"

    async def get(self, version: int, language: str, text: str, vector: np.ndarray | None) -> CachedAnswer | None:
        raw = await self._cache.get(self._key(version, language, text))
        if raw is None and vector is not None:
            similar = self._nearest(version, language, vector)
            if similar is not None:
                raw = await self._cache.get(self._key(version, language, similar))
        if raw is None:
            self.misses += 1
            return None
        self.hits += 1
        data = json.loads(raw)
        return CachedAnswer(data["text"], data["sources"], data["intent"])

    async def put(
        self, version: int, language: str, text: str, vector: np.ndarray | None, answer: CachedAnswer
    ) -> None:
        payload = json.dumps({"text": answer.text, "sources": answer.sources, "intent": answer.intent})
        await self._cache.set(self._key(version, language, text), payload, TTL_S)
        if vector is not None:
            self._vectors[(version, language, normalise(text))] = vector
            while len(self._vectors) > self._capacity:
                self._vectors.popitem(last=False)

    def _nearest(self, version: int, language: str, vector: np.ndarray) -> str | None:
        best, best_text = SEMANTIC_MIN, None
        for (v, lang, text), stored in self._vectors.items():
            if v == version and lang == language:
                score = float(stored @ vector)
                if score >= best:
                    best, best_text = score, text
        return best_text
