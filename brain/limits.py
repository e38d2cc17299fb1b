"""Bounds on how much of a message the offline analysis reads, so a huge message costs what a long one does.

Rules, n-grams and clause splitting are pure Python and hold the GIL; reading the opening and the end of
a message keeps them to a few milliseconds whatever its length (the embedder has its own window).
"""

from __future__ import annotations

ANALYSED_HEAD = 1500  # characters from the start: what the message is about
ANALYSED_TAIL = 500  # and from the end: where a long message usually asks its question
MAX_CLAUSES = 6  # intents looked for in one message


def bounded(text: str) -> str:
    if len(text) <= ANALYSED_HEAD + ANALYSED_TAIL:
        return text
    return f"{text[:ANALYSED_HEAD]} … {text[-ANALYSED_TAIL:]}"
