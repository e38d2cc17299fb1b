"""The composition root: every client is built here once, passed down, and closed on the way out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from openai import AsyncOpenAI
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from app.settings import Settings
from brain.answer_cache import AnswerCache
from brain.classifier import IntentClassifier
from brain.knowledge.base import KnowledgeBase
from brain.leads import LeadQualifier
from brain.llm import LLMResponder
from brain.llm_leads import LLMLeadQualifier
from brain.llm_router import LLMRouter
from brain.offline import OfflineResponder
from brain.playbook import Playbook, load_playbook
from brain.reviewed import ReviewedExamples
from brain.router import OfflineRouter
from brain.service import Brain
from channels.crm import CrmEvents
from channels.hub import Hub, Repositories
from channels.lead_tracking import LeadTracker
from channels.metrics import PipelineMetrics
from channels.outbox import Outbox
from channels.web import WebOutbound
from storage.cache import Cache, MemoryCache, RedisCache
from storage.crm_outbox import CrmOutbox
from storage.documents import DocumentRepository
from storage.embeddings import Embedder, LocalEmbedder, OpenAIEmbedder, QueryMemo
from storage.examples import ExampleRepository
from storage.inbox import InboxRepository
from storage.leads import LeadRepository
from storage.mongo import Database, EmbeddedMongo, connect_mongo, ensure_indexes
from storage.repositories import ContactRepository, ConversationRepository, EventLog, MessageRepository
from storage.vectors import VectorCollection, open_chroma

log = logging.getLogger(__name__)

SIMILARITY_FLOOR = 0.83  # e5 cosine; calibrated on the example knowledge (README, "Retrieval")
ROUTER_THRESHOLD = 0.4  # below it the router says out-of-scope; retrieval's floor still decides answers


@dataclass(slots=True)
class Services:
    settings: Settings
    mongo_client: AsyncMongoClient[dict[str, Any]]
    db: Database
    cache: Cache
    redis_configured: bool
    vectors: VectorCollection
    embedder: Embedder
    documents: DocumentRepository
    knowledge: KnowledgeBase
    playbook: Playbook
    brain: Brain
    repos: Repositories
    inbox: InboxRepository
    outbox: Outbox
    hub: Hub
    registry: CollectorRegistry
    openai: AsyncOpenAI | None
    leads: LeadRepository
    lead_tracker: LeadTracker
    crm: CrmEvents
    examples: ReviewedExamples


def build_openai(settings: Settings) -> AsyncOpenAI | None:
    if not settings.llm_enabled:
        return None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return AsyncOpenAI(
        api_key=key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
    )


def example_knowledge_dir() -> Path:
    return Path(str(resources.files("brain").joinpath("examples/knowledge")))


@asynccontextmanager
async def open_services(settings: Settings, *, seed_knowledge: bool = True) -> AsyncIterator[Services]:
    """Start every dependency in order; StorageUnavailable when one cannot be reached."""
    async with AsyncExitStack() as stack:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.mongodb_uri is not None:
            uri = settings.mongodb_uri.get_secret_value()
        else:
            embedded = EmbeddedMongo(settings.data_dir / "mongo")
            uri = embedded.start()
            stack.callback(embedded.stop)
        client, db = await connect_mongo(uri, settings.mongodb_db, settings.mongodb_timeout_ms)
        stack.push_async_callback(client.close)
        await ensure_indexes(db)

        cache: Cache
        if settings.redis_url is not None:
            cache = await RedisCache.connect(settings.redis_url.get_secret_value())
        else:
            cache = MemoryCache()
        stack.push_async_callback(cache.close)

        openai_client = build_openai(settings)
        if openai_client is not None:
            stack.push_async_callback(openai_client.close)
        embedder: Embedder
        if settings.embeddings == "openai":
            if openai_client is None:
                raise ValueError("EMBEDDINGS=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
            embedder = OpenAIEmbedder(openai_client, settings.embeddings_model)
        else:
            embedder = LocalEmbedder()
        embedder = QueryMemo(embedder)
        chroma = open_chroma(settings.data_dir, settings.chroma_host, settings.chroma_port)
        # Vectors of different models cannot share a collection.
        vectors = VectorCollection(chroma, "knowledge-" + embedder.name.split(":")[0])

        documents = DocumentRepository(db)
        knowledge = KnowledgeBase(vectors, embedder, documents, db)
        knowledge.lexical_weight = settings.retrieval_lexical_weight
        if seed_knowledge:
            await seed_once(db, knowledge, settings.knowledge_seed_dir or example_knowledge_dir())
        loading = await knowledge.prepare()
        stack.push_async_callback(_cancel, loading)

        playbook = load_playbook(settings.playbook)
        router = await OfflineRouter.build(playbook, IntentClassifier(embedder, ROUTER_THRESHOLD, oos_as_class=True))
        llm = LLMResponder(openai_client, settings.llm_model, playbook) if openai_client else None
        llm_router = LLMRouter(openai_client, settings.llm_model_fast, playbook) if openai_client else None
        offline = OfflineResponder(playbook, SIMILARITY_FLOOR)
        examples = ReviewedExamples(ExampleRepository(db), embedder)
        await examples.reload()
        brain = Brain(
            playbook,
            router,
            knowledge,
            offline,
            llm,
            cache=AnswerCache(cache),
            llm_router=llm_router,
            state=cache,
            examples=examples,
        )

        repos = Repositories(ContactRepository(db), ConversationRepository(db), MessageRepository(db), EventLog(db))
        registry = CollectorRegistry()
        outbox = Outbox(repos.messages, repos.conversations)
        outbox.register(WebOutbound())
        leads = LeadRepository(db)
        await leads.ensure_indexes()
        qualifier: LeadQualifier | LLMLeadQualifier = LeadQualifier(embedder)
        await qualifier.learn(*playbook_lead_examples(playbook))
        if openai_client is not None:
            qualifier = LLMLeadQualifier(openai_client, settings.llm_model_fast, playbook, qualifier)
        lead_tracker = LeadTracker(qualifier, leads, db)
        await lead_tracker.load_corrections()
        crm_outbox = CrmOutbox(db)
        await crm_outbox.ensure_indexes()
        crm_client = httpx.AsyncClient(timeout=10) if settings.crm_webhook_url else None
        if crm_client is not None:
            stack.push_async_callback(crm_client.aclose)
        secret = settings.crm_webhook_secret.get_secret_value() if settings.crm_webhook_secret else None
        crm = CrmEvents(crm_outbox, crm_client, settings.crm_webhook_url, secret)
        lead_tracker.listeners.append(crm.on_lead_change)
        hub = Hub(repos, cache, brain, outbox, PipelineMetrics(registry), settings.max_inbound_chars, lead_tracker)
        log.info(
            "services ready (llm=%s, embeddings=%s, redis=%s)",
            brain.llm_enabled,
            embedder.name,
            settings.redis_url is not None,
        )
        yield Services(
            settings=settings,
            mongo_client=client,
            db=db,
            cache=cache,
            redis_configured=settings.redis_url is not None,
            vectors=vectors,
            embedder=embedder,
            documents=documents,
            knowledge=knowledge,
            playbook=playbook,
            brain=brain,
            repos=repos,
            inbox=InboxRepository(db),
            outbox=outbox,
            hub=hub,
            registry=registry,
            openai=openai_client,
            leads=leads,
            lead_tracker=lead_tracker,
            crm=crm,
            examples=examples,
        )


async def _cancel(task: asyncio.Task[None]) -> None:
    """Stop a background task at shutdown; its own cancellation is the expected outcome."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def playbook_lead_examples(playbook: Playbook) -> tuple[list[str], list[str]]:
    """The playbook's Hot / Warm / Cold example messages, as labelled examples for the qualifier."""
    texts: list[str] = []
    labels: list[str] = []
    if playbook.qualification is not None:
        for temperature in ("hot", "warm", "cold"):
            examples = getattr(playbook.qualification, temperature).examples
            texts += examples
            labels += [temperature] * len(examples)
    return texts, labels


async def seed_once(db: Database, knowledge: KnowledgeBase, folder: Path) -> None:
    """Index the example knowledge on first start only: an admin who deletes it does not get it back."""
    marker = await db.meta.find_one({"_id": "seeded"})
    if marker is not None:
        return
    await knowledge.seed_directory(folder)
    await db.meta.insert_one({"_id": "seeded", "folder": str(folder)})
