"""Encounters from JSON records: one record per document, with the encounter's fields on any of them.

A record is ``{"document_id", "type", "text", "date"?}`` plus, optionally, the encounter's ``encounter_id``,
``patient_id``, ``age``, ``sex``, ``admission_date``, ``discharge_date`` and ``setting`` (dates as
``YYYY-MM-DD``). Records of one encounter may each repeat these fields; two records that give one of them
different values are an error, as is any other problem, named with the record's line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from suggest.encounter_types import DOCUMENT_TYPES, Encounter, EncounterDocument
from suggest.errors import EncounterError, Errors
from suggest.types import SETTINGS

__all__ = ["ENCOUNTER_FIELDS", "encounter_from_records"]

ENCOUNTER_FIELDS = ("encounter_id", "patient_id", "age", "sex", "admission_date", "discharge_date", "setting")
_DOCUMENT_FIELDS = ("document_id", "id", "type", "text", "date")


def encounter_from_records(records: Sequence[tuple[int, dict[str, Any]]]) -> Encounter:
    """``(line number, record)`` pairs of one encounter -> the :class:`Encounter`; :class:`EncounterError`
    (naming the line) for a record that cannot be read."""
    fields: dict[str, Any] = {}
    documents: list[EncounterDocument] = []
    for line, record in records:
        for name in ENCOUNTER_FIELDS:
            value = record.get(name)
            if value is None:
                continue
            if name in fields and fields[name] != value:
                raise EncounterError(Errors.E038.format(line=line, problem=f"{name!r} differs from an earlier line"))
            fields[name] = value
        unknown = sorted(set(record) - set(ENCOUNTER_FIELDS) - set(_DOCUMENT_FIELDS))
        if unknown:
            raise EncounterError(Errors.E038.format(line=line, problem=f"unknown field {unknown[0]!r}"))
        documents.append(_document(line, record, len(documents) + 1))
    return Encounter(
        documents=tuple(documents),
        encounter_id=_text(fields.get("encounter_id"), "encounter_id", 0),
        patient_id=_text(fields.get("patient_id"), "patient_id", 0),
        age=_age(fields.get("age")),
        sex=_text(fields.get("sex"), "sex", 0),
        admission_date=_date(fields.get("admission_date"), "admission_date", 0),
        discharge_date=_date(fields.get("discharge_date"), "discharge_date", 0),
        setting=_setting(fields.get("setting")),
    )


def _document(line: int, record: dict[str, Any], position: int) -> EncounterDocument:
    kind = record.get("type")
    if kind not in DOCUMENT_TYPES:
        problem = f"unknown document type {kind!r}; expected one of {', '.join(DOCUMENT_TYPES)}"
        raise EncounterError(Errors.E038.format(line=line, problem=problem))
    text = record.get("text")
    if not isinstance(text, str):
        raise EncounterError(Errors.E038.format(line=line, problem="'text' is missing or not a string"))
    document_id = record.get("document_id", record.get("id"))
    return EncounterDocument(
        document_id=str(document_id) if document_id is not None else f"document-{position}",
        type=kind,
        text=text,
        date=_date(record.get("date"), "date", line),
    )


def _text(value: Any, name: str, line: int) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise EncounterError(Errors.E038.format(line=line, problem=f"{name!r} must be text"))


def _age(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 130:
        raise EncounterError(Errors.E038.format(line=0, problem="'age' must be a whole number of years, 0 to 130"))
    return value


def _date(value: Any, name: str, line: int) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _bad_date(name, line)
    except ValueError:
        return _bad_date(name, line)


def _bad_date(name: str, line: int) -> date:
    raise EncounterError(Errors.E038.format(line=line, problem=f"{name!r} is not a date (YYYY-MM-DD)"))


def _setting(value: Any) -> Any:
    if value is None or value in SETTINGS:
        return value
    raise EncounterError(Errors.E038.format(line=0, problem="'setting' must be 'inpatient' or 'outpatient'"))
