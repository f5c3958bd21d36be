"""Read and write model packs: a folder of joblib parts and a manifest of their sha256 hashes.

Layout of a pack (``<registry>/<id>/``)::

    manifest.json       ModelManifest: id, versions, code-set reference, data fingerprint, metrics, threshold
    ranker.joblib       the learned ranker (a ``suggest.ranking.Ranker``)
    classifier.joblib   the note classifier (a ``suggest.ranking.NoteClassifier``), optional

The spaCy pipeline is not copied into the pack: it is a pure function of the code-set artifact (its term
table is cached beside the artifact, keyed by the artifact's hashes), so the manifest names the artifact by
the sha256 of its tabular and lexicon parts instead, and a pack over any other artifact is refused. That
keeps packs a few MB instead of carrying a 100 MB term table each, and it guarantees the candidates the
ranker scores are generated exactly as during training.

Loading checks, in order and before anything is unpickled: the manifest parses, the pack format, the
chartcoder / spaCy / scikit-learn versions, the code set, and every file's sha256. Each part is also stamped
with the versions that wrote it, checked again after unpickling, so a part copied from another pack cannot
slip through. Writing goes to a hidden temporary folder beside the target that is renamed into place in one
step: a crash leaves either no pack or a complete one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
from pydantic import ValidationError

from models.errors import (
    ModelCodeSetMismatchError,
    ModelExistsError,
    ModelFormatError,
    ModelIntegrityError,
    ModelVersionError,
)
from models.manifest import MANIFEST_FILE, PACK_FORMAT, CodeSetRef, ModelManifest, Versions, current_versions
from vocab.artifact import sha256_file

__all__ = ["PART_SUFFIX", "LoadedPack", "read_manifest", "read_pack", "verify_pack", "write_pack"]

PART_SUFFIX = ".joblib"
_PART_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_STAMP_KEY = "chartcoder_model_part"
# zlib level 3: deterministic bytes (the bootstrap pack hashes the same run after run), ~4x smaller parts.
_COMPRESS = ("zlib", 3)


@dataclass(frozen=True)
class LoadedPack:
    folder: Path
    manifest: ModelManifest
    parts: dict[str, Any]


# --- writing ----------------------------------------------------------------------------------------------
def write_pack(parent: Path, manifest: ModelManifest, parts: Mapping[str, Any]) -> ModelManifest:
    """Write ``parts`` (name -> object) and the manifest as ``parent/<manifest.id>``, atomically.

    The manifest's ``files`` are filled in here; the returned manifest is the one written.
    """
    parent.mkdir(parents=True, exist_ok=True)
    target = parent / manifest.id
    if target.exists():
        raise ModelExistsError(f"A model pack {manifest.id!r} already exists at {target}.")
    staging = Path(tempfile.mkdtemp(prefix=f".{manifest.id}-", dir=parent))
    try:
        files = {}
        for name, value in parts.items():
            if not _PART_NAME.match(name):
                raise ValueError(f"part names are lower-case identifiers, not {name!r}")
            path = staging / f"{name}{PART_SUFFIX}"
            joblib.dump(_stamped(name, value, manifest.versions), path, compress=_COMPRESS)
            files[path.name] = sha256_file(path)
        written = manifest.model_copy(update={"files": files})
        (staging / MANIFEST_FILE).write_text(written.to_json(), encoding="utf-8")
        _sync_folder(staging)
        _rename_into_place(staging, target, manifest.id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def _stamped(name: str, value: Any, versions: Versions) -> dict[str, Any]:
    return {_STAMP_KEY: name, "versions": versions.model_dump(), "object": value}


def _sync_folder(folder: Path) -> None:
    """Flush every file and the folder entry, so the rename never publishes a pack still in the page cache."""
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _rename_into_place(staging: Path, target: Path, model_id: str) -> None:
    try:
        # rename(2) of a folder onto a non-empty folder fails: a concurrent writer of the same id loses cleanly.
        os.rename(staging, target)
    except OSError as error:
        raise ModelExistsError(f"A model pack {model_id!r} already exists at {target}.") from error


# --- reading ----------------------------------------------------------------------------------------------
def read_manifest(folder: Path) -> ModelManifest:
    """The pack's manifest, parsed and checked for format; nothing else is read."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ModelFormatError(f"{path} is missing: {folder} is not a complete chartcoder model pack.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ModelFormatError(f"{path} is not readable JSON (truncated or modified?): {error}") from error
    if isinstance(data, dict) and data.get("format_version") not in (None, PACK_FORMAT):
        raise ModelVersionError(
            f"{folder} is a model pack in format {data.get('format_version')}; this chartcoder reads format "
            f"{PACK_FORMAT}. Retrain it with `chartcoder train` or rebuild it with `chartcoder models bootstrap`."
        )
    try:
        return ModelManifest.model_validate(data)
    except ValidationError as error:
        raise ModelFormatError(f"{path} is not a chartcoder model manifest: {error}") from error


