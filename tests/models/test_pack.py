"""Model packs: round trip, and every way a pack can be damaged or foreign is refused by name."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.errors import (
    ModelCodeSetMismatchError,
    ModelExistsError,
    ModelFormatError,
    ModelIntegrityError,
    ModelPartError,
    ModelTamperedError,
    ModelVersionError,
)
from models.manifest import MANIFEST_FILE, CodeSetRef, Versions, current_versions
from models.pack import manifest_sha256, read_manifest, read_pack, verify_pack, write_pack
from models.parts import register_part
from tests.models.helpers import CODE_SET, CodeList, FixedRanker, Unpicklable, WritesFileOnUnpickle, manifest


def _write(parent: Path, model_id: str = "model-test-1", **changes: Any) -> Path:
    write_pack(parent, manifest(model_id, **changes), {"ranker": FixedRanker(0.7), "extra": CodeList(["E11.9"])})
    return parent / model_id


def _edit_manifest(folder: Path, **changes: Any) -> None:
    data = json.loads((folder / MANIFEST_FILE).read_text())
    data.update(changes)
    (folder / MANIFEST_FILE).write_text(json.dumps(data))


def test_round_trip_keeps_parts_and_manifest(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    pack = read_pack(folder, code_set=CODE_SET)
    assert isinstance(pack.parts["ranker"], FixedRanker)
    assert pack.parts["ranker"].value == 0.7
    assert pack.parts["extra"].codes == ["E11.9"]
    assert pack.manifest.id == "model-test-1"
    assert pack.manifest.threshold == 0.4
    assert set(pack.manifest.files) == {"ranker.json", "extra.json", "extra.npz"}
    assert pack.manifest.parts == {"ranker": "chartcoder.TestFixedRanker.v1", "extra": "chartcoder.TestCodeList.v1"}
    assert all(len(sha) == 64 for sha in pack.manifest.files.values())


def test_a_modified_file_is_refused_naming_it(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    part = folder / "extra.npz"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"extra\.npz.*sha256"):
        read_pack(folder)


def test_a_truncated_file_is_refused_naming_it(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    part = folder / "extra.npz"
    part.write_bytes(part.read_bytes()[:10])
    with pytest.raises(ModelIntegrityError, match=r"extra\.npz"):
        read_pack(folder)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    (folder / "ranker.json").unlink()
    with pytest.raises(ModelIntegrityError, match=r"ranker\.json is missing"):
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
    sha = read_manifest(folder).files["ranker.json"]
    (folder / MANIFEST_FILE).write_text(text.replace(sha, "0" * 64))
    with pytest.raises(ModelIntegrityError, match=r"ranker\.json"):
        verify_pack(folder)


def test_another_scikit_learn_version_is_refused_before_any_part_is_read(tmp_path: Path) -> None:
    other = current_versions().model_copy(update={"scikit_learn": "0.24.2"})
    folder = _write(tmp_path, versions=other)
    with pytest.raises(ModelVersionError, match=r"scikit_learn 0\.24\.2"):
        read_pack(folder)


def test_a_pack_of_another_chartcoder_is_refused(tmp_path: Path) -> None:
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


# --- tampering and code: the audit's findings (issue 19, point 7) --------------------------------------------
def test_an_edited_threshold_is_refused_against_the_pinned_manifest_hash(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    pinned = manifest_sha256(folder)
    assert read_pack(folder, pinned_sha256=pinned).manifest.threshold == 0.4
    _edit_manifest(folder, threshold=0.05)
    with pytest.raises(ModelTamperedError, match=r"\[E103\]"):
        read_pack(folder, pinned_sha256=pinned)
    with pytest.raises(ModelTamperedError, match=r"\[E103\]"):
        verify_pack(folder, pinned_sha256=pinned)


def test_an_unknown_part_type_is_refused_with_a_numbered_error(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    _edit_manifest(folder, parts={"ranker": "chartcoder.NotAPart.v1", "extra": "chartcoder.TestCodeList.v1"})
    with pytest.raises(ModelPartError, match=r"\[E101\].*chartcoder\.NotAPart\.v1.*ranker"):
        read_pack(folder)


def _malicious_npz(path: Path, marker: Path) -> None:
    # np.save pickles object arrays: this archive would run open(marker, "w") if loaded with allow_pickle=True
    with path.open("wb") as handle:
        np.savez(handle, codes=np.array([WritesFileOnUnpickle(str(marker))], dtype=object))


def test_a_part_that_would_run_code_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    """The attacker replaces a part's arrays with a pickle and updates its sha256 in the manifest."""
    folder = _write(tmp_path)
    pinned = manifest_sha256(folder)
    marker = tmp_path / "ran.txt"
    _malicious_npz(folder / "extra.npz", marker)
    files = {
        **read_manifest(folder).files,
        "extra.npz": hashlib.sha256((folder / "extra.npz").read_bytes()).hexdigest(),
    }
    _edit_manifest(folder, files=files)
    with pytest.raises(ModelTamperedError, match=r"\[E103\]"):  # the pin catches the edited manifest first
        read_pack(folder, pinned_sha256=pinned)
    with pytest.raises(ModelPartError, match=r"\[E105\].*extra"):  # and without a pin, no pickle is loaded
        read_pack(folder)
    assert not marker.exists()


def test_a_pickled_part_file_is_refused_unread(tmp_path: Path) -> None:
    """A manifest that lists a pickle (the old format's .joblib) among the parts is refused before reading."""
    folder = _write(tmp_path)
    marker = tmp_path / "ran.txt"
    evil = folder / "ranker.joblib"
    evil.write_bytes(pickle.dumps(WritesFileOnUnpickle(str(marker))))
    files = {**read_manifest(folder).files, "ranker.joblib": hashlib.sha256(evil.read_bytes()).hexdigest()}
    _edit_manifest(folder, files=files)
    with pytest.raises(ModelPartError, match=r"\[E106\].*ranker\.joblib"):
        read_pack(folder)
    _edit_manifest(folder, format_version=1)  # dressed up as an old pack: refused, pointing at the upgrade
    with pytest.raises(ModelVersionError, match=r"\[E102\].*models upgrade"):
        read_pack(folder)
    assert not marker.exists()


@register_part("chartcoder.TestObjectArray.v1")
class _ObjectArray:
    def to_payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"values": np.array([{"a": 1}], dtype=object)}

    @classmethod
    def from_payload(cls, config: Any, arrays: Any) -> _ObjectArray:
        return cls()


def test_parts_hold_no_python_objects(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="objects"):
        write_pack(tmp_path, manifest("model-objects"), {"extra": _ObjectArray()})
    assert list(tmp_path.iterdir()) == []
