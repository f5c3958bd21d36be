"""Helpers the benchmark scripts share: where the data is, the machine, percentiles, tables and JSON."""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"


def machine() -> dict[str, Any]:
    """What the figures were measured on: they mean little without it."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1m": round(load[0], 2),
    }


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 of 1,000 values is the 990th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    milliseconds = [value * 1000.0 for value in seconds]
    return {
        "n": len(milliseconds),
        "p50": round(percentile(milliseconds, 0.50), 3),
        "p90": round(percentile(milliseconds, 0.90), 3),
        "p99": round(percentile(milliseconds, 0.99), 3),
        "max": round(max(milliseconds), 3) if milliseconds else float("nan"),
        "mean": round(statistics.fmean(milliseconds), 3) if milliseconds else float("nan"),
    }


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(header), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]
    print("  ".join(header.ljust(width) for header, width in zip(headers, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    for row in cells:
        print("  ".join(value.rjust(width) for value, width in zip(row, widths, strict=True)))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")


def read_indexes() -> list[Any]:
    """The four Alphabetic Index files bundled in the package (what `chartcoder vocab build` imports), parsed."""
    from vocab.bundled_index import read_bundled_indexes

    return read_bundled_indexes()


def prepared_home(with_index: bool, home: Path | None = None) -> Path:
    """A chartcoder home holding the full FY2026 code set (and the bundled Index when ``with_index``).

    Reused between runs from the system temporary folder; built the first time (about half a minute).
    """
    import tempfile

    from vocab.errors import VocabError
    from vocab.vocabulary import build_vocabulary, load_vocabulary

    home = home or Path(tempfile.gettempdir()) / f"chartcoder-bench-{'indexed' if with_index else 'plain'}"
    try:
        vocabulary = load_vocabulary(home)
        vocabulary.code_search  # noqa: B018 - a lexicon from another chartcoder version is rebuilt
        if bool(vocabulary.index_sources()) == with_index:
            return home
    except VocabError:
        pass
    print(f"building the code set{' with the Index' if with_index else ''} in {home} ...", flush=True)
    build_vocabulary(home, bundled_index=with_index)
    return home
