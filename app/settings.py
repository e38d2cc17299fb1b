"""Every setting of Closer, read from the environment or `.env` (names fixed in CONTRACT.md).

Settings are grouped in sections (`settings.mongo.uri`, `settings.telegram.bot_token`), while operators
keep writing the flat names of CONTRACT.md (`MONGODB_URI`, `TELEGRAM_BOT_TOKEN`): each section field
names its environment variable as its `validation_alias`, and `FlatEnvSections` reads them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import EnvSettingsSource


class Section(BaseModel):
    """A group of settings; each field's `validation_alias` is its environment variable."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)


def env(name: str, default: Any = None, **kwargs: Any) -> Any:
    """A section field read from the environment variable `name`."""
    if "default_factory" in kwargs:
        return Field(validation_alias=name, **kwargs)
    return Field(default, validation_alias=name, **kwargs)


def split_ids(value: object) -> object:
    """Accept `1,2,3` (the documented form) as well as a JSON list or a single number."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    if isinstance(value, int):
        return [value]
    return value


class HttpSettings(Section):
    host: str = env("HTTP_HOST", "127.0.0.1")
    port: int = env("HTTP_PORT", 8000)
    public_base_url: str | None = env("PUBLIC_BASE_URL")
    api_key: SecretStr | None = env("API_KEY")
    web_chat_rate_per_minute: int = env("WEB_CHAT_RATE_PER_MINUTE", 30)
    max_body_bytes: int = env("MAX_BODY_BYTES", 1_048_576, ge=1024)  # every route; larger bodies get 413


class MongoSettings(Section):
    uri: SecretStr | None = env("MONGODB_URI")
    db: str = env("MONGODB_DB", "closer")
    timeout_ms: int = env("MONGODB_TIMEOUT_MS", 5000)


class RedisSettings(Section):
    url: SecretStr | None = env("REDIS_URL")


class ChromaSettings(Section):
    host: str | None = env("CHROMA_HOST")
    port: int = env("CHROMA_PORT", 8000)


class LLMSettings(Section):
    api_key: SecretStr | None = env("OPENAI_API_KEY")
    base_url: str | None = env("OPENAI_BASE_URL")
    model: str = env("LLM_MODEL", "gpt-4.1-mini")
    model_fast: str = env("LLM_MODEL_FAST", "gpt-4.1-nano")
    timeout_s: float = env("LLM_TIMEOUT_S", 20.0)
    max_retries: int = env("LLM_MAX_RETRIES", 1)

    @property
    def enabled(self) -> bool:
        return self.api_key is not None or self.base_url is not None


class KnowledgeSettings(Section):
    embeddings: Literal["local", "openai"] = env("EMBEDDINGS", "local")
    embeddings_model: str = env("EMBEDDINGS_MODEL", "text-embedding-3-small")
    # BM25's share in ranking passages (0 = dense only); README "Knowledge base" has the measurements.
    lexical_weight: float = env("RETRIEVAL_LEXICAL_WEIGHT", 0.05, ge=0.0, le=1.0)
    seed_dir: Path | None = env("KNOWLEDGE_SEED_DIR")


class TelegramSettings(Section):
    bot_token: SecretStr | None = env("TELEGRAM_BOT_TOKEN")
    api_base: str = env("TELEGRAM_API_BASE", "https://api.telegram.org")
    webhook_secret: SecretStr | None = env("TELEGRAM_WEBHOOK_SECRET")

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1-256 characters of A-Za-z0-9_- only; refuse anything else early."""
        if value is None:
            return None
        secret = value.get_secret_value()
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        if not 1 <= len(secret) <= 256 or not set(secret) <= allowed:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Za-z0-9_-")
        return value


