"""A non-editable install (`pip install .`, the README's run command) ships only the files pyproject's
package-data names: every data file the packages read must match one of its globs (the editable install of the
test command reads the source tree and would not notice a missing one)."""

from __future__ import annotations

import glob
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("vocab", "suggest", "models", "training", "service", "cli")
# The repository's documentation beside the code, which no code reads.
DOCUMENTATION = frozenset({"service/README.md"})


def _shipped(package: str, patterns: list[str]) -> set[str]:
    root = ROOT / package
    return {
        f"{package}/{Path(found).as_posix()}"
        for pattern in patterns
        for found in glob.glob(pattern, root_dir=root, recursive=True)
        if (root / found).is_file()
    }


def test_every_data_file_of_the_packages_is_shipped() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]
    missing = []
    for package in PACKAGES:
        shipped = _shipped(package, package_data.get(package, []))
        for path in sorted((ROOT / package).rglob("*")):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            if relative not in shipped and relative not in DOCUMENTATION:
                missing.append(relative)
    assert not missing, f"not in pyproject's package-data, so missing from a non-editable install: {missing}"
