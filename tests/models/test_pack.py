"""Model packs: round trip, and every way a pack can be damaged or foreign is refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from models.errors import (
    ModelCodeSetMismatchError,
    ModelExistsError,
    ModelFormatError,
    ModelIntegrityError,
    ModelVersionError,
)
from models.manifest import MANIFEST_FILE, CodeSetRef, Versions, current_versions
from models.pack import read_manifest, read_pack, verify_pack, write_pack
from tests.models.helpers import CODE_SET, FixedRanker, Unpicklable, manifest


def _write(parent: Path, model_id: str = "model-test-1", **changes: Any) -> Path:
    write_pack(parent, manifest(model_id, **changes), {"ranker": FixedRanker(0.7), "extra": {"codes": ["E11.9"]}})
    return parent / model_id


def test_round_trip_keeps_parts_and_manifest(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    pack = read_pack(folder, code_set=CODE_SET)
    assert isinstance(pack.parts["ranker"], FixedRanker)
    assert pack.parts["ranker"].value == 0.7
    assert pack.parts["extra"] == {"codes": ["E11.9"]}
    assert pack.manifest.id == "model-test-1"
    assert pack.manifest.threshold == 0.4
    assert set(pack.manifest.files) == {"ranker.joblib", "extra.joblib"}
    assert all(len(sha) == 64 for sha in pack.manifest.files.values())


def test_a_modified_file_is_refused_naming_it(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    part = folder / "ranker.joblib"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"ranker\.joblib.*sha256"):
        read_pack(folder)


def test_a_truncated_file_is_refused_naming_it(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    part = folder / "extra.joblib"
    part.write_bytes(part.read_bytes()[:10])
    with pytest.raises(ModelIntegrityError, match=r"extra\.joblib"):
        read_pack(folder)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    (folder / "ranker.joblib").unlink()
    with pytest.raises(ModelIntegrityError, match=r"ranker\.joblib is missing"):
        read_pack(folder)


def test_a_damaged_manifest_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    text = (folder / MANIFEST_FILE).read_text()
    (folder / MANIFEST_FILE).write_text(text[: len(text) // 2])
    with pytest.raises(ModelFormatError, match=r"manifest\.json"):
        read_pack(folder)


def test_a_manifest_that_names_a_changed_hash_is_refused(tmp_path: Path) -> None:
    """Editing the manifest to match a tampered file needs the new hash; an edited hash alone fails."""
    folder = _write(tmp_path)
    text = (folder / MANIFEST_FILE).read_text()
    sha = read_manifest(folder).files["ranker.joblib"]
    (folder / MANIFEST_FILE).write_text(text.replace(sha, "0" * 64))
    with pytest.raises(ModelIntegrityError, match=r"ranker\.joblib"):
        verify_pack(folder)


def test_another_scikit_learn_version_is_refused_before_unpickling(tmp_path: Path) -> None:
    other = current_versions().model_copy(update={"scikit_learn": "0.24.2"})
    folder = _write(tmp_path, versions=other)
    with pytest.raises(ModelVersionError, match=r"scikit_learn 0\.24\.2"):
        read_pack(folder)


def test_a_part_stamped_by_other_versions_is_refused(tmp_path: Path) -> None:
    """The manifest is checked first, the stamp inside each part again after unpickling."""
    folder = _write(tmp_path)
    installed = current_versions()
    newer = Versions(**{**installed.model_dump(), "chartcoder": "9.9.9"})
    with pytest.raises(ModelVersionError, match="chartcoder"):
        read_pack(folder, versions=newer)


def test_another_code_set_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    other = CodeSetRef(release=CODE_SET.release, tabular_sha256=CODE_SET.tabular_sha256, lexicon_sha256="d" * 64)
    with pytest.raises(ModelCodeSetMismatchError, match="lexicon_sha256"):
        read_pack(folder, code_set=other)


def test_a_crash_while_writing_leaves_no_pack(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="simulated crash"):
        write_pack(tmp_path, manifest("model-crash"), {"ranker": FixedRanker(), "broken": Unpicklable()})
    assert list(tmp_path.iterdir()) == []  # neither the pack nor its temporary folder


def test_packs_are_immutable(tmp_path: Path) -> None:
    _write(tmp_path)
    with pytest.raises(ModelExistsError):
        _write(tmp_path)


def test_part_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="part names"):
        write_pack(tmp_path, manifest(), {"../escape": FixedRanker()})
    assert list(tmp_path.iterdir()) == []
