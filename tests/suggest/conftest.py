"""Engines for the suggestion tests: over the indexed FY2026 vocabulary, and over the mini code set."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def engine(indexed_vocabulary):
    """The zero-shot engine over the full code set with the Alphabetic Index imported."""
    from suggest.pipeline import load_engine

    return load_engine(indexed_vocabulary)


@pytest.fixture(scope="session")
def mini_engine(mini_vocabulary):
    from suggest.pipeline import load_engine

    return load_engine(mini_vocabulary)
