"""Coding on Spark: the same results, line for line, as the single-process batch; bad notes are rows."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from cli.main import app
from suggest.batch import EngineSpec, run_batch
from suggest.errors import SettingError
from suggest.pipeline import ZERO_SHOT_MODEL

GOOD = "Assessment: essential hypertension. Atrial fibrillation. No pneumonia."
LINES: list[bytes] = [
    json.dumps({"id": "a", "text": GOOD}).encode(),
    b"not json",
    b"",  # blank: no output line, but it counts for the numbering
    json.dumps({"id": "b", "text": "   "}).encode(),
    json.dumps({"id": "c", "text": "Pneumonia.", "setting": "inpatient"}).encode(),
    json.dumps({"id": "d", "text": "Asthma.", "setting": "emergency"}).encode(),
    json.dumps(["a list"]).encode(),
    json.dumps({"id": 7, "text": 42}).encode(),
    b'{"id": "latin", "text": "fi\xe8vre"}',
    json.dumps({"id": "e", "text": "Type 2 diabetes with CKD stage 3.\r\nFamily history of diabetes."}).encode()
    + b"\r",
    json.dumps({"text": "Essential hypertension, no id."}).encode(),
]


def single_process(home: Path, data: bytes, setting: str = "outpatient") -> tuple[str, list[dict], tuple[int, ...]]:
    sink, errors = io.StringIO(), cast(list[dict], [])
    summary = run_batch(io.BytesIO(data), sink, EngineSpec(home=home), default_setting=setting, on_error=errors.append)
    return sink.getvalue(), errors, (summary.lines, summary.coded, summary.failed)


def on_spark(spark, home: Path, source: Path, output: Path, **options) -> tuple[str, list[dict], tuple[int, ...]]:
    from suggest.spark import code_file

    errors: list[dict] = []
    summary = code_file(spark, source, output, home=home, on_error=errors.append, **options)
    text = output.read_text(encoding="utf-8") if output.is_file() else ""
    return text, errors, (summary.lines, summary.coded, summary.failed)


def test_importing_suggest_spark_does_not_need_pyspark() -> None:
    """As without the extra (an import of pyspark fails), and without pulling in training or service."""
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "import suggest, suggest.spark\n"
        "loaded = {name.split('.')[0] for name in sys.modules} & {'training', 'service', 'cli'}\n"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from suggest.spark import SparkUnavailableError, _pyspark_functions

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # what a missing package looks like to import
    with pytest.raises(SparkUnavailableError, match=r"chartcoder\[spark\]"):
        _pyspark_functions()


def test_the_champion_is_pinned_on_the_driver_and_only_its_pack_is_shipped(mini_home: Path, tmp_path: Path) -> None:
    from suggest.spark import _pinned_model, _stage_home

    home = tmp_path / "home"
    shutil.copytree(mini_home, home)
    assert _pinned_model(home, None) == ZERO_SHOT_MODEL
    for model_id in ("m1", "m2"):
        (home / "models" / model_id).mkdir(parents=True)
        (home / "models" / model_id / "manifest.json").write_text("{}", encoding="utf-8")
    (home / "models" / "registry.json").write_text('{"champion": "m2", "history": ["m1"]}', encoding="utf-8")
    assert _pinned_model(home, None) == "m2" and _pinned_model(home, "m1") == "m1"
    stage = _stage_home(home, "m2")
    assert sorted(path.name for path in (stage / "models").iterdir()) == ["m2", "registry.json"]


def test_a_note_that_trips_an_engine_bug_is_an_error_row_not_a_failed_task(spark_modules, mini_home: Path) -> None:
    """The worker's code path, run in this process (no Spark): the other notes of its batch are coded."""
    import pandas as pd

    from suggest import spark as module
    from suggest.pipeline import load_engine

    real = load_engine(home=mini_home)

    class Exploding:
        model_id, code_set = real.model_id, real.code_set

        def suggest_many(self, notes, batch_size=32, top=None):
            notes = list(notes)
            if any("BOOM" in text for _, text, _ in notes):
                raise RuntimeError("an engine bug quoting BOOM from the note")
            yield from real.suggest_many(notes, batch_size=batch_size, top=top)

    job = module._Job("fake-home", "fake-model", "outpatient", None, source="records", output="lines", numbered=True)
    frame = pd.DataFrame(
        {"line": [1, 2, 3], "id": ["a", "b", "c"], "text": [GOOD, "BOOM", "Pneumonia."], "setting": [None] * 3}
    )
    module._worker_engines[("fake-home", "fake-model")] = Exploding()  # type: ignore[assignment]
    try:
        rows = pd.concat(list(module._code_partition(job, iter([frame]))))
    finally:
        module._worker_engines.clear()
    records = [json.loads(line) for line in rows["json"]]
    assert records[0]["suggestions"] and records[2]["note_id"] == "c" and "error" not in records[2]
    assert records[1] == {
        "note_id": "b",
        "line": 2,
        "error": "internal error while coding this note (RuntimeError); please report it",
    }
    assert "BOOM" not in rows["error"][1]


