"""The OpenAPI document says what the API does: schemathesis tests every operation in it over real HTTP with
every check (the same run as `schemathesis run --checks all`) and finds nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from schemathesis.engine import events, from_schema

from app.http import create_app
from tests.fakes.servers import serve_app

KEY = "contract-api-key"
SEED = 20240601
EXAMPLES_PER_OPERATION = 30  # per operation and phase: enough to find a mismatch, seconds on 2 cores


def contract_config() -> schemathesis.Config:
    """A fixed seed, no example database (a run must not depend on what an earlier one left in `.hypothesis/`),
    no deadline (schemathesis' default), and the bearer token so `ignored_auth` can check its absence is refused."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True, "database": "none"},
            "auth": {"openapi": {"HTTPBearer": {"bearer": KEY}}},
            "output": {"sanitization": {"enabled": False}},  # a failure's curl shows the real `session_id`
        }
    )
    config.projects.override.checks.update(included_check_names=["all"])
    return config


@dataclass
class Findings:
    operations: set[str] = field(default_factory=set)  # every operation the document lists
    requests: Counter[str] = field(default_factory=Counter)  # answers received, per operation
    failures: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)  # (operation, check, title)
    errors: list[str] = field(default_factory=list)  # what stopped a phase or an operation

    def report(self) -> str:
        return "\n\n".join(
            f"{op} [{check}] {title} (x{len(seen)}): {seen[0]}" for (op, check, title), seen in self.failures.items()
        )


def run_schemathesis(schema_url: str) -> Findings:
    """The whole run, blocking: call it off the event loop that serves the app."""
    schema = schemathesis.openapi.from_url(schema_url, config=contract_config())
    found = Findings({f"{m.upper()} {path}" for path, ops in schema.raw_schema["paths"].items() for m in ops})
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            found.requests[recorder.label] += sum(1 for i in recorder.interactions.values() if i.response)
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    curl = recorder.cases[case_id].value.as_curl_command()  # one request that shows it
                    key = (str(failure.operation), check.name, failure.title)
                    found.failures.setdefault(key, []).append(f"{failure.message}\n{curl}")
        elif isinstance(event, events.NonFatalError):
            found.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            found.errors.append(repr(event.exception))
    return found


async def test_openapi_document_matches_the_api(services_factory):
    # The chat's rate limit would answer 429 to a fuzzer's burst: declared, but it would hide everything else.
    async with (
        services_factory(api_key=KEY, web_chat_rate_per_minute=100_000) as services,
        serve_app(create_app(services)) as url,
    ):
        found = await asyncio.to_thread(run_schemathesis, f"{url}/openapi.json")
    assert not found.errors, "\n".join(found.errors)
    assert not found.failures, found.report()
    assert {"POST /api/v1/chat", "POST /api/v1/leads/classify", "GET /api/v1/leads"} <= found.operations
    untested = {op for op in found.operations if found.requests[op] < EXAMPLES_PER_OPERATION}
    assert not untested, f"hardly exercised: {found.requests}"
