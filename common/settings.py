"""Explicit configuration objects (pydantic-settings).

Every service receives a ``Settings`` instance instead of reading the
environment itself, so tests can build one with overrides and no globals leak
between them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path(".quantumlayer")


class Settings(BaseSettings):
    """Process-wide settings read from ``QL_*`` variables (and the two standard URLs)."""

    model_config = SettingsConfigDict(env_prefix="QL_", env_file=None, extra="ignore")

    # The two well-known URLs are read without the prefix, as every platform sets them.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")

    data_dir: Path = DEFAULT_DATA_DIR
    log_level: str = "INFO"
    log_json: bool = False
    otel_enabled: bool = False
    otel_service_namespace: str = "quantumlayer"

    host: str = "127.0.0.1"
    gateway_port: int = 4000
    llm_port: int = 4001
    agents_port: int = 4002
    parser_port: int = 4003

    def effective_database_url(self) -> str:
        """The configured database, or an embedded SQLite file under ``data_dir``."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'quantumlayer.db').resolve()}"


def normalise_database_url(url: str) -> str:
    """Map the driver-less URLs that platforms hand out onto our async drivers."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return url
