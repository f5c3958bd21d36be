"""The registry: list, show, promote, rollback, with exactly one champion."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from models.errors import ModelIntegrityError, ModelNotFoundError, ModelTamperedError, RegistryError
from models.registry import MODELS_DIR_ENV, REGISTRY_FILE, ModelRegistry, registry_folder
from tests.models.helpers import FixedRanker, manifest
from vocab.settings import get_settings


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    registry = ModelRegistry(tmp_path / "models")
    for number in (1, 2, 3):
        registry.add(
            manifest(f"model-{number}", created=f"2026-01-0{number}T00:00:00+00:00"), {"ranker": FixedRanker()}
        )
    return registry


def test_list_and_show(registry: ModelRegistry) -> None:
    assert registry.ids() == ["model-1", "model-2", "model-3"]
    assert [found.id for found in registry.manifests()] == ["model-1", "model-2", "model-3"]
    assert registry.manifest("model-2").threshold == 0.4
    assert registry.champion() is None


def test_promote_keeps_exactly_one_champion_and_rollback_restores_the_previous(registry: ModelRegistry) -> None:
    registry.promote("model-1")
    registry.promote("model-2")
    registry.promote("model-3")
    state = json.loads((registry.folder / REGISTRY_FILE).read_text())
    assert state["champion"] == "model-3"
    assert state["history"] == ["model-1", "model-2"]
    assert registry.rollback().champion == "model-2"
    assert registry.rollback().champion == "model-1"
    with pytest.raises(RegistryError, match="Nothing to roll back"):
        registry.rollback()
    assert registry.champion() == "model-1"


def test_promoting_the_champion_again_changes_nothing(registry: ModelRegistry) -> None:
    registry.promote("model-1")
    registry.promote("model-1")
    assert registry.state().history == ()


def test_rollback_skips_deleted_packs(registry: ModelRegistry) -> None:
    import shutil

    for model_id in ("model-1", "model-2", "model-3"):
        registry.promote(model_id)
    shutil.rmtree(registry.folder / "model-2")
    assert registry.rollback().champion == "model-1"


def test_demote_falls_back_to_zero_shot_and_rollback_undoes_it(registry: ModelRegistry) -> None:
    registry.promote("model-1")
    registry.demote()
    assert registry.champion() is None
    assert registry.rollback().champion == "model-1"


def test_unknown_model_is_named(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFoundError, match=r"No model 'model-9'.*model-1, model-2, model-3"):
        registry.promote("model-9")
    with pytest.raises(ModelNotFoundError):
        registry.manifest("../model-1")


def test_a_tampered_pack_cannot_be_promoted(registry: ModelRegistry) -> None:
    part = registry.folder / "model-2" / "ranker.json"
    part.write_bytes(part.read_bytes()[:-5])
    with pytest.raises(ModelIntegrityError, match=r"ranker\.json"):
        registry.promote("model-2")
    assert registry.champion() is None


def test_half_written_packs_are_not_listed(registry: ModelRegistry) -> None:
    (registry.folder / ".model-4-tmp").mkdir()
    (registry.folder / "model-5").mkdir()  # no manifest: not a pack
    assert registry.ids() == ["model-1", "model-2", "model-3"]


def test_an_unreadable_registry_file_is_a_named_error(registry: ModelRegistry) -> None:
    (registry.folder / REGISTRY_FILE).write_text("{not json")
    with pytest.raises(RegistryError, match=REGISTRY_FILE):
        registry.champion()


def test_the_folder_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MODELS_DIR_ENV, raising=False)
    assert registry_folder(tmp_path / "home") == tmp_path / "home" / "models"
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path / "elsewhere"))
    get_settings.cache_clear()  # settings are read once per process (vocab.settings); a new process reads this
    assert registry_folder(tmp_path / "home") == tmp_path / "elsewhere"


def _edit_threshold(folder: Path, threshold: float) -> None:
    data = json.loads((folder / "manifest.json").read_text())
    data["threshold"] = threshold
    (folder / "manifest.json").write_text(json.dumps(data, indent=2))


def test_a_pack_is_pinned_when_registered_and_an_edited_manifest_is_refused(registry: ModelRegistry) -> None:
    """Issue 19 finding 7: editing `threshold` in manifest.json used to load silently."""
    assert set(registry.state().pins) == {"model-1", "model-2", "model-3"}
    registry.promote("model-2")
    _edit_threshold(registry.folder / "model-2", 0.01)
    with pytest.raises(ModelTamperedError, match=r"\[E103\]"):
        registry.load("model-2")
    with pytest.raises(ModelTamperedError, match=r"\[E103\]"):
        registry.promote("model-2")
    assert registry.problem("model-2") is not None and registry.problem("model-1") is None


def test_a_pack_copied_in_without_a_pin_is_refused(registry: ModelRegistry, tmp_path: Path) -> None:
    other = ModelRegistry(tmp_path / "elsewhere")
    other.add(manifest("model-copied"), {"ranker": FixedRanker()})
    shutil.copytree(other.folder / "model-copied", registry.folder / "model-copied")
    with pytest.raises(ModelTamperedError, match=r"\[E104\].*models upgrade"):
        registry.load("model-copied")
    registry.pin_current("model-copied")  # what `chartcoder models upgrade` does for packs the user vouches for
    assert registry.load("model-copied").parts["ranker"].value == 0.42
