"""Hot / Warm / Cold on messages nobody labelled before: the qualifier taught the train and dev rows of
bench/data/leads.csv must judge new, clearly labelled BrewPoint messages by the rule in bench/data/leads.md.
None of these messages is in the data set."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from brain.lead_cues import CUES
from brain.lead_signals import SIGNALS, normal
from brain.leads import LeadQualifier, rule_assessment

DATA = Path(__file__).parent.parent / "bench" / "data" / "leads.csv"

MESSAGES = {
    "en": [
        ("hot", "Please go ahead and order one Barista Pro for our cafe, we'll pay by bank transfer"),
        ("hot", "We'd like to rent three Compact 80 starting next Monday"),
        ("hot", "We're comparing a few vendors, please send your commercial offer for 4 Barista Pro to buy@nova.com"),
        ("hot", "I want to buy an Office 200 for our dental clinic. Call me on +44 7700 900123"),
        ("warm", "How much is the Barista Pro if we buy it outright?"),
        ("warm", "Which of your machines is best for a small bakery with about 60 cups a day?"),
        ("warm", "Could you email me your price list? anna@bistro.ua"),
        ("warm", "Just curious, what does the Grinder G64 cost?"),
        ("cold", "Our Compact 80 is showing a red light and won't brew"),
        ("cold", "How much is the Office 200? We're only comparing prices, no plans to buy this year."),
        ("cold", "Do you have a job opening for a service engineer?"),
        ("cold", "thank you!"),
    ],
    "ru": [
        ("hot", "Хотим купить две Office 200 в офис, пришлите счёт на ООО «Север»"),
        ("hot", "Нужна Barista Pro к 5 января, открываем кофейню на Подоле"),
        ("hot", "Перезвоните мне, пожалуйста, по поводу покупки кофемашины: +380 67 555 44 33"),
        ("hot", "Сравниваем поставщиков, пришлите коммерческое предложение на 3 Office 200: zakup@meridian.ua"),
        ("warm", "Сколько стоит Office 200 с установкой?"),
        ("warm", "Какие условия для партнёров уровня Silver?"),
        ("warm", "Просто интересно, сколько стоит аренда Barista Pro в месяц?"),
        ("warm", "Посчитайте, пожалуйста, аренду Office 200 на два года"),
        ("cold", "У нашей Office 200 не горит дисплей, что делать?"),
        ("cold", "Сколько стоит фильтр для нашей Compact 80?"),
        ("cold", "Сколько стоит Compact 80? Но покупать будем только в следующем году"),
        ("cold", "Пришлите акт сверки за ноябрь, пожалуйста"),
    ],
    "uk": [
        ("hot", "Хочемо орендувати Barista Pro на рік, надішліть договір"),
        ("hot", "Потрібна кавомашина на весілля 27 грудня, забронюйте, будь ласка"),
        ("hot", "Бюджет погоджено, потрібні три машини для філій"),
        ("hot", "Замовляємо дві Compact 80 для офісу, рахунок на ТОВ «Ранок»"),
        ("warm", "Скільки коштує оренда Compact 80?"),
        ("warm", "Чи є у вас демо Barista Pro для кав'ярні?"),
        ("warm", "Надішліть прайс на пошту olena@kava.ua"),
        ("warm", "Чим Barista Pro відрізняється від Compact 80?"),
        ("cold", "Наша Compact 80 не гріє воду, що робити?"),
        ("cold", "Поки просто порівнюємо ціни, купувати найближчим часом не будемо"),
        ("cold", "Машину привезли пошкоджену, дуже незадоволені"),
        ("cold", "Добрий вечір"),
    ],
}

CONVERSATIONS = [
    ("hot", ["Скільки коштує Office 200?", "Добре, беремо дві. Рахунок на ФОП Петренко", "А як її чистити?", "дякую"]),
    ("cold", ["We'd like to order 2 Compact 80", "Sorry, our management cancelled the purchase"]),
    (
        "warm",
        ["Our Office 200 is leaking", "ok fixed it, thanks", "How much is a Barista Pro? We're opening a second cafe"],
    ),
    (
        "cold",
        ["Сколько стоит аренда Barista Pro?", "А доставка?", "Понятно, спасибо, вернёмся к этому в следующем году"],
    ),
    ("hot", ["Do you have Compact 80 in stock?", "We need 4 of them by next Friday"]),
    ("cold", ["Наша Barista Pro не тримає тиск", "Скільки коштуватиме ремонт?", "Гаразд, чекаємо майстра"]),
]

CASES = [(language, label, text) for language, rows in MESSAGES.items() for label, text in rows]


@pytest.fixture(scope="module")
async def qualifier(shared_embedder) -> LeadQualifier:
    with DATA.open(encoding="utf-8") as file:
        rows = [r for r in csv.DictReader(file) if r["split"] in ("train", "dev")]
    known = {r["text"] for r in rows}
    assert not known & {text for _, _, text in CASES}  # new messages only
    taught = LeadQualifier(shared_embedder)
    await taught.learn([r["text"] for r in rows], [r["label"] for r in rows])
    return taught


@pytest.mark.parametrize(("language", "label", "text"), CASES)
async def test_new_messages_are_judged_by_the_labelling_rule(qualifier, language, label, text):
    assessment = await qualifier.assess([text])
    assert assessment.temperature == label, (language, text, assessment.reasons)
    assert (assessment.score >= 50) == (label == "hot")


@pytest.mark.parametrize(("label", "texts"), CONVERSATIONS)
async def test_conversations_are_judged_after_the_last_message(qualifier, label, texts):
    assessment = await qualifier.assess(texts)
    assert assessment.temperature == label, (texts, assessment.reasons)


def test_reasons_quote_the_customer():
    for _, _, text in CASES:
        for reason in rule_assessment([text]).reasons:
            quoted = reason.split('"')[1]
            assert quoted and quoted in text, (reason, text)


def test_every_phrase_rule_reads_a_huge_message_in_linear_time():
    for chunk in ("we would like to ", "наш ", "1 ", "хочу по ", "if we ", "не ", "a" * 40 + " ", "  ", "@"):
        text = chunk * (20_000 // len(chunk))
        start = time.perf_counter()
        plain, _ = normal(text)
        for pattern in [*CUES.values(), *(signal.pattern for signal in SIGNALS)]:
            pattern.search(plain)
        rule_assessment([text, text])  # bounded: only the opening and the end are read
        assert time.perf_counter() - start < 2.0, chunk
