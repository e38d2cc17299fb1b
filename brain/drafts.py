"""Streamed drafts of an answer, shown only as far as the guard allows.

Drafts grow a whole word at a time, so "€14" of "€1450" is neither shown nor judged, and a trailing
number waits for what follows it ("999" then "999 EUR"). At the first breach what was shown is withdrawn
and nothing more is streamed: the check of the whole reply decides what the customer finally reads.
"""

from __future__ import annotations

from collections.abc import Callable

from brain.guard import OutboundCheck
from brain.types import DraftSink


def shown_part(text: str) -> str:
    """What of a growing draft may be shown: whole words, without a trailing number."""
    words = text[: max(text.rfind(" "), text.rfind("\n"), 0)].split(" ")
    while words and any(ch.isdigit() for ch in words[-1]):
        words.pop()
    return " ".join(words).rstrip()


def guarded_drafts(drafts: DraftSink, check: Callable[[str], OutboundCheck]) -> DraftSink:
    stopped = False

    async def show(text: str) -> None:
        nonlocal stopped
        if stopped:
            return
        words = shown_part(text)
        if not words:
            return
        if check(words).breach is not None:
            stopped = True
            await drafts("")  # withdraw what was shown
            return
        await drafts(words)

    return show
