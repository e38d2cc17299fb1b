"""Every setting of Closer, read from the environment or `.env` (names fixed in CONTRACT.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

IdList = Annotated[list[int], NoDecode]


class Settings(BaseSettings):
    """Flat settings, as operators write them in `.env`; built once in `main()`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Path("./data")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    public_base_url: str | None = None
    log_level: str = "INFO"

    mongodb_uri: SecretStr | None = None
    mongodb_db: str = "closer"
    mongodb_timeout_ms: int = 5000

    redis_url: SecretStr | None = None

    chroma_host: str | None = None
    chroma_port: int = 8000

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4.1-mini"
    llm_model_fast: str = "gpt-4.1-nano"
    llm_timeout_s: float = 20.0
    llm_max_retries: int = 1

    embeddings: Literal["local", "openai"] = "local"
    embeddings_model: str = "text-embedding-3-small"

    telegram_bot_token: SecretStr | None = None
    admin_bot_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_webhook_secret: SecretStr | None = None
    admin_ids: IdList = Field(default_factory=list)
    manager_ids: IdList = Field(default_factory=list)
    manager_chat_id: int | None = None
    takeover_idle_minutes: int = 30
    lead_decay_after_days: int = 3

    meta_app_secret: SecretStr | None = None
    meta_verify_token: SecretStr | None = None
    messenger_page_token: SecretStr | None = None
    instagram_token: SecretStr | None = None
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    meta_graph_base: str = "https://graph.facebook.com"
    meta_graph_version: str = "v25.0"

    api_key: SecretStr | None = None
    crm_webhook_url: str | None = None
    crm_webhook_secret: SecretStr | None = None

    playbook: Path | None = None
    knowledge_seed_dir: Path | None = None
    # BM25's share in ranking passages (0 = dense only); README "Knowledge base" has the measurements.
    retrieval_lexical_weight: float = Field(default=0.05, ge=0.0, le=1.0)
    max_inbound_chars: int = 8000
    web_chat_rate_per_minute: int = 30

    @field_validator("admin_ids", "manager_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """Accept `1,2,3` (the documented form) as well as a JSON list."""
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("telegram_webhook_secret")
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

    @property
    def llm_enabled(self) -> bool:
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def webhook_mode(self) -> bool:
        return bool(self.public_base_url and self.telegram_webhook_secret)

    @property
    def all_manager_ids(self) -> set[int]:
        """Admins are managers too."""
        return set(self.manager_ids) | set(self.admin_ids)
