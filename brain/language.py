"""Per-message language detection for ru / uk / en, cheap enough to run on every turn."""

from __future__ import annotations

import re

SUPPORTED = ("ru", "uk", "en")

_UK_ONLY = set("іїєґІЇЄҐ")
_RU_ONLY = set("ыэъёЫЭЪЁ")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Frequent words that tell the two languages apart when no distinctive letter is present.
_UK_WORDS = {
    "що",
    "як",
    "де",
    "це",
    "ви",
    "мені",
    "будь",
    "ласка",
    "дякую",
    "коли",
    "скільки",
    "чи",
    "так",
    "ні",
    "але",
    "тому",
    "можна",
    "треба",
    "потрібно",
    "вже",
    "або",
    "яка",
    "який",
    "доброго",
    "вітаю",
    "привіт",
    "хочу",
    "ваш",
    "ваша",
    "буде",
    "мене",
    "мої",
    "до",
    "від",
}
_RU_WORDS = {
    "что",
    "как",
    "где",
    "это",
    "вы",
    "мне",
    "пожалуйста",
    "спасибо",
    "когда",
    "сколько",
    "ли",
    "да",
    "нет",
    "но",
    "поэтому",
    "можно",
    "надо",
    "нужно",
    "уже",
    "или",
    "какая",
    "какой",
    "добрый",
    "здравствуйте",
    "привет",
    "хочу",
    "ваш",
    "ваша",
    "будет",
    "меня",
    "мои",
    "от",
}


def detect_language(text: str, previous: str | None = None, default: str = "en") -> str:
    """Best guess among ru / uk / en; ambiguous text keeps the conversation's previous language."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return previous or default
    cyrillic = sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in letters if ch.isascii())
    if cyrillic == 0:
        return "en" if latin >= len(letters) / 2 else (previous or default)
    if latin > cyrillic * 2:
        return "en"
    uk_score = sum(ch in _UK_ONLY for ch in letters) * 2
    ru_score = sum(ch in _RU_ONLY for ch in letters) * 2
    for word in _WORD.findall(text.lower()):
        uk_score += word in _UK_WORDS and word not in _RU_WORDS
        ru_score += word in _RU_WORDS and word not in _UK_WORDS
    if uk_score > ru_score:
        return "uk"
    if ru_score > uk_score:
        return "ru"
    return previous if previous in ("ru", "uk") else "ru"
