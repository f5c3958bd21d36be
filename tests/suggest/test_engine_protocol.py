"""The engine protocols: spaCy-free to import, and met by the engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from suggest.engine_protocol import BatchEngine, ReloadableEngine, ScoringEngine, SuggestionEngine


def test_typing_against_an_engine_loads_no_engine() -> None:
    code = (
        "import sys, suggest.engine_protocol, suggest.engine_pool\n"
        "print(sorted(name for name in ('spacy', 'sklearn', 'training') if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path.cwd())
    assert result.stdout.strip() == "[]"


def test_the_engine_meets_every_protocol(mini_engine) -> None:
    for protocol in (SuggestionEngine, BatchEngine, ReloadableEngine, ScoringEngine):
        assert isinstance(mini_engine, protocol), protocol.__name__


def test_a_note_alone_is_not_an_engine() -> None:
    assert not isinstance("a note", SuggestionEngine)
