"""How every benchmark reports: a two-column table on stdout and the full results as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100, numpy's interpolation), rounded to one decimal."""
    return round(float(np.percentile(values, q)), 1)


def report(rows: list[tuple[str, str]], results: dict[str, Any], path: Path) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"{'metric':{width}}  value")
    for name, value in rows:
        print(f"{name:{width}}  {value}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten to {path}")
