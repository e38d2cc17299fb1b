"""Hybrid retrieval: BM25 beside dense vectors finds exact part numbers and rare words, stays in step with
the knowledge across processes, and forgets deleted documents."""

from __future__ import annotations

import asyncio

import numpy as np

from brain.knowledge.base import KnowledgeBase
from brain.knowledge.lexical import LexicalIndex, codes
from channels.messages import InboundMessage
from storage.vectors import VectorCollection, matches, open_chroma
from tests.conftest import unique_id

PARTS = """# Spare parts

## Group head gasket
Group head gasket kit for Barista Pro, article 55-1203. Replace yearly.

## Steam wand tip
Steam wand tip with four holes, article 77-4410. Fits all machines.

## Shower screen
Shower screen for the group head, article 55-1207. Clean weekly.

## Water filter cartridge
Water filter cartridge, article 31-0090. Replace every two months.

## Portafilter basket
Double portafilter basket, article 55-1290. Stainless steel.

## Drip tray
Drip tray for Office 200, article 42-7781.
"""


def test_bm25_stems_inflections_ignores_question_words_and_filters():
    index = LexicalIndex()
    index.add("d1:0", "Доставка по Украине занимает 2-4 дня", "d1", "kb", "ru")
    index.add("d2:0", "Сколько стоит гарантия? Гарантия 24 месяца", "d2", "kb", "ru")
    index.add("d3:0", "Partner discounts start at 10 percent", "d3", "partner", "en")
    assert list(index.search("сроки доставки", 5)) == ["d1:0"]  # "доставки" ~ "Доставка"
    assert index.search("сколько стоит", 5) == {}  # how a question is asked matches nothing
    assert list(index.search("partner discounts", 5, namespaces=["kb"])) == []
    assert list(index.search("partner discounts", 5, language="en")) == ["d3:0"]
    index.add("d1:0", "Самовывоз из Киева", "d1", "kb", "ru")  # re-indexing a chunk replaces it
    assert index.search("доставка", 5) == {}
    index.remove_document("d3")
    assert index.search("partner", 5) == {} and len(index) == 2


def test_codes_are_part_numbers_not_prices():
    assert codes("Is 55-1207 in stock for the G64? It costs 149 EUR") == {"55-1207", "g64"}


async def test_part_numbers_find_their_passage_and_count_as_confident(services_factory):
    async with services_factory() as services:
        await services.knowledge.ingest_text("parts.md", PARTS)
        for question, section in [
            ("Do you have 55-1207 in stock?", "Shower screen"),
            ("31-0090 price?", "Water filter cartridge"),
            ("55-1203", "Group head gasket"),
        ]:
            [best, *_] = await services.knowledge.search(question, language="en")
            assert best.section == section and best.code_match, question
        # Offline, the customer gets the part's passage rather than "I don't know".
        result = await services.hub.handle(InboundMessage("web", "parts", unique_id(), text="Do you have 55-1207?"))
        assert "55-1207" in result.replies[0].text


async def test_another_process_changing_the_knowledge_rebuilds_the_lexical_index(services_factory):
    async with services_factory() as services:
        own = services.knowledge
        await (await own.prepare())  # the lexical index is loaded at this version
        other = KnowledgeBase(
            services.clients.vectors, services.clients.embedder, services.repos.documents, services.repos.meta
        )
        added = await other.ingest_text("parts.md", PARTS)
        # This process reads the knowledge version at most once a second (VERSION_FRESH_S): seen soon after.
        assert await _eventually(own, "55-1203", lambda found: found[0].section == "Group head gasket")

        await other.delete(added.document.id)
        assert await _eventually(own, "55-1203 gasket kit", lambda found: all(p.document != "parts.md" for p in found))


async def _eventually(knowledge: KnowledgeBase, query: str, holds, seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.1)):
        passages = await knowledge.search(query, language="en")
        if passages and holds(passages):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_filtered_queries_match_an_exact_search_on_both_paths(tmp_path):
    """Common filters are served from the unfiltered neighbours, rare ones by Chroma's own filter; both
    must return exactly the nearest matching chunks."""
    rng = np.random.default_rng(7)
    collection = VectorCollection(open_chroma(tmp_path, None, 0), "filters-test")
    vectors = rng.standard_normal((600, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    metas = [
        {"lang": "uk" if i % 50 == 0 else ("ru" if i % 2 else "en"), "namespace": "partner" if i % 3 == 0 else "kb"}
        for i in range(600)
    ]
    await collection.upsert([str(i) for i in range(600)], vectors, [f"chunk {i}" for i in range(600)], metas)
    for where in (
        {"lang": "en"},  # half the chunks: the unfiltered neighbours suffice
        {"$and": [{"namespace": {"$in": ["kb"]}}, {"lang": "ru"}]},
        {"lang": "uk"},  # 12 chunks: Chroma filters
        {"$and": [{"namespace": {"$in": ["partner"]}}, {"lang": "uk"}]},
    ):
        for _ in range(5):
            query = vectors[rng.integers(600)] + 0.3 * rng.standard_normal(16).astype(np.float32)
            query /= np.linalg.norm(query)
            allowed = [i for i in range(600) if matches(metas[i], where)]
            expected = sorted(allowed, key=lambda i: -float(vectors[i] @ query))[:10]
            got = [int(hit.id) for hit in await collection.query(query, 10, where)]
            assert got == expected, where
