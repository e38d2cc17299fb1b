"""`closer ingest` and `closer kb`: manage the knowledge base from the terminal, with progress bars."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tqdm import tqdm

from app.container import open_services
from app.settings import Settings


async def ingest_paths(settings: Settings, paths: list[Path], namespace: str) -> int:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            print(f"closer: error: {path}: no such file or directory", file=sys.stderr)
            return 1
    failed = 0
    async with open_services(settings, seed_knowledge=False) as services:
        for file in files:
            data = await asyncio.to_thread(file.read_bytes)
            bar = tqdm(total=1, desc=file.name, unit="chunk", leave=True)

            def progress(stage: str, done: int, total: int, bar: tqdm = bar) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            try:
                result = await services.knowledge.ingest_file(
                    file.name, data, namespace=namespace, uploader="cli", progress=progress
                )
            except ValueError as exc:  # DocumentError and "no text to index"
                bar.close()
                print(f"failed {file}: {exc}", file=sys.stderr)
                failed += 1
                continue
            bar.close()
            state = "unchanged" if result.unchanged else f"v{result.document.version}, {result.chunks} chunks"
            print(f"{file.name}: {state} (id {result.document.id}, language {result.language}, {result.pages} pages)")
    return 1 if failed else 0


async def kb_list(settings: Settings) -> int:
    async with open_services(settings, seed_knowledge=False) as services:
        records = await services.repos.documents.list()
        if not records:
            print("The knowledge base is empty.")
            return 0
        print(f"{'id':24}  {'namespace':9}  {'ver':>3}  {'status':8}  {'chunks':>6}  {'lang':4}  name")
        for r in records:
            print(
                f"{r.id:24}  {r.namespace:9}  {r.version:>3}  {r.status:8}  {r.chunk_count:>6}  "
                f"{r.language or '-':4}  {r.name}"
            )
    return 0


async def kb_delete(settings: Settings, document_id: str) -> int:
    async with open_services(settings, seed_knowledge=False) as services:
        if not await services.knowledge.delete(document_id):
            print(f"closer: error: no document with id {document_id}", file=sys.stderr)
            return 1
        print(f"deleted {document_id}")
    return 0
