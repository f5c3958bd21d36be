"""chartcoder's settings: one object, read once from ``CHARTCODER_*`` variables, an optional TOML file and flags.

Precedence, highest first: arguments given in code (a command's flags), the settings file a parent process
handed on (``CHARTCODER_SETTINGS_FILE``, see :func:`settings_environment`), environment variables, the TOML
file named by ``CHARTCODER_CONFIG`` (flat keys, e.g. ``max_batch = 16``), then the defaults below.

This is the only module that reads the process environment (``tests/test_architecture.py`` checks it):
everything else receives a :class:`Settings` (or values taken from one) explicitly. The environment is
still how settings cross into a child process that chartcoder does not call itself (uvicorn's worker
processes build their app from a factory without arguments; the model-job worker is a new interpreter):
the parent writes its resolved settings to a private file and hands the child its path, so the child sees
exactly the parent's settings, flags included.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    JsonConfigSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from vocab.errors import ChartcoderError
from vocab.file_modes import HomeModes, home_modes

__all__ = [
    "CONFIG_ENV",
    "ENV_PREFIX",
    "HOME_ENV",
    "MODELS_DIR_ENV",
    "SETTINGS_FILE_ENV",
    "ConfigFileError",
    "Settings",
    "SettingsError",
    "env_name",
    "get_settings",
    "hand_on_settings",
    "load_settings",
    "platform_home",
    "settings_environment",
    "write_settings_file",
]

ENV_PREFIX = "CHARTCODER_"
CONFIG_ENV = f"{ENV_PREFIX}CONFIG"
SETTINGS_FILE_ENV = f"{ENV_PREFIX}SETTINGS_FILE"
HOME_ENV = f"{ENV_PREFIX}HOME"
MODELS_DIR_ENV = f"{ENV_PREFIX}MODELS_DIR"
DATABASE_FILE = "chartcoder.db"
JSON_ESCAPE_FACTOR = 6  # one byte of text can take six in JSON (a \u00XX escape)
ENVELOPE_BYTES = 1 << 20  # metadata and structure around the notes


class ConfigFileError(ChartcoderError):
    """``CHARTCODER_CONFIG`` (or a handed-on settings file) names a file that does not exist."""


class SettingsError(ChartcoderError, ValueError):
    """A setting has a value chartcoder cannot use (``CHARTCODER_MAX_BATCH=0``): the operator's to fix."""


def platform_home() -> Path:
    """The platform's user data folder: the home when none is configured."""
    import platformdirs  # imported here: only needed when no home is configured

    return Path(platformdirs.user_data_dir("chartcoder", appauthor=False))


def env_name(setting: str) -> str:
    """The environment variable of a setting: ``max_batch`` -> ``CHARTCODER_MAX_BATCH``."""
    return f"{ENV_PREFIX}{setting.upper()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    home: Path = Field(default_factory=platform_home, description="Data folder: code set, models, database.")
    models_dir: Path | None = Field(default=None, description="The model registry's folder; None means <home>/models.")
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
    query_retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Purge the words of provider queries answered or withdrawn more than this many days ago (a "
        "note's queries are purged with its text by retention_days either way); None keeps them.",
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
    workers: int = Field(default=1, ge=1, description="`chartcoder serve`'s server processes (uvicorn workers).")
    part_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Python modules imported before a model pack is read, to register pack part types of their own "
        "(models.parts.register_part); comma-separated in the variable. An operator's choice, never a pack's: a "
        "pack only names registered types.",
    )

    @field_validator("cors_origins", "part_modules", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """``CHARTCODER_CORS_ORIGINS=https://a.example,https://b.example`` reads as a list."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
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

    def registry_folder(self, home: Path | None = None) -> Path:
        """``models_dir`` when set, else ``<home>/models`` (``home`` given, else this object's)."""
        return self.models_dir or (home or self.home) / "models"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings]
        handed_on = os.environ.get(SETTINGS_FILE_ENV)
        if handed_on:
            sources.append(
                JsonConfigSettingsSource(settings_cls, json_file=_existing_file(SETTINGS_FILE_ENV, handed_on))
            )
        sources.append(env_settings)
        config_file = os.environ.get(CONFIG_ENV)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=_existing_file(CONFIG_ENV, config_file)))
        return tuple(sources)


def _existing_file(variable: str, value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigFileError(f"{variable}={value} names no file.")
    return path


def _read(overrides: dict[str, Any]) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(_explain(error)) from None


def _explain(error: ValidationError) -> str:
    """One line per bad setting, named as the operator set it (the variable), with what was wrong."""
    problems = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "?"
        value = problem.get("input")
        shown = f"={value}" if isinstance(value, str | int | float) and len(str(value)) <= 80 else ""
        problems.append(f"{env_name(name)}{shown}: {problem['msg']}")
    return "Invalid setting " + "; ".join(problems) + "."


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (``get_settings.cache_clear()`` re-reads them, for tests).

    An invalid value raises :class:`SettingsError` (a chartcoder error: commands exit 2 with its message).
    """
    return _read({})


def load_settings(**overrides: Any) -> Settings:
    """Fresh settings with the given values on top (``None`` means "not given"): for commands with options."""
    return _read({name: value for name, value in overrides.items() if value is not None})


def write_settings_file(settings: Settings, folder: Path | None = None) -> Path:
    """``settings`` as a JSON file only this user can read (it may hold the database password)."""
    folder = Path(tempfile.mkdtemp(prefix="chartcoder-settings-")) if folder is None else folder
    path = folder / "settings.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(settings.model_dump_json(exclude_none=True))
    return path


def settings_environment(settings_file: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process that must see ``settings_file``'s settings (this one's, plus
    ``extra`` variables such as ``PYTHONPATH``)."""
    environment = dict(os.environ)
    environment[SETTINGS_FILE_ENV] = str(settings_file)
    environment.update(extra)
    return environment


def hand_on_settings(settings: Settings) -> Path:
    """Make child processes started from now on by a library (uvicorn's workers) read ``settings``: the file's
    path goes into this process's environment, which they inherit. Returns the file (the caller removes it)."""
    path = write_settings_file(settings)
    os.environ[SETTINGS_FILE_ENV] = str(path)
    get_settings.cache_clear()
    return path
