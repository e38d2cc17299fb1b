"""What retrieval gives (passages) and what indexing reports."""

from __future__ import annotations

from dataclasses import dataclass

from storage.documents import DocumentRecord


@dataclass(slots=True)
class Passage:
    text: str
    title: str
    section: str
    document: str
    namespace: str
    language: str
    similarity: float
    code_match: bool = False  # the question names a part number or model code this passage contains

    def confident(self, floor: float) -> bool:
        """Close enough in meaning, or naming the exact code asked about (dense models blur codes)."""
        return self.similarity >= floor or self.code_match


@dataclass(slots=True)
class IngestResult:
    document: DocumentRecord
    chunks: int
    unchanged: bool
    language: str | None
    previous: DocumentRecord | None = None  # the version serving before (a staged one replaces it on Publish)
    pages: int = 1