class ManagerSettings(Section):
    """The admin bot and the people allowed to use it."""

    bot_token: SecretStr | None = env("ADMIN_BOT_TOKEN")
    admin_ids: list[int] = env("ADMIN_IDS", default_factory=list)
    manager_ids: list[int] = env("MANAGER_IDS", default_factory=list)
    chat_id: int | None = env("MANAGER_CHAT_ID")
    takeover_idle_minutes: float = env("TAKEOVER_IDLE_MINUTES", 30)
    # The admin bot's language for the managers' group and for managers whose Telegram language it does
    # not speak; each manager can choose theirs with /lang.
    language: Literal["en", "uk", "ru"] = env("ADMIN_LANGUAGE", "en")

    @field_validator("admin_ids", "manager_ids", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return split_ids(value)

    @property
    def everyone(self) -> set[int]:
        """Admins are managers too."""
        return set(self.manager_ids) | set(self.admin_ids)


class LeadSettings(Section):
    decay_after_days: float = env("LEAD_DECAY_AFTER_DAYS", 3)
    follow_up_after_hours: float = env("FOLLOW_UP_AFTER_HOURS", 20)
    sla_minutes: float = env("SLA_MINUTES", 15)


class MetaSettings(Section):
    app_secret: SecretStr | None = env("META_APP_SECRET")
    verify_token: SecretStr | None = env("META_VERIFY_TOKEN")
    messenger_page_token: SecretStr | None = env("MESSENGER_PAGE_TOKEN")
    instagram_token: SecretStr | None = env("INSTAGRAM_TOKEN")
    whatsapp_token: SecretStr | None = env("WHATSAPP_TOKEN")
    whatsapp_phone_number_id: str | None = env("WHATSAPP_PHONE_NUMBER_ID")
    graph_base: str = env("META_GRAPH_BASE", "https://graph.facebook.com")
    graph_version: str = env("META_GRAPH_VERSION", "v25.0")
    # A manager's late reply (24 h - 7 days after the customer) goes with the HUMAN_AGENT tag: needs Meta's approval.
    human_agent_tag: bool = env("META_HUMAN_AGENT_TAG", False)
    # Instagram comments that match a playbook trigger get a private reply in Direct (and the optional public one).
    comment_replies: bool = env("INSTAGRAM_COMMENT_REPLIES", True)


class CrmSettings(Section):
    webhook_url: str | None = env("CRM_WEBHOOK_URL")
    webhook_secret: SecretStr | None = env("CRM_WEBHOOK_SECRET")


class ReliabilitySettings(Section):
    # A replica that has not beaten for this long is dead: the messages it left unanswered are adopted.
    replica_timeout_s: float = env("REPLICA_TIMEOUT_S", 30.0, gt=0)
    # Per customer, every channel: past FLOOD_LIMIT messages in FLOOD_WINDOW_S, one notice, then silence.
    flood_limit: int = env("FLOOD_LIMIT", 15, ge=1)
    flood_window_s: float = env("FLOOD_WINDOW_S", 60.0, gt=0)
    flood_silence_s: float = env("FLOOD_SILENCE_S", 300.0, ge=0)
    # Turns answered at once per replica; unset: 32 offline (CPU-bound), 256 with a model (turns mostly wait).
    max_running_turns: int | None = env("MAX_RUNNING_TURNS", None, ge=1)
    # Where turns queue: `redis` shares them among replicas through Redis Streams (per-conversation order, a dead
    # replica's turns claimed by the others); `local` keeps them in the replica that accepted them; `auto`:
    # `redis` when REDIS_URL is set. TURN_SHARDS streams split the conversations (more shards: finer sharing).
    turn_queue: Literal["auto", "local", "redis"] = env("TURN_QUEUE", "auto")
    turn_shards: int = env("TURN_SHARDS", 16, ge=1, le=1024)


class AutomationSettings(Section):
    follow_up_after_hours: float = env("FOLLOW_UP_AFTER_HOURS", 20.0, gt=0)  # fractions allowed
    sla_minutes: float = env("SLA_MINUTES", 15.0, gt=0)
    digest_hour: int | None = env("DIGEST_HOUR", None, ge=0, le=23)
    csat_after_quiet_hours: float = env("CSAT_AFTER_QUIET_HOURS", 2.0, ge=0)  # 0: only after a handback


class Settings(BaseSettings):
    """Built once in `main()` and passed down; nothing reads the environment anywhere else."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Path("./data")
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    playbook: Path | None = None
    max_inbound_chars: int = 8000
    timezone: str = "UTC"
    media_link_ttl_s: float = 3600
    media_link_secret: SecretStr | None = None  # unset: a key kept under DATA_DIR

    http: HttpSettings = Field(default_factory=HttpSettings)
    mongo: MongoSettings = Field(default_factory=MongoSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    managers: ManagerSettings = Field(default_factory=ManagerSettings)
    leads: LeadSettings = Field(default_factory=LeadSettings)
    meta: MetaSettings = Field(default_factory=MetaSettings)
    crm: CrmSettings = Field(default_factory=CrmSettings)
    reliability: ReliabilitySettings = Field(default_factory=ReliabilitySettings)
    automation: AutomationSettings = Field(default_factory=AutomationSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sections = FlatEnvSections(settings_cls, [dotenv_settings, env_settings])
        return init_settings, sections, env_settings, dotenv_settings, file_secret_settings

    @classmethod
    def from_flat(cls, **values: Any) -> Settings:
        """Settings from flat names as in CONTRACT.md (`mongodb_uri=...`, `TELEGRAM_BOT_TOKEN=...`),
        the environment and `.env` filling the rest; `_env_file` as for BaseSettings."""
        env_file = values.pop("_env_file", ".env")
        return cls(_env_file=env_file, **nest_flat(values))


def section_fields() -> dict[str, tuple[str, str]]:
    """Environment variable (lower case) -> (section, field), for every section field."""
    table: dict[str, tuple[str, str]] = {}
    for section_name, field in Settings.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, Section):
            for name, sub in model.model_fields.items():
                table[str(sub.validation_alias).lower()] = (section_name, name)
    return table


def nest_flat(values: dict[str, Any]) -> dict[str, Any]:
    """`{"mongodb_uri": x, "data_dir": y}` -> `{"mongo": {"uri": x}, "data_dir": y}`."""
    table = section_fields()
    nested: dict[str, Any] = {}
    for key, value in values.items():
        where = table.get(key.lower())
        if where is None:
            nested[key] = value
        else:
            nested.setdefault(where[0], {})[where[1]] = value
    return nested


class FlatEnvSections(PydanticBaseSettingsSource):
    """Fills each section from its fields' flat environment variables (`.env` first, the environment over it)."""

    def __init__(self, settings_cls: type[BaseSettings], sources: list[PydanticBaseSettingsSource]) -> None:
        super().__init__(settings_cls)
        self._sources = [s for s in sources if isinstance(s, EnvSettingsSource)]

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # all the work is in __call__

    def __call__(self) -> dict[str, Any]:
        found: dict[str, str | None] = {}
        for source in self._sources:  # later sources (the real environment) win
            found.update({k.lower(): v for k, v in source.env_vars.items()})
        values: dict[str, Any] = {}
        for env_name, (section, name) in section_fields().items():
            value = found.get(env_name)
            if value is not None and value != "":
                values.setdefault(section, {})[name] = value
        return values


def env_name(location: tuple[int | str, ...]) -> str:
    """The environment variable behind a validation error's location (`("http", "port")` -> `HTTP_PORT`)."""
    if len(location) >= 2:
        model = Settings.model_fields.get(str(location[0]))
        annotation = model.annotation if model else None
        if isinstance(annotation, type) and issubclass(annotation, Section):
            sub = annotation.model_fields.get(str(location[1]))
            if sub is not None:
                return str(sub.validation_alias)
            return str(location[1]).upper()  # already the alias (the environment used it)
    return "_".join(str(part) for part in location).upper()
