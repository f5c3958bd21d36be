"""Running `chartcoder serve` as a real process on a free loopback port (crash test, load benchmark)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

__all__ = ["ServerProcess", "free_port", "prepare_home"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_home(home: Path, codeset_home: Path) -> Path:
    """A fresh data folder sharing ``codeset_home``'s code set (and its term-table cache, when built)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "codeset").symlink_to((codeset_home / "codeset").resolve(), target_is_directory=True)
    if (codeset_home / "cache").is_dir():
        shutil.copytree(codeset_home / "cache", home / "cache")
    return home


def _chartcoder_command() -> list[str]:
    script = Path(sys.executable).with_name("chartcoder")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


class ServerProcess:
    """``chartcoder serve`` with its own home; collects its output and the first-start admin key."""

    def __init__(
        self,
        home: Path,
        port: int | None = None,
        log_level: str = "info",
        *,
        bootstrap: bool = False,
        extra_environment: dict[str, str] | None = None,
        workers: int = 1,
        engine_processes: int = 0,
    ) -> None:
        self.home = home
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.output: list[str] = []
        self.admin_key: str | None = None
        environment = {name: value for name, value in os.environ.items() if not name.startswith("CHARTCODER_")}
        environment["CHARTCODER_HOME"] = str(home)
        # building the bootstrap model takes a worker minutes: only the tests of that pay for it
        environment["CHARTCODER_BOOTSTRAP_MODEL"] = "true" if bootstrap else "false"
        environment.update(extra_environment or {})
        command = [*_chartcoder_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if workers > 1:
            command += ["--workers", str(workers)]
        if engine_processes:
            command += ["--engine-processes", str(engine_processes)]
        self.process = subprocess.Popen(
            [*command, "--log-level", log_level],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if line.startswith("cc_") and self.admin_key is None:
                self.admin_key = line.strip()

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reader.join(timeout=5)
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n...{self.log[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the server was not ready within {timeout_s} s:\n...{self.log[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what the database has committed is all that survives."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reader.join(timeout=5)

    @property
    def log(self) -> str:
        return "".join(self.output)
