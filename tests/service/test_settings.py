"""Settings: CHARTCODER_* variables, the TOML file of CHARTCODER_CONFIG, CORS closed unless configured."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service.settings import ConfigFileError, Settings, SettingsError, get_settings, load_settings
from vocab.settings import (
    MODELS_DIR_ENV,
    SETTINGS_FILE_ENV,
    env_name,
    hand_on_settings,
    settings_environment,
    write_settings_file,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (
        "CHARTCODER_CONFIG",
        "CHARTCODER_MAX_BATCH",
        "CHARTCODER_CORS_ORIGINS",
        "CHARTCODER_DATABASE_URL",
        "CHARTCODER_SETTINGS_FILE",
        "CHARTCODER_MODELS_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("CHARTCODER_HOME", str(tmp_path))
    settings = Settings()
    assert settings.home == tmp_path
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'chartcoder.db'}"
    assert (settings.max_note_bytes, settings.max_batch, settings.cors_origins) == (200_000, 32, [])
    assert settings.retention_days is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_and_toml_file(tmp_path, monkeypatch):
    config = tmp_path / "chartcoder.toml"
    config.write_text('max_batch = 4\nretention_days = 90\ncors_origins = ["https://toml.example"]\n')
    monkeypatch.setenv("CHARTCODER_CONFIG", str(config))
    monkeypatch.setenv("CHARTCODER_MAX_BATCH", "7")  # the environment wins over the file
    monkeypatch.setenv("CHARTCODER_DATABASE_URL", "postgresql+psycopg://db.example/chartcoder")
    settings = get_settings()
    assert settings is get_settings()  # one cached object
    assert settings.max_batch == 7
    assert settings.retention_days == 90
    assert settings.cors_origins == ["https://toml.example"]
    assert settings.resolved_database_url == "postgresql+psycopg://db.example/chartcoder"


def test_cors_origins_from_a_comma_separated_variable(monkeypatch):
    monkeypatch.setenv("CHARTCODER_CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


def test_a_missing_config_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CHARTCODER_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigFileError, match="names no file"):
        Settings()


def _preflight(client):
    return client.options(
        "/v1/suggest", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cors_is_closed_by_default(client):
    assert "access-control-allow-origin" not in _preflight(client).headers


@pytest.mark.parametrize("settings_overrides", [{"cors_origins": ["https://app.example"]}])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cors_opens_for_configured_origins(client):
    assert _preflight(client).headers["access-control-allow-origin"] == "https://app.example"


def test_importing_service_creates_nothing():
    code = "import sys, service; print('fastapi' in sys.modules, 'sqlalchemy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path.cwd())
    assert result.stdout.split() == ["False", "False"]


def test_an_invalid_setting_exits_2_with_one_clear_message(tmp_path):
    """Issue 19 finding 11: `CHARTCODER_MAX_BATCH=0 chartcoder serve` named the problem in a pydantic traceback."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path.cwd()),
        "CHARTCODER_HOME": str(tmp_path),
        "CHARTCODER_MAX_BATCH": "0",
        "COLUMNS": "200",
    }
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "serve"], capture_output=True, text=True, env=environment, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "Invalid setting CHARTCODER_MAX_BATCH=0: Input should be greater than or equal to 1" in result.stderr
    assert "Traceback" not in result.stderr and "ValidationError" not in result.stderr
    assert not (tmp_path / "chartcoder.db").exists()  # nothing was started


def test_get_settings_names_the_bad_variable(monkeypatch):
    monkeypatch.setenv("CHARTCODER_MAX_BATCH", "many")
    with pytest.raises(SettingsError, match=r"CHARTCODER_MAX_BATCH=many: Input should be a valid integer"):
        get_settings()


def test_a_handed_on_settings_file_wins_over_the_environment(tmp_path, monkeypatch):
    """What `chartcoder serve --workers N` and the model-job worker use instead of writing CHARTCODER_* variables."""
    parent = load_settings(home=tmp_path / "flag-home", engine_processes=3, database_url="sqlite:///x.db")
    settings_file = write_settings_file(parent, tmp_path)
    assert settings_file.stat().st_mode & 0o077 == 0  # it may hold the database password
    environment = settings_environment(settings_file)
    assert environment[SETTINGS_FILE_ENV] == str(settings_file)
    monkeypatch.setenv(SETTINGS_FILE_ENV, str(settings_file))
    monkeypatch.setenv("CHARTCODER_HOME", str(tmp_path / "environment-home"))
    child = Settings()
    assert (child.home, child.engine_processes, child.database_url) == (tmp_path / "flag-home", 3, "sqlite:///x.db")
    assert child == parent


def test_the_models_dir_setting_moves_the_registry(tmp_path, monkeypatch):
    from models.registry import registry_folder

    monkeypatch.setenv("CHARTCODER_HOME", str(tmp_path / "home"))
    assert registry_folder() == tmp_path / "home" / "models"
    assert registry_folder(tmp_path / "other") == tmp_path / "other" / "models"
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path / "registry"))
    get_settings.cache_clear()
    assert registry_folder(tmp_path / "other") == tmp_path / "registry"
    assert env_name("models_dir") == MODELS_DIR_ENV


def test_serve_workers_get_the_parents_settings_flags_included(tmp_path, monkeypatch):
    """`chartcoder serve --workers N`: uvicorn builds each worker's app with get_settings() and no arguments."""
    monkeypatch.setenv(SETTINGS_FILE_ENV, "undone at teardown")  # hand_on_settings sets it in os.environ
    monkeypatch.delenv(SETTINGS_FILE_ENV)
    monkeypatch.setenv("CHARTCODER_HOME", str(tmp_path / "environment-home"))
    parent = load_settings(home=tmp_path / "flag-home", port=8123, workers=2, engine_processes=1)
    settings_file = hand_on_settings(parent)
    try:
        assert get_settings() == parent
        assert (get_settings().home, get_settings().port) == (tmp_path / "flag-home", 8123)
    finally:
        shutil.rmtree(settings_file.parent)


def test_part_modules_register_their_pack_parts_and_a_missing_one_is_named(monkeypatch):
    from suggest.errors import EngineError
    from suggest.loading import register_pack_parts

    monkeypatch.setenv("CHARTCODER_PART_MODULES", "tests.models.helpers, no_such_chartcoder_parts")
    get_settings.cache_clear()
    assert get_settings().part_modules == ["tests.models.helpers", "no_such_chartcoder_parts"]
    with pytest.raises(EngineError, match="part_modules setting names 'no_such_chartcoder_parts'"):
        register_pack_parts()
