"""The offline brain: extractive answers from the knowledge base, and an honest offer of a manager."""

from __future__ import annotations

from brain.knowledge.passages import Passage
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
        """The confident passages, each under its heading, then their sources; "I don't know" without one.
        One passage is quoted whole (within `max_chars`); several share the space, cut at a sentence."""
        language = route.language
        confident = [p for p in passages if p.confident(self.similarity_floor)]
        if not confident:
            return BrainReply(
                text=self._playbook.text("no_answer", language),
                language=language,
                intent=route.category,
                mode=mode,
                buttons=[self.manager_button(language)],
                unanswered=True,
            )
        label = self._playbook.text("source_label", language)
        sources = "; ".join(dict.fromkeys(_source(p) for p in confident))
        source = f"{label}: {sources}"
        budget = (max_chars - len(source) - 2) // len(confident) - 2
        blocks = [_block(p, budget, whole=len(confident) == 1) for p in confident]
        return BrainReply(
            text="\n\n".join([*blocks, source]),
            language=language,
            intent=route.category,
            mode=mode,
            sources=list(dict.fromkeys(p.document for p in confident)),
        )


MULTI_PART_CHARS = 420  # each passage of a several-part answer, so the whole answer stays short


def _source(passage: Passage) -> str:
    section = passage.section if passage.section and passage.section != passage.title else ""
    return f"{passage.title} — {section}" if section else passage.title


def _block(passage: Passage, budget: int, *, whole: bool) -> str:
    heading = f"{passage.section}\n" if passage.section and passage.section != passage.title else ""
    limit = budget if whole else min(budget, MULTI_PART_CHARS)
    return heading + _shorten(passage.text, max(limit - len(heading), 0), sentences=not whole)


def _shorten(text: str, limit: int, *, sentences: bool) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if sentences:
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        if end > limit // 3:
            return cut[: end + 1]
    return cut.rsplit(" ", 1)[0] + "…"
