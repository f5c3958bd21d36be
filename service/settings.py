"""The service's settings: one cached object read from ``CHARTCODER_*`` variables and an optional TOML file.

Precedence, highest first: arguments given in code, environment variables, the TOML file named by
``CHARTCODER_CONFIG`` (flat keys, e.g. ``max_batch = 16``), then the defaults below.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from vocab.artifact import default_home
from vocab.errors import ChartcoderError
from vocab.file_modes import HomeModes, home_modes

__all__ = ["CONFIG_ENV", "ConfigFileError", "Settings", "get_settings", "load_settings"]

CONFIG_ENV = "CHARTCODER_CONFIG"
DATABASE_FILE = "chartcoder.db"
JSON_ESCAPE_FACTOR = 6  # one byte of text can take six in JSON (a \u00XX escape)
ENVELOPE_BYTES = 1 << 20  # metadata and structure around the notes


class ConfigFileError(ChartcoderError):
    """``CHARTCODER_CONFIG`` names a file that does not exist."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARTCODER_", extra="ignore", frozen=True)

    home: Path = Field(default_factory=default_home, description="Data folder: code set, models, database.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; None means a SQLite file <home>/chartcoder.db."
    )
    model: str | None = Field(default=None, description="Model pack to load; None means the engine's default.")
    max_note_bytes: int = Field(default=200_000, ge=1, description="Largest note accepted, in UTF-8 bytes.")
    max_batch: int = Field(default=32, ge=1, description="Most notes in one POST /v1/suggest/batch.")
    request_timeout_s: float = Field(default=30.0, gt=0, description="Longest the engine may work on one request.")
    engine_threads: int = Field(default=1, ge=1, description="Engine calls run at once in one process.")
    engine_processes: int = Field(
        default=0,
        ge=0,
        description="Engine processes fed from the server's one queue (0: the engine runs inside the server "
        "process). On a machine with N cores, N processes with one server worker give the lowest latency under "
        "load (every note goes to a free process, whichever connection it came on).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS; empty keeps CORS closed."
    )
    retention_days: int | None = Field(
        default=None, ge=1, description="Purge note text older than this many days; None keeps it."
    )
    purge_interval_s: float = Field(default=3600.0, gt=0, description="How often the server runs the purge.")
    model_poll_s: float = Field(
        default=5.0, gt=0, description="How often a server checks the registry's champion (and swaps to a new one)."
    )
    bootstrap_model: bool = Field(
        default=True,
        description="`chartcoder serve` on a registry that never had a champion builds and promotes the bootstrap "
        "model (in a worker process, in the background).",
    )
    bootstrap_notes: int | None = Field(
        default=None, ge=50, le=100_000, description="Synthetic notes of the bootstrap model; None: the default (2500)."
    )
    job_stale_s: float = Field(
        default=120.0, gt=0, description="A model job whose worker has not reported for this long counts as failed."
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest a client may take to send a request's line and headers, from the connection's start "
        "or the previous response; a slower connection is closed.",
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest a client may take to send a request's body (408 after it)."
    )
    keep_alive_timeout_s: float = Field(
        default=5.0, gt=0, description="How long an idle keep-alive connection stays open after a response."
    )
    max_url_bytes: int = Field(
        default=8192, ge=256, le=1_000_000, description="Longest request URL (path and query) accepted (414 beyond)."
    )
    group_readable_home: bool = Field(
        default=False,
        description="Create the data folder's files group-readable (folders 0750, files 0640) instead of owner-only "
        "(0700 / 0600), for Spark clusters whose executors share the folder as other users of one group.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        """``CHARTCODER_CORS_ORIGINS=https://a.example,https://b.example`` reads as a list."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def max_body_bytes(self) -> int:
        """Largest request body read at all: a full batch of the largest notes, JSON-escaped at worst."""
        return self.max_batch * self.max_note_bytes * JSON_ESCAPE_FACTOR + ENVELOPE_BYTES

    @property
    def home_modes(self) -> HomeModes:
        """The data folder's permission policy: owner-only, or group-readable (``group_readable_home``)."""
        return home_modes(self.group_readable_home)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / DATABASE_FILE}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = os.environ.get(CONFIG_ENV)
        if not config_file:
            return init_settings, env_settings
        path = Path(config_file).expanduser()
        if not path.is_file():
            raise ConfigFileError(f"{CONFIG_ENV}={config_file} names no file.")
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (``get_settings.cache_clear()`` re-reads them, for tests)."""
    return Settings()


def load_settings(**overrides: Any) -> Settings:
    """Fresh settings with the given values on top (``None`` means "not given"): for commands with options."""
    return Settings(**{name: value for name, value in overrides.items() if value is not None})
