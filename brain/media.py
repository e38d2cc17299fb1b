"""Which catalogue asset a customer asks for ("send me the dealer presentation"), found by meaning.

A message asks for a file when it names one (presentation, video, price list, brochure... in ru/uk/en);
the assets are then ranked by cosine between the message and each asset's embedded summary. One clear
winner is sent; several close ones are offered as buttons; a partner-only asset is never offered to
anyone who is not a partner (politely refused instead); nothing close enough means the ordinary answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

ASSET_PAYLOAD = "asset:"  # a button choosing one asset: `asset:<id>`
MIN_SCORE = 0.825  # e5 cosines sit high: below this the asset is about something else (bench.media_match)
CLOSE = 0.015  # runners-up within this of the best are real alternatives worth a question
MAX_CHOICES = 4

_NAMES_A_FILE = re.compile(
    r"презентац|presentation|slides|\bdeck\b|\bпрез[уаы]?\b|видео|відео|video|ролик|прайс|price\s?list|pricelist|каталог|catalog|брошюр|brochure"
    r"|буклет|booklet|\bpdf\b|файл|\bfile|документ|document|инструкц|інструкц|manual|guide|сертиф|certificat"
    r"|фото|photo|picture|\bpics?\b|картинк|видос|відос|\bdocs?\b|polic|політик|политик|логотип|\blogo|брендбук|brand\s?book|шаблон|template|договор|договір|contract"
    r"|подкаст|podcast|аудио|аудіо|audio|запис|recording|spec\s?sheet|специфікац|спецификац|datasheet"
    r"|матеріал|материал|material|\bkit\b|кит\b|курс|course|тренінг|тренинг|training|умови|условия|terms",
    re.IGNORECASE,
)


def names_a_file(text: str) -> bool:
    return _NAMES_A_FILE.search(text) is not None


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    asset_id: str
    kind: str
    title: str
    audience: str  # buyer | partner | all
    language: str | None = None


@dataclass(slots=True)
class MediaChoice:
    outcome: Literal["send", "choose", "refuse", "none"]
    assets: list[CatalogEntry] = field(default_factory=list)
    score: float = 0.0


class MediaMatcher:
    """The catalogue in memory (it is small): entries and their unit vectors, replaced whole on a change."""

    def __init__(self) -> None:
        self._entries: list[CatalogEntry] = []
        self._vectors = np.zeros((0, 0), dtype=np.float32)

    def load(self, entries: list[CatalogEntry], vectors: list[list[float]]) -> None:
        kept = [(e, v) for e, v in zip(entries, vectors, strict=True) if v]
        self._entries = [e for e, _ in kept]
        matrix = np.asarray([v for _, v in kept], dtype=np.float32)
        if len(matrix):
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
        self._vectors = matrix

    @property
    def empty(self) -> bool:
        return not self._entries

    def get(self, asset_id: str) -> CatalogEntry | None:
        return next((e for e in self._entries if e.asset_id == asset_id), None)

    def choose(self, query: np.ndarray, audience: str) -> MediaChoice:
        """`audience` is the customer's: partner sees everything, anyone else buyer and all-audience assets."""
        if self.empty:
            return MediaChoice("none")
        unit = query.astype(np.float32) / (np.linalg.norm(query) + 1e-9)
        scores = self._vectors @ unit
        order = np.argsort(-scores)
        allowed = [i for i in order if self._entries[i].audience != "partner" or audience == "partner"]
        best_any = float(scores[order[0]])
        if not allowed or float(scores[allowed[0]]) < MIN_SCORE:
            # The best match is partner-only and the customer is not a partner: say so, send nothing.
            if best_any >= MIN_SCORE and self._entries[order[0]].audience == "partner":
                return MediaChoice("refuse", [self._entries[order[0]]], best_any)
            return MediaChoice("none", score=best_any)
        top = float(scores[allowed[0]])
        if self._entries[order[0]].audience == "partner" and audience != "partner" and best_any - top > CLOSE:
            return MediaChoice("refuse", [self._entries[order[0]]], best_any)  # they asked for the partner one
        close = [self._entries[i] for i in allowed if top - float(scores[i]) <= CLOSE][:MAX_CHOICES]
        return MediaChoice("send" if len(close) == 1 else "choose", close, top)
