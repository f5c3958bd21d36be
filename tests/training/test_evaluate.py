"""The evaluation harness: hand-computed figures with a fake engine, worker processes, the CLI, the real engine."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from suggest.types import NoteSuggestions
from tests.training.conftest import FakeEngine, FakeEngineFactory
from training.coder_metrics import code_family, matches_must_not
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


# --- notes coded by a certified coder -------------------------------------------------------------------------
# With FakeEngine (threshold 0.5), ranking and proposed codes (score >= 0.5):
#   c1 (inpatient)  ranks J18.9 0.9, I48.0 0.6, I10 0.4 -> proposed J18.9, I48.0
#       principal J18.9 (rank 1); core J18.9, I10 (both in the top 5, J18.9 proposed); I48.0 proposed is
#       neither core nor optional and lies under the must-not category I48.
#   c2 (outpatient) ranks J18.9 0.9, I10 0.4             -> proposed J18.9
#       principal I10 (rank 2); core I10 (top 5), E11.9 (missed); J18.9 proposed is optional.
CODER_NOTES = [
    LabeledNote(
        "c1",
        "Pneumonia with fibrillation and hypertension.",
        ("J18.9", "I10"),
        setting="inpatient",
        principal="J18.9",
        must_not=("I48",),
    ),
    LabeledNote(
        "c2",
        "Hypertension follow-up; pneumonia.",
        ("I10", "E11.9"),
        setting="outpatient",
        principal="I10",
        optional=("J18.9",),
        must_not=("E11.65",),
    ),
]


def test_coder_figures_overall_per_setting_and_per_note(fake_engine: FakeEngine, mini_codeset) -> None:
    report = evaluate(fake_engine, CODER_NOTES, codeset=mini_codeset)
    # MAP still runs on the core codes: c1 AP = (1/1 + 2/3) / 2, c2 AP = (1/2) / 2.
    assert report.map == pytest.approx(((1 + 2 / 3) / 2 + 0.25) / 2)
    coder = report.coder
    assert coder is not None
    overall = coder.overall
    assert overall.notes == 2
    assert overall.principal_at_1 == pytest.approx(0.5)
    assert overall.core_recall_at_5 == pytest.approx((1.0 + 0.5) / 2)
    assert overall.core_recall_at_10 == pytest.approx((1.0 + 0.5) / 2)
    assert overall.core_recall_proposed == pytest.approx((0.5 + 0.0) / 2)
    assert (overall.proposed, overall.proposed_correct) == (3, 2)
    assert overall.proposed_precision == pytest.approx(2 / 3)  # pooled over the three proposed codes
    assert overall.proposed_per_note == pytest.approx(1.5)
    assert overall.must_not_per_note == pytest.approx(0.5)
    assert overall.must_not_at_10_per_note == pytest.approx(0.5)

    assert list(coder.by_setting) == ["inpatient", "outpatient"]
    inpatient, outpatient = coder.by_setting["inpatient"], coder.by_setting["outpatient"]
    assert (inpatient.notes, inpatient.principal_at_1, inpatient.proposed_precision) == (1, 1.0, 0.5)
    assert (inpatient.must_not_per_note, inpatient.core_recall_proposed) == (1.0, 0.5)
    assert (outpatient.notes, outpatient.principal_at_1, outpatient.proposed_precision) == (1, 0.0, 1.0)
    assert (outpatient.must_not_per_note, outpatient.core_recall_at_5) == (0.0, 0.5)

    c1, c2 = coder.notes
    assert (c1.principal_rank, c1.must_not_proposed, c1.proposed_wrong) == (1, ("I48.0",), ("I48.0",))
    assert (c2.principal_rank, c2.core_at_10, c2.proposed) == (2, ("I10",), ("J18.9",))


def test_coder_figures_by_chapter_and_by_family(fake_engine: FakeEngine, mini_codeset) -> None:
    coder = evaluate(fake_engine, CODER_NOTES, codeset=mini_codeset).coder
    assert coder is not None

    def counts(group) -> tuple[int, int, int, int, int, int]:
        return (
            group.core,
            group.core_at_10,
            group.core_proposed,
            group.proposed,
            group.proposed_correct,
            group.must_not_proposed,
        )

    chapters = {chapter: counts(group) for chapter, group in coder.by_chapter.items()}
    # chapter 9: I10 core twice (both in the top 10, never proposed); I48.0 proposed, wrong and must-not.
    assert chapters == {"4": (1, 0, 0, 0, 0, 0), "9": (2, 2, 0, 1, 0, 1), "10": (1, 1, 1, 2, 2, 0)}
    assert coder.by_chapter["9"].precision == 0.0 and coder.by_chapter["10"].precision == 1.0
    families = {family: counts(group) for family, group in coder.by_family.items()}
    assert families == {
        "E08-E13": (1, 0, 0, 0, 0, 0),
        "I10-I1A": (2, 2, 0, 0, 0, 0),
        "other": (1, 1, 1, 3, 2, 1),
    }
    assert coder.by_family["I10-I1A"].recall_at_10 == 1.0 and coder.by_family["I10-I1A"].recall_proposed == 0.0


@pytest.mark.parametrize(
    ("code", "family"),
    [
        ("Z79.84", "Z79"),
        ("Z88.0", "Z88"),
        ("Z80.3", "Z80-Z84"),
        ("Z87.891", "Z85-Z87"),
        ("Z99.2", "Z89-Z99"),
        ("Z3A.12", "Z3A"),
        ("Z34.81", "Z other"),
        ("T42.6X6A", "T36-T50"),
        ("T22.212A", "S00-T34"),
        ("W54.0XXA", "V00-Y99"),
        ("O21.9", "O"),
        ("R65.21", "A40-A41,R65"),
        ("I1A.0", "I10-I1A"),
        ("J18.9", "other"),
    ],
)
def test_code_families(code: str, family: str) -> None:
    assert code_family(code) == family


def test_must_not_entries_match_codes_and_everything_under_categories() -> None:
    assert matches_must_not("E11.319", ["E11.3"]) and matches_must_not("I10", ["I10"])
    assert matches_must_not("G40.909", ["G40"])
    assert not matches_must_not("E11.22", ["E11.3", "E11.9"])


@dataclass(frozen=True, slots=True)
class _ProposingSuggestion:
    """What the evaluation reads of a suggestion as the guideline layer makes it: the engine says whether it
    proposes the code (apart from ``Suggestion``, whose fields differ before and after that layer)."""

    rank: int
    code: str
    score: float
    proposed: bool


class _ProposingEngine(FakeEngine):
    """Proposes every code but I48.0, whatever its score (as a guideline layer may)."""

    def suggest(self, text: str, setting: str = "outpatient", note_id: str | None = None, top: int | None = None):
        plain = super().suggest(text, setting, note_id, top)
        suggestions = tuple(
            _ProposingSuggestion(s.rank, s.code, s.score, proposed=s.code != "I48.0") for s in plain.suggestions
        )
        return NoteSuggestions(note_id, plain.code_set, plain.model, plain.setting, suggestions, ())  # type: ignore[arg-type]


def test_proposed_attribute_wins_over_the_threshold(mini_codeset) -> None:
    report = evaluate(_ProposingEngine(), CODER_NOTES, codeset=mini_codeset)
    coder = report.coder
    assert coder is not None
    c1, c2 = coder.notes
    assert c1.proposed == ("J18.9", "I10") and c1.must_not_proposed == ()  # I10 at 0.4 proposed, I48.0 not
    assert c2.proposed == ("J18.9", "I10")
    assert coder.overall.proposed_precision == 1.0 and coder.overall.core_recall_proposed == pytest.approx(0.75)
    # The micro figures count the proposed codes too: 3 of 4 core codes, no false positive but J18.9 in c2.
    assert (report.true_positives, report.false_positives, report.false_negatives) == (3, 1, 1)


def test_plain_notes_have_no_coder_figures(fake_engine: FakeEngine) -> None:
    report = evaluate(fake_engine, NOTES)
    assert report.coder is None and report.to_dict()["coder"] is None


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


def test_cli_reports_coder_figures_for_the_coder_notes_layout(mini_home: Path, tmp_path: Path) -> None:
    data = tmp_path / "coder.jsonl"
    lines = [
        {
            "id": "c1",
            "setting": "inpatient",
            "text": "Assessment: essential hypertension.",
            "principal": "I10",
            "core": ["I10"],
            "optional": [],
            "must_not": ["I11"],
        },
        {
            "id": "c2",
            "setting": "outpatient",
            "text": "Assessment: pneumonia.",
            "principal": "J18.9",
            "core": ["J18.9"],
        },
    ]
    data.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--data", str(data), "--json", "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    coder = json.loads(result.stdout)["coder"]
    assert coder["notes"] == 2 and set(coder["by_setting"]) == {"inpatient", "outpatient"}
    assert [note["id"] for note in coder["per_note"]] == ["c1", "c2"]
    assert 0 <= coder["principal_at_1"] <= 1 and coder["by_family"] and coder["by_chapter"]
    tables = runner.invoke(app, ["evaluate", "--data", str(data), "--home", str(mini_home)])
    assert tables.exit_code == 0, tables.output
    for words in ("principal at rank 1", "core recall at 10", "by code family", "by chapter", "inpatient (1)"):
        assert words in tables.stdout


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
