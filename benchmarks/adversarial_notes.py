"""Adversarial notes: the engine's worst case in seconds per kB next to the median real note's.

The corpus: for each size (1k to 64k characters by default) a run of each ASCII punctuation mark, long tokens
(letters, letters and digits), long lines (real words with no line break, with and without full stops), deep
nesting of brackets around a diagnosis, runs of unicode symbols (arrows, bullets, emoji, ellipses, combining
accents), random punctuation with and without spaces, "'s" repeated, and a diagnosis list repeated. The
reference is the median seconds per kB (UTF-8) of the ACI-BENCH notes in ../shared/data/aci_bench.
Acceptance (issue 19): the worst adversarial note within 3x of the median note's seconds per kB. Every
evidence span of every answer is checked to be exact (``text[start:end] == evidence.text``).

The tokenizer's cache is flushed before each adversarial note (a cold cache is its worst case); the real
notes run with the cache as a server has it. Each note's time is the least of two or three runs (two once
they took 0.5 s together), in CPU time of the engine's thread and in wall time: on a shared machine wall
time counts the waits for a CPU (one run of a 1 kB note can take 5x its time), so acceptance is judged on CPU
time and both are printed.

    python benchmarks/adversarial_notes.py [--home PATH] [--sizes 1000 4000 16000 64000] [--json out.json]
    python benchmarks/adversarial_notes.py --service [--engine-processes 1]   # delay of concurrent requests

``--service`` starts ``chartcoder serve`` on loopback (a temporary home sharing the code set of --home or
$CHARTCODER_HOME), makes a coder key, and measures the latency of real notes sent one after another, first
alone, then while other clients keep sending adversarial notes; acceptance: no request delayed more than 2 s.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a script, not a package: reach the repository's modules

from _common import SHARED_DATA, machine, print_table, write_json  # noqa: E402

ACI_BENCH = SHARED_DATA / "aci_bench"
DEFAULT_SIZES = (1_000, 4_000, 16_000, 64_000)
ACCEPTED_RATIO = 3.0
ACCEPTED_DELAY_S = 2.0
REPEATS = 3
MIN_REPEATS = 2
REPEAT_BUDGET_S = 0.5
UNICODE_SYMBOLS = {"arrows": "→", "bullets": "•", "emoji": "😀", "ellipses": "…", "degrees": "°", "trademark": "™"}


def aci_notes() -> list[str]:
    notes = []
    for path in sorted(ACI_BENCH.glob("*.csv")):
        if path.name.endswith("_metadata.csv"):
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            notes.extend(row["note"] for row in csv.DictReader(handle) if row.get("note"))
    return notes


def _fill(unit: str, size: int, lead: str = "cough ") -> str:
    body = (unit * (size // max(1, len(unit)) + 1))[: max(0, size - len(lead))]
    return lead + body


def adversarial_notes(sizes: tuple[int, ...], real_words: list[str]) -> Iterator[tuple[str, str]]:
    """(kind, text) for each kind and size; deterministic (seeded)."""
    rng = random.Random(19)
    prose = " ".join(real_words)
    no_stops = prose.replace(".", "").replace("?", "").replace("!", "")
    for size in sizes:
        for mark in string.punctuation:
            yield f"run of {mark!r}", _fill(mark, size)
        yield "long token: letters", _fill("".join(rng.choice(string.ascii_letters) for _ in range(size)), size)
        yield "long token: letters+digits", _fill("".join(rng.choice("a1b2c3d4e5") for _ in range(size)), size)
        yield "long token: 's repeated", _fill("'s", size)
        yield "long line: prose", _fill(prose, size, lead="")
        yield "long line: no full stops", _fill(no_stops, size, lead="")
        depth = max(1, (size - len("diabetes")) // 2)
        yield "nesting: ()", "(" * depth + "diabetes" + ")" * depth
        yield (
            "nesting: mixed",
            "".join("([{<"[i % 4] for i in range(depth)) + "asthma" + "".join(">}])"[i % 4] for i in range(depth)),
        )
        for name, symbol in UNICODE_SYMBOLS.items():
            yield f"unicode: {name}", _fill(symbol, size)
        yield "unicode: combining accents", _fill("a\u0301", size)
        punctuation = string.punctuation
        yield "random punctuation", _fill("".join(rng.choice(punctuation) for _ in range(size)), size)
        spaced = " ".join("".join(rng.choice(punctuation) for _ in range(8)) for _ in range(size // 9 + 1))
        yield "random punctuation, 8-char spans", _fill(spaced, size)
        spaced64 = " ".join("".join(rng.choice(punctuation) for _ in range(64)) for _ in range(size // 65 + 1))
        yield "random punctuation, 64-char spans", _fill(spaced64, size)
        yield "diagnoses repeated", _fill("Hypertension. Type 2 diabetes. Asthma. Chest pain. ", size, lead="")


def evidence_exact(text: str, answer: dict[str, Any]) -> bool:
    def spans(value: Any) -> Iterator[dict[str, Any]]:
        if isinstance(value, dict):
            if {"start", "end", "text"} <= value.keys():
                yield value
            for item in value.values():
                yield from spans(item)
        elif isinstance(value, list):
            for item in value:
                yield from spans(item)

    return all(text[span["start"] : span["end"]] == span["text"] for span in spans(answer))


def kilobytes(text: str) -> float:
    return len(text.encode("utf-8")) / 1000.0


def timed(engine: Any, text: str, cold: bool = False) -> tuple[float, float, dict[str, Any]]:
    """(CPU seconds, wall seconds, answer): the least of :data:`MIN_REPEATS` to :data:`REPEATS` runs each (no
    third once the runs took :data:`REPEAT_BUDGET_S`). CPU time is the engine thread's: it leaves out the time
    spent waiting for a CPU on a shared machine, which wall time counts."""
    best_cpu = best_wall = float("inf")
    spent = 0.0
    answer: dict[str, Any] = {}
    for run in range(REPEATS):
        if cold:
            engine.nlp.tokenizer._flush_cache()
        cpu_started, started = time.thread_time(), time.perf_counter()
        answer = engine.suggest(text).to_dict()
        wall, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        best_cpu, best_wall, spent = min(best_cpu, cpu), min(best_wall, wall), spent + wall
        if run + 1 >= MIN_REPEATS and spent >= REPEAT_BUDGET_S:
            break
    return best_cpu, best_wall, answer


def engine_figures(home: Path | None, sizes: tuple[int, ...]) -> dict[str, Any]:
    from suggest.loading import load_engine

    notes = aci_notes()
    if not notes:
        raise SystemExit(f"no ACI-BENCH notes at {ACI_BENCH}")
    engine = load_engine(home=home)
    for note in notes[:5]:
        engine.suggest(note)
    real = [timed(engine, note)[:2] for note in notes]
    median = {
        "cpu": statistics.median(cpu / kilobytes(note) for (cpu, _), note in zip(real, notes, strict=True)),
        "wall": statistics.median(wall / kilobytes(note) for (_, wall), note in zip(real, notes, strict=True)),
    }
    real_words = " ".join(notes[:40]).split()
    rows = []
    for kind, text in adversarial_notes(sizes, real_words):
        cpu, wall, answer = timed(engine, text, cold=True)
        rows.append(
            {
                "kind": kind,
                "chars": len(text),
                "kb": round(kilobytes(text), 1),
                "cpu_s": round(cpu, 3),
                "wall_s": round(wall, 3),
                "cpu_ratio": cpu / kilobytes(text) / median["cpu"],
                "wall_ratio": wall / kilobytes(text) / median["wall"],
                "suggestions": len(answer["suggestions"]),
                "evidence_exact": evidence_exact(text, answer),
            }
        )
    return {
        "machine": machine(),
        "median_note": {"notes": len(notes), "cpu_s_per_kb": median["cpu"], "wall_s_per_kb": median["wall"]},
        "adversarial": rows,
        "worst_by_cpu": max(rows, key=lambda row: row["cpu_ratio"]),
        "worst_by_wall": max(rows, key=lambda row: row["wall_ratio"]),
        "all_evidence_exact": all(row["evidence_exact"] for row in rows),
        "slowest_note_wall_s": max(row["wall_s"] for row in rows),
    }


def print_engine_figures(figures: dict[str, Any]) -> None:
    rows = sorted(figures["adversarial"], key=lambda row: -row["cpu_ratio"])
    print_table(
        ["kind", "chars", "CPU s", "CPU x median", "wall s", "wall x median", "exact"],
        [
            [
                row["kind"],
                row["chars"],
                row["cpu_s"],
                row["cpu_ratio"],
                row["wall_s"],
                row["wall_ratio"],
                row["evidence_exact"],
            ]
            for row in rows[:25]
        ],
    )
    median = figures["median_note"]
    print(f"\n({len(rows)} adversarial notes; the 25 slowest per kB in CPU time shown)")
    print(
        f"median ACI-BENCH note ({median['notes']} notes): {median['cpu_s_per_kb'] * 1000:.2f} ms/kB CPU, "
        f"{median['wall_s_per_kb'] * 1000:.2f} ms/kB wall"
    )
    for measure, worst in (("CPU", figures["worst_by_cpu"]), ("wall", figures["worst_by_wall"])):
        ratio = worst["cpu_ratio" if measure == "CPU" else "wall_ratio"]
        verdict = "PASS" if ratio <= ACCEPTED_RATIO else "FAIL"
        print(
            f"worst adversarial note by {measure} time: {worst['kind']} ({worst['chars']:,} chars), {ratio:.2f}x the "
            f"median note's seconds per kB (accepted: {ACCEPTED_RATIO:g}x): {verdict}"
        )
    print(
        f"slowest adversarial note: {figures['slowest_note_wall_s']:.2f} s wall; "
        f"evidence exact: {figures['all_evidence_exact']}"
    )


# --- the service: delay of real requests by concurrent adversarial ones ------------------------------------------


def _coder_key(home: Path) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "keys",
            "create",
            "--role",
            "coder",
            "--name",
            "adversarial-bench",
            "--home",
            str(home),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return next(word for word in result.stdout.split() if word.startswith("cc_"))


def _latencies(base_url: str, key: str, notes: list[str], count: int) -> list[tuple[float, int]]:
    import httpx

    out = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=300) as client:
        for index in range(count):
            started = time.perf_counter()
            response = client.post("/v1/suggest", json={"text": notes[index % len(notes)]})
            out.append((time.perf_counter() - started, response.status_code))
    return out


def _attack(base_url: str, key: str, texts: list[str], stop: threading.Event, seen: list[tuple[float, int]]) -> None:
    import httpx

    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=300) as client:
        index = 0
        while not stop.is_set():
            started = time.perf_counter()
            response = client.post("/v1/suggest", json={"text": texts[index % len(texts)]})
            seen.append((time.perf_counter() - started, response.status_code))
            index += 1


def service_figures(codeset_home: Path, engine_processes: int, requests: int, attackers: int) -> dict[str, Any]:
    from tests.service.server_process import ServerProcess, prepare_home

    notes = aci_notes()[:requests]
    attack_texts = ["cough " + "?" * 14_000, "cough " + ":" * 15_679, "(" * 30_000 + "diabetes" + ")" * 30_000]
    rng = random.Random(19)
    attack_texts.append("".join(rng.choice(string.punctuation) for _ in range(64_000)))
    with tempfile.TemporaryDirectory(prefix="chartcoder-adversarial-") as temporary:
        home = prepare_home(Path(temporary) / "home", codeset_home)
        server = ServerProcess(home, engine_processes=engine_processes, log_level="warning")
        try:
            server.wait_ready(timeout_s=600)
            key = _coder_key(home)
            _latencies(server.base_url, key, notes, 3)  # warm up
            alone = _latencies(server.base_url, key, notes, requests)
            stop = threading.Event()
            attacked: list[tuple[float, int]] = []
            threads = [
                threading.Thread(target=_attack, args=(server.base_url, key, attack_texts, stop, attacked))
                for _ in range(attackers)
            ]
            for thread in threads:
                thread.start()
            time.sleep(0.5)  # the attack is under way
            during = _latencies(server.base_url, key, notes, requests)
            stop.set()
            for thread in threads:
                thread.join()
        finally:
            server.stop()
    alone_s = sorted(seconds for seconds, _ in alone)
    during_s = sorted(seconds for seconds, _ in during)
    baseline = statistics.median(alone_s)
    return {
        "machine": machine(),
        "engine_processes": engine_processes,
        "attackers": attackers,
        "requests": requests,
        "alone_s": {"p50": baseline, "max": alone_s[-1]},
        "during_s": {"p50": statistics.median(during_s), "max": during_s[-1]},
        "worst_delay_s": during_s[-1] - baseline,
        "normal_statuses": sorted({status for _, status in during}),
        "adversarial_requests": len(attacked),
        "adversarial_statuses": sorted({status for _, status in attacked}),
        "adversarial_max_s": max((seconds for seconds, _ in attacked), default=0.0),
    }


def print_service_figures(figures: dict[str, Any]) -> None:
    print(
        f"engine processes {figures['engine_processes'] or 'none (in-process engine)'}, "
        f"{figures['attackers']} adversarial client(s), {figures['requests']} real notes each way"
    )
    alone, during = figures["alone_s"], figures["during_s"]
    print(f"real notes alone:            p50 {alone['p50']:.3f} s, max {alone['max']:.3f} s")
    print(
        f"real notes during the attack: p50 {during['p50']:.3f} s, max {during['max']:.3f} s, "
        f"statuses {figures['normal_statuses']}"
    )
    print(
        f"adversarial requests: {figures['adversarial_requests']}, statuses {figures['adversarial_statuses']}, "
        f"slowest {figures['adversarial_max_s']:.2f} s"
    )
    verdict = "PASS" if figures["worst_delay_s"] <= ACCEPTED_DELAY_S else "FAIL"
    print(
        f"worst delay of a real request: {figures['worst_delay_s']:.2f} s (accepted: {ACCEPTED_DELAY_S:g} s): {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=None, help="chartcoder home (default $CHARTCODER_HOME).")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="Note sizes in characters.")
    parser.add_argument("--service", action="store_true", help="Measure the delay of concurrent requests instead.")
    parser.add_argument("--engine-processes", type=int, default=0, help="With --service: `serve --engine-processes`.")
    parser.add_argument("--requests", type=int, default=20, help="With --service: real notes sent each way.")
    parser.add_argument("--attackers", type=int, default=1, help="With --service: clients sending adversarial notes.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()
    if not ACI_BENCH.is_dir():
        print(f"skipped: no ACI-BENCH notes at {ACI_BENCH}")
        return 0
    if args.service:
        from vocab.artifact import default_home

        figures = service_figures(args.home or default_home(), args.engine_processes, args.requests, args.attackers)
        print_service_figures(figures)
        write_json(args.json, figures)
        return 0 if figures["worst_delay_s"] <= ACCEPTED_DELAY_S else 1
    figures = engine_figures(args.home, tuple(args.sizes))
    print_engine_figures(figures)
    write_json(args.json, figures)
    return 0 if figures["worst_by_cpu"]["cpu_ratio"] <= ACCEPTED_RATIO and figures["all_evidence_exact"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
