"""`closer serve`: the HTTP app, the Telegram bot(s) and background work in one process (or, with `--role`,
one replica's share of them: `app.roles`)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import uvicorn

from app.bots import build_admin_bot, build_customer_bot
from app.container import open_services
from app.http import create_app, create_probe_app
from app.meta_channels import build_meta_channels
from app.playbook_reload import PlaybookReloader
from app.replica import ReplicaLife
from app.roles import Duties, Role
from app.scheduler import Jobs
from app.settings import Settings
from app.shutdown import HTTP_GRACE_S, STOP_BUDGET_S, StopBudget, StoppingServer, let_cleanup_run
from channels.hub import SHUTDOWN_GRACE_S
from channels.meta.intake import STOP_GRACE_S

log = logging.getLogger(__name__)


async def serve(settings: Settings, role: Role = "all") -> None:
    duties = Duties.of(role)
    async with open_services(settings, turns="answer" if duties.turns else "accept") as services:
        telegram = build_customer_bot(settings, services)
        graph = httpx.AsyncClient(timeout=15)
        meta = build_meta_channels(settings, services, graph)
        admin = build_admin_bot(settings, services, telegram, meta.downloaders)
        routers = [telegram.webhook_router()] if telegram is not None and telegram.webhook_mode else []
        if meta.router is not None:
            routers.append(meta.router)
        app = create_app(services, routers) if duties.web else create_probe_app(services)
        http = settings.http
        server = StoppingServer(
            uvicorn.Config(
                app,
                host=http.host,
                port=http.port,
                log_config=None,
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=HTTP_GRACE_S,
            ),
            services.stopping,
        )
        scheduler = Jobs(services, admin.notifier if admin else None).scheduler(cluster_jobs=duties.scheduler)
        scheduler.start()
        reloader = PlaybookReloader(settings.playbook, services.brain, services.clients.embedder)
        reloader.reload_on_sighup()
        watcher = asyncio.create_task(reloader.watch()) if settings.playbook else None
        replica = ReplicaLife(
            services.hub, services.stores, services.repos.replicas, settings.reliability.replica_timeout_s
        )
        await replica.join()
        recovery = asyncio.create_task(replica.run())  # beating from now: what it holds never looks left behind
        # After joining: what these take up at start is never a live replica's (nor this one's) work.
        if meta.intake is not None and duties.web:
            await meta.intake.start(meta.webhooks)
        if telegram is not None and duties.bots:
            await telegram.start()
        if admin is not None and duties.bots:
            await admin.telegram.start()
        if duties.web:
            log.info("Closer is up (role %s): web chat at http://%s:%d", role, http.host, http.port)
        else:
            log.info("Closer is up (role %s): health and metrics at http://%s:%d", role, http.host, http.port)
        let_cleanup_run()
        try:
            await server.serve()
        finally:
            budget = StopBudget(STOP_BUDGET_S - HTTP_GRACE_S)
            scheduler.shutdown(wait=False)
            for task in (watcher, recovery):
                if task is not None:
                    task.cancel()
            if meta.intake is not None:
                await meta.intake.stop(budget.left(STOP_GRACE_S))
            await replica.finish(budget.left(SHUTDOWN_GRACE_S))
            if admin is not None:
                await admin.telegram.stop(budget.left(SHUTDOWN_GRACE_S))
            if telegram is not None:
                await telegram.stop(budget.left(SHUTDOWN_GRACE_S))
            await replica.leave()  # last: until here it still holds its updates and bodies
            await graph.aclose()
