"""Labeled-note readers: good notes stream through, every bad line is reported with where and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.data import (
    CodiespReader,
    DataIssue,
    DataReport,
    JsonlReader,
    LabeledNote,
    TrainingDataError,
    read_codiesp,
    read_jsonl,
)
from vocab.errors import ChartcoderError


def write_lines(path: Path, lines: list[bytes | str | dict]) -> Path:
    encoded = []
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line)
        encoded.append(line if isinstance(line, bytes) else line.encode("utf-8"))
    path.write_bytes(b"\n".join(encoded) + b"\n")
    return path


def issues_by_line(issues: list[DataIssue]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in issues:
        found.setdefault(issue.where, []).append(f"{issue.code or ''} {issue.reason}".strip())
    return found


# --- JSON Lines ---------------------------------------------------------------------------------------------
def test_jsonl_reads_notes_with_normalised_codes(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "notes.jsonl",
        [
            {"id": "n1", "text": "Essential hypertension.", "codes": ["i10", "E119", "E11.9"], "rejected": ["n189"]},
            "",  # blank lines are allowed
            {"id": 7, "text": "Type 2 diabetes.", "codes": [], "setting": "inpatient"},
            {"text": "No id here.", "codes": ["J18.9"]},
        ],
    )
    reader = JsonlReader(path)
    notes = list(reader)
    assert notes == [
        LabeledNote("n1", "Essential hypertension.", ("I10", "E11.9"), ("N18.9",), None),
        LabeledNote("7", "Type 2 diabetes.", (), (), "inpatient"),
        LabeledNote("line-4", "No id here.", ("J18.9",), (), None),
    ]
    assert reader.issues == []
    assert (reader.report.notes, reader.report.codes) == (3, 3)


def test_jsonl_reports_every_malformed_line_with_its_number_and_skips_it(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "bad.jsonl",
        [
            {"id": "good", "text": "Hypertension.", "codes": ["I10"]},
            '{"id": "broken", "text": ',  # 2: bad JSON
            {"id": "no-text", "codes": ["I10"]},  # 3
            {"id": "number-text", "text": 42, "codes": ["I10"]},  # 4
            b'{"id": "latin1", "text": "fi\xe8vre", "codes": ["I10"]}',  # 5: not UTF-8
            '["a", "list"]',  # 6: not an object
            {"id": "no-codes", "text": "Hypertension."},  # 7
            {"id": "codes-string", "text": "Hypertension.", "codes": "I10"},  # 8
            {"id": "bad-setting", "text": "Hypertension.", "codes": ["I10"], "setting": "emergency"},  # 9
            {"id": "good", "text": "Again.", "codes": ["E11.9"]},  # 10: duplicate id
            {"id": "blank", "text": "   ", "codes": ["I10"]},  # 11
        ],
    )
    reader = JsonlReader(path)
    notes = list(reader)
    assert [note.id for note in notes] == ["good"]
    by_line = issues_by_line(reader.issues)
    assert "not valid JSON" in by_line["line 2"][0]
    assert by_line["line 3"] == ["no 'text' field"]
    assert "'text' must be a string" in by_line["line 4"][0]
    assert "not UTF-8" in by_line["line 5"][0]
    assert "expected a JSON object" in by_line["line 6"][0]
    assert by_line["line 7"] == ["no 'codes' field"]
    assert "'codes' must be a list" in by_line["line 8"][0]
    assert "unknown setting" in by_line["line 9"][0]
    assert "duplicate id" in by_line["line 10"][0]
    assert "'text' is empty" in by_line["line 11"][0]
    assert reader.report.skipped_notes == 10
    summary = reader.report.summary(limit=3)
    assert "10 issues" in summary and "line 2" in summary and "... and 7 more" in summary


def test_jsonl_issues_never_quote_note_text(tmp_path: Path) -> None:
    secret = "Patient John Smith has hypertension"
    path = write_lines(
        tmp_path / "notes.jsonl",
        [{"id": "n1", "text": secret, "codes": ["not a code"]}, {"id": "n2", "text": secret, "codes": "I10"}],
    )
    reader = JsonlReader(path)
    list(reader)
    assert reader.issues
    assert all("Smith" not in str(issue) for issue in reader.issues)


def test_jsonl_with_a_codeset_drops_unknown_and_invalid_codes_and_counts_categories(
    tmp_path: Path, mini_codeset
) -> None:
    path = write_lines(
        tmp_path / "notes.jsonl",
        [
            {"id": "n1", "text": "Hypertension and diabetes.", "codes": ["I10", "E11", "Q99.9", "hypertension", 5]},
            {"id": "n2", "text": "Pneumonia.", "codes": ["J18.9"], "rejected": ["Q99.9"]},
        ],
    )
    report = DataReport(source=str(path))
    notes = list(read_jsonl(path, mini_codeset, report))
    assert [note.codes for note in notes] == [("I10", "E11"), ("J18.9",)]
    assert notes[1].rejected == ()
    reasons = {(issue.where, issue.code): issue.reason for issue in report.issues}
    assert "not a code in ICD-10-CM" in reasons[("line 1", "Q99.9")]
    assert "invalid shape" in reasons[("line 1", "hypertension")]
    assert "must be a string" in reasons[("line 1", "5")]
    assert "not a code in ICD-10-CM" in reasons[("line 2", "Q99.9")]
    assert report.category_codes == 1  # E11 is a valid category: kept, counted
    assert (report.skipped_codes, report.skipped_notes) == (4, 0)


def test_jsonl_without_a_codeset_still_rejects_codes_that_are_not_code_shaped(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "notes.jsonl", [{"id": "n1", "text": "x", "codes": ["Q99.9", "12345"]}])
    reader = JsonlReader(path)
    assert [note.codes for note in reader] == [("Q99.9",)]
    assert [issue.code for issue in reader.issues] == ["12345"]


def test_empty_or_missing_jsonl_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(TrainingDataError, match="empty"):
        list(read_jsonl(empty))
    only_bad = write_lines(tmp_path / "bad.jsonl", ["{nope"])
    with pytest.raises(TrainingDataError, match=r"no usable labeled note.*line 1"):
        list(JsonlReader(only_bad))
    with pytest.raises(TrainingDataError, match="No such file"):
        read_jsonl(tmp_path / "missing.jsonl")  # at the call, before iteration
    with pytest.raises(TrainingDataError, match="not a file"):
        JsonlReader(tmp_path)
    assert issubclass(TrainingDataError, ChartcoderError)


def test_jsonl_reads_lazily_and_tolerates_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "n1", "text": "x", "codes": ["I10"]}).encode() + b"\n")
    stream = read_jsonl(path)
    assert next(stream).codes == ("I10",)


# --- CodiEsp --------------------------------------------------------------------------------------------------
def make_codiesp(folder: Path, rows: list[str], texts: dict[str, bytes]) -> Path:
    (folder / "text_en").mkdir(parents=True)
    (folder / "D.tsv").write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    for article_id, text in texts.items():
        (folder / "text_en" / f"{article_id}.txt").write_bytes(text)
    return folder


def test_codiesp_groups_gold_rows_by_article(tmp_path: Path) -> None:
    folder = make_codiesp(
        tmp_path / "dev",
        ["c2\ti10", "c1\te11.9", "c1\tj18.9", "c1\te11.9"],
        {"c1": b"Diabetes and pneumonia.", "c2": b"Hypertension.", "c3": b"Nothing coded."},
    )
    reader = CodiespReader(folder)
    notes = list(reader)
    assert [(note.id, note.codes) for note in notes] == [("c1", ("E11.9", "J18.9")), ("c2", ("I10",)), ("c3", ())]
    assert notes[0].text == "Diabetes and pneumonia." and notes[0].setting is None
    assert reader.issues == []


def test_codiesp_reports_bad_rows_texts_and_codes(tmp_path: Path, mini_codeset) -> None:
    folder = make_codiesp(
        tmp_path / "train",
        ["c1\ti10", "c1\te11", "c1\tq99.9", "c1\tnot-a-code", "broken row", "c2\ti10", "orphan\ti10"],
        {"c1": b"Hypertension, diabetes.", "c2": b"fi\xe8vre", "c3": b"   "},
    )
    report = DataReport(source=str(folder))
    notes = list(read_codiesp(folder, mini_codeset, report))
    assert [(note.id, note.codes) for note in notes] == [("c1", ("I10", "E11"))]
    by_where = issues_by_line(report.issues)
    assert "expected 'articleID<TAB>code'" in by_where["D.tsv line 5"][0]
    assert "no text_en/orphan.txt" in by_where["orphan"][0]
    assert "not UTF-8" in by_where["c2"][0]
    assert "empty" in by_where["c3"][0]
    assert any("Q99.9" in reason and "not a code in ICD-10-CM" in reason for reason in by_where["c1"])
    assert any("invalid shape" in reason for reason in by_where["c1"])
    assert report.category_codes == 1


def test_codiesp_layout_errors(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="No such folder"):
        read_codiesp(tmp_path / "missing")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "D.tsv").write_text("", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="text_en is missing"):
        CodiespReader(tmp_path / "half")
    empty = make_codiesp(tmp_path / "empty", [], {})
    with pytest.raises(TrainingDataError, match="empty"):
        list(read_codiesp(empty))


@pytest.mark.shared_data
def test_codiesp_dev_split_reads_completely(shared_data_dir: Path) -> None:
    reader = CodiespReader(shared_data_dir / "codiesp" / "dev")
    notes = list(reader)
    assert len(notes) == 250
    assert all(note.codes and note.text.strip() for note in notes)
    assert all(code == code.upper() and ("." in code or len(code) == 3) for note in notes for code in note.codes)
    assert reader.report.codes == sum(len(note.codes) for note in notes)


# --- the coder-notes layout ----------------------------------------------------------------------------------
def test_coder_notes_layout_reads_principal_core_optional_and_must_not(tmp_path: Path, mini_codeset) -> None:
    coded = {
        "id": "DEV-x",
        "setting": "inpatient",
        "document": "discharge summary",
        "specialty": "hospital medicine",
        "text": "Pneumonia; hypertension.",
        "principal": "j189",
        "core": ["J18.9", "I10"],
        "optional": ["E11.9"],
        "must_not": ["I48", "E11.65"],  # a category and a code
        "reasoning": "II; I.C.9.a",
    }
    path = write_lines(
        tmp_path / "coder.jsonl",
        [
            coded,
            {"id": "plain", "text": "Hypertension.", "codes": ["I10"]},  # both layouts in one file
            {**coded, "id": "no-principal", "principal": None},
        ],
    )
    report = DataReport(source=str(path))
    first, plain, defaulted = list(read_jsonl(path, mini_codeset, report))
    assert first == LabeledNote(
        "DEV-x",
        "Pneumonia; hypertension.",
        ("J18.9", "I10"),
        setting="inpatient",
        principal="J18.9",
        optional=("E11.9",),
        must_not=("I48", "E11.65"),
    )
    assert first.coder_coded and not plain.coder_coded
    # A principal left out (or null) is the first core code.
    assert defaulted.principal == "J18.9"
    assert report.issues == [] and report.category_codes == 0  # a must-not category is not a gold category code
    assert report.codes == 5


def test_coder_notes_layout_reports_its_own_problems(tmp_path: Path, mini_codeset) -> None:
    base = {"id": "a", "text": "Pneumonia.", "setting": "outpatient"}
    path = write_lines(
        tmp_path / "coder.jsonl",
        [
            {**base, "id": "both", "codes": ["J18.9"], "core": ["J18.9"]},
            {**base, "id": "empty", "core": ["Q99.9"]},
            {**base, "id": "late", "principal": "I10", "core": ["J18.9", "I10"]},
            {**base, "id": "bad-list", "core": ["J18.9"], "must_not": "I10"},
            {**base, "id": "kept", "core": ["J18.9"], "must_not": ["Q99"]},
        ],
    )
    reader = JsonlReader(path, mini_codeset)
    notes = list(reader)
    assert [note.id for note in notes] == ["late", "kept"]
    assert notes[0].principal == "I10"  # kept as written, and reported
    assert notes[1].must_not == ()
    found = issues_by_line(reader.issues)
    assert "not both" in found["line 1"][0]
    assert "no usable 'core' code" in found["line 2"][-1]
    assert found["line 3"] == ["I10 'principal' is not the first 'core' code"]
    assert found["line 4"] == ["'must_not' must be a list of codes"]
    assert "not a code in ICD-10-CM" in found["line 5"][0]
