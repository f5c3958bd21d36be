"""Batch coding: streaming, ordered output, bad lines reported with their numbers, workers agree."""

from __future__ import annotations

import io
import json
import time

import pytest

from suggest.batch import EngineSpec, parse_line, run_batch

LINES = [
    json.dumps({"id": "a", "text": "Essential hypertension."}),
    "not json",
    json.dumps({"id": "b", "text": "   "}),
    json.dumps({"id": "c", "text": "Pneumonia.", "setting": "inpatient"}),
    json.dumps({"id": "d", "text": "Asthma.", "setting": "emergency"}),
    json.dumps(["a list"]),
    json.dumps({"id": 7, "text": 42}),
]


def test_parse_line_never_raises() -> None:
    assert parse_line(3, b"\xff\xfe").error.startswith("not UTF-8")
    assert parse_line(4, b"{").error.startswith("not valid JSON")
    assert parse_line(5, b'{"id": 1, "text": "x"}').note_id == "1"


def test_every_input_line_gets_one_output_line_in_order(mini_engine, mini_home) -> None:
    source = io.BytesIO(("\n".join(LINES) + "\n").encode())
    sink = io.StringIO()
    errors: list[dict] = []
    summary = run_batch(source, sink, EngineSpec(home=mini_home), engine=mini_engine, on_error=errors.append)
    records = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert len(records) == len(LINES) == summary.lines
    assert summary.coded == 2 and summary.failed == 5
    assert records[0]["note_id"] == "a" and records[0]["suggestions"]
    assert [record["line"] for record in records if "error" in record] == [2, 3, 5, 6, 7]
    assert records[3]["setting"] == "inpatient"
    assert [error["line"] for error in errors] == [2, 3, 5, 6, 7]


@pytest.mark.slow
def test_two_workers_give_the_same_output_as_one(mini_engine, mini_home) -> None:
    notes = [
        json.dumps({"id": str(i), "text": f"Essential hypertension. Note {i}. Atrial fibrillation."}) for i in range(80)
    ]
    data = ("\n".join(notes) + "\n").encode()
    one, two = io.StringIO(), io.StringIO()
    run_batch(io.BytesIO(data), one, EngineSpec(home=mini_home), workers=1, engine=mini_engine)
    run_batch(io.BytesIO(data), two, EngineSpec(home=mini_home), workers=2)
    assert one.getvalue() == two.getvalue()


def test_a_pathological_note_does_not_hold_up_the_batch(mini_engine, mini_home) -> None:
    # The audit's fuzz note with 15,679 colons hung a batch (the tokenizer's time grew with the square of the run).
    colons = "Essential hypertension " + ":" * 15_679
    lines = [
        json.dumps({"id": "before", "text": "Essential hypertension."}),
        json.dumps({"id": "colons", "text": colons}),
        json.dumps({"id": "after", "text": "Pneumonia."}),
    ]
    sink = io.StringIO()
    started = time.perf_counter()
    summary = run_batch(
        io.BytesIO(("\n".join(lines) + "\n").encode()), sink, EngineSpec(home=mini_home), engine=mini_engine
    )
    assert time.perf_counter() - started < 20.0  # about a second; the quadratic tokenizer took minutes
    assert summary.coded == 3
    records = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [record["note_id"] for record in records] == ["before", "colons", "after"]
    evidence = [piece for suggestion in records[1]["suggestions"] for piece in suggestion["evidence"]]
    assert evidence and all(colons[piece["start"] : piece["end"]] == piece["text"] for piece in evidence)


def test_consecutive_lines_of_one_encounter_are_coded_together(mini_engine, mini_home) -> None:
    """Issue 17: batch lines with an ``encounter_id`` are the documents of one encounter, one output line."""
    lines = [
        json.dumps({"id": "n1", "text": "Essential hypertension."}),
        json.dumps({"encounter_id": "e1", "document_id": "hp", "type": "history_and_physical", "text": "Pneumonia."}),
        json.dumps({"encounter_id": "e1", "document_id": "ds", "type": "discharge_summary", "text": "Pneumonia."}),
        json.dumps({"id": "n2", "text": "Asthma."}),
        json.dumps({"encounter_id": "e1", "document_id": "pn", "type": "progress_note", "text": "Gout."}),
        json.dumps({"encounter_id": "e2", "document_id": "x", "type": "memo", "text": "Gout."}),
    ]
    sink = io.StringIO()
    summary = run_batch(
        io.BytesIO(("\n".join(lines) + "\n").encode()), sink, EngineSpec(home=mini_home), engine=mini_engine
    )
    records = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [record.get("note_id") or record.get("encounter_id") for record in records] == ["n1", "e1", "n2", "e1", "e2"]
    encounter = records[1]
    assert encounter["lines"] == [2, 3] and encounter["setting"] == "inpatient"
    assert [document["document_id"] for document in encounter["documents"]] == ["hp", "ds"]
    assert "consecutive" in records[3]["error"] and records[3]["line"] == 5
    assert "unknown document type" in records[4]["error"]
    assert summary.lines == 5 and summary.failed == 2
