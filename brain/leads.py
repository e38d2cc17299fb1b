"""Lead qualification: BANT-style fields, a 0-100 score, Hot / Warm / Cold, and reasons in the customer's words.

Offline it combines phrase rules (ru / uk / en) with the nearest labelled examples (the playbook's,
managers' corrections, or an eval training file). A message a manager corrected is classified the
corrected way from then on: a near-identical example outranks the rules.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from brain.limits import bounded
from brain.router import find_contacts
from brain.types import LeadAssessment, Temperature
from storage.embeddings import Embedder

HOT_FROM, WARM_FROM = 50, 20
SAME_MESSAGE = 0.95  # cosine above which an example counts as the same message
EXAMPLE_SCORES = {"hot": 85, "warm": 40, "cold": 5}
BLEND_MIN_EXAMPLES = 30


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: int
    pattern: re.Pattern[str]
    field: str | None = None
    kind: Literal["intent", "qualifier", "question", "negative"] = "intent"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


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
        "ready",
        15,
        _rx(
            r"\b(ready to|want to (buy|rent|order)|we'?d like to order|we need|i need)\b|"
            r"(готовы|готові|хотим|хочемо|нужн\w*|нужен|нужна|потрібн\w*)"
        ),
    ),
    Signal(
        "quantity",
        15,
        _rx(
            r"\b(\d{1,6}|two|three|four|five|ten)\s+(\w+\s+)?(machines?|units?|pcs)\b|"
            r"(\d{1,6}|две|два|три|четыре|пять|шесть|дві|два|три|чотири|п'ять|шість)\s+(\w+\s+)?(машин\w*|штук\w*|кофемашин\w*|кавомашин\w*)|"
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
    Signal(
        "price_question",
        25,
        _rx(
            r"\b(how much|prices?|cost|rent\w*|instalments?|discount|price list)\b|"
            r"(сколько стоит|сколько будут|цен[аыуе]\b|стоимост\w*|аренд\w*|рассрочк\w*|скидк\w*|прайс\w*|"
            r"скільки коштує|скільки коштуват\w*|ціна|ціну|ціни|вартіст\w*|оренд\w*|розстрочк\w*|знижк\w*)"
        ),
        kind="question",
    ),
    Signal(
        "product_question",
        22,
        _rx(
            r"\b(which machine|recommend|difference|warranty|installation|deliver\w*|demo|requirements|reseller|dealer|"
            r"partners?|connect to)\b|"
            r"(какую машин|посоветуете|порекомендуете|отличается|гаранти\w*|установк\w*|доставк\w*|демо|условия|"
            r"дилер\w*|"
            r"партн[её]р\w*|подключить|яку машин|порадите|відрізняється|встановлен\w*|умови|партнер\w*|підключити|"
            r"гаранті\w*)"
        ),
        kind="question",
    ),
    # Any question that names a product or a machine is interest, even without a price word.
    Signal(
        "product_interest_question",
        20,
        _rx(
            r"(office 200|barista pro|compact 80|g64|machine|машин\w*|кофемашин\w*|кавомашин\w*)[^?]{0,300}\?|"
            r"\?[^?]{0,300}(office 200|barista pro|compact 80|g64)"
        ),
        kind="question",
    ),
    Signal(
        "support_only",
        -35,
        _rx(
            r"\b(leak\w*|broken|not working|noise|descal\w*|filter|manual|already bought|error)\b|"
            r"(теч[её]т|шумит|сломал\w*|декальцинац\w*|фильтр|инструкц\w*|уже купил|ошибк\w*|"
            r"протікає|шумить|зламал\w*|фільтр|інструкці\w*|вже купив|помилк\w*)"
        ),
        kind="negative",
    ),
    Signal(
        "not_now",
        -40,
        _rx(
            r"\b(not interested|just browsing|maybe next year|i'?ll think)\b|"
            r"(просто смотрю|не интересно|подумаю|в следующем году|просто дивлюся|не цікаво|наступного року)"
        ),
        kind="negative",
    ),
]


def temperature_of(score: int) -> Temperature:
    return "hot" if score >= HOT_FROM else "warm" if score >= WARM_FROM else "cold"


def _quote(text: str, start: int, end: int, width: int = 30) -> str:
    left = text.rfind(" ", 0, max(0, start - width)) + 1
    right = text.find(" ", min(len(text), end + width))
    return text[left : right if right != -1 else len(text)].strip(" ,.;")


def rule_assessment(texts: list[str]) -> LeadAssessment:
    """Signals found anywhere in the customer's messages; each counts once.

    Qualifiers (a date, a budget, a quantity, a decision maker) only count next to some buying
    intent ("what's the weather today" names a date, not a purchase), and of the question kinds
    only the strongest counts: asking two questions is still asking, not buying.
    """
    texts = [bounded(t) for t in texts]
    found: list[tuple[Signal, str]] = []
    fields: dict[str, object] = {}
    for signal in SIGNALS:
        for text in reversed(texts):
            match = signal.pattern.search(text)
            if match:
                quote = _quote(text, match.start(), match.end())
                found.append((signal, quote))
                if signal.field:
                    fields[signal.field] = quote
                break
    intent = any(s.kind in ("intent", "question") for s, _ in found)
    questions = [s.weight for s, _ in found if s.kind == "question"]
    score = max(questions, default=0)
    reasons = []
    for signal, quote in found:
        if signal.kind == "qualifier" and not intent:
            continue
        if signal.kind != "question":
            score += signal.weight
        reasons.append(f'{signal.name.replace("_", " ")}: "{quote}"')
    emails, phones = [], []
    for text in texts:
        found_emails, found_phones = find_contacts(text)
        emails += found_emails
        phones += found_phones
    if emails or phones:
        score += 25
        reasons.append(f'left contacts: "{(phones + emails)[0]}"')
        fields["contact"] = {"phone": phones[0] if phones else None, "email": emails[0] if emails else None}
    score = max(0, min(100, score))
    return LeadAssessment(temperature_of(score), score, reasons, fields)


class LeadQualifier:
    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._texts: list[str] = []
        self._labels: list[str] = []
        self._vectors = np.zeros((0, 0), np.float32)

    async def learn(self, texts: list[str], temperatures: list[str]) -> None:
        if not texts:
            return
        vectors = await self._embedder.embed_queries(texts)
        self._vectors = np.vstack([self._vectors, vectors]) if self._texts else vectors
        self._texts += texts
        self._labels += temperatures

    async def assess(self, texts: list[str]) -> LeadAssessment:
        """Qualify a conversation from the customer's messages (oldest first)."""
        texts = [t for t in texts if t.strip()]
        assessment = await asyncio.to_thread(rule_assessment, texts)  # pure-Python rules: off the event loop
        if not texts or not self._texts:
            return assessment
        vector = (await self._embedder.embed_queries([texts[-1]]))[0]
        sims = self._vectors @ vector
        best = int(np.argmax(sims))
        if sims[best] >= SAME_MESSAGE:
            label = self._labels[best]
            score = max(assessment.score, EXAMPLE_SCORES[label]) if label == "hot" else EXAMPLE_SCORES[label]
            reason = f'a manager marked a message like this {label}: "{self._texts[best][:60]}"'
            return LeadAssessment(label, score, [reason, *assessment.reasons], assessment.fields)  # type: ignore[arg-type]
        if len(self._texts) >= BLEND_MIN_EXAMPLES:
            top = np.argsort(-sims)[:5]
            weights = np.maximum(sims[top], 0) ** 4
            knn = float(
                sum(w * EXAMPLE_SCORES[self._labels[i]] for w, i in zip(weights, top, strict=True)) / weights.sum()
            )
            score = round(0.6 * assessment.score + 0.4 * knn)
            assessment.score, assessment.temperature = score, temperature_of(score)
        return assessment
