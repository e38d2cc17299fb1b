"""The `closer` command as an operator runs it: clear errors, terminal chat, knowledge management."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_closer(
    args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_unreachable_mongodb_is_one_clear_line_and_exit_1(tmp_path):
    result = run_closer(
        ["serve"],
        {
            "MONGODB_URI": "mongodb://127.0.0.1:1/",
            "MONGODB_TIMEOUT_MS": "300",
            "DATA_DIR": str(tmp_path),
            "HTTP_PORT": "0",
        },
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("closer: error: MongoDB is unreachable")


def test_broken_playbook_names_the_line(tmp_path, mongo_uri):
    playbook = tmp_path / "playbook.yaml"
    playbook.write_text("company:\n  name: X\n  description: [unclosed\n", encoding="utf-8")
    result = run_closer(
        ["chat"],
        {"PLAYBOOK": str(playbook), "MONGODB_URI": mongo_uri, "MONGODB_DB": "cli_pb", "DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "not valid YAML at line" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_setting_is_reported_by_name(tmp_path):
    result = run_closer(["serve"], {"HTTP_PORT": "not-a-port", "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "HTTP_PORT" in result.stderr


def test_terminal_chat_answers_through_the_pipeline(tmp_path, mongo_uri):
    env = {"MONGODB_URI": mongo_uri, "MONGODB_DB": "cli_chat", "DATA_DIR": str(tmp_path)}
    result = run_closer(["chat"], env, stdin="How much is the Compact 80?\n1\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "Hello! I'm the BrewPoint assistant" in result.stdout
    assert "690 EUR" in result.stdout


def test_ingest_list_and_delete(tmp_path, mongo_uri):
    env = {"MONGODB_URI": mongo_uri, "MONGODB_DB": "cli_kb", "DATA_DIR": str(tmp_path)}
    doc = tmp_path / "returns.md"
    doc.write_text("# Returns\n\n## Return policy\nUnused machines can be returned within 14 days.\n", encoding="utf-8")
    first = run_closer(["ingest", str(doc)], env)
    assert first.returncode == 0, first.stderr
    assert "returns.md: v1, 1 chunks" in first.stdout
    again = run_closer(["ingest", str(doc)], env)
    assert "unchanged" in again.stdout
    listing = run_closer(["kb", "list"], env)
    line = next(line for line in listing.stdout.splitlines() if line.endswith("returns.md"))
    document_id = line.split()[0]
    assert "ready" in line
    assert run_closer(["kb", "delete", document_id], env).returncode == 0
    assert "returns.md" not in run_closer(["kb", "list"], env).stdout
    missing = run_closer(["kb", "delete", "nope"], env)
    assert missing.returncode == 1 and "no document" in missing.stderr
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\xff\xfe\x00binary")
    bad = run_closer(["ingest", str(junk)], env)
    assert bad.returncode == 1 and "unsupported file type" in bad.stderr


def test_media_add_list_and_delete(tmp_path, mongo_uri):
    env = {"MONGODB_URI": mongo_uri, "MONGODB_DB": "cli_media", "DATA_DIR": str(tmp_path)}
    deck = tmp_path / "dealer-deck.pdf"
    deck.write_bytes(b"%PDF-1.4 not really a pdf, still a sendable file")
    added = run_closer(
        [
            "media",
            "add",
            str(deck),
            "--title",
            "Dealer presentation",
            "--audience",
            "partner",
            "--tags",
            "dealers,deck",
        ],
        env,
    )
    assert added.returncode == 0, added.stderr
    asset_id, kind, audience = added.stdout.split()[:3]
    assert (kind, audience) == ("document", "partner")
    assert (tmp_path / "media" / f"{asset_id}.pdf").read_bytes() == deck.read_bytes()
    listing = run_closer(["media", "list"], env)
    assert asset_id in listing.stdout and "Dealer presentation" in listing.stdout
    assert run_closer(["media", "delete", asset_id], env).returncode == 0
    assert not (tmp_path / "media" / f"{asset_id}.pdf").exists()
    missing = run_closer(["media", "add", str(tmp_path / "nope.mp4"), "--title", "x"], env)
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_closer_bench_runs_a_small_load_and_writes_json(tmp_path):
    out = tmp_path / "load.json"
    result = run_closer(
        ["bench", "--conversations", "3", "--messages", "2", "--model-latency", "0.05", "--json", str(out)],
        {},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "end to end p50 / p95 / p99" in result.stdout
    load = json.loads(out.read_text(encoding="utf-8"))
    assert load["answered"] == 6 and load["lost_count"] == 0
    assert load["model_calls"] >= 6 and load["mean_model_s"] > 0 and load["peak_rss_mb"] > 0
    assert load["duplicates"] == 0 and load["storage_commands_per_message"] > 0


def test_closer_bench_runs_a_load_through_signed_webhooks(tmp_path):
    out = tmp_path / "load.json"
    result = run_closer(
        ["bench", "--conversations", "3", "--messages", "2", "--via", "webhooks", "--json", str(out)], {}, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    load = json.loads(out.read_text(encoding="utf-8"))
    assert load["via"] == "webhooks" and load["answered"] == 6 and load["lost_count"] == 0
    assert load["duplicates"] == 0 and load["storage_commands_per_message"] > 0
