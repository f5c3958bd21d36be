"""Issue 15 point 4: labels stored under an earlier release (reviews coded with FY2026) train a model for the
next one with their codes converted through the release's conversion table, and the conversion is reported."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from training.data import JsonlReader
from vocab.vocabulary import load_vocabulary

FY2027 = date(2026, 10, 1)


def _labeled(tmp_path: Path) -> Path:
    path = tmp_path / "labeled.jsonl"
    lines = [
        {"id": "a", "text": "Type 1 diabetes with ketoacidosis with coma.", "codes": ["E10.11", "I10"]},
        {"id": "b", "text": "Essential hypertension.", "codes": ["I10", "Q99.9"]},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_prior_release_labels_are_converted_and_counted(tmp_path: Path, two_release_home: Path) -> None:
    codeset = load_vocabulary(two_release_home, FY2027).codeset
    assert codeset.successor("E10.11") == "E10.12" and codeset.successor("E11.9") is None
    reader = JsonlReader(_labeled(tmp_path), codeset)
    notes = {note.id: note for note in reader}
    assert notes["a"].codes == ("E10.12", "I10")  # E10.11 (FY2026) -> E10.12 (FY2027)
    assert reader.report.converted_codes == 1
    assert reader.report.skipped_codes == 1 and reader.report.issues[0].code == "Q99.9"  # no successor: dropped


def test_the_same_labels_under_their_own_release_are_not_converted(tmp_path: Path, two_release_home: Path) -> None:
    codeset = load_vocabulary(two_release_home, date(2025, 10, 1)).codeset
    reader = JsonlReader(_labeled(tmp_path), codeset)
    assert {note.id: note.codes for note in reader}["a"] == ("E10.11", "I10") and reader.report.converted_codes == 0


def test_the_data_report_line_says_how_many_labels_were_converted(tmp_path: Path, two_release_home: Path) -> None:
    from rich.console import Console

    from cli.evaluate_commands import print_data_report

    reader = JsonlReader(_labeled(tmp_path), load_vocabulary(two_release_home, FY2027).codeset)
    list(reader)
    console = Console(record=True, width=200)
    print_data_report(reader.report, console)
    text = console.export_text()
    assert "1 labels of an earlier release converted" in text and "1 codes skipped" in text
