"""Buttons and events answered without routing: the conversation opening, a shared phone number, a CSAT
rating (the 1-5 buttons sent after a manager hands the chat back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brain.types import CONTACT_PAYLOAD, START_PAYLOAD, BrainReply, Button, Turn

if TYPE_CHECKING:
    from brain.service import Brain

CSAT_PREFIX = "csat:"


def csat_buttons() -> list[Button]:
    return [Button(str(n), f"{CSAT_PREFIX}{n}") for n in range(1, 6)]


def rating_of(payload: str | None) -> int | None:
    """1-5 from a CSAT button; None for anything else (a forged `csat:9` included)."""
    if not payload or not payload.startswith(CSAT_PREFIX):
        return None
    value = payload.removeprefix(CSAT_PREFIX)
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


def payload_reply(brain: Brain, turn: Turn, language: str | None) -> BrainReply | None:
    if turn.payload == START_PAYLOAD:
        return brain.greeting(turn.language_hint or language, turn.audience)
    if turn.payload == CONTACT_PAYLOAD:
        return brain.canned("contact_thanks", language, "contact")
    if (rating := rating_of(turn.payload)) is not None:
        thanks = brain.canned("csat_thanks", language, "csat")
        thanks.rating = rating
        return thanks
    return None
