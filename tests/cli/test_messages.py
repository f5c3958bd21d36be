"""CLI messages are printed as they are: rich must not take square brackets for markup and drop them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli._common import fail
from cli.main import app


def test_fail_keeps_square_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    fail("pyspark is missing: pip install 'chartcoder[spark]' ([bold]not markup[/])")
    printed = " ".join(capsys.readouterr().err.split())
    assert "pip install 'chartcoder[spark]'" in printed
    assert "[bold]not markup[/]" in printed


def test_a_command_error_quotes_a_bracketed_path_whole(tmp_path: Path, mini_home: Path) -> None:
    missing = tmp_path / "notes[spark].txt"
    result = CliRunner().invoke(app, ["suggest", str(missing), "--home", str(mini_home)])
    assert result.exit_code == 2
    assert "notes[spark].txt" in " ".join(result.stderr.split())
