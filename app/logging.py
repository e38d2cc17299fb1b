"""Logging set-up with personal data masked: phone numbers, e-mails and tokens never reach a log file."""

from __future__ import annotations

import json
import logging
import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{0,63}@([A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24})")
_PHONE = re.compile(r"(?<![\w.])(\+?\d[\d\s()-]{6,}\d)(?![\w.])")
_BOT_TOKEN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")


def mask_personal_data(text: str) -> str:
    """Replace e-mails, phone numbers, bot tokens and bearer tokens with masked forms."""
    text = _BOT_TOKEN.sub("<bot-token>", text)
    text = _BEARER.sub(r"\1<secret>", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group(1))[-2:], text)


class PersonalDataFilter(logging.Filter):
    """Masks the final message of every record (arguments included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (for log collectors); the message is already masked by the filter."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = mask_personal_data(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """`fmt` is `text` (for people) or `json` (LOG_FORMAT=json, for collectors)."""
    handler = logging.StreamHandler()
    text_format = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(JsonFormatter() if fmt == "json" else text_format)
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Quiet by default: the scheduler's "running job" lines every minute and the libraries' chatter.
    for noisy in ("httpx", "chromadb", "aiogram.event", "pymongo", "secantus", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
