"""Fixtures of the browser tests: Debian's chromium driven by Playwright, against a real `chartcoder serve`.

They skip, with the reason, where the `playwright` package (the test extra) or a `chromium` executable is
missing; `playwright install` is never needed (nor run): the system's chromium is used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.server_process import ServerProcess, prepare_home

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
CODER_NAME = "e2e-coder"


def chromium_path() -> str:
    """The system chromium, or a skip saying what is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser tests: the 'playwright' package is not installed (pip install -e '.[test]')")
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("browser tests: no 'chromium' executable on PATH (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _chartcoder(*arguments: str, home: Path) -> str:
    script = Path(sys.executable).with_name("chartcoder")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CHARTCODER_")}
    environment["CHARTCODER_HOME"] = str(home)
    done = subprocess.run([*command, *arguments], env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@dataclass
class LiveServer:
    process: ServerProcess
    coder_key: str

    @property
    def base_url(self) -> str:
        return self.process.base_url

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.coder_key}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.base_url}{path}", headers=headers, timeout=60.0, **kwargs)

    def queue(self, text: str, note_id: str, setting: str = "outpatient") -> dict[str, Any]:
        response = self.api("POST", "/v1/notes", json={"text": text, "note_id": note_id, "setting": setting})
        assert response.status_code == 201, response.text
        return response.json()

    def note(self, note_id: str) -> dict[str, Any]:
        response = self.api("GET", f"/v1/notes/{note_id}")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, mini_home: Path) -> Iterator[LiveServer]:
    """`chartcoder serve` on a free loopback port over a fresh home with the mini code set; a coder key."""
    chromium_path()  # skip before starting a server that no browser would use
    home = prepare_home(tmp_path_factory.mktemp("e2e") / "home", mini_home)
    server = ServerProcess(home, log_level="debug")
    try:
        server.wait_ready()
        created = json.loads(
            _chartcoder("keys", "create", "--role", "coder", "--name", CODER_NAME, "--json", home=home)
        )
        yield LiveServer(process=server, coder_key=created["key"])
    finally:
        server.stop()


@dataclass
class PageLog:
    console: list[str]
    errors: list[str]
    requests: list[Any]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (own session storage) at 1280x800; console, page errors and requests kept."""
    context = browser.new_context(viewport=VIEWPORT)
    opened = context.new_page()
    log = PageLog(console=[], errors=[], requests=[])
    opened.on("console", lambda message: log.console.append(message.text))
    opened.on("pageerror", lambda error: log.errors.append(str(error)))
    opened.on("request", lambda request: log.requests.append(request))
    opened.log = log
    yield opened
    context.close()
    assert not log.errors, f"the page raised: {log.errors}"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
