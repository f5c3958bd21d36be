"""``chartcoder check``: a note's documentation findings, as text (square brackets kept) or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()
NOTE = (
    "Date of service: 03/02/2026\nHPI: Pain in the left knee [since March].\n\n"
    "ASSESSMENT:\nEssential hypertension. Osteoarthritis of right knee.\n"
)


def invoke(home: Path, *args: str, input: str | None = None):
    return runner.invoke(app, [*args, "--home", str(home)], input=input)


def test_check_prints_the_findings_as_json(mini_home: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    result = invoke(mini_home, "check", str(note), "--json")
    assert result.exit_code == 0, result.output
    kinds = [finding["kind"] for finding in json.loads(result.stdout)]
    assert "completeness.signature_missing" in kinds and "inconsistency.laterality" in kinds


def test_check_prints_text_with_square_brackets_kept(mini_home: Path) -> None:
    text = NOTE.replace("Pain in the left knee [since March]", "Pain [L] in the left knee")
    result = invoke(mini_home, "check", "-", input=text + "Signed: [pending]\n")
    assert result.exit_code == 0, result.output
    assert "completeness.credentials_missing" in result.stdout and "'Signed: [pending]'" in result.stdout


def test_check_refuses_an_unknown_document_type(mini_home: Path) -> None:
    result = invoke(mini_home, "check", "-", "--document-type", "memo", input=NOTE)
    assert result.exit_code == 2 and "Unknown document type 'memo'" in result.output
