"""Batch coding of JSONL notes: streamed, in order, one output line per input line, bad lines reported.

Input lines are ``{"id", "text", "setting"?, "date_of_service"?}`` (``YYYY-MM-DD``: the note is coded with the
ICD-10-CM release in force that day, :mod:`suggest.releases`; without it, the one in force today); each output
line is the engine's JSON for that note, or
``{"note_id", "line", "error"}`` for a line that cannot be coded. Memory stays constant: lines are read,
coded and written in chunks, and with several workers only a bounded window of chunks is in flight.

Encounters: consecutive lines with the same ``encounter_id`` are the documents of one encounter
(``{"encounter_id", "document_id", "type", "text", "date"?}`` and the encounter's fields, see
:mod:`suggest.encounter_input`), coded together into one output line, the encounter's JSON
(:meth:`suggest.encounter_types.EncounterSuggestions.to_dict`) with ``lines`` (its first and last line); or
``{"encounter_id", "line", "error"}``. An encounter's lines must be consecutive: an id seen again after other
lines is an error line.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from suggest.encounter import code_encounter
from suggest.encounter_input import encounter_from_records
from suggest.engine_pool import EnginePool, EngineSpec
from suggest.engine_protocol import BatchEngine
from suggest.errors import NoteError
from suggest.releases import ReleaseEngines
from suggest.types import SETTINGS
from vocab.releases import ReleaseDateError, parse_service_date

__all__ = ["BatchLine", "BatchSummary", "EngineSpec", "code_lines", "dated_line", "parse_line", "run_batch"]

_CHUNK = 32


@dataclass(frozen=True, slots=True)
class BatchLine:
    number: int
    note_id: str | None
    text: str | None
    setting: str
    error: str | None = None
    date_of_service: str | None = None
    encounter_id: str | None = None  # a document of this encounter (``record`` holds its fields)
    record: dict[str, Any] | None = None


@dataclass
class BatchSummary:
    lines: int = 0
    coded: int = 0
    failed: int = 0


def parse_line(number: int, raw: bytes, default_setting: str = "outpatient") -> BatchLine:
    """One input line -> a :class:`BatchLine`; never raises: problems become ``error``."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        return BatchLine(number, None, None, default_setting, f"not UTF-8 (byte {error.start})")
    except json.JSONDecodeError as error:
        return BatchLine(number, None, None, default_setting, f"not valid JSON: {error.msg} (column {error.colno})")
    if not isinstance(record, dict):
        return BatchLine(number, None, None, default_setting, "expected a JSON object with 'id' and 'text'")
    if record.get("encounter_id") is not None:
        encounter_id = str(record["encounter_id"])
        return BatchLine(number, None, None, default_setting, encounter_id=encounter_id, record=record)
    note_id = record.get("id")
    note_id = None if note_id is None else str(note_id)
    text = record.get("text")
    setting = record.get("setting") or default_setting
    if not isinstance(text, str):
        return BatchLine(number, note_id, None, default_setting, "'text' is missing or not a string")
    if setting not in SETTINGS:
        return BatchLine(number, note_id, None, default_setting, f"unknown setting {setting!r}")
    return dated_line(BatchLine(number, note_id, text, setting), record.get("date_of_service"))


def dated_line(line: BatchLine, date_of_service: object) -> BatchLine:
    """``line`` with its date of service, or with an error naming a value that is not a date."""
    if date_of_service is None or date_of_service == "":
        return line
    try:
        day = parse_service_date(date_of_service if isinstance(date_of_service, str) else repr(date_of_service))
    except ReleaseDateError as error:
        return replace(line, text=None, error=f"'date_of_service': {error}")
    return replace(line, date_of_service=day.isoformat() if day else None)


def _code_chunk(engine: BatchEngine | ReleaseEngines, chunk: list[BatchLine], top: int | None) -> list[dict[str, Any]]:
    if chunk and chunk[0].encounter_id is not None:
        return [_code_encounter_lines(engine, chunk)]
    valid = [line for line in chunk if line.error is None]
    if isinstance(engine, ReleaseEngines):
        dated = ((line.note_id, line.text or "", line.setting, line.date_of_service) for line in valid)
        results = iter(engine.suggest_many(dated, top=top))
    else:  # one engine, one release (a caller's own engine): the dates cannot change it
        results = iter(engine.suggest_many(((line.note_id, line.text or "", line.setting) for line in valid), top=top))
    out = []
    for line in chunk:
        if line.error is not None:
            out.append({"note_id": line.note_id, "line": line.number, "error": line.error})
            continue
        result = next(results)
        if isinstance(result, NoteError):
            out.append({"note_id": line.note_id, "line": line.number, "error": str(result)})
        else:
            out.append(result.to_dict())
    return out


