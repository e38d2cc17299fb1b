"""The admin bot speaks the manager's language: gettext catalogues (`admin_bot/locales`), aiogram's I18n.

The locale is the manager's `/lang` choice, else their Telegram language, else the default. Texts sent
outside a handler (cards, alerts) are translated with an explicit locale through `Translator`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from storage.managers import ManagerRepository

DOMAIN = "closer_admin"
LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("en", "uk", "ru")
LANGUAGE_NAMES = {"en": "English", "uk": "Українська", "ru": "Русский"}

Translate = Callable[[str], str]


def N_(text: str) -> str:
    """Marks a text for the catalogue (`make i18n` extracts it); it is translated where it is shown."""
    return text


def build_i18n(default_locale: str = "en") -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


def supported(language: str | None) -> str | None:
    """`uk-UA` → `uk`; None for languages the admin bot does not speak."""
    if not language:
        return None
    base = language.lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


class Translator:
    """Translations by locale, for texts composed outside a handler's context."""

    def __init__(self, i18n: I18n, managers: ManagerRepository) -> None:
        self._i18n = i18n
        self._managers = managers

    @property
    def i18n(self) -> I18n:
        return self._i18n

    def for_locale(self, locale: str | None) -> Translate:
        chosen = supported(locale) or self._i18n.default_locale
        return lambda text: self._i18n.gettext(text, locale=chosen)

    async def locale_of(self, user_id: int) -> str:
        return supported(await self._managers.language(user_id)) or self._i18n.default_locale


class ManagerLocale(I18nMiddleware):
    """Chooses each update's locale and remembers who the manager is (name, Telegram language)."""

    def __init__(self, i18n: I18n, managers: ManagerRepository) -> None:
        super().__init__(i18n)
        self._managers = managers
        self._seen: dict[int, tuple[str | None, str | None]] = {}

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        if user is None:
            return self.i18n.default_locale
        profile = (user.full_name, user.language_code)
        if self._seen.get(user.id) != profile:  # one write when a manager first appears or changes
            await self._managers.seen(user.id, user.full_name, user.language_code)
            self._seen[user.id] = profile
        return supported(await self._managers.language(user.id)) or self.i18n.default_locale
