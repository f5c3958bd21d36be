"""Review page timings in a real browser (Debian's chromium, headless, driven by Playwright).

Starts `chartcoder serve` (one worker, 127.0.0.1, a temporary home sharing a code set), queues notes, and
measures, median of --runs runs:

- page load: a fresh browser context opening `/` until the page is ready to sign in (the module scripts ran),
  plus the browser's own navigation timing (DOMContentLoaded, load);
- signed-in load: `/` with the key already in session storage until the work queue is listed;
- keyboard review: from pressing `n` (open the next note) to the stored review's answer, keys only:
  n, a (accept), j, r (reject), /, a search typed, Enter (add), Escape, Enter (submit). Machine time only:
  no human think time; the query is typed at once. Split into open (n -> note shown) and submit (Enter ->
  201) as well.

    .venv/bin/python benchmarks/review_page.py                      # full FY2026 code set (built if missing)
    .venv/bin/python benchmarks/review_page.py --codeset mini --runs 5 --json benchmarks/results/review_page.json

Exits 0 with a message when chromium or playwright is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a script, not a package: reach the repository's modules

from _common import machine, prepared_home, print_table, write_json  # noqa: E402 - the script's folder

from tests.e2e.conftest import CHROMIUM_ARGS, VIEWPORT  # noqa: E402
from tests.service.server_process import ServerProcess, prepare_home  # noqa: E402

NOTE = """CHIEF COMPLAINT:
Follow-up of diabetes and blood pressure.

HISTORY OF PRESENT ILLNESS:
Patient is a 64-year-old with type 2 diabetes mellitus with diabetic chronic kidney disease, stage 3, on
metformin. Reports occasional palpitations. Denies chest pain. No shortness of breath. Cough for 3 days.

PAST MEDICAL HISTORY:
Essential hypertension. History of pneumonia, resolved.

FAMILY HISTORY:
Mother had heart failure. Father with atrial fibrillation.

MEDICATIONS:
Metformin 1000 mg twice daily. Lisinopril 20 mg daily.

ASSESSMENT AND PLAN:
1. Type 2 diabetes mellitus with diabetic chronic kidney disease, stage 3. Continue metformin, recheck A1c.
2. Essential hypertension, well controlled. Continue lisinopril.
3. Atrial fibrillation, rate controlled.
4. Acute cough, likely viral.
"""
SEARCH = "hyperlipidemia"


def _coder_key(home: Path) -> str:
    script = Path(sys.executable).with_name("chartcoder")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CHARTCODER_")}
    environment["CHARTCODER_HOME"] = str(home)
    done = subprocess.run(
        [*command, "keys", "create", "--role", "coder", "--name", "bench-coder", "--json"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)["key"]


def _queue(server: ServerProcess, key: str, count: int) -> None:
    import httpx

    for index in range(count):
        response = httpx.post(
            f"{server.base_url}/v1/notes",
            json={"text": NOTE, "note_id": f"bench-{index}"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=120.0,
        )
        response.raise_for_status()


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000.0, 1)


def measure(base_url: str, key: str, runs: int) -> dict[str, Any]:
    from playwright.sync_api import expect, sync_playwright

    load, dom_ready, load_event, signed_in, review, opening, submitting = [], [], [], [], [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS
        )
        for _ in range(runs + 1):  # the first round warms the server and the browser up; not counted
            context = browser.new_context(viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]})
            page = context.new_page()
            started = time.perf_counter()
            page.goto(base_url + "/")
            page.wait_for_selector("body[data-ready='true']")
            load.append(time.perf_counter() - started)
            timing = page.evaluate(
                "(() => { const n = performance.getEntriesByType('navigation')[0];"
                " return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()"
            )
            dom_ready.append(timing[0] / 1000.0)
            load_event.append(timing[1] / 1000.0)

            page.fill("#api-key", key)
            page.press("#api-key", "Enter")
            expect(page.locator("#workspace")).to_be_visible()
            started = time.perf_counter()
            page.reload()
            page.wait_for_selector("#queue-list li")
            signed_in.append(time.perf_counter() - started)

            page.locator("#next-note").focus()
            started = time.perf_counter()
            page.keyboard.press("n")
            page.wait_for_selector("#suggestion-list > li.current")
            opened = time.perf_counter()
            page.keyboard.press("a")
            page.keyboard.press("j")
            page.keyboard.press("r")
            page.keyboard.press("/")
            page.keyboard.type(SEARCH)
            page.wait_for_selector("#search-results .search-option[aria-selected='true']")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            with page.expect_response(lambda answer: answer.url.endswith("/review")) as answer:
                before_submit = time.perf_counter()
                page.keyboard.press("Enter")
            assert answer.value.status in (200, 201), answer.value.status
            done = time.perf_counter()
            opening.append(opened - started)
            submitting.append(done - before_submit)
            review.append(done - started)
            context.close()
        browser.close()
    drop = slice(1, None)
    return {
        "runs": runs,
        "page_load_ms": _median_ms(load[drop]),
        "dom_content_loaded_ms": _median_ms(dom_ready[drop]),
        "load_event_ms": _median_ms(load_event[drop]),
        "signed_in_load_ms": _median_ms(signed_in[drop]),
        "keyboard_review_ms": _median_ms(review[drop]),
        "open_note_ms": _median_ms(opening[drop]),
        "submit_ms": _median_ms(submitting[drop]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--codeset", choices=["full", "mini"], default="full")
    parser.add_argument("--json", type=Path, default=None)
    arguments = parser.parse_args()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        print("playwright is not installed (pip install -e '.[test]'): nothing measured")
        return 0
    if shutil.which("chromium") is None:
        print("chromium is not installed (apt-get install chromium): nothing measured")
        return 0

    with tempfile.TemporaryDirectory(prefix="chartcoder-review-bench-") as folder:
        if arguments.codeset == "mini":
            from vocab.build import build_codeset
            from vocab.vocabulary import build_vocabulary

            fixtures = ROOT / "tests" / "fixtures"
            codeset_home = Path(folder) / "mini"
            build_vocabulary(
                codeset_home,
                codeset=build_codeset(fixtures / "tabular_mini.xml", fixtures / "code_list_mini.txt"),
            )
        else:
            codeset_home = prepared_home(with_index=False)
        home = prepare_home(Path(folder) / "home", codeset_home)
        server = ServerProcess(home, log_level="warning")
        try:
            server.wait_ready(timeout_s=300)
            key = _coder_key(home)
            _queue(server, key, arguments.runs + 1)
            figures = measure(server.base_url, key, arguments.runs)
        finally:
            server.stop()

    info = machine()
    print(f"review page, {arguments.codeset} code set, median of {arguments.runs} runs")
    print(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), load average {info['load_average_1m']}")
    print_table(
        ["figure", "ms"],
        [
            ["page load (goto / -> ready to sign in)", figures["page_load_ms"]],
            ["  DOMContentLoaded (navigation timing)", figures["dom_content_loaded_ms"]],
            ["  load event (navigation timing)", figures["load_event_ms"]],
            ["signed-in load (reload -> queue listed)", figures["signed_in_load_ms"]],
            ["keyboard review (n -> review stored)", figures["keyboard_review_ms"]],
            ["  open the note (n -> note shown)", figures["open_note_ms"]],
            ["  submit (Enter -> 201)", figures["submit_ms"]],
        ],
    )
    write_json(arguments.json, {"codeset": arguments.codeset, "machine": info, **figures})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
