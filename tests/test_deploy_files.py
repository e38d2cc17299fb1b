"""docker-compose.yml and .env.example cannot be run here (no Docker engine); check them by reading."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

from app.settings import Settings, section_fields
from app.shutdown import STOP_BUDGET_S


def test_compose_defines_the_stack_and_a_two_replica_profile_behind_a_proxy(repo_root):
    compose = yaml.safe_load((repo_root / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"app", "app-2", "proxy", "mongo", "redis", "chroma"}
    assert services["mongo"]["image"] == "mongo:7" and services["redis"]["image"] == "redis:7"
    for name, service in services.items():
        assert service["restart"] == "unless-stopped", name
        assert "test" in service["healthcheck"], name
    for name in ("app", "app-2", "mongo", "redis", "chroma"):
        assert services[name].get("volumes"), name
    app, second = services["app"], services["app-2"]
    assert app["env_file"] == ".env" and app["command"][-2:] == ["--role", "all"]
    assert second["profiles"] == ["scale"] and second["command"][-2:] == ["--role", "web"]
    assert services["proxy"]["profiles"] == ["scale"]
    for replica in (app, second):  # SIGTERM, then as long as a replica takes to hand back what it holds
        assert int(replica["stop_grace_period"].removesuffix("s")) > STOP_BUDGET_S
    for replica in (app, second):  # both replicas share one database, one Redis, one Chroma
        assert replica["environment"]["MONGODB_URI"] == "mongodb://mongo:27017/?replicaSet=rs0"
        assert replica["environment"]["CHROMA_HOST"] == "chroma"
        assert set(replica["depends_on"]) == {"mongo", "redis", "chroma"}
    assert "--replSet" in services["mongo"]["command"]
    nginx = compose["configs"]["nginx"]["content"]
    assert "server app:8000" in nginx and "server app-2:8000" in nginx and "proxy_buffering off" in nginx
    assert set(compose["volumes"]) >= {"mongo-data", "redis-data", "app-data", "chroma-data"}


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


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_dependency_is_pinned_and_this_environment_matches_the_lock(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dev_lock, service_lock = _pins(repo_root / "requirements-dev.lock"), _pins(repo_root / "requirements.lock")
    declared = [Requirement(r) for r in project["dependencies"]]
    extras = [Requirement(r) for group in project["optional-dependencies"].values() for r in group]
    assert {canonical(r.name) for r in declared} <= set(service_lock)
    assert {canonical(r.name) for r in declared + extras} <= set(dev_lock)
    for requirement in declared + extras:  # the pins satisfy what pyproject.toml asks for
        assert requirement.specifier.contains(dev_lock[canonical(requirement.name)], prereleases=True), requirement
    assert all(dev_lock[name] == version for name, version in service_lock.items())  # one set of versions
    installed = {canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    drift = {
        name: (version, installed.get(name)) for name, version in dev_lock.items() if installed.get(name) != version
    }
    assert not drift, f"the environment differs from requirements-dev.lock: {drift}"