def _code_encounter_lines(engine: BatchEngine | ReleaseEngines, lines: list[BatchLine]) -> dict[str, Any]:
    """One encounter's lines -> its JSON line, or its error line (naming the encounter and the line). The
    encounter is coded with the release in force on its date of service (discharge date, else its latest
    document's date)."""
    first = lines[0]
    if first.error is not None:
        return {"encounter_id": first.encounter_id, "line": first.number, "error": first.error}
    try:
        encounter = encounter_from_records([(line.number, line.record or {}) for line in lines])
        if isinstance(engine, ReleaseEngines):
            engine, _ = engine.engine_for(encounter.service_date)
        result = code_encounter(engine, encounter)  # type: ignore[arg-type]  # an Engine codes documents
    except NoteError as error:
        return {"encounter_id": first.encounter_id, "line": first.number, "error": str(error)}
    return {**result.to_dict(), "lines": [first.number, lines[-1].number]}


def _chunks(lines: Iterable[BatchLine]) -> Iterator[list[BatchLine]]:
    """Chunks of note lines; each encounter (its consecutive lines) a chunk of its own."""
    chunk: list[BatchLine] = []
    group: list[BatchLine] = []
    finished: set[str] = set()
    for line in lines:
        if group and line.encounter_id != group[0].encounter_id:
            finished.add(group[0].encounter_id or "")
            yield group
            group = []
        if line.encounter_id is None:
            chunk.append(line)
            if len(chunk) >= _CHUNK:
                yield chunk
                chunk = []
            continue
        if chunk:
            yield chunk
            chunk = []
        if line.encounter_id in finished:
            problem = f"encounter {line.encounter_id!r} appeared before: an encounter's lines must be consecutive"
            yield [BatchLine(line.number, None, None, line.setting, problem, encounter_id=line.encounter_id)]
            continue
        group.append(line)
    if group:
        yield group
    if chunk:
        yield chunk


def code_lines(
    lines: Iterable[BatchLine],
    spec: EngineSpec,
    workers: int = 1,
    top: int | None = None,
    engine: BatchEngine | ReleaseEngines | None = None,
) -> Iterator[dict[str, Any]]:
    """Results in input order; with ``workers > 1`` a bounded window of chunks runs in a process pool. Each note
    is coded with the release in force on its date of service (``spec``'s engines, one per release in use)."""
    if workers <= 1:
        engine = engine or spec.load_releases()
        for chunk in _chunks(lines):
            yield from _code_chunk(engine, chunk, top)
        return
    with EnginePool(spec.load_releases, workers) as pool:
        window: deque = deque()
        for chunk in _chunks(lines):
            window.append(pool.submit(_code_chunk, chunk, top))
            if len(window) >= 2 * workers:
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()


def read_lines(
    stream: BinaryIO, default_setting: str, on_bytes: Callable[[int], None] | None = None
) -> Iterator[BatchLine]:
    for number, raw in enumerate(stream, start=1):
        if on_bytes is not None:
            on_bytes(len(raw))
        if raw.strip():
            yield parse_line(number, raw, default_setting)


def run_batch(
    source: BinaryIO,
    sink: Any,
    spec: EngineSpec,
    workers: int = 1,
    default_setting: str = "outpatient",
    top: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
    on_error: Callable[[dict[str, Any]], None] | None = None,
    engine: BatchEngine | ReleaseEngines | None = None,
) -> BatchSummary:
    """Code every line of ``source`` into ``sink`` (text stream), one JSON line each."""
    summary = BatchSummary()
    for record in code_lines(read_lines(source, default_setting, on_bytes), spec, workers, top, engine):
        summary.lines += 1
        if "error" in record:
            summary.failed += 1
            if on_error is not None:
                on_error(record)
        else:
            summary.coded += 1
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    return summary