@pytest.mark.spark
def test_suggest_notes_gives_one_row_per_note_like_the_engine(spark, mini_home: Path) -> None:
    from suggest.pipeline import load_engine
    from suggest.spark import RESULT_SCHEMA, suggest_notes

    notes = [
        ("1", GOOD, None),
        ("2", None, None),
        ("3", "  ", None),
        ("4", "Pneumonia.", "inpatient"),
        ("5", "Asthma.", "emergency"),
    ]
    frame = spark.createDataFrame(notes, "id string, text string, kind string")
    rows = suggest_notes(frame, setting_col="kind", home=mini_home).collect()
    assert [row["id"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert frame.sparkSession.createDataFrame([], RESULT_SCHEMA).columns == list(rows[0].asDict())

    engine = load_engine(home=mini_home)
    for row, (note_id, text, kind) in zip(rows, notes, strict=True):
        if row["error"] is None:
            assert text is not None
            expected = engine.suggest(text, setting=kind or "outpatient", note_id=note_id).to_dict()
            got = row.asDict(recursive=True)
            assert {key: got[key] for key in ("setting", "model", "code_set")} == {
                "setting": expected["setting"],
                "model": expected["model"],
                "code_set": expected["code_set"],
            }
            assert got["suggestions"] == expected["suggestions"] and got["excluded"] == expected["excluded"]
            assert got["documentation"] == expected["documentation"]
    assert "I10" in {suggestion["code"] for suggestion in rows[0]["suggestions"]}
    assert rows[1]["error"] == "'text' is missing or not a string" and rows[1]["suggestions"] is None
    assert rows[2]["error"].startswith("[E001]")
    assert rows[3]["setting"] == "inpatient" and rows[3]["error"] is None
    assert rows[4]["error"] == "unknown setting 'emergency'"


@pytest.mark.spark
def test_suggest_notes_refuses_bad_arguments_on_the_driver(spark, mini_home: Path, tmp_path: Path) -> None:
    from suggest.errors import EngineError
    from suggest.spark import suggest_notes
    from vocab.errors import CodeSetNotBuiltError

    frame = spark.createDataFrame([(1, "x")], "id long, body string")
    with pytest.raises(EngineError, match="no text column 'text'"):
        suggest_notes(frame, home=mini_home)
    with pytest.raises(EngineError, match="must be a string column"):
        suggest_notes(frame, text_col="id", id_col=None, home=mini_home)
    with pytest.raises(SettingError):
        suggest_notes(frame, text_col="body", setting="emergency", home=mini_home)
    with pytest.raises(CodeSetNotBuiltError):
        suggest_notes(frame, text_col="body", home=tmp_path / "no-home")


@pytest.mark.spark
def test_explode_suggestions_gives_one_row_per_code_with_offsets(spark, mini_home: Path) -> None:
    from suggest.spark import explode_suggestions, suggest_notes

    frame = spark.createDataFrame([("n1", GOOD), ("n2", None)], "id string, text string")
    codes = explode_suggestions(suggest_notes(frame, home=mini_home)).orderBy("rank").collect()
    assert codes and {row["id"] for row in codes} == {"n1"}
    assert [row["rank"] for row in codes] == list(range(1, len(codes) + 1))
    for row in codes:
        for piece in row["evidence"]:
            assert GOOD[piece["start"] : piece["end"]] == piece["text"]


@pytest.mark.spark
def test_each_worker_loads_the_engine_once(spark, mini_home: Path) -> None:
    """Many partitions and Arrow batches (64 rows), two workers: each worker process loads it once."""
    from suggest.spark import suggest_notes

    notes = [(str(i), f"{GOOD} Visit {i}.") for i in range(300)]
    frame = spark.createDataFrame(notes, "id string, text string").repartition(12)
    assert suggest_notes(frame, home=mini_home).where("error is null").count() == 300

    key = (str(mini_home.absolute()), ZERO_SHOT_MODEL)  # no registry: model None is pinned to zero-shot

    def loads(frames):
        import pandas as pd

        from suggest import spark as module

        for _ in frames:
            yield pd.DataFrame({"pid": [os.getpid()], "loads": [module._worker_loads.get(key, 0)]})

    probes = spark.range(0, 24, numPartitions=24).mapInPandas(loads, "pid long, loads long").collect()
    per_worker = {row["pid"]: row["loads"] for row in probes}
    assert max(per_worker.values()) == 1, per_worker


@pytest.mark.spark
def test_jsonl_output_is_the_single_process_output_byte_for_byte(spark, mini_home: Path, tmp_path: Path) -> None:
    data = b"\n".join(LINES) + b"\n"
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    expected = single_process(mini_home, data)
    got = on_spark(spark, mini_home, source, tmp_path / "out.jsonl")
    assert got == expected
    assert expected[2] == (10, 4, 6)
    assert not list(tmp_path.glob(".out.jsonl.spark-*")), "the Parquet parts are removed"


@pytest.mark.spark
@pytest.mark.parametrize(
    "data",
    [b"", b"\n \n\t\n", b"\xef\xbb\xbf" + LINES[0] + b"\n" + LINES[4], LINES[0]],
    ids=["empty", "blank-lines", "utf8-bom", "no-final-newline"],
)
def test_odd_files_give_the_single_process_output(spark, mini_home: Path, tmp_path: Path, data: bytes) -> None:
    source = tmp_path / "odd.jsonl"
    source.write_bytes(data)
    assert on_spark(spark, mini_home, source, tmp_path / "odd-out.jsonl") == single_process(mini_home, data)


@pytest.mark.spark
def test_many_partitions_keep_the_input_order(spark, mini_home: Path, tmp_path: Path) -> None:
    notes = [json.dumps({"id": str(i), "text": f"Essential hypertension. Note {i}."}) for i in range(200)]
    data = ("\n".join(notes) + "\n").encode()
    source = tmp_path / "many.jsonl"
    source.write_bytes(data)  # ~11 KB: the 64 KB minimum split gives one partition, re-split by range
    expected = single_process(mini_home, data, setting="inpatient")
    assert on_spark(spark, mini_home, source, tmp_path / "many-out.jsonl", default_setting="inpatient") == expected


@pytest.mark.spark
def test_parquet_in_and_out(spark, mini_home: Path, tmp_path: Path) -> None:
    notes = [(10, GOOD, None), (11, None, "inpatient"), (12, "Pneumonia.", "inpatient"), (13, "Asthma.", "er")]
    source = tmp_path / "notes.parquet"
    spark.createDataFrame(notes, "id long, text string, setting string").coalesce(1).write.parquet(str(source))
    as_jsonl = b"".join(
        json.dumps({"id": note_id, "text": text, "setting": setting}).encode() + b"\n"
        for note_id, text, setting in notes
    )
    expected = single_process(mini_home, as_jsonl)

    assert on_spark(spark, mini_home, source, tmp_path / "from-parquet.jsonl") == expected

    errors: list[dict] = []
    from suggest.spark import code_file

    summary = code_file(spark, source, tmp_path / "out.parquet", home=mini_home, on_error=errors.append)
    rows = spark.read.parquet(str(tmp_path / "out.parquet")).orderBy("line").collect()
    assert [(row["id"], row["line"]) for row in rows] == [("10", 1), ("11", 2), ("12", 3), ("13", 4)]
    assert (summary.lines, summary.coded, summary.failed) == expected[2]
    assert errors == expected[1]
    first = json.loads(expected[0].splitlines()[0])
    assert rows[0].asDict(recursive=True)["suggestions"] == first["suggestions"]


@pytest.mark.spark
def test_a_shipped_home_gives_the_same_rows_and_leaves_the_database_behind(
    spark, mini_home: Path, tmp_path: Path
) -> None:
    from suggest.spark import _local_home, _stage_home, suggest_notes

    home = tmp_path / "home"
    shutil.copytree(mini_home, home)
    (home / "chartcoder.db").write_bytes(b"note text lives here")
    stage = _stage_home(home, ZERO_SHOT_MODEL)
    assert list((stage / "codeset").glob("*/manifest.json")) and not (stage / "chartcoder.db").exists()

    frame = spark.createDataFrame([("a", GOOD), ("b", "Pneumonia.")], "id string, text string")
    by_path = [row.asDict(recursive=True) for row in suggest_notes(frame, home=home).collect()]
    shipped = suggest_notes(frame, home=home, ship=True)
    assert [row.asDict(recursive=True) for row in shipped.collect()] == by_path

    def where_loaded(frames):
        import pandas as pd

        from suggest import spark as module

        homes = [str(_local_home(key[0])) for key in module._worker_engines]
        for _ in frames:
            yield pd.DataFrame({"home": homes[:1] or [""]})

    loaded = {
        row["home"] for row in spark.range(0, 4, numPartitions=4).mapInPandas(where_loaded, "home string").collect()
    }
    assert any("chartcoder-home-" in folder for folder in loaded), loaded


@pytest.mark.spark
def test_the_batch_command_runs_on_spark(spark, mini_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(LINES) + b"\n")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["batch", *args, "--home", str(mini_home)])

    local, distributed = tmp_path / "local.jsonl", tmp_path / "spark.jsonl"
    assert invoke(str(source), "-o", str(local)).exit_code == 0
    result = invoke(str(source), "-o", str(distributed), "--engine", "spark", "--master", "local[2]")
    assert result.exit_code == 0, result.output
    assert distributed.read_bytes() == local.read_bytes()
    assert "line 2: not valid JSON" in result.output and "Spark UI" in result.output
    assert "10 lines: 4 coded, 6 with errors" in result.output

    parquet = tmp_path / "out.parquet"
    assert invoke(str(source), "-o", str(parquet), "--engine", "spark").exit_code == 0
    assert spark.read.parquet(str(parquet)).count() == 10

    for args, message in (
        (["--master", "local[2]"], "--master needs --engine spark"),
        (["--engine", "spark", "--workers", "2"], "--workers is for --engine local"),
        (["--engine", "flink"], "Unknown engine"),
    ):
        result = invoke(str(source), "-o", str(tmp_path / "x.jsonl"), *args)
        assert result.exit_code == 2 and message in result.output, result.output
    result = invoke(str(source), "-o", str(tmp_path / "x.csv"), "--engine", "spark")
    assert result.exit_code == 2 and "expected a .jsonl or .parquet path" in result.output


@pytest.mark.spark
def test_chartcoder_batch_starts_its_own_local_2_session(spark, mini_home: Path, tmp_path: Path) -> None:
    """The installed command in a fresh process (no active session: it starts and stops its own JVM), Parquet
    out; the bad lines are rows with an error, the others the single-process batch's suggestions."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(LINES) + b"\n")
    output = tmp_path / "out.parquet"
    command = [str(Path(sys.executable).parent / "chartcoder"), "batch", str(source), "-o", str(output)]
    command += ["--engine", "spark", "--master", "local[2]", "--home", str(mini_home)]
    environment = {key: value for key, value in os.environ.items() if key not in ("PYSPARK_PYTHON", "SPARK_LOCAL_IP")}
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "10 lines: 4 coded, 6 with errors" in finished.stderr
    assert "line 2: not valid JSON" in finished.stderr

    expected, _, _ = single_process(mini_home, source.read_bytes())
    records = [json.loads(line) for line in expected.splitlines()]
    rows = [row.asDict(recursive=True) for row in spark.read.parquet(str(output)).orderBy("line").collect()]
    assert [row["line"] for row in rows] == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11]  # line 3 is blank
    for row, record in zip(rows, records, strict=True):
        assert row["id"] == record.get("note_id")
        if "error" in record:
            assert row["error"] == record["error"] and row["suggestions"] is None
        else:
            assert row["error"] is None and row["suggestions"] == record["suggestions"]
    assert rows[1]["error"].startswith("not valid JSON")


@pytest.mark.spark
@pytest.mark.shared_data
@pytest.mark.slow
def test_codiesp_dev_on_local_2_equals_the_single_process_batch(
    spark, indexed_home: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    """The 250 CodiEsp dev texts (and two bad lines): ``chartcoder batch`` and Spark local[2] agree byte for byte.

    The two sides run with different string-hash seeds (the batch 1, the Spark workers 0: the session
    fixture sets it), so that anything decided by set iteration order shows up as a difference: the fuzzy
    word matcher once broke score ties that way ("macrocephalic").
    """
    texts = sorted((shared_data_dir / "codiesp" / "dev" / "text_en").glob("*.txt"))
    assert len(texts) == 250
    lines = [json.dumps({"id": path.stem, "text": path.read_text(encoding="utf-8")}) for path in texts]
    lines[100:100] = ["{broken", json.dumps({"id": "empty", "text": ""})]
    source = tmp_path / "codiesp-dev.jsonl"
    source.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))

    expected = tmp_path / "codiesp-dev-batch.jsonl"
    command = [str(Path(sys.executable).parent / "chartcoder"), "batch", str(source), "-o", str(expected)]
    environment = {**os.environ, "PYTHONHASHSEED": "1", "CHARTCODER_HOME": str(indexed_home)}
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=1200)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "252 lines: 250 coded, 2 with errors" in finished.stderr
    records = [json.loads(line) for line in expected.read_text(encoding="utf-8").splitlines()]
    assert sum(1 for record in records if record.get("suggestions")) >= 240, "the batch coded next to nothing"

    seeds = spark.range(0, 4, numPartitions=4).mapInPandas(_hash_seed, "seed string").collect()
    assert {row["seed"] for row in seeds} == {"0"}
    got = on_spark(spark, indexed_home, source, tmp_path / "codiesp-dev-spark.jsonl")
    assert got[2] == (252, 250, 2)
    assert [error["line"] for error in got[1]] == [101, 102]
    batch_lines = expected.read_text(encoding="utf-8").splitlines()
    for number, (mine, theirs) in enumerate(zip(got[0].splitlines(), batch_lines, strict=True), 1):
        assert mine == theirs, f"line {number} differs"
    assert got[0] == expected.read_text(encoding="utf-8")


def _hash_seed(frames: Iterator[Any]) -> Iterator[Any]:
    import pandas as pd

    for _ in frames:
        yield pd.DataFrame({"seed": [os.environ.get("PYTHONHASHSEED", "")]})


@pytest.mark.spark
def test_each_note_is_coded_with_the_release_of_its_date_of_service(spark, two_release_home: Path) -> None:
    """Issue 15: a date column picks the ICD-10-CM release per note (FY2027 from 2026-10-01), in each row's
    code_set; a value that is not a date is that row's error."""
    from suggest.spark import suggest_notes

    note = "Type 1 diabetes mellitus with ketoacidosis with coma."
    rows = [("nov", note, "2026-11-15"), ("sep", note, "2026-09-15"), ("bad", note, "soon"), ("none", note, None)]
    frame = spark.createDataFrame(rows, "id string, text string, dos string")
    got = {row["id"]: row for row in suggest_notes(frame, home=two_release_home, date_col="dos").collect()}
    assert got["nov"]["code_set"] == "ICD-10-CM FY2027" and got["sep"]["code_set"] == "ICD-10-CM FY2026"
    assert "E10.12" in {item["code"] for item in got["nov"]["suggestions"]}
    assert "E10.11" in {item["code"] for item in got["sep"]["suggestions"]}
    assert "date_of_service" in got["bad"]["error"] and got["none"]["code_set"] == "ICD-10-CM FY2027"


def test_suggest_encounters_gives_one_row_per_encounter_like_the_engine(spark, mini_home: Path) -> None:
    """Issue 17: the documents of each encounter, wherever Spark holds them, coded into one code set."""
    from suggest.encounter import code_encounter
    from suggest.encounter_input import encounter_from_records
    from suggest.pipeline import load_engine
    from suggest.spark import suggest_encounters
    from tests.conftest import FIXTURES_DIR

    lines = (FIXTURES_DIR / "encounters" / "admission.jsonl").read_text().splitlines()
    lines += (FIXTURES_DIR / "encounters" / "office_visit.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    rows.append({"encounter_id": "bad", "document_id": "x", "type": "memo", "text": "Gout."})
    columns = ["encounter_id", "document_id", "type", "date", "text", "patient_id", "age", "sex", "setting"]
    frame = spark.createDataFrame([tuple(row.get(name) for name in columns) for row in rows], columns)
    result = {row["encounter_id"]: row for row in suggest_encounters(frame.repartition(3), home=mini_home).collect()}
    assert set(result) == {"adm-1", "ov-1", "bad"}
    assert "unknown document type" in result["bad"]["error"]
    engine = load_engine(home=mini_home)
    for encounter_id in ("adm-1", "ov-1"):
        records = [(i, row) for i, row in enumerate(rows, start=1) if row["encounter_id"] == encounter_id]
        expected = code_encounter(engine, encounter_from_records(records)).to_dict()
        coded = json.loads(result[encounter_id]["json"])
        assert [item["code"] for item in coded["suggestions"]] == [item["code"] for item in expected["suggestions"]]
        assert coded["service_date"] == expected["service_date"]


def test_encounter_lines_of_a_jsonl_file_on_spark_are_refused_not_coded_alone(mini_home: Path) -> None:
    """Spark cuts a file into line ranges that may split an encounter: its lines get an error line each."""
    from suggest.batch import parse_line
    from suggest.pipeline import load_engine
    from suggest.spark import _code_slice

    lines = [
        parse_line(1, b'{"encounter_id": "e", "document_id": "d", "type": "progress_note", "text": "Gout."}'),
        parse_line(2, b'{"id": "n", "text": "Essential hypertension."}'),
    ]
    refused, coded = _code_slice(load_engine(home=mini_home), lines, None)
    assert refused["encounter_id"] == "e" and "suggest_encounters" in refused["error"]
    assert coded["note_id"] == "n" and coded["suggestions"][0]["code"] == "I10"
