"""The bootstrap model: synthetic notes from the code set, deterministic, registered and promoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.registry import ModelRegistry
from suggest.learned import GradientRanker
from suggest.pipeline import load_engine, load_term_table
from training.bootstrap import NoteGenerator, build_bootstrap
from training.evaluate import evaluate
from training.train import engine_with


@pytest.fixture(scope="module")
def mini_engine(mini_vocabulary):
    return load_engine(mini_vocabulary, model="zero-shot")


@pytest.fixture(scope="module")
def generator(mini_vocabulary) -> NoteGenerator:
    return NoteGenerator(load_term_table(mini_vocabulary), mini_vocabulary.codeset, seed=3)


def test_synthetic_notes_are_deterministic_for_a_seed(generator: NoteGenerator, mini_vocabulary) -> None:
    first = list(generator.notes(20))
    assert first == list(generator.notes(20))
    other = NoteGenerator(load_term_table(mini_vocabulary), mini_vocabulary.codeset, seed=4)
    assert [note.text for note in other.notes(20)] != [note.text for note in first]


def test_synthetic_notes_are_labeled_sensibly(generator: NoteGenerator, mini_vocabulary) -> None:
    codes = mini_vocabulary.codeset.codes
    notes = list(generator.notes(50))
    assert len({note.id for note in notes}) == 50
    for note in notes:
        assert note.text.strip() and note.codes
        assert all(code in codes for code in (*note.codes, *note.rejected))
        assert not set(note.codes) & set(note.rejected)
    assert any(note.rejected for note in notes)  # negations, relatives, uncertainty: hard negatives
    assert any("Assessment and plan:" in note.text for note in notes)
    assert any(":" not in note.text.splitlines()[0][:30] for note in notes)  # narrative notes without headings


def test_bootstrap_builds_promotes_and_is_deterministic(mini_engine, tmp_path: Path) -> None:
    first = ModelRegistry(tmp_path / "one")
    second = ModelRegistry(tmp_path / "two")
    built = build_bootstrap(mini_engine, first, notes=150, seed=5)
    again = build_bootstrap(mini_engine, second, notes=150, seed=5)
    assert built.manifest.id == again.manifest.id
    assert built.manifest.files == again.manifest.files  # byte-identical parts
    assert built.manifest.kind == "bootstrap"
    assert first.champion() == built.manifest.id
    assert 0.0 <= built.manifest.threshold <= 1.0
    ranker = first.load(built.manifest.id).parts["ranker"]
    assert isinstance(ranker, GradientRanker)  # the inference part, not the training estimator
    other_seed = build_bootstrap(mini_engine, second, notes=150, seed=6, promote=False)
    assert other_seed.manifest.files != built.manifest.files
    assert second.champion() == again.manifest.id


def test_the_bootstrap_ranks_unseen_synthetic_notes_at_least_as_well_as_the_heuristic(
    mini_engine, mini_vocabulary, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path / "models")
    built = build_bootstrap(mini_engine, registry, notes=300, seed=7, promote=False)
    learned = engine_with(mini_engine, registry.load(built.manifest.id).parts["ranker"])
    unseen = list(NoteGenerator(load_term_table(mini_vocabulary), mini_vocabulary.codeset, seed=99).notes(80))
    assert evaluate(learned, unseen).map >= evaluate(mini_engine, unseen).map - 0.01


def test_building_the_same_bootstrap_twice_reuses_the_pack(mini_engine, tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    build_bootstrap(mini_engine, registry, notes=100, seed=1, promote=False)
    reused = build_bootstrap(mini_engine, registry, notes=100, seed=1)
    assert reused.fitted is None
    assert registry.champion() == reused.manifest.id
    assert registry.ids() == [reused.manifest.id]
