"""The one assembler: a code set and a model pack in, an :class:`Engine` out.

``load_engine`` builds the spaCy pipeline (clinical tokenizer -> sentences -> sections -> abbreviation
senses -> terms -> assertion), loads the term table from its cache beside the code set (building it once when missing),
and pairs it with a ranker: the champion model pack's learned ranker (and note classifier) when the
registry has a champion, the zero-shot heuristic otherwise. Everything else in chartcoder receives an Engine.
"""

from __future__ import annotations

import gc
import importlib
from pathlib import Path

from suggest.engine import Engine
from suggest.errors import EngineError
from suggest.guidelines import prepare_guidelines
from suggest.nlp import build_nlp
from suggest.note_checks import DEFAULT_MAX_NOTE_CHARS
from suggest.ranking import HeuristicRanker, NoteClassifier, Ranker
from suggest.risk_adjustment import load_hcc_tables
from suggest.term_table_cache import load_term_table
from suggest.types import ZERO_SHOT_MODEL
from vocab.vocabulary import Vocabulary, load_vocabulary

__all__ = [
    "HEURISTIC_THRESHOLD",
    "ZERO_SHOT_MODEL",
    "load_engine",
    "register_pack_parts",
    "resolve_model",
    "with_model",
]

# Chosen on CodiEsp train (never on dev) for the best micro F1 of the heuristic ranker (F1 0.395 there).
HEURISTIC_THRESHOLD = 0.35


def load_engine(
    vocabulary: Vocabulary | None = None,
    *,
    home: Path | None = None,
    model: str | None = None,
    max_note_chars: int = DEFAULT_MAX_NOTE_CHARS,
    models_dir: Path | None = None,
) -> Engine:
    """The engine over the code set in ``home`` (or the given vocabulary).

    ``model`` None: the registry's champion (``<home>/models``, see :mod:`models.registry`), or the zero-shot
    heuristic when there is none; ``"zero-shot"`` (or ``"zero-shot-<release>"``): the heuristic ranker, which
    needs no training data; any other value: that model pack. A pack is verified (hashes, library versions,
    code set, its manifest against the hash pinned in the registry) before any part is built, and refused with
    a named :class:`models.errors.ModelError` otherwise.
    ``models_dir``: the registry's folder, when not the settings' (:meth:`vocab.settings.Settings.registry_folder`).
    """
    if vocabulary is None:
        vocabulary = load_vocabulary(home)
    vocabulary.code_search  # noqa: B018 - load the search lexicon now (abbreviations, search), not on a note
    for source in vocabulary.index_sources():  # and the Index and tables the guideline steps walk
        vocabulary.index(source)
    prepare_guidelines(vocabulary)  # the Alphabetic Index's "with" links, read by the combination step
    load_hcc_tables()  # CMS-HCC mapping of every suggestion (suggest.risk_adjustment), read now, not on a note
    ranker, classifier, model_id, threshold = resolve_model(vocabulary, model, home, models_dir)
    table = load_term_table(vocabulary)
    nlp = build_nlp(table)
    engine = Engine(
        vocabulary=vocabulary,
        nlp=nlp,
        ranker=ranker,
        model_id=model_id,
        threshold=threshold,
        max_note_chars=max_note_chars,
        classifier=classifier,
    )
    _exempt_from_collection()
    return engine


def with_model(engine: Engine, model: str | None = None, *, home: Path | None = None) -> Engine:
    """``engine``'s code set and spaCy pipeline with another model (same meaning of ``model`` as in
    :func:`load_engine`); only the pack is read, so switching models costs milliseconds, not a pipeline build.

    The service swaps its engine this way when the registry's champion changes.
    """
    ranker, classifier, model_id, threshold = resolve_model(engine.vocabulary, model, home)
    swapped = Engine(
        vocabulary=engine.vocabulary,
        nlp=engine.nlp,
        ranker=ranker,
        model_id=model_id,
        threshold=threshold,
        max_note_chars=engine.max_note_chars,
        classifier=classifier,
    )
    _exempt_from_collection()
    return swapped


def _exempt_from_collection() -> None:
    """Move the objects alive now (code set, term table, pipeline, model) out of the cyclic garbage collector's
    sight. They live as long as the process, yet every full collection walked all of them: 5% of the time and
    the slowest notes' latency. Reference counting still frees whatever is dropped later (an old model)."""
    gc.freeze()  # no collection first: it cost half a second a load, for garbage that is kilobytes


def register_pack_parts() -> None:
    """Register the engine's pack part types (``chartcoder.GradientRanker.v1``, ``chartcoder.TfidfNoteClassifier.v1``)
    with :mod:`models.parts`, as importing spaCy registers its factories. Whatever reads or verifies packs calls
    this first (the engine, ``chartcoder models``, the service's model routes); kept out of module import because
    the part classes pull in scikit-learn, which a zero-shot engine never needs.

    Then the modules the ``part_modules`` setting names (``CHARTCODER_PART_MODULES``): part types of the
    operator's own, registered in every process that reads packs, engine processes included."""
    from suggest import classifier, learned  # noqa: F401 - imported for their @register_part side effect
    from vocab.settings import get_settings

    for name in get_settings().part_modules:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise EngineError(f"The part_modules setting names {name!r}, which cannot be imported: {error}") from None


def resolve_model(
    vocabulary: Vocabulary, model: str | None, home: Path | None = None, models_dir: Path | None = None
) -> tuple[Ranker, NoteClassifier | None, str, float]:
    """(ranker, classifier, model id, threshold) for the named model, the champion, or the heuristic.

    The registry is ``models_dir`` when given, else ``home``'s, else the one beside the code set.
    """
    zero_shot_id = f"{ZERO_SHOT_MODEL}-{vocabulary.release.split(' ')[0].lower()}"
    if model is not None and model.startswith(ZERO_SHOT_MODEL):
        return HeuristicRanker(), None, zero_shot_id, HEURISTIC_THRESHOLD
    # Imported here: the registry and the part classes pull in scikit-learn, which a zero-shot engine never needs.
    from models.manifest import code_set_ref
    from models.registry import ModelRegistry

    register_pack_parts()

    registry = ModelRegistry(models_dir) if models_dir is not None else ModelRegistry.for_home(home or vocabulary.home)
    model_id = model or registry.champion()
    if model_id is None:
        return HeuristicRanker(), None, zero_shot_id, HEURISTIC_THRESHOLD
    # Verified against the manifest hash pinned in the registry, then built from JSON and arrays: nothing in a
    # pack runs, and no `training` module is imported.
    pack = registry.load(model_id, code_set=code_set_ref(vocabulary))
    ranker, classifier = pack.parts.get("ranker"), pack.parts.get("classifier")
    if not isinstance(ranker, Ranker):
        raise EngineError(f"Model pack {model_id!r} has no ranker part that implements the Ranker protocol.")
    if classifier is not None and not isinstance(classifier, NoteClassifier):
        raise EngineError(f"Model pack {model_id!r}: its classifier does not implement the NoteClassifier protocol.")
    return ranker, classifier, pack.manifest.id, pack.manifest.threshold
