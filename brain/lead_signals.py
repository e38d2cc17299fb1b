"""Phrase rules (ru / uk / en) behind Hot / Warm / Cold, written from the labelling rule in `bench/data/leads.md`.

`SIGNALS` are the older weighted phrases that `rule_assessment` fills a lead's fields from; the cues the
temperature is decided on are in `brain.lead_cues`.

Matching runs on `normal(text)`: same length as the text (quotes are cut from the original), `ё` read as
`е` and every apostrophe as `'`. Every repetition is bounded or anchored on a literal, so a
20,000-character message costs linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_NORMAL = str.maketrans({"ё": "е", "Ё": "Е", "’": "'", "ʼ": "'", "`": "'", "‘": "'", "´": "'"})


_SPACE = re.compile(r"\s+")
_POLITE = re.compile(
    r"\b(?:please|pls|plz|kindly|будь ласка|будь-ласка|пожалуйста|пожалуста|прошу вас)\b[,!]? ?", re.IGNORECASE
)


def _drop(text: str, index: list[int], pattern: re.Pattern[str], keep: str) -> tuple[str, list[int]]:
    out, where, last = [], [], 0
    for match in pattern.finditer(text):
        out.append(text[last : match.start()] + keep)
        where += index[last : match.start()] + ([index[match.start()]] if keep else [])
        last = match.end()
    out.append(text[last:])
    return "".join(out), where + index[last:]


def normal(text: str) -> tuple[str, list[int]]:
    """The text the cues read, and where each of its characters is in `text`: one space for any run of
    white space, politeness words dropped ("надішліть, будь ласка, пропозицію" reads "надішліть,
    пропозицію"), `ё` read as `е`, one apostrophe."""
    plain, index = _drop(text.translate(_NORMAL), list(range(len(text))), _SPACE, " ")
    return _drop(plain, index, _POLITE, "")


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: int
    pattern: re.Pattern[str]
    field: str | None = None
    kind: Literal["intent", "qualifier", "question", "negative"] = "intent"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# The phrases a lead's fields are filled from (need, quantity, timeline, budget, decision maker, product).
SIGNALS = [
    Signal(
        "commitment",
        40,
        _rx(
            r"\b(order\w*|buy|purchas\w*|invoice|contract|sign\w*|book|we'?ll take|quote|send (the|an|a) offer|"
            r"we'?ll pay|i'?ll pay|reserve)\b|(оплачу|оплатим|сплачу|сплатимо|заброн\w*)|"
            r"(заказ\w*|закаж\w*|купить|купим|куплю|покупаем|берём|берем|беру|сч[её]т\b|сч[её]т |выставьте|выставляйте|"
            r"договор\w*|оформ\w*|подписать|коммерческое предложение|"
            r"замов\w*|купити|купимо|беремо|рахун\w*|виставте|виставляйте|договір|договор\w*|оформ\w*|підписати|"
            r"комерційн\w+ пропозиці\w*)"
        ),
        "need",
    ),
    Signal(
        "quantity",
        15,
        _rx(
            r"\b(\d{1,6}|two|three|four|five|ten)\s+(\w+\s+)?(machines?|units?|pcs)\b|"
            r"(\d{1,6}|две|два|три|четыре|пять|шесть|дві|два|три|чотири|п'ять|шість)\s+(\w+\s+)?(машин\w*|штук\w*|"
            r"кофемашин\w*|кавомашин\w*)|"
            r"\b(chain|сети|мережі)\b"
        ),
        "quantity",
        "qualifier",
    ),
    Signal(
        "timeline",
        20,
        _rx(
            r"\b(today|tomorrow|this week|next week|this month|by (monday|tuesday|wednesday|thursday|friday)|right now|"
            r"asap|starting tomorrow|from next week|on the \d+\w*|in (a|two|\d+) weeks?|"
            r"on (monday|tuesday|wednesday|thursday|friday|saturday))\b|"
            r"(сегодня|завтра|завтрашнего|на этой неделе|на следующей неделе|со следующей недели|в этом месяце|"
            r"до конца месяца|с понедельника|до пятницы|прямо сейчас|через (неделю|две недели)|"
            r"сьогодні|завтрашнього|цього тижня|наступного тижня|з наступного тижня|цього місяця|до кінця місяця|"
            r"з понеділка|до п'ятниці|просто зараз|за (тиждень|два тижні)|"
            r"в (понедельник|вторник|среду|четверг|пятницу|субботу)|"
            r"в (понеділок|вівторок|середу|четвер|п'ятницю|суботу))"
        ),
        "timeline",
        "qualifier",
    ),
    Signal("budget", 15, _rx(r"(budget|бюджет)|\d[\d\s]{0,15}(eur|€|\$|usd|грн|uah|евро|євро)"), "budget", "qualifier"),
    Signal(
        "decision_maker",
        10,
        _rx(
            r"\b(i'?m the (owner|director|ceo)|approved|we decided)\b|"
            r"(я директор|владел\w*|согласовал\w*|решили|решаем|я власник|власник|погодил\w*|вирішили|вирішуємо)"
        ),
        "decision_maker",
        "qualifier",
    ),
    Signal(
        "product",
        8,
        _rx(r"(office 200|barista pro|compact 80|g64|grinder|гриндер|кофемолк\w*|кавомолк\w*|a machine|машин[уа]\b)"),
        "product_interest",
    ),
]


# A commitment right after a negation is none ("мы пока не определились", "we haven't decided").
NEGATED = re.compile(r"(?:\b(?:не|ні|ни|not|never|no)|n't) (?:\w+ )?$", re.IGNORECASE)
NEGATABLE = frozenset({"commitment", "want_product", "approved"})
# Cues read with another cue's phrase blanked out: "if we take 20 machines" does not commit, and "recommend
# a good cafe" or "do you buy used machines" is no interest.
MASKED_BY = {
    "commitment": "conditional",
    "want_product": "conditional",
    "interest": "off_topic",
    "product_question": "off_topic",
}
