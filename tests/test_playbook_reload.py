"""Admins replace the playbook at run time; a broken file never takes the bot down."""

from __future__ import annotations

import os
from importlib import resources

from app.playbook_reload import PlaybookReloader
from brain.types import Turn


async def test_playbook_reloads_on_change_and_survives_a_broken_file(services_factory, tmp_path):
    path = tmp_path / "playbook.yaml"
    original = resources.files("brain").joinpath("sample/playbook.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    async with services_factory(playbook=path) as services:
        reloader = PlaybookReloader(path, services.brain, services.clients.embedder)
        assert services.brain.greeting("en").text.startswith("Hello! I'm the BrewPoint assistant")

        path.write_text(original.replace("Hello! I'm the BrewPoint assistant", "Hi, BrewPoint here"), encoding="utf-8")
        os.utime(path, (1, 1))  # a distinct modification time, however fast the test runs
        assert await reloader.check() is True
        assert services.brain.greeting("en").text.startswith("Hi, BrewPoint here")

        path.write_text("categories: [unclosed", encoding="utf-8")
        os.utime(path, (2, 2))
        assert await reloader.check() is False
        assert "not valid YAML" in (reloader.last_error or "")
        assert services.brain.greeting("en").text.startswith("Hi, BrewPoint here")
        reply = await services.brain.reply(Turn(text="What is the warranty?", conversation_id="c", channel="web"))
        assert "24-month" in reply.text
