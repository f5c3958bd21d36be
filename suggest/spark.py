"""Coding notes on Apache Spark: the same engine and the same JSON as ``chartcoder batch``, on many cores.

Public API (PySpark is imported inside the functions, so ``import suggest.spark`` never needs it):

- :func:`suggest_notes`: a DataFrame of notes in, a DataFrame of suggestions out (one row per note);
- :func:`explode_suggestions`: one row per suggested code, with its evidence offsets;
- :func:`suggest_encounters`: a DataFrame of documents with an encounter id in, one row per encounter out
  (its one code set as the JSON of ``chartcoder batch``), grouped by Spark;
- :func:`ship_home`: copy a home's code set, term-table cache and model pack to every executor;
- :func:`code_file` / :func:`run_spark_batch`: what ``chartcoder batch --engine spark`` runs (JSONL or
  Parquet in and out, error lines identical to the single-process batch).

How the engine reaches the executors: **by path**, never by broadcast. An engine is a spaCy pipeline, a
term table and a code set (about 600 MB in memory, 70 MB on disk); pickling it through the driver would
cost more than loading it. Each Python worker process loads the engine once from ``home`` (a folder every
executor can read: a shared file system, or a DBFS / Unity Catalog volume mounted under ``/dbfs`` or
``/Volumes``) and keeps it in a module-level cache keyed by ``(home, model)``; Spark reuses Python
workers between tasks (``spark.python.worker.reuse``, on by default), so a worker loads it once per job,
not per partition, Arrow batch or row. Where no such folder exists, ``ship_home`` stages a copy of the
parts an engine needs (never the database, which holds note text) and hands it to ``SparkContext.addFile``;
each executor fetches it once into its SparkFiles folder.

``model`` None is pinned on the driver to the registry's champion at the time of the call, so a promotion
during a job cannot give one job two models.

Failures of single notes are rows with an ``error`` (the same message the single-process batch writes),
never a failed task: the engine reports bad notes as values. A home that cannot be loaded on an executor
does fail the task: that is a deployment problem, not a note.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from suggest import engine_pool
from suggest.batch import BatchLine, BatchSummary, code_lines, dated_line, parse_line
from suggest.engine_pool import EngineSpec
from suggest.engine_protocol import BatchEngine
from suggest.errors import EngineError, Errors, SettingError
from suggest.pipeline import ZERO_SHOT_MODEL
from suggest.releases import ReleaseEngines
from suggest.types import SETTINGS
from vocab.artifact import codeset_folder, default_home, read_manifest

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession


__all__ = [
    "RESULT_SCHEMA",
    "SparkUnavailableError",
    "code_file",
    "explode_suggestions",
    "run_spark_batch",
    "ship_home",
    "spark_session",
    "suggest_notes",
]

_EVIDENCE = "struct<start:int,end:int,text:string,section:string,assertion:string>"
_FLAG = "struct<kind:string,message:string,codes:array<string>>"
_SUGGESTION = (
    f"struct<rank:int,code:string,description:string,score:double,billable:boolean,"
    f"evidence:array<{_EVIDENCE}>,flags:array<{_FLAG}>,rationale:string,role:string,poa:string,"
    f"proposed:boolean,replaces:array<string>,hcc:array<struct<hcc:string,label:string>>>"
)
_EXCLUSION = f"struct<code:string,reason:string,evidence:array<{_EVIDENCE}>>"
_FINDING = (
    f"struct<kind:string,family:string,severity:string,message:string,basis:string,evidence:array<{_EVIDENCE}>,"
    f"indicators:array<{_EVIDENCE}>,codes:array<string>,needs_query:boolean>"
)
_RESULT_FIELDS = (
    f"setting string, model string, code_set string, suggestions array<{_SUGGESTION}>, "
    f"excluded array<{_EXCLUSION}>, documentation array<{_FINDING}>, error string"
)
#: The schema of :func:`suggest_notes` (Spark DDL). ``error`` is null for a coded note.
RESULT_SCHEMA = f"id string, {_RESULT_FIELDS}"
# code_file's Parquet output: the same columns plus the input line (or row) number, for finding bad notes.
_NUMBERED_RESULT_SCHEMA = f"id string, line long, {_RESULT_FIELDS}"
# code_file's JSONL output: the exact line the single-process batch writes, plus what the driver counts.
_JSON_LINE_SCHEMA = "line long, error string, json string"

_UTF8_BOM = b"\xef\xbb\xbf"
_SHIPPED = "sparkfiles:"  # a home token naming a folder added with SparkContext.addFile
_ROWS_PER_SLICE = 128  # notes coded per output Arrow batch: bounds a worker's memory between yields
_PARTITIONS_PER_CORE = 4  # smaller partitions balance the load and make Spark's progress bar move
_SPLIT_BYTES = "spark.sql.files.maxPartitionBytes"
_MIN_SPLIT_BYTES = 64 * 1024
_ARROW_BATCH_ROWS = 512  # notes per Arrow batch sent to a worker (Spark's default of 10,000 can reach GBs)


class SparkUnavailableError(EngineError):
    """PySpark (or pandas / pyarrow) is not installed."""


def _pyspark_functions() -> ModuleType:
    """``pyspark.sql.functions``, or a clear error saying which extra to install."""
    try:
        import pandas  # noqa: F401 - mapInPandas needs both on the driver and the executors
        import pyarrow  # noqa: F401
        from pyspark.sql import functions
    except ImportError as error:
        raise SparkUnavailableError(
            f"Spark support needs PySpark, pandas and pyarrow ({error.name} is missing): "
            "install chartcoder[spark], e.g. pip install 'chartcoder[spark]'."
        ) from None
    return functions


# --- the public API -----------------------------------------------------------------------------------
def suggest_notes(
    df: DataFrame,
    text_col: str = "text",
    id_col: str | None = "id",
    setting: str = "outpatient",
    setting_col: str | None = None,
    model: str | None = None,
    home: Path | str | None = None,
    *,
    top: int | None = None,
    ship: bool = False,
    date_col: str | None = None,
) -> DataFrame:
    """Suggestions for every note of ``df``: one row per note, in :data:`RESULT_SCHEMA`, lazily.

    ``setting`` applies to every note unless ``setting_col`` names a column (null there: ``setting``).
    ``date_col``: a column of dates of service (date, or ``YYYY-MM-DD`` text): each note is coded with the
    ICD-10-CM release in force that day (null, or no column: the one in force today), and ``code_set`` names it.
    ``home`` is a folder every executor can read (default: the driver's chartcoder home); with
    ``ship=True`` its code set and model pack are copied to the executors instead (:func:`ship_home`).
    ``model`` None is the champion of the home's registry now. Partitioning is the caller's: a few
    partitions per core keep every core busy.
    """
    functions = _pyspark_functions()
    _check_setting(setting)
    _check_columns(df, text_col, id_col, setting_col, date_col)
    notes = df.select(
        _string_column(functions, id_col).alias("id"),
        functions.col(text_col).alias("text"),
        _string_column(functions, setting_col).alias("setting"),
        _string_column(functions, date_col).alias("date_of_service"),
    )
    executor_home, model_id, models_dir = _placement(df.sparkSession, home, model, ship)
    job = _Job(executor_home, model_id, setting, top, source="records", output="rows", models_dir=models_dir)
    return notes.mapInPandas(partial(_code_partition, job), RESULT_SCHEMA)


ENCOUNTER_RESULT_SCHEMA = "encounter_id string, model string, code_set string, json string, error string"
# Columns an encounter's documents may carry besides the document's own (the same on every row of one encounter).
_ENCOUNTER_COLUMNS = ("patient_id", "age", "sex", "admission_date", "discharge_date", "setting")


def suggest_encounters(
    df: DataFrame,
    encounter_col: str = "encounter_id",
    model: str | None = None,
    home: Path | str | None = None,
    *,
    ship: bool = False,
) -> DataFrame:
    """One row per encounter, in :data:`ENCOUNTER_RESULT_SCHEMA`, lazily: ``json`` is the encounter's code set
    as ``chartcoder batch`` writes it (:meth:`suggest.encounter_types.EncounterSuggestions.to_dict`), or
    ``error`` says why the encounter could not be coded.

    ``df`` has one row per document: ``encounter_col``, ``document_id``, ``type``, ``text``, optionally
    ``date`` and the encounter's ``patient_id``, ``age``, ``sex``, ``admission_date``, ``discharge_date``,
    ``setting`` (dates as YYYY-MM-DD strings). Spark groups the rows of each encounter wherever they are.
    """
    functions = _pyspark_functions()
    for name in (encounter_col, "document_id", "type", "text"):
        if name not in df.columns:
            raise ValueError(f"The DataFrame has no column {name!r} (the documents of encounters need it).")
    optional = [name for name in ("date", *_ENCOUNTER_COLUMNS) if name in df.columns]
    documents = df.select(
        functions.col(encounter_col).cast("string").alias("encounter_id"),
        functions.col("document_id").cast("string").alias("document_id"),
        functions.col("type").cast("string").alias("type"),
        functions.col("text"),
        *[functions.col(name).cast("long" if name == "age" else "string").alias(name) for name in optional],
    )
    executor_home, model_id, models_dir = _placement(df.sparkSession, home, model, ship)
    job = _Job(executor_home, model_id, "outpatient", None, source="records", output="rows", models_dir=models_dir)
    return documents.groupBy("encounter_id").applyInPandas(partial(_code_encounter_group, job), ENCOUNTER_RESULT_SCHEMA)


def explode_suggestions(df: DataFrame) -> DataFrame:
    """One row per suggested code: the note's columns, then rank, code, description, score, billable,
    evidence (array of start, end, text, section, assertion), flags, rationale, role, poa, proposed,
    replaces (the guideline layer's fields, as :meth:`suggest.types.Suggestion.to_dict`) and hcc (array of hcc,
    label: the code's CMS-HCC V28 categories). Notes with an error or no suggestion have no row."""
    functions = _pyspark_functions()
    note_columns = [name for name in df.columns if name not in ("suggestions", "excluded", "documentation", "error")]
    exploded = df.select(*note_columns, functions.explode("suggestions").alias("suggestion"))
    return exploded.select(*note_columns, "suggestion.*")


def ship_home(spark: SparkSession, home: Path | str | None = None, model: str | None = None) -> str:
    """Copy what an engine needs from ``home`` to every executor; returns the ``home`` to pass on.

    Staged: ``codeset/``, the term-table cache and the pack of ``model`` (None: the champion) from the
    home's registry. Never the database or anything else in the home (it may hold note text). Shipped once
    per SparkContext, home and model.
    """
    _pyspark_functions()
    folder = _driver_home(home)
    model_id = _pinned_model(folder, model)
    key = (id(spark.sparkContext), str(folder), model_id)
    if key not in _shipped_homes:
        stage = _stage_home(folder, model_id)
        spark.sparkContext.addFile(str(stage), recursive=True)
        _shipped_homes[key] = _SHIPPED + stage.name
        _shipped_models[_shipped_homes[key]] = model_id
    return _shipped_homes[key]


@contextmanager
def spark_session(master: str | None = None, *, app_name: str = "chartcoder", ui: bool = True) -> Iterator[Any]:
    """A SparkSession for chartcoder: the active one if there is one (left running), else a new one
    (stopped on exit). ``master`` None: spark-submit's master when launched by it, else ``local[*]``."""
    _pyspark_functions()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    builder = SparkSession.builder.appName(app_name)
    launched_by_spark_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    if master is not None or not launched_by_spark_submit:
        master = master or "local[*]"
        builder = builder.master(master)
        if master.startswith("local"):
            # Local workers are children of this process: run them on this interpreter (it has chartcoder)
            # and keep Spark off the network.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        builder.config("spark.ui.enabled", "true" if ui else "false")
        .config("spark.ui.showConsoleProgress", "true")
        .config("spark.python.worker.reuse", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(_ARROW_BATCH_ROWS))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("WARN")
    try:
        yield session
    finally:
        session.stop()


def run_spark_batch(
    source: Path | str,
    output: Path | str,
    *,
    master: str | None = None,
    home: Path | str | None = None,
    model: str | None = None,
    default_setting: str = "outpatient",
    top: int | None = None,
    on_error: Callable[[dict[str, Any]], None] | None = None,
    on_start: Callable[[str | None], None] | None = None,
) -> BatchSummary:
    """``chartcoder batch --engine spark``: open a session, :func:`code_file`, stop the session.

    On a non-local master the home is shipped (:func:`ship_home`): the driver's folder may not be shared.
    ``on_start`` receives the Spark UI's URL (None when the UI is off), where progress is shown.
    """
    with spark_session(master, app_name="chartcoder-batch") as spark:
        if on_start is not None:
            on_start(spark.sparkContext.uiWebUrl)
        ship = not spark.sparkContext.master.startswith("local")
        return code_file(
            spark,
            source,
            output,
            home=home,
            model=model,
            default_setting=default_setting,
            top=top,
            on_error=on_error,
            ship=ship,
        )


def code_file(
    spark: SparkSession,
    source: Path | str,
    output: Path | str,
    *,
    home: Path | str | None = None,
    model: str | None = None,
    default_setting: str = "outpatient",
    top: int | None = None,
    on_error: Callable[[dict[str, Any]], None] | None = None,
    ship: bool = False,
) -> BatchSummary:
    """Code a JSONL file (``{"id", "text", "setting"?, "date_of_service"?}`` per line) or a Parquet dataset
    (columns ``text``, ``id``?, ``setting``?, ``date_of_service``?) into JSONL or Parquet, chosen by each path's
    extension; each note is coded with the release in force on its date of service.

    JSONL output is byte for byte what ``chartcoder batch`` writes for the same input: one line per
    non-blank input line, in order, bad lines as ``{"note_id", "line", "error"}``. It is assembled on the
    driver from Parquet parts that Spark writes beside it, so ``output``'s folder must be one the executors
    can write (always so in local mode). Parquet output is a Spark dataset folder with the columns of
    :data:`RESULT_SCHEMA` plus ``line`` (a Parquet dataset read back has no order: sort by ``line``).
    ``on_error`` receives each bad line's record.
    """
    functions = _pyspark_functions()
    source_format, output_format = _file_format(source), _file_format(output)
    _check_setting(default_setting)
    executor_home, model_id, models_dir = _placement(spark, home, model, ship)
    previous_split = spark.conf.get(_SPLIT_BYTES)
    try:
        target = max(1, spark.sparkContext.defaultParallelism * _PARTITIONS_PER_CORE)
        # The same split size for the numbering pass and the coding pass: both must see the same partitions.
        spark.conf.set(_SPLIT_BYTES, str(_split_bytes(source, target)))
        notes = _read_notes(spark, functions, str(source), source_format)
        numbered = _in_order_partitions(_with_line_numbers(notes, functions), target)
        job = _Job(
            executor_home,
            model_id,
            default_setting,
            top,
            source="jsonl" if source_format == "jsonl" else "records",
            output="lines" if output_format == "jsonl" else "rows",
            numbered=True,
            restore_bom=source_format == "jsonl" and _starts_with_bom(source),
            models_dir=models_dir,
        )
        schema = _JSON_LINE_SCHEMA if output_format == "jsonl" else _NUMBERED_RESULT_SCHEMA
        coded = numbered.mapInPandas(partial(_code_partition, job), schema)
        if output_format == "parquet":
            coded.write.mode("overwrite").parquet(str(output))
            return _parquet_summary(spark, functions, str(output), on_error)
        return _write_jsonl(coded, Path(output), on_error)
    finally:
        if previous_split is None:
            spark.conf.unset(_SPLIT_BYTES)
        else:
            spark.conf.set(_SPLIT_BYTES, previous_split)


# --- what runs on the executors -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Job:
    """Everything a worker needs besides the data; pickled into each task (small: no engine inside)."""

    home: str | None
    model: str | None
    default_setting: str
    top: int | None
    source: Literal["records", "jsonl"]  # columns id/text/setting, or raw JSONL bytes
    output: Literal["rows", "lines"]  # RESULT_SCHEMA rows, or the single-process batch's JSON lines
    numbered: bool = False  # the input carries a ``line`` column (code_file)
    restore_bom: bool = False  # the JSONL file starts with a UTF-8 BOM, which Hadoop's reader drops
    # The model registry's folder as the driver's settings name it; None: ``<home>/models`` of the home as the
    # executor sees it (a shipped copy holds its pack there). Executors never read settings of their own.
    models_dir: str | None = None


# One engine per Python worker process, reused by every task the worker runs, in the process cache every
# engine process uses (suggest.engine_pool), keyed by (home, model): only the latest is kept (an engine is
# ~600 MB and a worker rarely needs two). _worker_loads: how many times this process loaded each (1 per
# worker per (home, model): a test checks it).
_Engines = BatchEngine | ReleaseEngines  # a worker's engines: one per release in use (a test's own engine: one)
_worker_engines: dict[Hashable, Any] = engine_pool._engines
_worker_loads: dict[Hashable, int] = engine_pool._loads
# The driver's record of what it shipped: (SparkContext, home, model) -> token, and token -> model.
_shipped_homes: dict[tuple[int, str, str], str] = {}
_shipped_models: dict[str, str] = {}


def _worker_engine(home: str | None, model: str | None, models_dir: str | None = None) -> _Engines:
    local_home = _local_home(home)
    if models_dir is not None:
        registry: Path | None = Path(models_dir)
    else:
        registry = local_home / "models" if local_home is not None else None
    spec = EngineSpec(home=local_home, model=model, models_dir=registry)
    return engine_pool.process_engine((home, model), spec.load_releases)  # one engine per release in use


def _local_home(home: str | None) -> Path | None:
    if home is None:
        return None
    if home.startswith(_SHIPPED):
        from pyspark import SparkFiles

        return Path(SparkFiles.get(home[len(_SHIPPED) :]))
    return Path(home)


def _code_partition(job: _Job, frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """mapInPandas body: Arrow batches of notes in, the same number of result rows out (bar blank lines)."""
    import pandas as pd

    engine = _worker_engine(job.home, job.model, job.models_dir)
    columns = _output_columns(job)
    for frame in frames:
        for start in range(0, len(frame), _ROWS_PER_SLICE):
            lines = _batch_lines(frame.iloc[start : start + _ROWS_PER_SLICE], job)
            if not lines:
                continue
            records = _code_slice(engine, lines, job.top)
            rows = [_output_row(job, line, record, engine) for line, record in zip(lines, records, strict=True)]
            yield pd.DataFrame(rows, columns=columns)


def _code_encounter_group(job: _Job, frame: pd.DataFrame) -> pd.DataFrame:
    """applyInPandas body: the rows of one encounter in, its one result row out (an error row for bad input)."""
    import pandas as pd

    from suggest.encounter import code_encounter
    from suggest.encounter_input import encounter_from_records

    engines = _worker_engine(job.home, job.model, job.models_dir)
    engine = engines
    records = [
        (number, {name: _cell(name, value) for name, value in row.items() if _present(value) is not None})
        for number, row in enumerate(frame.to_dict("records"), start=1)
    ]
    encounter_id = records[0][1].get("encounter_id") if records else None
    try:
        encounter = encounter_from_records(records)
        if isinstance(engines, ReleaseEngines):  # the release in force on the encounter's date of service
            engine, _ = engines.engine_for(encounter.service_date)
        result = code_encounter(engine, encounter)  # type: ignore[arg-type]
        row = {"json": json.dumps(result.to_dict(), ensure_ascii=False), "error": None}
    except EngineError as error:  # the encounter's fault (a NoteError): its row says why
        row = {"json": None, "error": str(error)}
    except Exception as error:  # a bug: one error row, never a failed job; the message could quote a note
        row = {"json": None, "error": f"internal error while coding this encounter ({type(error).__name__})"}
    return pd.DataFrame(
        [{"encounter_id": encounter_id, "model": engine.model_id, "code_set": engine.code_set, **row}],
        columns=["encounter_id", "model", "code_set", "json", "error"],
    )


def _cell(name: str, value: Any) -> Any:
    """A document row's value as a JSON record has it (pandas gives a nullable integer column as floats)."""
    if name == "age" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _code_slice(engine: _Engines, lines: list[BatchLine], top: int | None) -> list[dict[str, Any]]:
    """The single-process batch's records for these lines (its own code: the same results by construction).

    A note that trips a bug in the engine (not a NoteError, which is already a record) must not fail the
    task, and with it the job, after Spark's retries: the slice is coded again note by note, and that note
    alone gets an error record. The exception's message is left out: it could quote the note.
    """
    if any(line.encounter_id is not None for line in lines):
        # Spark cuts a file into line ranges, which may split an encounter: its lines are refused, never coded
        # one by one as encounters of a document each.
        return [
            _encounter_line_refused(line) if line.encounter_id is not None else record
            for line, record in zip(lines, _code_slice(engine, [_plain(line) for line in lines], top), strict=True)
        ]
    try:
        return list(code_lines(lines, EngineSpec(), workers=1, top=top, engine=engine))
    except Exception:
        return [_code_alone(engine, line, top) for line in lines]


def _plain(line: BatchLine) -> BatchLine:
    """An encounter line as a placeholder note line (its result is replaced by the refusal)."""
    if line.encounter_id is None:
        return line
    return BatchLine(line.number, None, None, line.setting, "encounter")


def _encounter_line_refused(line: BatchLine) -> dict[str, Any]:
    return {
        "encounter_id": line.encounter_id,
        "line": line.number,
        "error": "encounters are coded by chartcoder batch --engine local or suggest.spark.suggest_encounters",
    }


def _code_alone(engine: _Engines, line: BatchLine, top: int | None) -> dict[str, Any]:
    try:
        return next(iter(code_lines([line], EngineSpec(), workers=1, top=top, engine=engine)))
    except Exception as error:
        message = f"internal error while coding this note ({type(error).__name__}); please report it"
        return {"note_id": line.note_id, "line": line.number, "error": message}


def _batch_lines(frame: pd.DataFrame, job: _Job) -> list[BatchLine]:
    numbers = frame["line"].tolist() if job.numbered else [0] * len(frame)
    if job.source == "jsonl":
        # Blank lines get no output line in the single-process batch either (their numbers still count).
        return [
            parse_line(int(number), _restored(bytes(raw), int(number), job), job.default_setting)
            for number, raw in zip(numbers, frame["raw"].tolist(), strict=True)
            if raw is not None and bytes(raw).strip()
        ]
    return [
        dated_line(
            _record_line(int(number), _present(note_id), _present(text), _present(setting), job.default_setting),
            _present(day),
        )
        for number, note_id, text, setting, day in zip(
            numbers,
            frame["id"].tolist(),
            frame["text"].tolist(),
            frame["setting"].tolist(),
            frame["date_of_service"].tolist() if "date_of_service" in frame else [None] * len(frame),
            strict=True,
        )
    ]


def _restored(raw: bytes, number: int, job: _Job) -> bytes:
    """Line 1 as the file has it: the single-process batch reports a BOM as invalid JSON, so must this."""
    return _UTF8_BOM + raw if job.restore_bom and number == 1 else raw


def _record_line(number: int, note_id: Any, text: Any, setting: Any, default_setting: str) -> BatchLine:
    """A DataFrame row as a BatchLine, with the checks and messages of ``suggest.batch.parse_line``."""
    note_id = None if note_id is None else str(note_id)
    chosen = setting or default_setting
    if not isinstance(text, str):
        return BatchLine(number, note_id, None, chosen, "'text' is missing or not a string")
    if chosen not in SETTINGS:
        return BatchLine(number, note_id, None, chosen, f"unknown setting {chosen!r}")
    return BatchLine(number, note_id, text, chosen)


def _present(value: Any) -> Any:
    """None for Spark's null as pandas may show it (None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _output_columns(job: _Job) -> list[str]:
    if job.output == "lines":
        return ["line", "error", "json"]
    columns = ["id", "setting", "model", "code_set", "suggestions", "excluded", "documentation", "error"]
    return [*columns[:1], "line", *columns[1:]] if job.numbered else columns


def _output_row(job: _Job, line: BatchLine, record: dict[str, Any], engine: _Engines) -> dict[str, Any]:
    error = record.get("error")
    if job.output == "lines":
        return {"line": line.number, "error": error, "json": json.dumps(record, ensure_ascii=False)}
    row: dict[str, Any] = {
        "id": line.note_id,
        "setting": line.setting if error is not None else record["setting"],
        "model": engine.model_id if error is not None else record["model"],  # each release may have its own
        "code_set": engine.code_set if error is not None else record["code_set"],
        "suggestions": None if error is not None else record["suggestions"],
        "excluded": None if error is not None else record["excluded"],
        "documentation": None if error is not None else record["documentation"],
        "error": error,
    }
    if job.numbered:
        row["line"] = line.number
    return row


# --- the driver's side --------------------------------------------------------------------------------
def _check_setting(setting: str) -> None:
    if setting not in SETTINGS:
        raise SettingError(Errors.E004.format(setting=setting))


def _check_columns(
    df: DataFrame, text_col: str, id_col: str | None, setting_col: str | None, date_col: str | None = None
) -> None:
    types = dict(df.dtypes)
    for role, name in (("text", text_col), ("id", id_col), ("setting", setting_col), ("date", date_col)):
        if name is not None and name not in types:
            raise EngineError(f"The DataFrame has no {role} column {name!r}; its columns are {sorted(types)}.")
    if types[text_col] != "string":
        raise EngineError(f"The text column {text_col!r} must be a string column, not {types[text_col]}.")


def _placement(
    spark: SparkSession, home: Path | str | None, model: str | None, ship: bool
) -> tuple[str, str | None, str | None]:
    """(the ``home`` each worker loads from: a path or a token naming a shipped copy, the pinned model, the
    registry folder when it is not the executor's ``<home>/models``)."""
    if isinstance(home, str) and home.startswith(_SHIPPED):  # from ship_home: its copy has its model
        return home, model if model is not None else _shipped_models.get(home), None
    folder = _driver_home(home)
    model_id = _pinned_model(folder, model)
    if ship:
        return ship_home(spark, folder, model_id), model_id, None
    from models.registry import registry_folder

    return str(folder), model_id, str(registry_folder(folder).absolute())


def _driver_home(home: Path | str | None) -> Path:
    folder = Path(home).expanduser().absolute() if home is not None else default_home().absolute()
    read_manifest(codeset_folder(folder))  # fail here, once, rather than in every task
    return folder


def _pinned_model(home: Path, model: str | None) -> str:
    """``model``, or the champion now (the zero-shot model when there is none)."""
    if model is not None:
        return model
    from models.registry import ModelRegistry

    return ModelRegistry.for_home(home).champion() or ZERO_SHOT_MODEL


def _stage_home(home: Path, model_id: str) -> Path:
    """A folder holding the parts of ``home`` an engine reads, hard-linked where possible (no copy)."""
    from models.registry import REGISTRY_FILE, registry_folder

    root = Path(tempfile.mkdtemp(prefix="chartcoder-ship-"))
    atexit.register(shutil.rmtree, root, True)
    stage = root / f"chartcoder-home-{uuid.uuid4().hex[:12]}"
    stage.mkdir()
    shutil.copytree(home / "codeset", stage / "codeset", copy_function=_link_or_copy)
    registry = registry_folder(home)
    if (registry / model_id).is_dir():  # the pinned pack only: a registry may hold many
        shutil.copytree(registry / model_id, stage / "models" / model_id, copy_function=_link_or_copy)
        if (registry / REGISTRY_FILE).is_file():
            _link_or_copy(registry / REGISTRY_FILE, stage / "models" / REGISTRY_FILE)
    tables = sorted((home / "cache").glob("term-table-*/")) if (home / "cache").is_dir() else []
    for table in tables:
        shutil.copytree(table, stage / "cache" / table.name, copy_function=_link_or_copy)
    return stage


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    # Artifacts are replaced by rename, never rewritten in place, so a hard link is a safe snapshot.
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _file_format(path: Path | str) -> Literal["jsonl", "parquet"]:
    suffix = Path(str(path).rstrip("/")).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise EngineError(f"{path}: expected a .jsonl or .parquet path (the format is chosen by the extension).")


def _starts_with_bom(source: Path | str) -> bool:
    path = Path(str(source))
    if not path.is_file():
        return False  # a folder or a remote path: Spark's reader drops each file's BOM, as here
    with path.open("rb") as stream:
        return stream.read(len(_UTF8_BOM)) == _UTF8_BOM


def _split_bytes(source: Path | str, target_partitions: int) -> int:
    """Split size giving about ``target_partitions`` splits of a local input (Spark's default is 128 MB)."""
    path = Path(str(source))
    if path.is_file():
        size = path.stat().st_size
    elif path.is_dir():
        size = sum(part.stat().st_size for part in path.rglob("*") if part.is_file())
    else:
        return 128 * 1024 * 1024  # not a local path: Spark's default
    return max(_MIN_SPLIT_BYTES, math.ceil(size / target_partitions))


def _read_notes(spark: SparkSession, functions: ModuleType, source: str, source_format: str) -> DataFrame:
    if source_format == "jsonl":
        # Lines split on \n only, as Python's file iteration does; the cast keeps the raw bytes (Spark does
        # not validate UTF-8), so a bad line gets the same "not UTF-8" error as in the single-process batch.
        lines = spark.read.option("lineSep", "\n").text(source)
        return lines.select(functions.col("value").cast("binary").alias("raw"))
    table = spark.read.parquet(source)
    _check_columns(table, "text", None, None)
    present = set(table.columns)
    return table.select(
        _string_column(functions, "id" if "id" in present else None).alias("id"),
        functions.col("text"),
        _string_column(functions, "setting" if "setting" in present else None).alias("setting"),
        _string_column(functions, "date_of_service" if "date_of_service" in present else None).alias("date_of_service"),
    )


def _string_column(functions: ModuleType, name: str | None) -> Any:
    """The column as strings (ids may be numbers), or a null column where there is none."""
    return functions.col(name).cast("string") if name else functions.lit(None).cast("string")


def _with_line_numbers(notes: DataFrame, functions: ModuleType) -> DataFrame:
    """Add ``line``: the 1-based position of each row in the input, computed in the JVM (one count pass).

    ``monotonically_increasing_id`` is the partition index in the upper bits and the row's position within
    its partition in the lower 33; the rows before a partition come from a count per partition.
    """
    tagged = notes.withColumn("_partition", functions.spark_partition_id()).withColumn(
        "_id", functions.monotonically_increasing_id()
    )
    counts = {row["_partition"]: row["count"] for row in tagged.groupBy("_partition").count().collect()}
    if not counts:
        return tagged.withColumn("line", functions.lit(0).cast("long")).drop("_partition", "_id")
    offsets, total = [], 0
    for partition in range(max(counts) + 1):
        offsets.append(total)
        total += counts.get(partition, 0)
    first_line = functions.element_at(
        functions.array(*[functions.lit(offset).cast("long") for offset in offsets]),
        functions.col("_partition") + 1,
    )
    position = functions.col("_id").bitwiseAND((1 << 33) - 1)
    return tagged.withColumn("line", first_line + position + 1).drop("_partition", "_id")


def _in_order_partitions(numbered: DataFrame, target: int) -> DataFrame:
    """At least ``target`` partitions, still in line order: range partitions are sorted by their bounds,
    and sorting within each makes the order global, so no sort is needed after the (costly) coding."""
    if numbered.rdd.getNumPartitions() >= target:
        return numbered
    return numbered.repartitionByRange(target, "line").sortWithinPartitions("line")


def _write_jsonl(coded: DataFrame, output: Path, on_error: Callable[[dict[str, Any]], None] | None) -> BatchSummary:
    """Spark writes the lines as Parquet parts beside ``output``; the driver joins them in order."""
    import pyarrow.parquet as parquet

    parts = output.parent / f".{output.name}.spark-{uuid.uuid4().hex[:8]}"
    summary = BatchSummary()
    try:
        coded.write.parquet(str(parts))
        with output.open("w", encoding="utf-8") as sink:
            # Part files are named by partition index, and each holds its partition's rows in order.
            for part in sorted(parts.glob("part-*.parquet"), key=_partition_index):
                for batch in parquet.ParquetFile(part).iter_batches(columns=["error", "json"]):
                    for error, line in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
                        _count(summary, error, line, on_error)
                        sink.write(line + "\n")
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    return summary


def _partition_index(part: Path) -> int:
    """``part-00012-<uuid>-c000.snappy.parquet`` -> 12 (a name sort breaks past 99,999 partitions)."""
    return int(part.name.split("-")[1])


def _count(summary: BatchSummary, error: str | None, line: str, on_error: Callable[[dict], None] | None) -> None:
    summary.lines += 1
    if error is None:
        summary.coded += 1
        return
    summary.failed += 1
    if on_error is not None:
        on_error(json.loads(line))


def _parquet_summary(
    spark: SparkSession, functions: ModuleType, output: str, on_error: Callable[[dict[str, Any]], None] | None
) -> BatchSummary:
    written = spark.read.parquet(output)
    counts = written.select(functions.count("*"), functions.count("error")).first()
    lines, failed = (counts[0], counts[1]) if counts is not None else (0, 0)
    if on_error is not None and failed:
        errors = written.where(functions.col("error").isNotNull()).select("id", "line", "error").orderBy("line")
        for row in errors.toLocalIterator():
            on_error({"note_id": row["id"], "line": row["line"], "error": row["error"]})
    return BatchSummary(lines=lines, coded=lines - failed, failed=failed)
