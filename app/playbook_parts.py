"""Brain parts trained from the playbook: the offline router and the qualifier's labelled examples (built at
start-up, on a playbook reload and by the eval CLI)."""

from __future__ import annotations

from brain.classifier import IntentClassifier
from brain.playbook import Playbook
from brain.router import OfflineRouter
from storage.embeddings import Embedder

# With the playbook's out-of-scope examples: below it the router says out-of-scope (retrieval decides answers).
ROUTER_THRESHOLD = 0.4


async def build_router(playbook: Playbook, embedder: Embedder) -> OfflineRouter:
    """The offline router trained on the playbook's example phrases (also on a playbook reload)."""
    return await OfflineRouter.build(playbook, router_classifier(playbook, embedder))


def router_classifier(playbook: Playbook, embedder: Embedder) -> IntentClassifier:
    """With the playbook's out-of-scope examples the router learns them as a class above a fixed floor; without
    them the threshold is calibrated on the examples themselves and the shipped generic negatives."""
    threshold = ROUTER_THRESHOLD if any(playbook.out_of_scope.values()) else None
    return IntentClassifier(embedder, threshold, oos_as_class=True)


def playbook_lead_examples(playbook: Playbook) -> tuple[list[str], list[str]]:
    """The playbook's Hot / Warm / Cold example messages, as labelled examples for the qualifier."""
    texts: list[str] = []
    labels: list[str] = []
    if playbook.qualification is not None:
        for temperature in ("hot", "warm", "cold"):
            examples = getattr(playbook.qualification, temperature).examples
            texts += examples
            labels += [temperature] * len(examples)
    return texts, labels
