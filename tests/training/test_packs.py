"""Model packs the engine runs without `training`: inference parts, the upgrade from the pickle release, imports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.errors import ModelVersionError
from models.manifest import CodeSetRef, DataFingerprint, ModelManifest, current_versions, utc_timestamp
from models.pack import read_pack
from models.registry import MODELS_DIR_ENV, ModelRegistry
from suggest.classifier import TfidfNoteClassifier
from suggest.learned import GradientRanker
from suggest.pipeline import load_engine, load_term_table
from training.bootstrap import NoteGenerator
from training.data import LabeledNote
from training.evaluate import evaluate
from training.train import FittedModel, TrainingOptions, engine_with, fit_model, write_model_pack
from training.upgrade import upgrade_home, write_format1_artifact, write_format1_pack
from vocab.errors import CodeSetFormatError
from vocab.vocabulary import load_vocabulary

FAST = TrainingOptions(seed=0, n_jobs=1, classifier_folds=3, ranker_params={"max_iter": 30})


@pytest.fixture(scope="module")
def mini_engine(mini_vocabulary):
    return load_engine(mini_vocabulary, model="zero-shot")


@pytest.fixture(scope="module")
def notes(mini_vocabulary) -> list[LabeledNote]:
    return list(NoteGenerator(load_term_table(mini_vocabulary), mini_vocabulary.codeset, seed=5).notes(100))


@pytest.fixture(scope="module")
def fitted(mini_engine, notes) -> FittedModel:
    return fit_model(mini_engine, notes[:80], FAST)


def _manifest(model_id: str, code_set: CodeSetRef) -> ModelManifest:
    return ModelManifest(
        id=model_id,
        kind="learned",
        created=utc_timestamp(),
        code_set=code_set,
        versions=current_versions(),
        training_data=DataFingerprint(notes=80, codes=1, sha256="0" * 64),
        threshold=0.3,
    )


def _suggestions(engine, notes: list[LabeledNote]) -> list[str]:
    return [json.dumps(engine.suggest(note.text, note_id=note.id).to_dict(), sort_keys=True) for note in notes]


def test_the_pack_parts_score_exactly_as_the_fitted_estimators(fitted: FittedModel, notes, mini_engine) -> None:
    ranker = GradientRanker.from_payload(*fitted.ranker.to_part().to_payload())
    assert fitted.classifier is not None
    classifier = TfidfNoteClassifier.from_payload(*fitted.classifier.to_part().to_payload())
    for note in notes[80:]:
        candidates = mini_engine.candidates(note.text)
        assert ranker.score(candidates) == fitted.ranker.score(candidates)
        assert classifier.predict_proba(note.text) == fitted.classifier.predict_proba(note.text)
        for code in list(fitted.classifier.codes_)[:5]:
            assert classifier.evidence_words(note.text, code) == fitted.classifier.evidence_words(note.text, code)
    texts = [note.text for note in notes[80:]]
    assert np.array_equal(classifier.predict_proba_many(texts), fitted.classifier.predict_proba_many(texts))


def _old_release_home(home: Path, mini_home: Path, fitted: FittedModel) -> str:
    """A home as the pickle release left it: a format-1 (pickled) code set and a format-1 champion over it."""
    vocabulary = load_vocabulary(mini_home)
    old_codeset = home / "codeset"
    write_format1_artifact(
        old_codeset, {"tabular": vocabulary.codeset, "lexicon": vocabulary.code_search}, vocabulary.release
    )
    files = json.loads((old_codeset / "manifest.json").read_text())["files"]
    old_ref = CodeSetRef(
        release=vocabulary.release, tabular_sha256=files["tabular.pkl"], lexicon_sha256=files["lexicon.pkl"]
    )
    registry = ModelRegistry(home / "models")
    model_id = "model-old-release"
    parts = {"ranker": fitted.ranker, "classifier": fitted.classifier}
    write_format1_pack(registry.folder, _manifest(model_id, old_ref), parts)
    (registry.folder / "registry.json").write_text(json.dumps({"champion": model_id, "history": []}))
    return model_id


def test_upgrade_converts_a_home_of_the_pickle_release_and_suggestions_do_not_change(
    tmp_path: Path, mini_home: Path, fitted: FittedModel, mini_engine, notes, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    model_id = _old_release_home(home, mini_home, fitted)
    monkeypatch.setenv(MODELS_DIR_ENV, str(home / "models"))
    with pytest.raises(CodeSetFormatError, match="models upgrade"):  # never converted silently at load
        load_engine(home=home)
    with pytest.raises(ModelVersionError, match=r"\[E102\]"):
        read_pack(home / "models" / model_id)

    report = upgrade_home(home, ModelRegistry(home / "models"))
    assert report.codeset_converted and report.packs_converted == [model_id] and not report.packs_refused

    engine = load_engine(home=home)
    assert engine.model_id == model_id and isinstance(engine.ranker, GradientRanker)
    assert isinstance(engine.classifier, TfidfNoteClassifier) and engine.threshold == 0.3
    before = engine_with(mini_engine, fitted.ranker, fitted.classifier, model_id=model_id, threshold=0.3)
    assert _suggestions(engine, notes[80:]) == _suggestions(before, notes[80:])
    again = upgrade_home(home, ModelRegistry(home / "models"))  # idempotent
    assert not again.codeset_converted and again.packs_converted == [] and again.packs_pinned == [model_id]


def test_a_fresh_process_codes_a_note_with_a_trained_champion_without_importing_training(
    tmp_path: Path, mini_home: Path, fitted: FittedModel, mini_engine, notes
) -> None:
    home = tmp_path / "home"
    shutil.copytree(mini_home / "codeset", home / "codeset")
    registry = ModelRegistry(home / "models")
    manifest = write_model_pack(
        registry,
        load_vocabulary(home),
        fitted,
        model_id="model-fresh",
        kind="learned",
        threshold=0.2,
        report=evaluate(mini_engine, notes[80:85]),
        parameters={},
        fingerprint=DataFingerprint(notes=80, codes=1, sha256="0" * 64),
        validation="",
        description="",
    )
    registry.promote(manifest.id)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from suggest.pipeline import load_engine\n"
        f"engine = load_engine(home=Path({str(home)!r}))\n"
        "result = engine.suggest('Type 2 diabetes mellitus with diabetic chronic kidney disease. Hypertension.')\n"
        "assert engine.model_id == 'model-fresh', engine.model_id\n"
        "assert type(engine.ranker).__name__ == 'GradientRanker' and engine.classifier is not None\n"
        "assert result.suggestions, 'no suggestion'\n"
        "loaded = sorted(name for name in sys.modules if name == 'training' or name.startswith('training.'))\n"
        "assert not loaded, loaded\n"
        "print('ok', len(result.suggestions))\n"
    )
    environment = {key: value for key, value in __import__("os").environ.items() if key != MODELS_DIR_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False, env=environment
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("ok")
    # the CLI verifies the pack in a fresh process too (its part types registered without the engine loaded)
    show = subprocess.run(
        [sys.executable, "-m", "cli.main", "models", "show", "model-fresh", "--json", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )
    assert show.returncode == 0 and json.loads(show.stdout)["verified"], show.stdout[-2000:] + show.stderr[-2000:]
