"""``load_engine`` resolves the model: the champion, a named pack, or the zero-shot heuristic."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import ModelCodeSetMismatchError, ModelIntegrityError, ModelNotFoundError, ModelTamperedError
from models.manifest import code_set_ref
from models.registry import MODELS_DIR_ENV, ModelRegistry
from suggest.pipeline import load_engine
from suggest.ranking import HeuristicRanker
from tests.models.helpers import FixedRanker, manifest


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mini_vocabulary) -> ModelRegistry:
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path / "models"))
    registry = ModelRegistry(tmp_path / "models")
    ref = code_set_ref(mini_vocabulary)
    registry.add(manifest("model-a", code_set=ref, threshold=0.25), {"ranker": FixedRanker(0.6)})
    registry.add(manifest("model-b", code_set=ref, threshold=0.55), {"ranker": FixedRanker(0.9)})
    return registry


def test_without_a_champion_the_engine_is_zero_shot(registry: ModelRegistry, mini_vocabulary) -> None:
    engine = load_engine(mini_vocabulary)
    assert isinstance(engine.ranker, HeuristicRanker)
    assert engine.model_id.startswith("zero-shot")


def test_the_champion_is_loaded_with_its_threshold(registry: ModelRegistry, mini_vocabulary) -> None:
    registry.promote("model-b")
    engine = load_engine(mini_vocabulary)
    assert engine.model_id == "model-b"
    assert engine.threshold == 0.55
    assert isinstance(engine.ranker, FixedRanker)
    result = engine.suggest("Assessment: type 2 diabetes mellitus.")
    assert result.model == "model-b"
    assert result.suggestions and all(suggestion.score <= 0.9 for suggestion in result.suggestions)


def test_a_named_model_and_zero_shot_override_the_champion(registry: ModelRegistry, mini_vocabulary) -> None:
    registry.promote("model-b")
    assert load_engine(mini_vocabulary, model="model-a").threshold == 0.25
    assert isinstance(load_engine(mini_vocabulary, model="zero-shot").ranker, HeuristicRanker)
    with pytest.raises(ModelNotFoundError, match="model-z"):
        load_engine(mini_vocabulary, model="model-z")


def test_a_tampered_champion_is_refused(registry: ModelRegistry, mini_vocabulary) -> None:
    registry.promote("model-a")
    part = registry.folder / "model-a" / "ranker.json"
    part.write_bytes(b"not a pickle")
    with pytest.raises(ModelIntegrityError, match=r"ranker\.json"):
        load_engine(mini_vocabulary)


def test_an_edited_champion_manifest_is_refused_by_the_engine(registry: ModelRegistry, mini_vocabulary) -> None:
    registry.promote("model-a")
    path = registry.folder / "model-a" / "manifest.json"
    path.write_text(path.read_text().replace('"threshold": 0.25', '"threshold": 0.01'))
    with pytest.raises(ModelTamperedError, match=r"\[E103\]"):
        load_engine(mini_vocabulary)


def test_a_pack_for_another_code_set_is_refused(registry: ModelRegistry, mini_vocabulary) -> None:
    registry.add(manifest("model-foreign"), {"ranker": FixedRanker()})
    with pytest.raises(ModelCodeSetMismatchError, match="model-foreign"):
        load_engine(mini_vocabulary, model="model-foreign")
