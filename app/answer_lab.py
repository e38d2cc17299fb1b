"""The eval lab: `closer eval --task answer --test FILE --compare PLAYBOOK [--compare-model MODEL]` runs the
same historical questions through two configurations, scores every answer (an LLM judge when a model is
configured, reference overlap and source match otherwise) and names a winner, per question and overall."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from app.settings import Settings
from brain.answer_scoring import AnswerJudge, offline_score, source_matches
from brain.classifier import OUT_OF_SCOPE
from brain.evaluation import Example
from brain.types import Turn

TIE = 0.01  # mean scores closer than this are a tie


@dataclass(slots=True)
class Answered:
    text: str
    sources: list[str]
    ms: float
    llm_calls: int
    cost_usd: float


def configurations(settings: Settings, playbook: Path | None, model: str | None) -> dict[str, Settings]:
    """`run` is the current configuration; `compare` the same with the other playbook and/or model."""
    other = settings.model_copy(update={"playbook": playbook or settings.playbook})
    if model:
        other = other.model_copy(update={"llm": settings.llm.model_copy(update={"model": model})})
    return {"run": settings, "compare": other}


async def answer_all(settings: Settings, rows: list[Example], name: str) -> list[Answered]:
    """Every question through the brain of one configuration (its own services, one after the other)."""
    from app.container import open_services

    answered = []
    async with open_services(settings) as services:
        # No answer cache: its key has no playbook or model, so one configuration would be served the other's
        # answers, and a lab run must not put experimental answers in front of customers.
        services.brain.cache = None
        for i, row in enumerate(tqdm(rows, desc=f"answering ({name})", unit="q", file=sys.stderr)):
            started = time.perf_counter()
            reply = await services.brain.reply(Turn(text=row.text, conversation_id=f"lab-{name}-{i}", channel="eval"))
            elapsed = (time.perf_counter() - started) * 1000
            answered.append(Answered(reply.text, reply.sources, elapsed, reply.usage.llm_calls, reply.usage.cost_usd))
    return answered


async def compare_answers(
    settings: Settings, rows: list[Example], playbook: Path | None, model: str | None
) -> dict[str, Any]:
    configs = configurations(settings, playbook, model)
    answers = {name: await answer_all(config, rows, name) for name, config in configs.items()}
    judge = _judge(settings)
    per_question, judged = [], 0
    for i, row in enumerate(tqdm(rows, desc="scoring", unit="q", file=sys.stderr)):
        first, second = answers["run"][i], answers["compare"][i]
        scores = None
        if judge is not None:
            scores = await judge.judge(row.text, row.reference, first.text, second.text)
        judged += scores is not None
        if scores is None:
            scores = tuple(offline_score(a.text, a.sources, row.label, row.reference) for a in (first, second))
        per_question.append(
            {
                "question": row.text,
                "label": row.label,
                "reference": row.reference,
                "run": {"answer": first.text, "sources": first.sources, "score": round(scores[0], 3)},
                "compare": {"answer": second.text, "sources": second.sources, "score": round(scores[1], 3)},
                "winner": _winner(scores[0], scores[1]),
            }
        )
    summary = {name: _summary(name, configs[name], answers[name], rows, per_question) for name in configs}
    return {
        **summary,
        "per_question": per_question,
        "winner": _winner(summary["run"]["mean_score"], summary["compare"]["mean_score"]),
        "scored_by": "llm judge"
        if judged == len(rows)
        else "reference overlap and source match"
        if not judged
        else f"llm judge ({judged} of {len(rows)}), offline for the rest",
    }


def _judge(settings: Settings) -> AnswerJudge | None:
    from app.container import build_openai

    client = build_openai(settings)
    return AnswerJudge(client, settings.llm.model) if client is not None else None


def _winner(first: float, second: float) -> str:
    return "tie" if abs(first - second) < TIE else "run" if first > second else "compare"


def _summary(
    name: str, settings: Settings, answers: list[Answered], rows: list[Example], per_question: list[dict]
) -> dict[str, Any]:
    labelled = [(row, a) for row, a in zip(rows, answers, strict=True) if row.label]
    matched = [
        bool(a.sources) and source_matches(a.sources[0], row.label) if row.label != OUT_OF_SCOPE else not a.sources
        for row, a in labelled
    ]
    latencies = sorted(a.ms for a in answers)
    return {
        "playbook": str(settings.playbook or "bundled playbook"),
        "model": settings.llm.model if settings.llm.enabled else "offline",
        "mean_score": round(sum(q[name]["score"] for q in per_question) / len(per_question), 3),
        "source_accuracy": round(sum(matched) / len(matched), 3) if matched else None,
        "wins": sum(q["winner"] == name for q in per_question),
        "llm_calls": sum(a.llm_calls for a in answers),
        "cost_usd": round(sum(a.cost_usd for a in answers), 6),
        "latency_ms": {"p50": latencies[len(latencies) // 2], "p95": latencies[int(0.95 * (len(latencies) - 1))]},
    }


def print_comparison(result: dict[str, Any]) -> None:
    run, compare = result["run"], result["compare"]
    print(f"{'':24}{'run':>14}{'compare':>14}")
    print(f"{'playbook':24}{Path(run['playbook']).name[:13]:>14}{Path(compare['playbook']).name[:13]:>14}")
    print(f"{'model':24}{run['model'][:13]:>14}{compare['model'][:13]:>14}")
    for title, key in (("mean score", "mean_score"), ("source accuracy", "source_accuracy"), ("wins", "wins")):
        cells = ["-" if r[key] is None else f"{r[key]}" for r in (run, compare)]
        print(f"{title:24}{cells[0]:>14}{cells[1]:>14}")
    print(
        f"{'LLM calls / cost':24}{run['llm_calls']:>7} ${run['cost_usd']:<6.4f}{compare['llm_calls']:>7} "
        f"${compare['cost_usd']:.4f}"
    )
    print(f"\nper question (scored by {result['scored_by']}):")
    for q in result["per_question"]:
        print(f"  {q['run']['score']:.2f} vs {q['compare']['score']:.2f}  {q['winner']:>7}  {q['question'][:70]}")
    print(f"\nwinner: {result['winner']}")
