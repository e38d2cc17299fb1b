"""The offline brain: extractive answers from the knowledge base, and an honest offer of a manager."""

from __future__ import annotations

from brain.knowledge.base import Passage
from brain.playbook import Playbook
from brain.router import Route
from brain.types import HUMAN_PAYLOAD, BrainReply, Button, Mode


class OfflineResponder:
    """Answers with the best passage when retrieval is confident enough, otherwise offers a human."""

    def __init__(self, playbook: Playbook, similarity_floor: float) -> None:
        self._playbook = playbook
        self.similarity_floor = similarity_floor

    def manager_button(self, language: str) -> Button:
        return Button(self._playbook.text("talk_to_manager_button", language), HUMAN_PAYLOAD)

    def answer(self, route: Route, passages: list[Passage], max_chars: int, mode: Mode = "offline") -> BrainReply:
        language = route.language
        confident = [p for p in passages if p.confident(self.similarity_floor)]
        if not confident:
            return BrainReply(
                text=self._playbook.text("no_answer", language),
                language=language,
                intent=route.category,
                mode=mode,
                buttons=[self.manager_button(language)],
            )
        best = confident[0]
        label = self._playbook.text("source_label", language)
        source = f"{label}: {best.title}" + (
            f" — {best.section}" if best.section and best.section != best.title else ""
        )
        heading = f"{best.section}\n" if best.section and best.section != best.title else ""
        body = f"{heading}{best.text}"
        budget = max_chars - len(source) - 2
        if len(body) > budget:
            body = body[: max(budget - 1, 0)].rsplit(" ", 1)[0] + "…"
        return BrainReply(
            text=f"{body}\n\n{source}",
            language=language,
            intent=route.category,
            mode=mode,
            sources=[best.document],
        )
