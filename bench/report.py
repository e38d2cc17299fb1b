"""How every benchmark reports: a two-column table on stdout and the full results as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def report(rows: list[tuple[str, str]], results: dict[str, Any], path: Path) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"{'metric':{width}}  value")
    for name, value in rows:
        print(f"{name:{width}}  {value}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten to {path}")
