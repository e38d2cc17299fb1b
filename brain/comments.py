"""Which Instagram comments deserve a private reply in Direct, and what it says (the playbook's triggers)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from brain.playbook import Playbook
from brain.router import OfflineRouter

MIN_INTENT_SCORE = 0.5  # a comment is short: only a confident route counts as the trigger's intent


@dataclass(frozen=True, slots=True)
class CommentReply:
    private: str
    public: str  # "" = no public reply
    language: str
    reason: str  # the keyword or intent that matched (for the record)


async def comment_reply(text: str, playbook: Playbook, router: OfflineRouter) -> CommentReply | None:
    """The first trigger whose keyword appears in the comment, or whose intent the router finds in it."""
    if not playbook.comment_triggers or not text.strip():
        return None
    route = await router.route(text)
    folded = text.casefold()
    for trigger in playbook.comment_triggers:
        reason = next((k for k in trigger.keywords if _contains(folded, k.casefold())), None)
        if reason is None and not route.out_of_scope and route.score >= MIN_INTENT_SCORE:
            reason = route.category if route.category in trigger.intents else None
        if reason is not None:
            return CommentReply(
                private=playbook.localized(trigger.private_reply, route.language),
                public=playbook.localized(trigger.public_reply, route.language) if trigger.public_reply else "",
                language=route.language,
                reason=reason,
            )
    return None


def _contains(text: str, keyword: str) -> bool:
    """A word keyword matches at word boundaries (so "price" is not found in "priceless"); a symbol anywhere."""
    if not keyword:
        return False
    if not keyword[0].isalnum():
        return keyword in text
    return re.search(rf"(?<!\w){re.escape(keyword)}", text) is not None
