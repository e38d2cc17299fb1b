"""Actions that wait for the customer's Yes/No: a tool proposes, the customer confirms, the brain acts.

The pending action lives in the fast state store (Redis in production) for CONFIRM_TTL_S.
"""

from __future__ import annotations

import json
import secrets
from typing import Protocol

from brain.playbook import Playbook
from brain.types import BrainReply, Button, Escalation, Turn

CONFIRM_TTL_S = 15 * 60
CONFIRM, CANCEL = "confirm", "cancel"


class StateStore(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None: ...
    async def delete(self, key: str) -> None: ...


def is_confirmation(payload: str | None) -> bool:
    return bool(payload) and payload.split(":", 1)[0] in (CONFIRM, CANCEL)  # type: ignore[union-attr]


class PendingActions:
    def __init__(self, state: StateStore | None) -> None:
        self._state = state

    def ask(self, turn: Turn, reply: BrainReply, playbook: Playbook) -> BrainReply:
        """Attach Yes/No buttons; the action itself waits until the customer taps Yes."""
        token = secrets.token_hex(6)
        reply.buttons = [
            Button(playbook.text("confirm_yes", reply.language), f"{CONFIRM}:{token}"),
            Button(playbook.text("confirm_no", reply.language), f"{CANCEL}:{token}"),
        ]
        reply.pending_action = {**(reply.pending_action or {}), "token": token, "conversation": turn.conversation_id}
        return reply

    async def store(self, reply: BrainReply) -> None:
        if reply.pending_action and self._state is not None:
            action = reply.pending_action
            key = f"pending:{action['conversation']}:{action['token']}"
            await self._state.set(key, json.dumps(action), CONFIRM_TTL_S)

    async def resolve(self, turn: Turn, language: str, playbook: Playbook) -> BrainReply:
        """The customer tapped Yes or No: act once, or say it expired or was cancelled."""
        kind, _, token = (turn.payload or "").partition(":")
        key = f"pending:{turn.conversation_id}:{token}"
        raw = await self._state.get(key) if self._state is not None else None
        if raw is None or self._state is None:
            return BrainReply(playbook.text("action_expired", language), language, "confirmation", "canned")
        await self._state.delete(key)
        if kind == CANCEL:
            return BrainReply(playbook.text("action_cancelled", language), language, "confirmation", "canned")
        action = json.loads(raw)
        text = playbook.text("callback_confirmed", language).format(
            phone=action.get("phone", ""), when=action.get("when", "")
        )
        reply = BrainReply(text, language, "callback", "canned")
        # A manager now owes the customer a call.
        reply.escalation = Escalation("callback", f"call {action.get('phone', '')} {action.get('when', '')}".strip())
        return reply
