"""``chartcoder suggest`` and ``chartcoder batch`` from the command line, good input and bad."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def invoke(home: Path, *args: str, input: bytes | str | None = None):
    return runner.invoke(app, [*args, "--home", str(home)], input=input)


def test_suggest_prints_json(mini_home: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Assessment: essential hypertension.\n", encoding="utf-8")
    result = invoke(mini_home, "suggest", str(note), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["note_id"] == "note.txt" and data["suggestions"][0]["code"] == "I10"


def test_suggest_reads_standard_input_and_prints_a_table(mini_home: Path) -> None:
    result = invoke(mini_home, "suggest", "-", input="Assessment: essential hypertension.\n")
    assert result.exit_code == 0 and "I10" in result.stdout


def test_suggest_bad_inputs_exit_2_with_a_message(mini_home: Path, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("fièvre".encode("latin-1"))
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    cases = [
        (["suggest", str(tmp_path / "missing.txt")], "No such file"),
        (["suggest", str(latin1)], "not UTF-8"),
        (["suggest", str(binary)], "binary"),
        (["suggest", str(empty)], "E001"),
        (["suggest", str(empty), "--setting", "emergency"], "E004"),
    ]
    for args, message in cases:
        if "--setting" in args:
            empty.write_text("hypertension", encoding="utf-8")
        result = invoke(mini_home, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
        assert "Traceback" not in result.output


def test_batch_writes_one_line_per_input(mini_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "1", "text": "Essential hypertension."}) + "\nnot json\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    result = invoke(mini_home, "batch", str(source), "-o", str(output))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert records[0]["suggestions"][0]["code"] == "I10"
    assert records[1] == {"note_id": None, "line": 2, "error": "not valid JSON: Expecting value (column 1)"}
    assert "line 2" in result.output


def test_batch_refuses_a_missing_input(mini_home: Path, tmp_path: Path) -> None:
    result = invoke(mini_home, "batch", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 2 and "No such file" in result.output


def test_suggest_codes_an_encounter_file(mini_home: Path, tmp_path: Path) -> None:
    """``suggest --encounter FILE.jsonl`` (issue 17): one code set, evidence naming each document."""
    from tests.conftest import FIXTURES_DIR

    admission = FIXTURES_DIR / "encounters" / "admission.jsonl"
    result = invoke(mini_home, "suggest", "--encounter", str(admission), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["encounter_id"] == "adm-1" and data["service_date"] == "2026-03-05"
    assert [item["role"] for item in data["suggestions"]].count("principal") == 1
    assert {piece["document_id"] for item in data["suggestions"] for piece in item["evidence"]} <= {
        "hp-1",
        "pn-1",
        "pn-2",
        "ds-1",
    }
    table = invoke(mini_home, "suggest", "--encounter", str(admission))
    assert table.exit_code == 0 and "principal" in table.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "progress_note", "text": "Gout.", "date": "2026-13-01"}\n', encoding="utf-8")
    refused = invoke(mini_home, "suggest", "--encounter", str(bad))
    assert refused.exit_code == 2 and "not a date" in refused.output
    assert invoke(mini_home, "suggest", "--encounter", str(tmp_path / "missing.jsonl")).exit_code == 2
