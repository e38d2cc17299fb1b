"""docker-compose.yml and .env.example cannot be run here (no Docker engine); check them by reading."""

from __future__ import annotations

import re

import yaml

from app.settings import Settings, section_fields


def test_compose_defines_app_mongo_and_redis_with_health_checks(repo_root):
    compose = yaml.safe_load((repo_root / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"app", "mongo", "redis"}
    assert services["mongo"]["image"] == "mongo:7" and services["redis"]["image"] == "redis:7"
    for name, service in services.items():
        assert service["restart"] == "unless-stopped", name
        assert "test" in service["healthcheck"], name
        assert service.get("volumes"), name
    app = services["app"]
    assert app["env_file"] == ".env"
    assert app["environment"]["MONGODB_URI"].startswith("mongodb://mongo:")
    assert app["depends_on"] == {"mongo": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"}}
    assert set(compose["volumes"]) >= {"mongo-data", "redis-data", "app-data"}


def test_env_example_lists_every_setting(repo_root):
    text = (repo_root / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    contract = {
        "DATA_DIR",
        "HTTP_HOST",
        "HTTP_PORT",
        "PUBLIC_BASE_URL",
        "MONGODB_URI",
        "MONGODB_DB",
        "REDIS_URL",
        "CHROMA_HOST",
        "CHROMA_PORT",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "LLM_MODEL",
        "LLM_MODEL_FAST",
        "EMBEDDINGS",
        "TELEGRAM_BOT_TOKEN",
        "ADMIN_BOT_TOKEN",
        "TELEGRAM_API_BASE",
        "TELEGRAM_WEBHOOK_SECRET",
        "ADMIN_IDS",
        "MANAGER_IDS",
        "MANAGER_CHAT_ID",
        "META_APP_SECRET",
        "META_VERIFY_TOKEN",
        "MESSENGER_PAGE_TOKEN",
        "INSTAGRAM_TOKEN",
        "WHATSAPP_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
        "META_GRAPH_BASE",
        "META_GRAPH_VERSION",
        "API_KEY",
        "CRM_WEBHOOK_URL",
        "CRM_WEBHOOK_SECRET",
        "PLAYBOOK",
    }
    assert contract <= documented
    # Every contract name is a setting: a top-level field or a section field's environment variable.
    known = set(Settings.model_fields) | set(section_fields())
    assert {name.lower() for name in contract} <= known


def test_id_lists_accept_the_documented_comma_form():
    settings = Settings.from_flat(_env_file=None, admin_ids="1, 2,3", manager_ids="5")
    assert settings.managers.admin_ids == [1, 2, 3]
    assert settings.managers.everyone == {1, 2, 3, 5}


def test_flat_environment_names_fill_the_sections(monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "mongodb://db.example:27017")
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://bot-api.local")
    monkeypatch.setenv("MANAGER_IDS", "7,8")
    monkeypatch.setenv("TAKEOVER_IDLE_MINUTES", "2.5")
    settings = Settings(_env_file=None)
    assert settings.mongo.uri is not None and settings.mongo.uri.get_secret_value() == "mongodb://db.example:27017"
    assert settings.telegram.api_base == "http://bot-api.local"
    assert settings.managers.manager_ids == [7, 8] and settings.managers.takeover_idle_minutes == 2.5
    # An explicit value beats the environment.
    assert Settings.from_flat(_env_file=None, manager_ids=[1]).managers.manager_ids == [1]


def test_secrets_never_appear_in_settings_repr():
    settings = Settings.from_flat(_env_file=None, telegram_bot_token="123:secret-token-value", openai_api_key="sk-abc")
    assert "secret-token-value" not in repr(settings) and "sk-abc" not in repr(settings)
