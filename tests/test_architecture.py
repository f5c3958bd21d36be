"""The layering stays true: imports point down (vocab <- models <- suggest <- training, service, cli), and only
:mod:`vocab.settings` reads the process environment.

A static read of every module (every ``import`` statement, at any depth: a lazy import inside a function is
still a dependency), so a new module that breaks a rule fails here, whether or not a test runs it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
PACKAGES = ("vocab", "models", "suggest", "training", "service", "cli")

# What each package may import among chartcoder's own packages (itself always).
ALLOWED: dict[str, frozenset[str]] = {
    "vocab": frozenset(),
    "models": frozenset({"vocab"}),
    "suggest": frozenset({"vocab", "models"}),  # never training (inference runs no training code), never service
    "training": frozenset({"vocab", "models", "suggest"}),
    "service": frozenset({"vocab", "models", "suggest", "training"}),  # training: in the job worker process only
    "cli": frozenset({"vocab", "models", "suggest", "training", "service"}),  # the entry point: nothing imports cli
}

SETTINGS_MODULE = "vocab/settings.py"
# Where Spark is started, PYSPARK_* variables are set for the Spark session (and spark-submit's are read).
ENVIRONMENT_EXCEPTIONS = {"suggest/spark.py": "the PYSPARK_* variables of the Spark session it starts"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((REPOSITORY / package).rglob("*.py")):
            relative = path.relative_to(REPOSITORY).as_posix()
            yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=relative)


def _imported_packages(tree: ast.Module, module_path: str) -> Iterator[tuple[str, int]]:
    """(top-level package, line) for every absolute or relative import in the module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the module's own package
                yield module_path.split("/")[0], node.lineno
            elif node.module:
                yield node.module.split(".")[0], node.lineno


_ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def _environment_reads(tree: ast.Module) -> Iterator[int]:
    """Lines that touch the process environment: ``os.environ``, ``os.getenv``/``putenv``/``unsetenv``, or those
    names imported from :mod:`os`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            touches = node.attr in _ENVIRONMENT_NAMES
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            touches = any(alias.name in _ENVIRONMENT_NAMES for alias in node.names)
        else:
            touches = False
        if touches:
            yield node.lineno


MODULES = dict(_modules())


def test_every_package_is_read() -> None:
    assert {path.split("/")[0] for path in MODULES} == set(PACKAGES)
    assert len(MODULES) > 50


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_down_the_layers(package: str) -> None:
    own = set(PACKAGES)
    wrong = sorted(
        f"{path}:{line} imports {imported}"
        for path, tree in MODULES.items()
        if path.split("/")[0] == package
        for imported, line in _imported_packages(tree, path)
        if imported in own and imported != package and imported not in ALLOWED[package]
    )
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package])}:\n" + "\n".join(wrong)


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = sorted(
        f"{path}:{line}"
        for path, tree in MODULES.items()
        if path != SETTINGS_MODULE and path not in ENVIRONMENT_EXCEPTIONS
        for line in _environment_reads(tree)
    )
    assert not readers, "read settings from vocab.settings, not the environment:\n" + "\n".join(readers)


def test_the_spark_exception_only_touches_pyspark_variables() -> None:
    source = (REPOSITORY / "suggest" / "spark.py").read_text(encoding="utf-8")
    for line in source.splitlines():
        if "os.environ" in line:
            assert "PYSPARK_" in line or "SPARK_LOCAL_IP" in line, line


def test_the_rules_catch_a_violation() -> None:
    """The checks themselves can fail: a module importing service from suggest and reading os.environ."""
    tree = ast.parse("import os\nfrom service.app import create_app\nhome = os.environ['CHARTCODER_HOME']\n")
    assert ("service", 2) in set(_imported_packages(tree, "suggest/bad.py"))
    assert list(_environment_reads(tree)) == [3]
