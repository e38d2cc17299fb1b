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


class CountingLatent:
    """The shared embedder, counting the texts sent to the second (latent terms) model pass."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.name = inner.name
        self.latent_texts = 0

    async def embed_queries(self, texts):
        return await self._inner.embed_queries(texts)

    async def embed_passages(self, texts):
        return await self._inner.embed_passages(texts)

    async def latent_terms(self, texts):
        self.latent_texts += len(texts)
        return await self._inner.latent_terms(texts)


async def test_a_message_the_router_is_sure_of_skips_the_second_model_pass_and_keeps_its_label(shared_embedder):
    embedder = CountingLatent(shared_embedder)
    classifier = IntentClassifier(embedder)
    await classifier.load_negatives()
    await classifier.fit([t for ex in TRAIN.values() for t in ex], [label for label, ex in TRAIN.items() for _ in ex])
    texts = [text for text, _ in IN_SCOPE] + OFF_TOPIC
    embedder.latent_texts = 0
    quick = await classifier.predict(texts)
    skipped = len(texts) - embedder.latent_texts
    vectors = await shared_embedder.embed_queries(texts)
    full = classifier.predict_vectors(vectors, texts, await shared_embedder.latent_terms(texts))
    assert [p.label for p in quick] == [p.label for p in full]  # the same routes, every view or not
    assert 0 < skipped < len(texts)  # the sure ones skip it; the off-topic ones still take every view
    assert all(p.label == OUT_OF_SCOPE for p in quick[len(IN_SCOPE) :])
