"""Flood limit per customer: past `limit` messages in `window_s`, one polite notice, then silence for
`silence_s` (the messages are still stored, and a manager who owns the chat still sees them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["ok", "notice", "silent"]

NOTICES = {
    "en": "You are sending messages faster than I can answer. I will read them all; give me a few minutes, please.",
    "ru": "Вы пишете быстрее, чем я успеваю отвечать. Я всё прочитаю — дайте мне, пожалуйста, несколько минут.",
    "uk": "Ви пишете швидше, ніж я встигаю відповідати. Я все прочитаю — дайте мені, будь ласка, кілька хвилин.",
}


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    limit: int = 15
    window_s: float = 60.0
    silence_s: float = 300.0

    def verdict(self, count_in_window: int, silenced: bool) -> Verdict:
        """`count_in_window` includes this message."""
        if silenced:
            return "silent"
        return "ok" if count_in_window <= self.limit else "notice"

    @staticmethod
    def notice(language: str) -> str:
        return NOTICES.get(language, NOTICES["en"])
