"""What-if retrieval for the knowledge-change replay: inside `replaying(view)`, searches leave out the serving
version of a document and read its staged new version instead. A context variable scopes it to the replay's
own task, so live turns running at the same time never see a staged version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

from storage.vectors import VectorCollection, VectorHit


@dataclass(frozen=True, slots=True)
class ReplayView:
    hidden: str | None = None  # the serving document id left out
    staged: str | None = None  # the staged document id read in its place

    async def adjust(
        self,
        hits: list[VectorHit],
        vector: np.ndarray,
        k: int,
        where: dict[str, Any] | None,
        staging: VectorCollection | None,
    ) -> list[VectorHit]:
        kept = [h for h in hits if h.metadata.get("document_id") != self.hidden]
        if self.staged and staging is not None:
            staged = {"document_id": self.staged}
            kept += await staging.query(vector, k, staged if where is None else {"$and": [where, staged]})
        return sorted(kept, key=lambda h: -h.similarity)[:k]


_VIEW: ContextVar[ReplayView | None] = ContextVar("knowledge_replay_view", default=None)


def current_view() -> ReplayView | None:
    return _VIEW.get()


@contextmanager
def replaying(view: ReplayView) -> Iterator[None]:
    """Searches in this block (dense only, no answer cache) see the knowledge as `view` says."""
    token = _VIEW.set(view)
    try:
        yield
    finally:
        _VIEW.reset(token)
