"""Whether a customer's last words closed the door: no follow-up goes to someone who said "no"."""

from __future__ import annotations

import re

DECLINED = re.compile(
    r"^\s*(no|nope|нет|ні|не)\s*[.!]*\s*$"
    r"|\b(no,? thanks?|not interested|don'?t (contact|write|message) me|unsubscribe|stop (writing|messaging))\b"
    r"|(нет,? спасибо|не интересно|не нужно|не надо|не пишите|отпишите)"
    r"|(ні,? дякую|не цікаво|не потрібно|не треба|не пишіть|відпишіть)",
    re.IGNORECASE,
)


def declined(text: str) -> bool:
    return bool(DECLINED.search(text))
