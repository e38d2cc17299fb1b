"""Out-of-scope detection when the business gives no out-of-scope examples: the router still rejects
messages about something else, and keeps answering its own intents."""

from __future__ import annotations

from brain.classifier import OUT_OF_SCOPE, IntentClassifier

TRAIN = {
    "pricing": [
        "how much does the coffee machine cost",
        "what is the price of the Office 200",
        "send me your price list",
        "is there a discount for two machines",
        "how much is monthly rental",
        "сколько стоит кофемашина",
        "яка ціна на оренду",
    ],
    "delivery": [
        "do you deliver to Lviv",
        "how long does delivery take",
        "can you ship it tomorrow",
        "what does delivery cost",
        "доставка в Одессу есть?",
        "коли доставите машину",
    ],
    "warranty": [
        "what is the warranty period",
        "does the warranty cover the grinder",
        "what if the machine breaks",
        "гарантия на Barista Pro какая",
        "що робити якщо машина зламалась",
    ],
    "installation": [
        "do you install the machine",
        "does it need a water connection",
        "who sets it up in our office",
        "нужно ли подключение к воде",
        "хто встановлює машину",
    ],
}
IN_SCOPE = [
    ("how much would two Office 200 cost", "pricing"),
    ("when can you deliver to Kharkiv", "delivery"),
    ("сколько длится гарантия", "warranty"),
    ("чи потрібно підключати машину до води", "installation"),
]
OFF_TOPIC = [
    "what's the weather in Paris this weekend",
    "tell me a funny joke",
    "who won the football match yesterday",
    "как приготовить борщ",
    "порадь гарний серіал",
    "what is the capital of Australia",
]


async def test_without_oos_examples_the_router_still_rejects_off_topic_messages(shared_embedder):
    classifier = IntentClassifier(shared_embedder)
    texts = [t for examples in TRAIN.values() for t in examples]
    labels = [label for label, examples in TRAIN.items() for _ in examples]
    await classifier.fit(texts, labels)
    assert classifier.threshold > 0.0  # calibrated, not "reject nothing"

    predictions = await classifier.predict([t for t, _ in IN_SCOPE] + OFF_TOPIC)
    kept = [p.label for p in predictions[: len(IN_SCOPE)]]
    rejected = [p.label == OUT_OF_SCOPE for p in predictions[len(IN_SCOPE) :]]
    assert sum(k == t for k, (_, t) in zip(kept, IN_SCOPE, strict=True)) >= 3, kept
    assert sum(rejected) >= 4, [p.label for p in predictions[len(IN_SCOPE) :]]


async def test_with_oos_examples_they_are_used_and_a_fixed_threshold_stays_fixed(shared_embedder):
    texts = [t for examples in TRAIN.values() for t in examples]
    labels = [label for label, examples in TRAIN.items() for _ in examples]
    fixed = IntentClassifier(shared_embedder, 0.4)
    await fixed.fit(texts, labels)
    assert fixed.threshold == 0.4
    with_oos = IntentClassifier(shared_embedder)
    await with_oos.fit(texts + OFF_TOPIC[:3], labels + [OUT_OF_SCOPE] * 3)
    assert OUT_OF_SCOPE not in with_oos.labels  # oos rows calibrate; they are not an intent
