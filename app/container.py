"""The composition root: every client is built here once, passed down, and closed on the way out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from openai import AsyncOpenAI
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from app.gauges import register_gauges
from app.media import Media, build_media
from app.playbook_parts import build_router, playbook_lead_examples
from app.repositories import Repositories
from app.settings import Settings
from app.shutdown import WEB_ANSWER_WITHIN_S
from app.turn_queue import TurnRole, shared_turns
from brain.answer_cache import AnswerCache
from brain.flood import FloodPolicy
from brain.insights import InsightMapper
from brain.knowledge.base import KnowledgeBase
from brain.knowledge.seeding import seed_once
from brain.lead_values import ValuedQualifier
from brain.leads import LeadQualifier
from brain.learning import LearnedAnswers
from brain.llm import LLMResponder
from brain.llm_leads import LLMLeadQualifier
from brain.llm_router import LLMRouter
from brain.offline import OfflineResponder
from brain.playbook import Playbook, load_playbook
from brain.qualification import LeadCorrections, Qualifier
from brain.service import Brain
from channels.alerts import OpsAlerts
from channels.audit import AuditTrail
from channels.crm import CrmWebhook
from channels.csat import CsatSurvey
from channels.events import ConversationEvents
from channels.flood import FloodGate
from channels.hub import Hub
from channels.insights import Insights
from channels.metrics import PipelineMetrics
from channels.outbox import Outbox
from channels.ownership import Ownership
from channels.pacing import OutboundPacer
from channels.stores import Stores
from channels.web import WebOutbound
from channels.web_waits import Stopping
from storage.cache import Cache, MemoryCache, RedisCache
from storage.command_count import CommandCounter
from storage.degradable_cache import DegradableCache
from storage.embedded_mongo import EmbeddedMongoProcess
from storage.embeddings import Embedder, LocalEmbedder, OpenAIEmbedder, QueryMemo
from storage.insights import InsightQueries
from storage.mongo import Database, EmbeddedMongo, connect_mongo, ensure_indexes
from storage.replicas import new_replica_id
from storage.vectors import VectorCollection, open_chroma

log = logging.getLogger(__name__)

SIMILARITY_FLOOR = 0.83  # e5 cosine; calibrated on the example knowledge (README, "Retrieval")


@dataclass(slots=True)
class Clients:
    """Connections and models: built first, closed last."""

    mongo: AsyncMongoClient[dict[str, Any]]
    db: Database
    cache: Cache
    redis_configured: bool
    vectors: VectorCollection
    embedder: Embedder
    openai: AsyncOpenAI | None
    registry: CollectorRegistry
    staging: VectorCollection
    redis: aioredis.Redis | None = None  # the raw client, for the shared turn queue (Redis Streams)


@dataclass(slots=True)
class Services:
    settings: Settings
    clients: Clients
    repos: Repositories
    knowledge: KnowledgeBase
    brain: Brain
    learned: LearnedAnswers
    lead_corrections: LeadCorrections
    events: ConversationEvents
    outbox: Outbox
    ownership: Ownership
    hub: Hub
    stores: Stores
    metrics: PipelineMetrics
    crm: CrmWebhook
    media: Media
    insights: Insights
    csat: CsatSurvey
    alerts: OpsAlerts = field(default_factory=OpsAlerts)
    stopping: Stopping = field(default_factory=lambda: Stopping(answer_within_s=WEB_ANSWER_WITHIN_S))


def build_openai(settings: Settings) -> AsyncOpenAI | None:
    llm = settings.llm
    if not llm.enabled:
        return None
    return AsyncOpenAI(
        api_key=llm.api_key.get_secret_value() if llm.api_key else "not-needed",
        base_url=llm.base_url,
        timeout=llm.timeout_s,
        max_retries=llm.max_retries,
    )


def example_knowledge_dir() -> Path:
    return Path(str(resources.files("brain").joinpath("sample/knowledge")))


async def open_clients(settings: Settings, stack: AsyncExitStack, embedder: Embedder | None = None) -> Clients:
    """Connect to (or start) every backing service; each is closed by `stack` on the way out. An
    `embedder` passed in belongs to the caller (it is neither built nor closed here)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.mongo.uri is not None:
        uri = settings.mongo.uri.get_secret_value()
    else:
        # Its own process where the platform allows (its Python no longer shares this process's GIL).
        server_type = EmbeddedMongoProcess if EmbeddedMongoProcess.supported() else EmbeddedMongo
        embedded = server_type(settings.data_dir / "mongo")
        uri = embedded.start()
        stack.callback(embedded.stop)
    registry = CollectorRegistry()
    client, db = await connect_mongo(uri, settings.mongo.db, settings.mongo.timeout_ms, [CommandCounter(registry)])
    stack.push_async_callback(client.close)
    await ensure_indexes(db)
    cache: Cache
    redis = None
    if settings.redis.url is not None:
        redis_cache = await RedisCache.connect(settings.redis.url.get_secret_value())
        cache, redis = DegradableCache(redis_cache), redis_cache.client
    else:
        cache = MemoryCache()
    stack.push_async_callback(cache.close)
    openai_client = build_openai(settings)
    if openai_client is not None:
        stack.push_async_callback(openai_client.close)
    if embedder is None:
        embedder = build_embedder(settings, openai_client)
        stack.callback(embedder.close)
    chroma = open_chroma(settings.data_dir, settings.chroma.host, settings.chroma.port)
    # Vectors of different models cannot share a collection.
    model = embedder.name.split(":")[0]
    vectors = VectorCollection(chroma, "knowledge-" + model)
    staging = VectorCollection(chroma, "staging-" + model)  # new document versions waiting for Publish
    return Clients(
        client,
        db,
        cache,
        settings.redis.url is not None,
        vectors,
        embedder,
        openai_client,
        registry,
        staging,
        redis,
    )


