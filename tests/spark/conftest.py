"""One SparkSession for the Spark tests: local[2] on 127.0.0.1, no UI, few shuffle partitions.

Skipped, with the reason, where PySpark (the ``spark`` extra) or Java is missing; failed instead where
``CHARTCODER_TEST_REQUIRE_SPARK`` is set (``.ci/run`` sets it: CI installs both, and must not go green on a
skipped Spark suite). Skip them on purpose with ``-m "not spark"``.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Iterator

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Also declared in pyproject's markers; registered here too so --strict-markers accepts it either way.
    config.addinivalue_line("markers", "spark: runs Apache Spark in local mode (needs the spark extra and Java 17)")


def _unavailable(reason: str) -> None:
    if os.environ.get("CHARTCODER_TEST_REQUIRE_SPARK"):
        pytest.fail(f"{reason} (CHARTCODER_TEST_REQUIRE_SPARK is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark_modules() -> None:
    """PySpark, pandas and pyarrow are importable (the ``spark`` extra)."""
    for module in ("pyspark", "pandas", "pyarrow"):
        try:
            importlib.import_module(module)
        except ImportError:
            _unavailable(f"{module} is not installed: pip install -e '.[spark]'")


@pytest.fixture(scope="session")
def spark(spark_modules: None) -> Iterator[object]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _unavailable("Java (17) is not installed: Spark needs a JVM")
    # Spark's Python workers are children of the JVM: they must run this interpreter, which has chartcoder.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("chartcoder-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "64")
        # A known string-hash seed in the workers: the CodiEsp identity test gives the single-process batch
        # another one, so that a result decided by set iteration order cannot pass by chance.
        .config("spark.executorEnv.PYTHONHASHSEED", "0")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
