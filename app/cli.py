"""The `closer` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
from pathlib import Path

from pydantic import ValidationError

from app.logging import configure_logging
from app.roles import ROLES
from app.settings import Settings, env_name
from brain.playbook import PlaybookError
from storage.mongo import StorageUnavailable

log = logging.getLogger("closer")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="closer", description="Closer: AI sales and support assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP app, bots and scheduler")
    serve.add_argument(
        "--role",
        default="all",
        choices=ROLES,
        help="one replica's share of the work (replicas coordinate through Redis)",
    )
    sub.add_parser("chat", help="talk to the brain in the terminal as a customer")
    ingest = sub.add_parser("ingest", help="add or replace knowledge documents")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--namespace", default="kb", choices=["kb", "partner", "faq"])
    kb = sub.add_parser("kb", help="list or delete knowledge documents")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_sub.add_parser("list")
    delete = kb_sub.add_parser("delete")
    delete.add_argument("document_id")
    media = sub.add_parser("media", help="add, list or delete files the bot can send (presentations, videos...)")
    media_sub = media.add_subparsers(dest="media_command", required=True)
    add = media_sub.add_parser("add")
    add.add_argument("file", type=Path)
    add.add_argument("--title", required=True)
    add.add_argument("--audience", default="all", choices=["buyer", "partner", "all"])
    add.add_argument("--description", default="")
    add.add_argument("--tags", default="", help="comma-separated")
    add.add_argument("--language", choices=["en", "ru", "uk"])
    media_sub.add_parser("list")
    media_delete = media_sub.add_parser("delete")
    media_delete.add_argument("asset_id")
    evaluate = sub.add_parser("eval", help="run a labelled CSV/JSONL through the brain and print metrics")
    evaluate.add_argument("--task", required=True, choices=["router", "lead", "answer"])
    evaluate.add_argument("--test", required=True, type=Path)
    evaluate.add_argument("--train", type=Path)
    evaluate.add_argument("--json", type=Path, dest="json_out")
    evaluate.add_argument("--compare", type=Path, help="a second playbook to run side by side")
    evaluate.add_argument("--compare-model", help="answer task: the other configuration's LLM model")
    bench = sub.add_parser("bench", help="start-up and memory, or with --conversations a load benchmark (table + JSON)")
    bench.add_argument("--turns", type=int, default=200)
    bench.add_argument("--conversations", type=int, help="load: this many conversations at once (bench.load)")
    bench.add_argument("--messages", type=int, default=3, help="load: messages per conversation")
    bench.add_argument("--model-latency", type=float, help="load: a scripted model taking this long a call")
    bench.add_argument(
        "--via", choices=("web", "webhooks", "telegram"), default="web", help="load: web API, Meta or Telegram webhooks"
    )
    bench.add_argument("--replicas", type=int, default=1, help="load: replicas sharing Redis, MongoDB and Chroma")
    bench.add_argument("--redis", action="store_true", help="load: one replica with Redis (the shared turn queue)")
    bench.add_argument("--json", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        # The benchmark drives a separate `closer serve`; the product does not import bench/.
        if args.conversations:
            command = [sys.executable, "-m", "bench.load", "--conversations", str(args.conversations)]
            command += ["--messages", str(args.messages), "--json", str(args.json or "bench/results/load.json")]
            command += ["--via", args.via, "--replicas", str(args.replicas)] + (["--redis"] if args.redis else [])
            if args.model_latency:
                command += ["--model-latency", str(args.model_latency)]
        else:
            json_out = str(args.json or "bench/results/foundation.json")
            command = [sys.executable, "-m", "bench", "--turns", str(args.turns), "--json", json_out]
        return subprocess.call(command)
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"closer: error: setting {env_name(first['loc'])}: {first['msg']}", file=sys.stderr)
        return 2
    quiet = {"chat", "kb", "ingest", "eval", "media"}
    configure_logging("WARNING" if args.command in quiet else settings.log_level, settings.log_format)
    try:
        return asyncio.run(_dispatch(args, settings))
    except (StorageUnavailable, PlaybookError) as exc:
        print(f"closer: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from app.runtime import serve

        await serve(settings, args.role)
        return 0
    if args.command == "chat":
        return await chat(settings)
    if args.command == "eval":
        from app.eval_cli import run_eval

        return await run_eval(
            settings, args.task, args.test, args.train, args.json_out, args.compare, args.compare_model
        )
    if args.command == "media":
        return await _media(args, settings)
    from app.knowledge_cli import ingest_paths, kb_delete, kb_list

    if args.command == "ingest":
        return await ingest_paths(settings, args.paths, args.namespace)
    if args.kb_command == "list":
        return await kb_list(settings)
    return await kb_delete(settings, args.document_id)


async def _media(args: argparse.Namespace, settings: Settings) -> int:
    from app.media_cli import media_add, media_delete, media_list

    if args.media_command == "add":
        tags = [t.strip() for t in args.tags.split(",") if t.strip()]
        return await media_add(settings, args.file, args.title, args.audience, args.description, tags, args.language)
    if args.media_command == "list":
        return await media_list(settings)
    return await media_delete(settings, args.asset_id)


async def chat(settings: Settings) -> int:
    """A terminal conversation through the same pipeline as every other channel."""
    from app.container import open_services
    from channels.console import ConsoleOutbound, run_console

    async with open_services(settings) as services:
        services.outbox.register(ConsoleOutbound())
        await run_console(services.hub, "LLM" if services.brain.llm_enabled else "offline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
