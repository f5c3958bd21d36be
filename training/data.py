"""Labeled notes for training and evaluation, read as streams with every problem reported.

Three layouts are read:

* JSON Lines, one note a line: ``{"id": "n1", "text": "...", "codes": ["E11.9"], "rejected": [...],
  "setting": "outpatient"}`` (``rejected`` and ``setting`` optional; ``id`` defaults to ``line-<n>``).
* The coder-notes JSON Lines (``../shared/data/coder_notes``): ``{"id", "setting", "text", "principal",
  "core": [...], "optional": [...], "must_not": [...], ...}``, told apart by its ``core`` field. ``core`` (in
  reporting order) becomes the note's gold ``codes``; ``principal`` defaults to ``core[0]``; ``must_not``
  entries may be categories or subcategories (``"E11.3"`` rules out every E11.3- code). Other fields
  (``document``, ``specialty``, ``reasoning``) are not read.
* CodiEsp: ``D.tsv`` (``articleID<TAB>code``, lower-case dotted codes) and ``text_en/<articleID>.txt``.
  Only diagnosis (D) codes are read.

Nothing questionable is learned silently. A malformed line (bad JSON, no text, text that is not a string,
bytes that are not UTF-8, ...) is skipped and reported with its line number; a code that is not code-shaped,
or (given a code set) not in the code set, is dropped from its note and reported. Problems go into a
:class:`DataReport` that the caller reads after iterating::

    reader = JsonlReader(path, codeset)
    notes = list(reader)
    print(reader.report.summary())

A file or folder that does not exist, or that yields no note at all, raises :class:`TrainingDataError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suggest.types import SETTINGS, Setting
from vocab.codes import normalize_code
from vocab.codeset import CodeSet
from vocab.errors import ChartcoderError, InvalidCodeError

__all__ = [
    "CodiespReader",
    "DataIssue",
    "DataReport",
    "JsonlReader",
    "LabeledNote",
    "TrainingDataError",
    "read_codiesp",
    "read_jsonl",
]

# How many characters of an offending value an issue quotes: enough to recognise it, never a note's text.
_QUOTE_LIMIT = 40


class TrainingDataError(ChartcoderError, ValueError):
    """A labeled data set cannot be used at all: missing, not the expected layout, or without a single note."""


@dataclass(frozen=True, slots=True)
class LabeledNote:
    """One note with its gold codes (canonical dotted form, in file order, without duplicates).

    ``rejected`` holds codes a reviewer turned down (negative labels); ``setting`` is None when the source
    does not say, and the evaluation then uses its own default.

    A note coded by a certified coder (the coder-notes layout) also has its ``principal`` (inpatient) or
    first-listed (outpatient) diagnosis, the ``optional`` codes a coder accepts by facility or payer policy,
    and the ``must_not`` codes, subcategories or categories that would be wrong for it; ``codes`` then holds
    the coder's ``core`` codes in reporting order.
    """

    id: str
    text: str
    codes: tuple[str, ...]
    rejected: tuple[str, ...] = ()
    setting: Setting | None = None
    principal: str | None = None
    optional: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()

    @property
    def coder_coded(self) -> bool:
        """Whether the note carries a coder's principal / optional / must-not judgement (coder-notes layout)."""
        return self.principal is not None


@dataclass(frozen=True, slots=True)
class DataIssue:
    """One problem found while reading: where (``"line 12"`` or a note id), the code if any, and why."""

    where: str
    code: str | None
    reason: str

    def __str__(self) -> str:
        code = f" {self.code}:" if self.code else ""
        return f"{self.where}:{code} {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "code": self.code, "reason": self.reason}


