"""Issue 15: a note is coded with the ICD-10-CM release in force on its date of service (CLI and batch).

``two_release_home`` holds the mini FY2026 (effective 2025-10-01) and the test FY2027 (2026-10-01) built from it
in CDC's layout, where E10.11 was deleted and E10.12 added (:mod:`tests.vocab.release_fixtures`).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from suggest.batch import EngineSpec, run_batch

NOTE = "Type 1 diabetes mellitus with ketoacidosis with coma. Essential hypertension."


def _suggest(home: Path, note: Path, *extra: str) -> dict:
    arguments = ["suggest", str(note), "--json", "--model", "zero-shot", "--home", str(home), *extra]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cli_suggest_codes_with_the_release_of_the_date(tmp_path: Path, two_release_home: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    november = _suggest(two_release_home, note, "--date", "2026-11-15")
    september = _suggest(two_release_home, note, "--date", "2026-09-15")
    assert november["code_set"] == "ICD-10-CM FY2027" and september["code_set"] == "ICD-10-CM FY2026"
    new_codes = {item["code"] for item in november["suggestions"]}
    old_codes = {item["code"] for item in september["suggestions"]}
    assert "E10.12" in new_codes and "E10.11" not in new_codes
    assert "E10.11" in old_codes and "E10.12" not in old_codes
    assert november["release_before_date"] is False
    early = _suggest(two_release_home, note, "--date", "2019-01-01")
    assert early["code_set"] == "ICD-10-CM FY2026" and early["release_before_date"] is True


def test_cli_suggest_refuses_a_date_that_is_not_one(tmp_path: Path, two_release_home: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    result = CliRunner().invoke(app, ["suggest", str(note), "--date", "15/11/2026", "--home", str(two_release_home)])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr


def test_batch_codes_each_line_with_the_release_of_its_date(two_release_home: Path) -> None:
    lines = [
        {"id": "nov", "text": NOTE, "date_of_service": "2026-11-15"},
        {"id": "sep", "text": NOTE, "date_of_service": "2026-09-15"},
        {"id": "bad", "text": NOTE, "date_of_service": "yesterday"},
        {"id": "none", "text": NOTE},
    ]
    source = io.BytesIO(("\n".join(json.dumps(line) for line in lines) + "\n").encode())
    sink = io.StringIO()
    summary = run_batch(source, sink, EngineSpec(home=two_release_home, model="zero-shot"))
    records = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert summary.coded == 3 and summary.failed == 1
    assert records[0]["code_set"] == "ICD-10-CM FY2027" and records[1]["code_set"] == "ICD-10-CM FY2026"
    assert "E10.12" in {item["code"] for item in records[0]["suggestions"]}
    assert "E10.11" in {item["code"] for item in records[1]["suggestions"]}
    assert records[2]["line"] == 3 and "date_of_service" in records[2]["error"]
    assert records[3]["code_set"] == "ICD-10-CM FY2027"  # no date: the release in force today (2026-10-01 on)
