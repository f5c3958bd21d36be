"""The data folder is owner-only by default (notes are PHI): folders 0700, files 0600, the database and its -wal
included, whatever the umask of the shell; a setting makes it group-readable for clusters; looser is warned about."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


def modes_under(home: Path) -> dict[str, str]:
    """``ls -lR`` in short: each entry's permission bits (as ``0700``), by path relative to ``home``."""
    found = {".": f"{stat.S_IMODE(home.stat().st_mode):04o}"}
    for folder, folders, files in os.walk(home):
        for name in (*folders, *files):
            path = Path(folder, name)
            if not path.is_symlink():
                found[str(path.relative_to(home))] = f"{stat.S_IMODE(path.lstat().st_mode):04o}"
    return found


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The usual shell umask (022): files 0644 and folders 0755 unless chartcoder sets modes itself."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_home_made_by_the_cli_is_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "fresh" / "home"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CHARTCODER_")}
    environment["PYTHONPATH"] = str(REPOSITORY)
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "keys", "create", "--role", "admin", "--name", "first", "--home", str(home)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),  # the umask of a usual shell, in the child only
        check=False,
    )
    assert result.returncode == 0, result.stderr
    modes = modes_under(home)
    assert "chartcoder.db" in modes
    assert {path: mode for path, mode in modes.items() if mode not in ("0700", "0600")} == {}
    assert modes["."] == "0700" and modes["chartcoder.db"] == "0600"


def _start_and_write(tmp_path: Path, mini_vocabulary, engine, **settings_values) -> tuple[Path, dict[str, str]]:
    """Start the service on a home that does not exist yet, store a key (the -wal then exists), list the modes."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings
    from tests.service.conftest import make_key

    home = tmp_path / "home"
    app = create_app(Settings(home=home, **settings_values), vocabulary=mini_vocabulary, engine=engine)
    with TestClient(app):
        make_key(app, "someone", "coder")
        modes = modes_under(home)
    return home, modes


def test_a_fresh_service_home_is_owner_only(tmp_path, mini_vocabulary, engine, permissive_umask) -> None:
    _home, modes = _start_and_write(tmp_path, mini_vocabulary, engine)
    assert "chartcoder.db" in modes and "chartcoder.db-wal" in modes
    assert {path: mode for path, mode in modes.items() if mode not in ("0700", "0600")} == {}
    assert modes["."] == "0700"
    assert modes["chartcoder.db"] == modes["chartcoder.db-wal"] == "0600"


def test_the_group_readable_setting_opens_the_home_to_the_group_only(
    tmp_path, mini_vocabulary, engine, permissive_umask
) -> None:
    _home, modes = _start_and_write(tmp_path, mini_vocabulary, engine, group_readable_home=True)
    assert modes["."] == "0750"
    assert modes["chartcoder.db"] == modes["chartcoder.db-wal"] == "0640"
    assert {path: mode for path, mode in modes.items() if mode not in ("0750", "0640")} == {}


def test_a_home_more_open_than_the_policy_is_warned_about(tmp_path, mini_vocabulary, engine, caplog) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    (home / "notes.jsonl").write_text("{}")
    os.chmod(home / "notes.jsonl", 0o644)
    app = create_app(Settings(home=home), vocabulary=mini_vocabulary, engine=engine)
    with caplog.at_level(logging.WARNING, logger="service.app"), TestClient(app):
        pass
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("more open than owner-only" in message and "notes.jsonl (0644)" in message for message in warnings)
    assert stat.S_IMODE(home.stat().st_mode) == 0o755  # warned, not changed: the operator decides