def build_embedder(settings: Settings, openai_client: AsyncOpenAI | None) -> QueryMemo:
    if settings.knowledge.embeddings == "openai":
        if openai_client is None:
            raise ValueError("EMBEDDINGS=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        return QueryMemo(OpenAIEmbedder(openai_client, settings.knowledge.embeddings_model))
    return QueryMemo(LocalEmbedder())


async def build_qualifiers(
    settings: Settings, clients: Clients, playbook: Playbook
) -> tuple[Qualifier, ValuedQualifier]:
    """The qualifier (the model's, when there is one) and the offline one that judges before a reply leaves."""
    offline = LeadQualifier(clients.embedder)
    await offline.learn(*playbook_lead_examples(playbook))
    quick = ValuedQualifier(offline, playbook)
    if clients.openai is None:
        return quick, quick
    return ValuedQualifier(
        LLMLeadQualifier(clients.openai, settings.llm.model_fast, playbook, offline), playbook
    ), quick


async def build_brain(
    settings: Settings,
    clients: Clients,
    playbook: Playbook,
    knowledge: KnowledgeBase,
    learned: LearnedAnswers,
    qualifiers: tuple[Qualifier, ValuedQualifier],
) -> Brain:
    llm_client = clients.openai
    return Brain(
        playbook,
        await build_router(playbook, clients.embedder),
        knowledge,
        OfflineResponder(playbook, SIMILARITY_FLOOR),
        qualifiers[0],
        quick_qualifier=qualifiers[1],
        llm=LLMResponder(llm_client, settings.llm.model, playbook) if llm_client else None,
        llm_router=LLMRouter(llm_client, settings.llm.model_fast, playbook) if llm_client else None,
        cache=AnswerCache(clients.cache),
        state=clients.cache,
        learned=learned,
        max_inbound_chars=settings.max_inbound_chars,
    )


def build_crm(settings: Settings, repos: Repositories, stack: AsyncExitStack) -> CrmWebhook:
    client = httpx.AsyncClient(timeout=10) if settings.crm.webhook_url else None
    if client is not None:
        stack.push_async_callback(client.aclose)
    secret = settings.crm.webhook_secret.get_secret_value() if settings.crm.webhook_secret else None
    return CrmWebhook(repos.crm_events, client, settings.crm.webhook_url, secret)


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    seed_knowledge: bool = True,
    embedder: Embedder | None = None,
    turns: TurnRole = "local",
) -> AsyncIterator[Services]:
    """Start every dependency in order; StorageUnavailable when one cannot be reached. `turns`: "local" (the
    tools: chat, eval, ingest) answers what it accepts and never joins the replicas' shared queue; a replica
    of `closer serve` joins it to "accept" (its turns are answered by the others) or to "answer" as well."""
    async with AsyncExitStack() as stack:
        clients = await open_clients(settings, stack, embedder)
        repos = Repositories.on(clients.db)
        await repos.leads.ensure_indexes()
        await repos.crm_events.ensure_indexes()

        knowledge = KnowledgeBase(clients.vectors, clients.embedder, repos.documents, repos.meta, clients.staging)
        knowledge.lexical_weight = settings.knowledge.lexical_weight
        if seed_knowledge:
            await seed_once(knowledge, repos.meta, settings.knowledge.seed_dir or example_knowledge_dir())
        stack.push_async_callback(_cancel, await knowledge.prepare())

        learned = LearnedAnswers(repos.reviewed_answers, clients.embedder)
        await learned.reload()
        playbook = load_playbook(settings.playbook)
        qualifiers = await build_qualifiers(settings, clients, playbook)
        brain = await build_brain(settings, clients, playbook, knowledge, learned, qualifiers)
        corrections = LeadCorrections(qualifiers[0], repos.leads, repos.lead_corrections)
        await corrections.load()

        crm = build_crm(settings, repos, stack)
        metrics = PipelineMetrics(clients.registry)
        events = ConversationEvents([metrics, AuditTrail(repos.audit), crm])
        media = await build_media(settings, clients.db, clients.embedder, brain)
        pacer = OutboundPacer(clients.cache)
        outbox = Outbox(repos.messages, repos.conversations, media=media.delivery, pacer=pacer)
        outbox.register(WebOutbound())
        csat = CsatSurvey(outbox, lambda: brain.playbook, repos.conversations)
        events.subscribe(csat)
        stores = Stores(repos.contacts, repos.conversations, repos.messages, repos.leads)
        limits = settings.reliability
        flood = FloodGate(clients.cache, FloodPolicy(limits.flood_limit, limits.flood_window_s, limits.flood_silence_s))
        running = limits.max_running_turns or (256 if brain.llm_enabled else 32)
        replica = new_replica_id()
        shared = shared_turns(settings, clients.redis, stores, replica) if turns != "local" else None
        hub = Hub(stores, brain, outbox, events, clients.cache, replica, flood, running, distribute=shared)
        stack.push_async_callback(hub.drain)
        if shared is not None:
            await shared.start(consume=turns == "answer")
        register_gauges(clients.registry, clients.cache, brain, hub, shared)
        ownership = Ownership(repos.conversations, repos.leads, events)
        mapper = InsightMapper(clients.openai, settings.llm.model_fast)
        insights = Insights(mapper, InsightQueries(clients.db), settings.timezone)
        log.info(
            "services ready (llm=%s, embeddings=%s, redis=%s)",
            brain.llm_enabled,
            clients.embedder.name,
            clients.redis_configured,
        )
        yield Services(
            settings,
            clients,
            repos,
            knowledge,
            brain,
            learned,
            corrections,
            events,
            outbox,
            ownership,
            hub,
            stores,
            metrics,
            crm,
            media,
            insights,
            csat,
        )


async def _cancel(task: asyncio.Task[None]) -> None:
    """Stop a background task at shutdown; its own cancellation is the expected outcome."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
