"""The message side of `/stats` in one pass: every message of the period read once (a projected, indexed
range scan) and tallied here, instead of one aggregation per number — each aggregation is a scan of its
own on the embedded server, and the period's messages fit in memory many times over."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

FIELDS = {
    "conversation_id": 1,
    "channel": 1,
    "direction": 1,
    "created_at": 1,
    "intent": 1,
    "gap": 1,
    "text": 1,
    "rating": 1,
    "_id": 0,
}


@dataclass(slots=True)
class MessageTally:
    timezone: str
    incoming: int = 0
    outgoing: int = 0
    conversations_by_day: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    by_channel: dict[str, set[str]] = field(default_factory=dict)
    intents: Counter[str] = field(default_factory=Counter)
    gaps: Counter[str] = field(default_factory=Counter)
    gap_examples: dict[str, str] = field(default_factory=dict)
    ratings: list[float] = field(default_factory=list)
    first_in: dict[str, datetime] = field(default_factory=dict)
    replies: dict[str, list[datetime]] = field(default_factory=dict)
    zone: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.timezone)

    def add(self, doc: dict[str, Any]) -> None:
        conversation, at = doc.get("conversation_id", ""), doc["created_at"]
        if doc.get("direction") == "out":
            self.outgoing += 1
            self.replies.setdefault(conversation, []).append(at)
            return
        self.incoming += 1
        channel = doc.get("channel", "")
        day = at.astimezone(self.zone).strftime("%Y-%m-%d")
        self.conversations_by_day.setdefault(day, {}).setdefault(channel, set()).add(conversation)
        self.by_channel.setdefault(channel, set()).add(conversation)
        if conversation not in self.first_in or at < self.first_in[conversation]:
            self.first_in[conversation] = at
        intent = doc.get("intent")
        if isinstance(intent, str) and intent != "csat":  # a rating is not a topic customers ask about
            self.intents[intent] += 1
        if doc.get("gap") is True:
            key = str(doc.get("text", "")).lower()
            self.gaps[key] += 1
            self.gap_examples.setdefault(key, str(doc.get("text", "")))
        rating = doc.get("rating")
        if intent == "csat" and isinstance(rating, int | float) and not isinstance(rating, bool):
            self.ratings.append(float(rating))

    def response_times(self) -> tuple[list[float], list[float]]:
        """Per answered conversation: first customer message to the first reply after it, and to the last."""
        first_response: list[float] = []
        resolution: list[float] = []
        for conversation, times in self.replies.items():
            started = self.first_in.get(conversation)
            after = sorted(t for t in times if started is not None and t >= started)
            if started is not None and after:
                first_response.append((after[0] - started).total_seconds())
                resolution.append((after[-1] - started).total_seconds())
        return first_response, resolution