@dataclass
class DataReport:
    """What a reader read and what it left out; filled while the reader is iterated."""

    source: str
    notes: int = 0
    codes: int = 0
    category_codes: int = 0  # valid but non-billable codes kept as they are (CodiEsp gold has some)
    skipped_notes: int = 0
    skipped_codes: int = 0
    converted_codes: int = 0  # prior-release codes mapped to the current one through the conversion table
    issues: list[DataIssue] = field(default_factory=list)

    def note_skipped(self, where: str, reason: str) -> None:
        self.skipped_notes += 1
        self.issues.append(DataIssue(where, None, reason))

    def code_skipped(self, where: str, code: str, reason: str) -> None:
        self.skipped_codes += 1
        self.issues.append(DataIssue(where, code, reason))

    def summary(self, limit: int = 5) -> str:
        """One line of counts, then the first ``limit`` issues, one a line."""
        head = (
            f"{self.source}: {self.notes} notes, {self.codes} codes ({self.category_codes} category-level); "
            f"{len(self.issues)} issues: {self.skipped_notes} notes and {self.skipped_codes} codes skipped"
        )
        lines = [head, *(f"  {issue}" for issue in self.issues[:limit])]
        if len(self.issues) > limit:
            lines.append(f"  ... and {len(self.issues) - limit} more")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "notes": self.notes,
            "codes": self.codes,
            "category_codes": self.category_codes,
            "skipped_notes": self.skipped_notes,
            "skipped_codes": self.skipped_codes,
            "converted_codes": self.converted_codes,
            "issues": [issue.to_dict() for issue in self.issues],
        }


# --- codes ----------------------------------------------------------------------------------------------
def _quote(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 3] + "..."


def _clean_codes(
    raw_codes: Iterable[object], where: str, codeset: CodeSet | None, report: DataReport, *, gold: bool = True
) -> list[str]:
    """Normalised, de-duplicated codes; anything not code-shaped or not in ``codeset`` is reported and dropped.

    ``gold`` False (must-not entries, which are often categories): category-level codes are not counted.
    """
    cleaned: list[str] = []
    for raw in raw_codes:
        if not isinstance(raw, str):
            report.code_skipped(where, _quote(raw), "a code must be a string")
            continue
        try:
            code = normalize_code(raw)
        except InvalidCodeError:
            report.code_skipped(where, _quote(raw), "not an ICD-10-CM code (invalid shape)")
            continue
        if codeset is not None:
            code = current_code(code, codeset, report)
            known = codeset.codes.get(code)
            if known is None:
                report.code_skipped(where, code, f"not a code in ICD-10-CM {codeset.release}")
                continue
            if gold and not known.billable:
                report.category_codes += 1
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


def current_code(code: str, codeset: CodeSet, report: DataReport) -> str:
    """A code of an earlier release (a review stored under FY2026, training for FY2027) as the release's
    conversion table maps it, counted in ``report``; other codes as they are."""
    if code in codeset.codes:
        return code
    successor = codeset.successor(code)
    if successor is None:
        return code
    report.converted_codes += 1
    return successor


