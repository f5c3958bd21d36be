"""Filed encounters as files, streamed: CSV and JSONL of one row per code, and FHIR as NDJSON of Bundles.

Each writer takes an iterator of filed encounters (:func:`service.store.filed_search.iter_filed` reads them from
the database in bounded batches) and writes as it reads: memory does not grow with the number of rows. Patient
ids are in the files (they are the point of an export) and nowhere else: nothing here logs.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from service.export.fhir import Describe, EvidenceWords, encounter_bundle
from service.export.hcc import hcc_category
from service.store.filed_search import FiledRecord

__all__ = ["COLUMNS", "FORMATS", "code_rows", "write_csv", "write_fhir_ndjson", "write_jsonl"]

FORMATS = ("csv", "jsonl", "fhir")
COLUMNS = (
    "encounter_id",
    "version",
    "external_id",
    "patient_id",
    "service_start",
    "service_end",
    "setting",
    "code",
    "sequence",
    "poa",
    "hcc",
    "decision",
    "coder",
    "model",
    "filed_at",
)


def code_rows(filed: Iterable[FiledRecord]) -> Iterator[dict[str, Any]]:
    """One row per code of each encounter (reported codes in reporting order, then rejected ones)."""
    for one in filed:
        for code in one.codes:
            yield {
                "encounter_id": one.encounter_id,
                "version": one.version,
                "external_id": one.external_id,
                "patient_id": one.patient_id,
                "service_start": one.service_start.isoformat(),
                "service_end": one.service_end.isoformat() if one.service_end else None,
                "setting": one.setting,
                "code": code.code,
                "sequence": code.sequence,
                "poa": code.poa,
                "hcc": hcc_category(code.code, one.service_start),
                "decision": code.decision,
                "coder": one.coder_name,
                "model": one.model_id,
                "filed_at": one.filed_at.isoformat(),
            }


def write_csv(filed: Iterable[FiledRecord], out: TextIO) -> int:
    """CSV with a header row; empty cells for what is unknown. Returns the number of rows written."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in code_rows(filed):
        writer.writerow(row)
        count += 1
    return count


def write_jsonl(filed: Iterable[FiledRecord], out: TextIO) -> int:
    """One JSON object per line, nulls for what is unknown. Returns the number of rows written."""
    count = 0
    for row in code_rows(filed):
        out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def write_fhir_ndjson(
    filed: Iterable[FiledRecord], out: TextIO, describe: Describe, words: Callable[[], EvidenceWords]
) -> int:
    """One validated FHIR R4B Bundle per encounter per line (NDJSON, as FHIR bulk data). ``words()`` makes the
    evidence reader of one encounter (so that no more than one encounter's note texts are held). Returns the
    number of codes written."""
    count = 0
    for one in filed:
        out.write(json.dumps(encounter_bundle(one, describe, words()), separators=(",", ":")) + "\n")
        count += len(one.codes)
    return count
