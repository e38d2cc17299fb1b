"""A partner who wants to join is asked the application's questions one at a time (company, region, sales
channel, expected volume); the answers become a partner lead that managers get as a hot card.

The state (which question is open, the answers so far) lives in the shared state store, so a restart or
another replica continues the same application. A question in the middle ("what is the commission?") is
answered as usual and the open question asked again; "stop" ends the application.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from brain.confirmations import StateStore
from brain.language import detect_language
from brain.playbook import Playbook
from brain.types import BrainReply, LeadAssessment, Question, Turn

INTENT = "partner_application"
STATE_TTL_S = 7 * 24 * 3600
WANTS_TO_JOIN = re.compile(
    r"(стать|стати|become|join|apply|присоедин\w*|приєдна\w*|долучит\w*|быть|бути|be)\W+(?:\w+\W+){0,2}?"
    r"(партн\w*|дилер\w*|partner\w*|dealer\w*|reseller\w*|реселл?ер\w*|дистриб\w*|distribut\w*)"
    r"|partner(ship)? application|заявк\w* на партн\w*|анкет\w* партн\w*",
    re.IGNORECASE,
)
STOP = re.compile(r"^\s*(stop|cancel|стоп|отмена|скасувати|хватит|не надо|не треба)\b", re.IGNORECASE)


ASKS_HOW = re.compile(r"^\W*(how|what|как|что|як|що|чи)\b", re.IGNORECASE)  # "how do I become..." wants facts first


def wants_to_join(text: str) -> bool:
    return WANTS_TO_JOIN.search(text) is not None and not ASKS_HOW.match(text)


class PartnerApplications:
    def __init__(self, state: StateStore, playbook: Callable[[], Playbook]) -> None:
        self._state = state
        self._playbook = playbook

    async def step(self, turn: Turn) -> tuple[BrainReply | None, Question | None]:
        """(the reply, None) when the application speaks; (None, the open question) when this turn is a
        question to answer as usual first; (None, None) when no application is going on."""
        playbook = self._playbook()
        key = f"partner_app:{turn.conversation_id}"
        raw = await self._state.get(key)
        language = detect_language(turn.text, turn.previous_language or turn.language_hint, playbook.default_language)
        language = language if language in playbook.languages else playbook.default_language
        application = playbook.partner_application
        if raw is None:
            if not turn.message_text or not wants_to_join(turn.message_text):
                return None, None
            state = {"answers": {}, "language": language}
            await self._state.set(key, json.dumps(state), STATE_TTL_S)
            intro = playbook.localized(application.intro, language)
            return self._ask(intro, application.fields[0], language, playbook), None
        state = json.loads(raw)
        answers: dict[str, str] = state["answers"]
        open_field = next(f for f in application.fields if f not in answers)
        text = turn.message_text.strip()
        if STOP.match(text):
            await self._state.delete(key)
            return BrainReply(playbook.localized(application.cancelled, language), language, INTENT, "canned"), None
        if not text or text.endswith("?"):  # a question of their own first; the open one is asked again after
            return None, Question(open_field, playbook.localized(application.questions[open_field], language))
        answers[open_field] = text[:300]
        remaining = [f for f in application.fields if f not in answers]
        if remaining:
            await self._state.set(key, json.dumps(state), STATE_TTL_S)
            return self._ask("", remaining[0], language, playbook), None
        await self._state.delete(key)
        reply = BrainReply(playbook.localized(application.done, language), language, INTENT, "canned")
        summary = ", ".join(f"{k}: {v}" for k, v in answers.items())
        reply.lead = LeadAssessment("hot", 90, [f"partner application ({summary})"[:300]], {**answers})
        reply.audience = "partner"
        return reply, None

    @staticmethod
    def _ask(before: str, field: str, language: str, playbook: Playbook) -> BrainReply:
        question = playbook.localized(playbook.partner_application.questions[field], language)
        text = f"{before}\n\n{question}".strip()
        return BrainReply(text, language, INTENT, "canned", audience="partner")
