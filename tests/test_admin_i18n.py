"""Every manager-facing text of the admin bot is translated to ru and uk, and the compiled catalogues
the bot loads say the same as the sources."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from admin_bot.i18n import DOMAIN, LOCALES_DIR

ADMIN_BOT = Path(__file__).parent.parent / "admin_bot"
PLACEHOLDER = re.compile(r"{\w+}")


def texts_in_code() -> set[str]:
    found = extract_from_dir(ADMIN_BOT, keywords={"_": None, "N_": None}, method_map=[("**.py", "python")])
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_admin_text_is_translated_and_compiled(language: str) -> None:
    source = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    catalog = read_po(source.open("rb"))
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    missing = sorted(texts_in_code() - translated.keys())
    assert not missing, f"untranslated in {language}: {missing[:5]} (run pybabel extract/update, then translate)"
    for msgid, text in translated.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid
    compiled = gettext.translation(DOMAIN, LOCALES_DIR, languages=[language])
    stale = [m for m in texts_in_code() if compiled.gettext(m) != translated[m]]
    assert not stale, f"{language}: .mo is older than .po (run pybabel compile): {stale[:3]}"