# --- JSON Lines -----------------------------------------------------------------------------------------
def _check_file(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise TrainingDataError(f"No such file: {path}")
    if not path.is_file():
        raise TrainingDataError(f"{path} is not a file.")
    return path


def _decode_line(raw: bytes, line_number: int) -> str:
    # A byte-order mark is tolerated on the first line only, where editors put it.
    encoding = "utf-8-sig" if line_number == 1 else "utf-8"
    return raw.decode(encoding)


def _parse_record(line: str, where: str, report: DataReport) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        report.note_skipped(where, f"not valid JSON ({error.msg} at column {error.colno})")
        return None
    if not isinstance(record, dict):
        report.note_skipped(where, f"expected a JSON object, found {type(record).__name__}")
        return None
    return record


def _record_to_note(
    record: dict[str, Any], line_number: int, codeset: CodeSet | None, report: DataReport
) -> LabeledNote | None:
    where = f"line {line_number}"
    text = record.get("text")
    if text is None:
        report.note_skipped(where, "no 'text' field")
        return None
    if not isinstance(text, str):
        report.note_skipped(where, f"'text' must be a string, not {type(text).__name__}")
        return None
    if not text.strip():
        report.note_skipped(where, "'text' is empty")
        return None
    note_id = record.get("id", f"line-{line_number}")
    if not isinstance(note_id, str | int) or isinstance(note_id, bool):
        report.note_skipped(where, f"'id' must be a string or a number, not {type(note_id).__name__}")
        return None
    setting = record.get("setting")
    if setting is not None and setting not in SETTINGS:
        report.note_skipped(where, f"unknown setting {_quote(setting)!r}: expected 'outpatient' or 'inpatient'")
        return None
    if "core" in record:
        if "codes" in record:
            report.note_skipped(where, "give either 'codes' or the coder-notes 'core' codes, not both")
            return None
        return _coder_note(record, str(note_id), text, setting, where, codeset, report)
    code_lists = _code_lists(record, (("codes", True), ("rejected", False)), where, report)
    if code_lists is None:
        return None
    codes = _clean_codes(code_lists["codes"], where, codeset, report)
    rejected = _clean_codes(code_lists["rejected"], where, codeset, report)
    return LabeledNote(id=str(note_id), text=text, codes=tuple(codes), rejected=tuple(rejected), setting=setting)


def _code_lists(
    record: dict[str, Any], keys: Iterable[tuple[str, bool]], where: str, report: DataReport
) -> dict[str, list[object]] | None:
    """The record's code lists by key (an optional one missing is empty); None, reported, when one is unusable."""
    code_lists: dict[str, list[object]] = {}
    for key, required in keys:
        value = record.get(key, None if required else [])
        if not isinstance(value, list):
            problem = f"no '{key}' field" if value is None else f"'{key}' must be a list of codes"
            report.note_skipped(where, problem)
            return None
        code_lists[key] = value
    return code_lists


def _coder_note(
    record: dict[str, Any],
    note_id: str,
    text: str,
    setting: Setting | None,
    where: str,
    codeset: CodeSet | None,
    report: DataReport,
) -> LabeledNote | None:
    """A note of the coder-notes layout: ``core`` is the gold, ``principal`` defaults to its first code."""
    keys = (("core", True), ("optional", False), ("must_not", False))
    code_lists = _code_lists(record, keys, where, report)
    if code_lists is None:
        return None
    core = _clean_codes(code_lists["core"], where, codeset, report)
    if not core:
        report.note_skipped(where, "no usable 'core' code")
        return None
    raw_principal = record.get("principal")
    if raw_principal is None:
        raw_principal = core[0]
    principals = _clean_codes([raw_principal], where, codeset, report, gold=False)  # counted in core
    if not principals:
        report.note_skipped(where, "no usable 'principal' code")
        return None
    if principals[0] != core[0]:
        # Kept as written (the principal metric reads it), but the file breaks its own rule: say so.
        report.issues.append(DataIssue(where, principals[0], "'principal' is not the first 'core' code"))
    return LabeledNote(
        id=note_id,
        text=text,
        codes=tuple(core),
        setting=setting,
        principal=principals[0],
        optional=tuple(_clean_codes(code_lists["optional"], where, codeset, report)),
        must_not=tuple(_clean_codes(code_lists["must_not"], where, codeset, report, gold=False)),
    )


def _iter_jsonl(path: Path, codeset: CodeSet | None, report: DataReport) -> Iterator[LabeledNote]:
    seen_ids: set[str] = set()
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            where = f"line {line_number}"
            try:
                line = _decode_line(raw, line_number)
            except UnicodeDecodeError as error:
                report.note_skipped(where, f"not UTF-8 text (invalid byte at offset {error.start})")
                continue
            if not line.strip():
                continue  # blank lines separate nothing in JSON Lines; skipping them is not a data problem
            record = _parse_record(line, where, report)
            note = None if record is None else _record_to_note(record, line_number, codeset, report)
            if note is None:
                continue
            if note.id in seen_ids:
                # Two label sets for one note would be learned as a contradiction; the first one wins.
                report.note_skipped(where, f"duplicate id {_quote(note.id)!r} (the first one is kept)")
                continue
            seen_ids.add(note.id)
            report.notes += 1
            report.codes += len(note.codes)
            yield note
    if report.notes == 0:
        raise TrainingDataError(_no_notes_message(path, report))


def _no_notes_message(source: Path, report: DataReport) -> str:
    if not report.issues:
        return f"{source} holds no labeled notes (it is empty)."
    return f"{source} holds no usable labeled note; {len(report.issues)} issues, first: {report.issues[0]}"


class JsonlReader:
    """Iterate the notes of a JSON Lines file; ``report`` (and ``issues``) fill up as it is read.

    The file is checked when the reader is made; it is read when iterated, once per iteration.
    """

    def __init__(self, path: Path | str, codeset: CodeSet | None = None) -> None:
        self.path = _check_file(Path(path))
        self.codeset = codeset
        self.report = DataReport(source=str(self.path))

    def __iter__(self) -> Iterator[LabeledNote]:
        self.report = DataReport(source=str(self.path))
        return _iter_jsonl(self.path, self.codeset, self.report)

    @property
    def issues(self) -> list[DataIssue]:
        return self.report.issues


def read_jsonl(
    path: Path | str, codeset: CodeSet | None = None, report: DataReport | None = None
) -> Iterator[LabeledNote]:
    """Stream the notes of a JSON Lines file; problems go to ``report`` when one is given.

    Raises :class:`TrainingDataError` at once for a missing file, and at the end for a file without notes.
    """
    checked = _check_file(Path(path))
    return _iter_jsonl(checked, codeset, report if report is not None else DataReport(source=str(checked)))


# --- CodiEsp ----------------------------------------------------------------------------------------------
def _check_codiesp_folder(folder: Path) -> Path:
    folder = Path(folder)
    if not folder.exists():
        raise TrainingDataError(f"No such folder: {folder}")
    if not folder.is_dir():
        raise TrainingDataError(f"{folder} is not a folder.")
    for needed in ("D.tsv", "text_en"):
        if not (folder / needed).exists():
            raise TrainingDataError(
                f"{folder} is not a CodiEsp split: {needed} is missing (expected D.tsv and text_en/<id>.txt)."
            )
    return folder


def _read_gold_rows(table: Path, report: DataReport) -> dict[str, list[tuple[int, str]]]:
    """articleID -> [(line number, raw code)], in file order; malformed rows reported."""
    rows: dict[str, list[tuple[int, str]]] = {}
    with table.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            where = f"D.tsv line {line_number}"
            try:
                line = _decode_line(raw, line_number).rstrip("\r\n")
            except UnicodeDecodeError as error:
                report.note_skipped(where, f"not UTF-8 text (invalid byte at offset {error.start})")
                continue
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 2 or not fields[0].strip():
                report.note_skipped(where, f"expected 'articleID<TAB>code', found {len(fields)} field(s)")
                continue
            rows.setdefault(fields[0].strip(), []).append((line_number, fields[1].strip()))
    return rows


def _read_case_text(path: Path, report: DataReport) -> str | None:
    where = path.stem
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.note_skipped(where, f"text is not UTF-8 (invalid byte at offset {error.start})")
        return None
    if not text.strip():
        report.note_skipped(where, "text is empty")
        return None
    return text


def _iter_codiesp(folder: Path, codeset: CodeSet | None, report: DataReport) -> Iterator[LabeledNote]:
    gold = _read_gold_rows(folder / "D.tsv", report)
    texts = {path.stem: path for path in (folder / "text_en").glob("*.txt")}
    for article_id in sorted(set(gold) - set(texts)):
        report.note_skipped(article_id, f"{len(gold[article_id])} gold code(s) but no text_en/{article_id}.txt")
    for article_id in sorted(texts):
        text = _read_case_text(texts[article_id], report)
        if text is None:
            continue
        raw_codes = [code for _, code in gold.get(article_id, [])]
        codes = _clean_codes(raw_codes, article_id, codeset, report)
        report.notes += 1
        report.codes += len(codes)
        yield LabeledNote(id=article_id, text=text, codes=tuple(codes))
    if report.notes == 0:
        raise TrainingDataError(_no_notes_message(folder, report))


class CodiespReader:
    """Iterate a CodiEsp split (``D.tsv`` + ``text_en/``) in article-id order; see :class:`JsonlReader`."""

    def __init__(self, folder: Path | str, codeset: CodeSet | None = None) -> None:
        self.folder = _check_codiesp_folder(Path(folder))
        self.codeset = codeset
        self.report = DataReport(source=str(self.folder))

    def __iter__(self) -> Iterator[LabeledNote]:
        self.report = DataReport(source=str(self.folder))
        return _iter_codiesp(self.folder, self.codeset, self.report)

    @property
    def issues(self) -> list[DataIssue]:
        return self.report.issues


def read_codiesp(
    folder: Path | str, codeset: CodeSet | None = None, report: DataReport | None = None
) -> Iterator[LabeledNote]:
    """Stream a CodiEsp split's notes with their D codes; a note without gold rows gets no codes.

    Category-level gold codes (valid, non-billable) are kept as they are, since the evaluation compares exact
    codes, and counted in ``report.category_codes``.
    """
    checked = _check_codiesp_folder(Path(folder))
    return _iter_codiesp(checked, codeset, report if report is not None else DataReport(source=str(checked)))
