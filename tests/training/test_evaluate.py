"""The evaluation harness: hand-computed figures with a fake engine, worker processes, the CLI, the real engine."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.training.conftest import FakeEngine, FakeEngineFactory
from training.data import LabeledNote, read_codiesp
from training.evaluate import EvaluationReport, evaluate
from training.metrics import UNKNOWN_CHAPTER

# With FakeEngine (threshold 0.5):
#   n1 ranks J18.9 (0.9), I48.0 (0.6); candidates add I48.91. gold J18.9, I48.91 -> AP = (1/1) / 2
#   n2 ranks I10 (0.4), below the threshold.                    gold I10, E11.9   -> AP = (1/1) / 2
#   n3 ranks J18.9 (0.9) but has no gold code: only the micro figures see it (a false positive).
NOTES = [
    LabeledNote("n1", "Pneumonia with atrial fibrillation.", ("J18.9", "I48.91")),
    LabeledNote("n2", "Hypertension, stable.", ("I10", "E11.9")),
    LabeledNote("n3", "Pneumonia ruled in.", ()),
]


def test_evaluate_computes_every_figure(fake_engine: FakeEngine, mini_codeset) -> None:
    report = evaluate(fake_engine, NOTES, codeset=mini_codeset)
    assert (report.notes, report.notes_with_gold, report.gold_codes) == (3, 2, 4)
    assert report.model_id == "fake-engine" and report.threshold == 0.5
    assert report.map == pytest.approx(0.5)
    assert report.p_at == pytest.approx({1: 1.0, 5: 0.2, 10: 0.1})
    assert report.r_at == pytest.approx({1: 0.5, 5: 0.5, 10: 0.5})
    # predicted at 0.5: {J18.9, I48.0}, {}, {J18.9} -> TP 1, FP 2, FN 3
    assert (report.true_positives, report.false_positives, report.false_negatives) == (1, 2, 3)
    assert report.precision == pytest.approx(1 / 3)
    assert report.recall == pytest.approx(1 / 4)
    assert report.f1 == pytest.approx(2 / 7)
    # candidates: J18.9, I48.0, I48.91 | I10 | J18.9 -> 3 of 4 gold codes; E11.9 never proposed
    assert report.candidate_recall == pytest.approx(3 / 4)
    assert report.missed_candidates == (("E11.9", 1),)
    recall = {chapter: value.recall for chapter, value in report.per_chapter_recall.items()}
    assert recall == {"4": 0.0, "9": 0.0, "10": 1.0}
    assert report.words == sum(len(note.text.split()) for note in NOTES)
    assert report.seconds > 0 and report.words_per_second > 0


def test_report_serialises_to_json(fake_engine: FakeEngine) -> None:
    data = json.loads(json.dumps(evaluate(fake_engine, NOTES).to_dict()))
    assert data["map"] == pytest.approx(0.5)
    assert data["p_at"]["5"] == pytest.approx(0.2)
    assert data["micro"]["f1"] == pytest.approx(2 / 7)
    assert data["missed_candidates"] == [{"code": "E11.9", "notes": 1}]
    assert set(data["per_chapter_recall"]) == {UNKNOWN_CHAPTER}  # no code set given, none on the fake engine


def test_note_setting_wins_over_the_default(fake_engine: FakeEngine) -> None:
    notes = [NOTES[0], LabeledNote("in", "Hypertension.", ("I10",), setting="inpatient")]
    evaluate(fake_engine, notes, setting="outpatient")
    assert fake_engine.settings_seen == ["outpatient", "inpatient"]
    with pytest.raises(ValueError, match="unknown setting"):
        evaluate(fake_engine, notes, setting="emergency")


def test_a_refused_note_counts_as_missed_and_is_reported(fake_engine: FakeEngine) -> None:
    report = evaluate(fake_engine, [NOTES[0], LabeledNote("bad", "REFUSE", ("I10",))])
    assert [note_id for note_id, _ in report.failed_notes] == ["bad"]
    assert "E001" in report.failed_notes[0][1]
    assert report.map == pytest.approx((0.5 + 0.0) / 2)
    assert report.gold_codes == 3


def test_progress_is_called_after_each_note(fake_engine: FakeEngine) -> None:
    calls: list[tuple[int, int]] = []
    evaluate(fake_engine, iter(NOTES), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_no_notes_is_an_error(fake_engine: FakeEngine) -> None:
    with pytest.raises(ValueError, match="no notes"):
        evaluate(fake_engine, [])


def _without_timings(report: EvaluationReport) -> dict:
    data = report.to_dict()
    for key in ("seconds", "words_per_second", "suggest_seconds", "suggest_words_per_second"):
        data.pop(key)
    return data


def test_worker_processes_give_the_same_report(mini_codeset) -> None:
    notes = NOTES * 4
    calls: list[tuple[int, int]] = []
    pooled = evaluate(
        FakeEngineFactory(), notes, workers=2, codeset=mini_codeset, progress=lambda *done: calls.append(done)
    )
    single = evaluate(FakeEngine(), notes, codeset=mini_codeset)
    assert _without_timings(pooled) == _without_timings(single)
    assert calls[-1] == (12, 12)


def test_workers_need_a_way_to_load_the_engine(fake_engine: FakeEngine) -> None:
    with pytest.raises(TypeError, match="engine factory"):
        evaluate(fake_engine, NOTES, workers=2)  # a fake engine has no vocabulary folder to reload from


# --- the CLI -----------------------------------------------------------------------------------------------
runner = CliRunner()


def test_cli_evaluates_jsonl_as_json(mini_home: Path, tmp_path: Path) -> None:
    data = tmp_path / "labeled.jsonl"
    lines = [
        {"id": "a", "text": "Assessment: essential hypertension.", "codes": ["I10"]},
        {"id": "b", "text": "Assessment: community acquired pneumonia.", "codes": ["J18.9", "Q99.9"]},
    ]
    data.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--data", str(data), "--json", "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["notes"] == 2 and report["gold_codes"] == 2
    assert report["map"] > 0
    assert {issue["where"] for issue in report["data"]["issues"]} == {"line 2", "line 3"}
    errors = " ".join(result.stderr.split())  # rich wraps long lines
    assert "data issues: 2" in errors and "line 3" in errors


def test_cli_prints_tables_with_a_limit(mini_home: Path, tmp_path: Path) -> None:
    data = tmp_path / "labeled.jsonl"
    lines = [{"id": str(n), "text": "Assessment: essential hypertension.", "codes": ["I10"]} for n in range(3)]
    data.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--data", str(data), "--limit", "2", "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    assert "MAP" in result.stdout and "P@5" in result.stdout and "candidate recall" in result.stdout
    assert "first 2 notes" in result.stderr


def test_cli_bad_input_exits_2_with_a_message(mini_home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    data_args = ["--data", str(empty)]
    cases = [
        ([], "exactly one of"),
        ([*data_args, "--codiesp", str(tmp_path)], "exactly one of"),
        (["--data", str(tmp_path / "missing.jsonl")], "No such file"),
        (["--codiesp", str(tmp_path / "missing")], "No such folder"),
        (["--codiesp", str(tmp_path)], "not a CodiEsp split"),
        (data_args, "empty"),
        ([*data_args, "--setting", "emergency"], "Unknown setting"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["evaluate", *args, "--home", str(mini_home)])
        assert result.exit_code == 2, (args, result.output)
        assert message in " ".join(result.stderr.split()), (args, result.stderr)  # rich wraps long lines
        assert "Traceback" not in result.output


# --- the real engine ---------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.shared_data
def test_real_engine_on_twenty_codiesp_dev_notes(shared_data_dir: Path, indexed_vocabulary) -> None:
    pipeline = pytest.importorskip("suggest.pipeline", reason="suggest.pipeline (the engine) is not importable yet")
    engine = pipeline.load_engine(indexed_vocabulary)
    notes = list(itertools.islice(read_codiesp(shared_data_dir / "codiesp" / "dev", indexed_vocabulary.codeset), 20))
    report = evaluate(engine, notes)
    assert report.notes == 20 and report.gold_codes > 0
    assert 0 < report.map <= 1
    assert all(0 <= value <= 1 for value in [*report.p_at.values(), *report.r_at.values()])
    assert 0 <= report.f1 <= 1 and 0 < report.candidate_recall <= 1
    assert report.threshold == engine.threshold and report.model_id == engine.model_id
    assert sum(chapter.gold for chapter in report.per_chapter_recall.values()) == report.gold_codes
    assert not report.failed_notes
    json.dumps(report.to_dict())