def verify_pack(folder: Path, *, code_set: CodeSetRef | None = None, versions: Versions | None = None) -> ModelManifest:
    """Every check that needs no unpickling: manifest, versions, code set (when given), file hashes."""
    manifest = read_manifest(folder)
    _check_versions(folder, manifest, versions or current_versions())
    if code_set is not None:
        _check_code_set(manifest, code_set)
    _check_files(folder, manifest)
    return manifest


def read_pack(folder: Path, *, code_set: CodeSetRef | None = None, versions: Versions | None = None) -> LoadedPack:
    """Verify the pack (see :func:`verify_pack`), then unpickle its parts."""
    installed = versions or current_versions()
    manifest = verify_pack(folder, code_set=code_set, versions=installed)
    parts = {
        filename.removesuffix(PART_SUFFIX): _load_part(folder / filename, manifest, installed)
        for filename in sorted(manifest.files)
    }
    return LoadedPack(folder=folder, manifest=manifest, parts=parts)


def _check_versions(folder: Path, manifest: ModelManifest, installed: Versions) -> None:
    problems = manifest.versions.incompatibilities(installed)
    if problems:
        raise ModelVersionError(
            f"Model pack {manifest.id!r} ({folder}) was written by other library versions: {'; '.join(problems)}. "
            "Pickled estimators are only safe with the versions that wrote them: retrain it with "
            "`chartcoder train`, rebuild it with `chartcoder models bootstrap`, or reinstall those versions."
        )


def _check_code_set(manifest: ModelManifest, loaded: CodeSetRef) -> None:
    problems = manifest.code_set.differences(loaded)
    if problems:
        raise ModelCodeSetMismatchError(
            f"Model pack {manifest.id!r} was trained on another code-set artifact: {'; '.join(problems)}. "
            "Its ranker would score candidates generated differently; retrain it (`chartcoder train`), rebuild "
            "the bootstrap model (`chartcoder models bootstrap`), or run with `--model zero-shot`."
        )


def _check_files(folder: Path, manifest: ModelManifest) -> None:
    for filename, expected in sorted(manifest.files.items()):
        if "/" in filename or "\\" in filename or filename.startswith("."):
            raise ModelFormatError(f"{folder / MANIFEST_FILE} names an unsafe file {filename!r}.")
        path = folder / filename
        if not path.is_file():
            raise ModelIntegrityError(f"{path} is missing from model pack {manifest.id!r}.")
        if sha256_file(path) != expected:
            raise ModelIntegrityError(
                f"{path} does not match its sha256 in the manifest of model pack {manifest.id!r} "
                "(truncated or modified); it will not be loaded. Restore the pack or train a new one."
            )


def _load_part(path: Path, manifest: ModelManifest, installed: Versions) -> Any:
    from sklearn.exceptions import InconsistentVersionWarning  # scikit-learn loads only with a pack

    try:
        with warnings.catch_warnings():
            # scikit-learn warns (not fails) when unpickling another version's estimator; here that is fatal.
            warnings.simplefilter("error", InconsistentVersionWarning)
            stamped = joblib.load(path)
    except InconsistentVersionWarning as warning:
        raise ModelVersionError(f"{path}: {warning}") from None
    except Exception as error:  # a hash-verified file that still fails to unpickle: a missing class, say
        raise ModelFormatError(f"{path} could not be loaded: {type(error).__name__}: {error}") from error
    if not isinstance(stamped, dict) or stamped.get(_STAMP_KEY) != path.name.removesuffix(PART_SUFFIX):
        raise ModelFormatError(f"{path} is not a chartcoder model part (no version stamp naming it).")
    stamp = Versions.model_validate(stamped["versions"])
    problems = stamp.incompatibilities(installed)
    if problems:
        raise ModelVersionError(f"{path} was written by other library versions: {'; '.join(problems)}.")
    return stamped["object"]
