"""The README's two set-up commands stay true: CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commands() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = dict(re.findall(r"<!-- (run|test) command -->\n```(?:bash|sh)\n(.+?)\n```", readme))
    assert set(found) == {"run", "test"}, "the README must mark its run and test commands"
    return found


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands()["test"] in ci.splitlines()


def test_run_command_installs_and_starts_the_service() -> None:
    run = commands()["run"]
    assert "pip install" in run and run.rstrip().endswith("chartcoder serve")
