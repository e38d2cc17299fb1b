"""Signed, expiring links to catalogue files (`GET /media/{id}?exp=...&sig=...`), for channels that fetch a
file by URL (Messenger, Instagram, WhatsApp by link) and for the web chat. HMAC-SHA256 over id and expiry,
compared in constant time; an expired or forged link is refused (403)."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode


class MediaLinks:
    def __init__(self, secret: bytes, ttl_s: float, public_base: str | None) -> None:
        self._secret = secret
        self._ttl_s = ttl_s
        self.public_base = public_base.rstrip("/") if public_base else None

    def link(self, asset_id: str, *, absolute: bool = True) -> str | None:
        """A signed link; None when an absolute one is needed but no PUBLIC_BASE_URL is set."""
        expires = int(time.time() + self._ttl_s)
        path = f"/media/{asset_id}?{urlencode({'exp': expires, 'sig': self._sign(asset_id, expires)})}"
        if not absolute:
            return path
        return f"{self.public_base}{path}" if self.public_base else None

    def valid(self, asset_id: str, expires: int, signature: str) -> bool:
        if expires < time.time():
            return False
        return hmac.compare_digest(self._sign(asset_id, expires).encode(), signature.encode())

    def _sign(self, asset_id: str, expires: int) -> str:
        return hmac.new(self._secret, f"{asset_id}:{expires}".encode(), hashlib.sha256).hexdigest()
