"""The engine's public names in one place (kept for the modules and scripts that import them from here).

Each job lives in its own module: :mod:`suggest.engine` (the Engine), :mod:`suggest.loading` (assembling an
engine, resolving the model), :mod:`suggest.nlp` (the spaCy pipeline), :mod:`suggest.classifier_candidates`
(the note classifier's candidates), :mod:`suggest.note_checks` (input checks) and
:mod:`suggest.term_table_cache` (the term table's cache file).
"""

from __future__ import annotations

from suggest.classifier_candidates import with_classifier
from suggest.engine import Engine
from suggest.loading import ZERO_SHOT_MODEL, load_engine, with_model
from suggest.nlp import build_nlp
from suggest.note_checks import DEFAULT_MAX_NOTE_CHARS
from suggest.term_table_cache import load_term_table

__all__ = [
    "DEFAULT_MAX_NOTE_CHARS",
    "ZERO_SHOT_MODEL",
    "Engine",
    "build_nlp",
    "load_engine",
    "load_term_table",
    "with_classifier",
    "with_model",
]
