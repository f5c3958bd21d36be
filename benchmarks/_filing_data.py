"""Synthetic filed encounters for the filing benchmarks: deterministic, bulk-inserted with SQLAlchemy core.

Codes follow a Zipf law over a pool of code-shaped values (a few codes in a large share of encounters, as
hypertension and type 2 diabetes are in real charts; a long tail seen a handful of times), ten codes per
encounter (one in ten rejected), about three encounters per patient, 40 coders, two years of service dates,
one encounter in fifty corrected once (its first version kept, no longer current). No PHI: every value is made up.
"""

from __future__ import annotations

import itertools
import random
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from service.store.database import Database
from service.store.filing import FiledCode, FiledEncounter

__all__ = ["CODES_PER_ENCOUNTER", "FIRST_DAY", "SyntheticFiling", "code_pool", "existing", "fill"]

CODES_PER_ENCOUNTER = 10
FIRST_DAY = date(2025, 1, 1)
DAYS = 730
CODERS = [f"coder-{number:02d}" for number in range(40)]
_BATCH = 5_000


def code_pool(size: int = 20_000, seed: int = 7) -> list[str]:
    """``size`` distinct code-shaped values (A00.0 .. Z99.99 shapes), in a seeded random order (rank = Zipf rank)."""
    rng = random.Random(seed)
    pool: set[str] = set()
    while len(pool) < size:
        category = f"{rng.choice(string.ascii_uppercase)}{rng.randint(0, 99):02d}"
        tail = "".join(rng.choice(string.digits) for _ in range(rng.randint(1, 2)))
        pool.add(f"{category}.{tail}")
    ordered = sorted(pool)
    rng.shuffle(ordered)
    return ordered


@dataclass
class SyntheticFiling:
    encounters: int
    codes: int
    superseded_codes: int
    patients: int
    pool: list[str]
    weights: list[float]
    seconds: float


def _zipf_weights(size: int, exponent: float = 1.0) -> list[float]:
    return [1.0 / (rank**exponent) for rank in range(1, size + 1)]


def _encounters(count: int, pool: list[str], weights: list[float], seed: int) -> Iterator[tuple[dict, list[dict]]]:
    rng = random.Random(seed)
    patients = max(1, count // 3)
    cumulative = list(itertools.accumulate(weights))
    filed_at = datetime(2026, 12, 1, tzinfo=UTC)
    for number in range(count):
        filed_id = f"f{number:011d}"
        start = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        inpatient = rng.random() < 0.3
        codes: dict[str, None] = {}
        while len(codes) < CODES_PER_ENCOUNTER:
            codes[rng.choices(pool, cum_weights=cumulative)[0]] = None
        corrected = rng.random() < 0.02
        encounter = {
            "id": filed_id,
            "encounter_id": f"e{number:011d}",
            "version": 2 if corrected else 1,
            "current": True,
            "external_id": None,
            "patient_id": f"P{rng.randrange(patients):08d}",
            "patient_age": rng.randint(0, 99),
            "patient_sex": rng.choice(["female", "male"]),
            "service_start": start,
            "service_end": start + timedelta(days=rng.randint(1, 9)) if inpatient else None,
            "setting": "inpatient" if inpatient else "outpatient",
            "coder_name": rng.choice(CODERS),
            "coder_key_id": None,
            "status": "corrected" if corrected else "filed",
            "model_id": "champion-2026-11",
            "review_id": None,
            "filed_at": filed_at,
        }
        rows: list[dict[str, Any]] = []
        place = 0
        for code in codes:
            rejected = rng.random() < 0.1
            place += not rejected
            rows.append(
                {
                    "filed_id": filed_id,
                    "code": code,
                    "decision": "rejected" if rejected else rng.choice(["accepted"] * 9 + ["added"]),
                    "sequence": None if rejected else place,
                    "poa": (None if rejected else rng.choice("YYYYNU1")) if inpatient else None,
                    "current": True,
                    "service_start": start,
                    "category": code[:3],
                    "evidence": [],
                }
            )
        yield encounter, rows
        if corrected:  # its first version, superseded: kept, never answering searches
            first = {**encounter, "id": f"g{number:011d}", "version": 1, "current": False, "status": "filed"}
            yield first, [{**row, "filed_id": first["id"], "current": False} for row in rows]


def fill(database: Database, encounters: int, seed: int = 11, progress: bool = True) -> SyntheticFiling:
    """Insert ``encounters`` filed encounters (ten codes each) in batches; ANALYZE afterwards."""
    pool = code_pool()
    weights = _zipf_weights(len(pool))
    started = time.perf_counter()
    batch_encounters: list[dict[str, Any]] = []
    batch_codes: list[dict[str, Any]] = []
    codes = superseded = flushes = 0
    patients: set[str] = set()

    def flush() -> None:
        with database.engine.begin() as connection:
            connection.execute(insert(FiledEncounter), batch_encounters)
            connection.execute(insert(FiledCode), batch_codes)
        batch_encounters.clear()
        batch_codes.clear()

    for encounter, rows in _encounters(encounters, pool, weights, seed):
        batch_encounters.append(encounter)
        batch_codes.extend(rows)
        patients.add(encounter["patient_id"])
        if encounter["current"]:
            codes += len(rows)
        else:
            superseded += len(rows)
        if len(batch_codes) >= _BATCH:
            flush()
            flushes += 1
            if progress and flushes % 40 == 0:
                print(f"  ... {codes:,} codes in {time.perf_counter() - started:.0f} s", flush=True)
    if batch_encounters:
        flush()
    with database.engine.connect() as connection:
        if database.engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("VACUUM ANALYZE filed_encounters")
            connection.exec_driver_sql("VACUUM ANALYZE filed_codes")
        else:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    return SyntheticFiling(
        encounters=encounters,
        codes=codes,
        superseded_codes=superseded,
        patients=len(patients),
        pool=pool,
        weights=weights,
        seconds=time.perf_counter() - started,
    )


def existing(database: Database, encounters: int) -> SyntheticFiling | None:
    """The filing :func:`fill` made before in this database, if it holds ``encounters`` current encounters."""
    with database.session() as session:
        current = session.scalar(select(func.count()).select_from(FiledEncounter).where(FiledEncounter.current))
        if current != encounters:
            if current:
                raise SystemExit(f"the database holds {current:,} filed encounters, not {encounters:,}: start afresh")
            return None
        codes = session.scalar(select(func.count()).select_from(FiledCode).where(FiledCode.current)) or 0
        total = session.scalar(select(func.count()).select_from(FiledCode)) or 0
        patients = session.scalar(select(func.count(func.distinct(FiledEncounter.patient_id)))) or 0
    pool = code_pool()
    return SyntheticFiling(encounters, codes, total - codes, patients, pool, _zipf_weights(len(pool)), 0.0)
