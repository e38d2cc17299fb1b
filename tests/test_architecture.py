"""The rules DESIGN.md says never change, checked on the source: where imports may point, where
collections may be touched, how large a module may grow."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("app", "bot", "channels", "brain", "storage", "admin_bot")
ADAPTERS = ["channels/web.py", "channels/console.py", *(str(p.relative_to(ROOT)) for p in (ROOT / "bot").rglob("*.py"))]
RAW_COLLECTION = re.compile(
    r"\bdb\.[a-z_]+\.(find|insert|update|delete|count|aggregate|create_ind)|\bdb\.[a-z_]+\b(?!\s*=)"
)
MAX_LINES = 320  # "under about 300": a module past this is split by responsibility


def modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Top-level names of everything a module imports (at any depth: lazy imports count too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def importing(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = sorted(n for n in imported(path) if n.split(".")[0] in forbidden or n in forbidden)
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_the_product_never_imports_benchmarks_or_tests():
    assert importing(modules(*PRODUCT), ("bench", "tests")) == {}


def test_the_brain_knows_no_channel_or_framework():
    assert importing(modules("brain"), ("aiogram", "fastapi", "channels", "bot", "admin_bot", "app")) == {}


def test_the_channels_core_never_imports_telegrams_bot_or_aiogram():
    """aiogram costs seconds and ~120 MB at start-up: only a process with a Telegram token imports it."""
    assert importing(modules("channels"), ("aiogram", "bot", "admin_bot")) == {}


def test_storage_imports_nothing_of_ours_but_storage():
    assert importing(modules("storage"), ("brain", "channels", "bot", "admin_bot", "app")) == {}


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_adapters_never_import_the_hub(adapter):
    names = imported(ROOT / adapter)
    assert not any(n.startswith("channels.hub") for n in names), f"{adapter} imports the hub"


def test_no_collection_is_touched_outside_storage():
    offenders = []
    for path in modules("app", "bot", "channels", "brain", "admin_bot"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if RAW_COLLECTION.search(line) and "mongo.db" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_modules_stay_small():
    large = {
        str(p.relative_to(ROOT)): n for p in modules(*PRODUCT) if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert large == {}
