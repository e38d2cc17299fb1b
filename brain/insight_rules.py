"""The offline reading of a manager's question (ru / uk / en) onto the metric catalogue: word stems from
`insight_vocabulary.yaml`, not a model, so it works with no LLM and can only ever produce a catalogue entry
or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from brain.insights import MetricQuery

# A capitalised word not at the start of a sentence: a name, unless the vocabulary knows it.
_CAPITALISED = re.compile(r"(?<![.!?]\s)\b([A-ZА-ЯЇІЄҐ][^\W\d_]*[a-zа-яїієґ][^\W\d_]*)")
Table = list[tuple[str, re.Pattern[str]]]


def _any(stems: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(stems), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    refuse: re.Pattern[str]
    known_names: re.Pattern[str]
    metrics: Table
    groups: Table
    periods: Table
    channels: Table
    temperatures: Table


@cache
def vocabulary() -> Vocabulary:
    raw = yaml.safe_load(resources.files("brain").joinpath("insight_vocabulary.yaml").read_text(encoding="utf-8"))

    def table(name: str) -> Table:
        return [(key, _any(stems)) for key, stems in raw[name].items()]

    return Vocabulary(
        refuse=_any(raw["refuse"]),
        known_names=re.compile(f"^({'|'.join(raw['known_names'])})$", re.IGNORECASE),
        metrics=table("metrics"),
        groups=table("groups"),
        periods=table("periods"),
        channels=table("channels"),
        temperatures=table("temperatures"),
    )


def _first(table: Table, text: str) -> str | None:
    return next((name for name, pattern in table if pattern.search(text)), None)


def _names_a_person(question: str, known: re.Pattern[str]) -> bool:
    words = [m.group(1) for m in _CAPITALISED.finditer(question.strip()) if m.start() > 0 and len(m.group(1)) > 2]
    return any(not known.match(word) for word in words)


def read_question(question: str) -> MetricQuery | None:
    """The catalogue entry a question asks for, or None when it asks for something the catalogue lacks."""
    words = vocabulary()
    text = " ".join(question.lower().replace("ё", "е").replace("’", "'").split())
    if not text or words.refuse.search(text) or _names_a_person(question, words.known_names):
        return None
    group_by = _first(words.groups, text)
    for _name, pattern in words.groups:  # "по дням" is a grouping, not the period "за день"
        text = pattern.sub(" ", text)
    metric = _first(words.metrics, text)
    if metric is None:
        return None
    temperatures = [name for name, pattern in words.temperatures if pattern.search(text)]
    if len(temperatures) > 1 and group_by is None:
        group_by = "temperature"  # "hot, warm and cold leads": the split by temperature
    return MetricQuery(
        metric=metric,
        period=_first(words.periods, text) or "week",
        channel=_first(words.channels, text) if group_by != "channel" else None,
        temperature=temperatures[0] if len(temperatures) == 1 else None,
        group_by=group_by,
    ).normalised()
