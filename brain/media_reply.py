"""The brain's answer when a customer asks for a file: the asset itself with a short caption in their
language, a question when several fit, or a polite refusal when it is for partners only."""

from __future__ import annotations

from collections.abc import Callable

from brain.language import detect_language
from brain.media import ASSET_PAYLOAD, CatalogEntry, MediaMatcher, names_a_file
from brain.media_library import MediaLibrary
from brain.playbook import Playbook
from brain.types import BrainReply, Button, Media, Turn
from storage.embeddings import Embedder


class MediaDesk:
    def __init__(self, library: MediaLibrary, embedder: Embedder, playbook: Callable[[], Playbook]) -> None:
        self._library = library
        self._embedder = embedder
        self._playbook = playbook

    @property
    def matcher(self) -> MediaMatcher:
        return self._library.matcher

    async def reply(self, turn: Turn) -> BrainReply | None:
        """None when the turn does not ask for a catalogue file (the ordinary answer follows)."""
        await self._library.refresh()
        if self.matcher.empty:
            return None
        playbook = self._playbook()
        language = detect_language(turn.text, turn.previous_language or turn.language_hint, playbook.default_language)
        if language not in playbook.languages:
            language = playbook.default_language
        if turn.payload and turn.payload.startswith(ASSET_PAYLOAD):
            entry = self.matcher.get(turn.payload.removeprefix(ASSET_PAYLOAD))
            if entry is None:  # deleted since the buttons were shown
                return BrainReply(playbook.text("no_answer", language), language, "media", "canned")
            return self._send(entry, turn.audience, language, playbook)
        if not names_a_file(turn.message_text or turn.text):
            return None
        [query] = await self._embedder.embed_queries([turn.text])
        choice = self.matcher.choose(query, turn.audience)
        if choice.outcome == "none":
            return None
        if choice.outcome == "refuse":
            return BrainReply(playbook.text("media_partner_only", language), language, "media", "canned")
        if choice.outcome == "choose":
            buttons = [Button(e.title[:60], f"{ASSET_PAYLOAD}{e.asset_id}") for e in choice.assets]
            return BrainReply(playbook.text("media_choose", language), language, "media", "canned", buttons=buttons)
        return self._send(choice.assets[0], turn.audience, language, playbook)

    @staticmethod
    def _send(entry: CatalogEntry, audience: str, language: str, playbook: Playbook) -> BrainReply:
        if entry.audience == "partner" and audience != "partner":  # also for a forged or stale button
            return BrainReply(playbook.text("media_partner_only", language), language, "media", "canned")
        caption = playbook.text("media_caption", language).format(title=entry.title)
        media = [Media(entry.kind, title=entry.title, asset_id=entry.asset_id)]
        return BrainReply(caption, language, "media", "canned", media=media)
