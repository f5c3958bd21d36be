"""Read and write model packs: a folder of parts (JSON config + NumPy arrays) and a manifest of their sha256.

Layout of a pack (``<registry>/<id>/``)::

    manifest.json       ModelManifest: id, versions, code-set reference, data fingerprint, metrics, threshold,
                        each file's sha256 and each part's registered type (``chartcoder.GradientRanker.v1``)
    ranker.json         the learned ranker's config (a ``suggest.ranking.Ranker`` once loaded)
    ranker.npz          its arrays (trees, calibration)
    classifier.json/.npz  the note classifier (a ``suggest.ranking.NoteClassifier``), optional

Nothing in a pack is code. Each part is loaded by the class registered under its type
(:mod:`models.parts`) from JSON and an ``.npz`` read with ``allow_pickle=False``: a pack can be wrong, but it
cannot run anything. A part naming a type that is not registered is refused (E101).

The spaCy pipeline is not copied into the pack: it is a pure function of the code-set artifact (its term
table is cached beside the artifact, keyed by the artifact's hashes), so the manifest names the artifact by
the sha256 of its tabular and lexicon parts instead, and a pack over any other artifact is refused.

Loading checks, in order and before any part is parsed: the manifest's own sha256 against the one pinned in
the registry when the pack was registered (so an edited threshold is refused, E103), the manifest parses,
the pack format, the chartcoder / spaCy / scikit-learn versions, the code set, that every file is a part
file of a registered type, then every file's sha256 as its bytes are read. Writing goes through
:func:`vocab.artifact.publish_folder`: a crash leaves either no pack or a complete one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.errors import (
    Errors,
    ModelCodeSetMismatchError,
    ModelExistsError,
    ModelFormatError,
    ModelIntegrityError,
    ModelPartError,
    ModelTamperedError,
    ModelVersionError,
)
from models.manifest import MANIFEST_FILE, PACK_FORMAT, CodeSetRef, ModelManifest, Versions, current_versions
from models.parts import (
    ARRAYS_SUFFIX,
    CONFIG_SUFFIX,
    PackPart,
    known_part_types,
    part_class,
    read_arrays,
    read_config,
    write_arrays,
    write_config,
)
from vocab.artifact import ArtifactFileError, publish_folder, read_verified, sha256_bytes, sha256_file

__all__ = [
    "LoadedPack",
    "manifest_sha256",
    "read_manifest",
    "read_pack",
    "verify_pack",
    "write_pack",
]

_PART_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclass(frozen=True)
class LoadedPack:
    folder: Path
    manifest: ModelManifest
    parts: dict[str, Any]


# --- writing ----------------------------------------------------------------------------------------------
def write_pack(parent: Path, manifest: ModelManifest, parts: Mapping[str, PackPart]) -> ModelManifest:
    """Write ``parts`` (name -> registered part) and the manifest as ``parent/<manifest.id>``, atomically.

    The manifest's ``files`` and ``parts`` are filled in here; the returned manifest is the one written (its
    sha256, :func:`manifest_sha256`, is what the registry pins).
    """
    target = parent / manifest.id
    if target.exists():
        raise ModelExistsError(f"A model pack {manifest.id!r} already exists at {target}.")
    try:
        with publish_folder(target, replace=False) as staging:
            files, types = {}, {}
            for name, value in parts.items():
                if not _PART_NAME.match(name):
                    raise ValueError(f"part names are lower-case identifiers, not {name!r}")
                part_type = getattr(type(value), "part_type", None)
                if part_type is None or part_class(part_type) is not type(value):
                    raise TypeError(f"part {name!r} is a {type(value).__name__}, not a registered pack part")
                config, arrays = value.to_payload()
                write_config(staging / f"{name}{CONFIG_SUFFIX}", config)
                if arrays:
                    write_arrays(staging / f"{name}{ARRAYS_SUFFIX}", arrays)
                types[name] = part_type
            for path in sorted(staging.iterdir()):
                files[path.name] = sha256_file(path)
            written = manifest.model_copy(update={"files": files, "parts": types, "format_version": PACK_FORMAT})
            (staging / MANIFEST_FILE).write_text(written.to_json(), encoding="utf-8")
    except FileExistsError as error:
        raise ModelExistsError(f"A model pack {manifest.id!r} already exists at {target}.") from error
    return written


# --- reading ----------------------------------------------------------------------------------------------
def manifest_sha256(folder: Path) -> str:
    """The sha256 of the pack's manifest file as it is on disk (what the registry pins)."""
    path = folder / MANIFEST_FILE
    try:
        return sha256_file(path)
    except OSError as error:
        raise ModelFormatError(f"{path} is missing: {folder} is not a complete chartcoder model pack.") from error


def read_manifest(folder: Path, *, pinned_sha256: str | None = None, accept_old: bool = False) -> ModelManifest:
    """The pack's manifest, parsed and checked for format (and against ``pinned_sha256`` when given)."""
    path = folder / MANIFEST_FILE
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelFormatError(f"{path} is missing: {folder} is not a complete chartcoder model pack.") from error
    if pinned_sha256 is not None and sha256_bytes(data) != pinned_sha256:
        raise ModelTamperedError(Errors.E103.format(model=folder.name, path=path))
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ModelFormatError(f"{path} is not readable JSON (truncated or modified?): {error}") from error
    found = parsed.get("format_version", 1) if isinstance(parsed, dict) else None
    if found != PACK_FORMAT and not (accept_old and found == 1):
        raise ModelVersionError(Errors.E102.format(path=folder, found=found, expected=PACK_FORMAT))
    try:
        return ModelManifest.model_validate(parsed)
    except ValidationError as error:
        raise ModelFormatError(f"{path} is not a chartcoder model manifest: {error}") from error


def verify_pack(
    folder: Path,
    *,
    code_set: CodeSetRef | None = None,
    versions: Versions | None = None,
    pinned_sha256: str | None = None,
) -> ModelManifest:
    """Every check short of building the parts: pin, manifest, versions, code set, part types, file hashes."""
    manifest = _checked_manifest(folder, code_set, versions or current_versions(), pinned_sha256)
    for filename, expected in sorted(manifest.files.items()):
        _verified_bytes(folder, manifest, filename, expected)
    return manifest


def read_pack(
    folder: Path,
    *,
    code_set: CodeSetRef | None = None,
    versions: Versions | None = None,
    pinned_sha256: str | None = None,
) -> LoadedPack:
    """Check the pack (see :func:`verify_pack`), then build each part from its verified JSON and arrays."""
    manifest = _checked_manifest(folder, code_set, versions or current_versions(), pinned_sha256)
    files = {
        filename: _verified_bytes(folder, manifest, filename, expected)
        for filename, expected in sorted(manifest.files.items())
    }
    parts = {name: _build_part(folder, manifest, name, files) for name in sorted(manifest.parts)}
    return LoadedPack(folder=folder, manifest=manifest, parts=parts)


def _checked_manifest(
    folder: Path, code_set: CodeSetRef | None, installed: Versions, pinned_sha256: str | None
) -> ModelManifest:
    manifest = read_manifest(folder, pinned_sha256=pinned_sha256)
    _check_versions(folder, manifest, installed)
    if code_set is not None:
        _check_code_set(manifest, code_set)
    _check_layout(folder, manifest)
    return manifest


def _check_versions(folder: Path, manifest: ModelManifest, installed: Versions) -> None:
    problems = manifest.versions.incompatibilities(installed)
    if problems:
        raise ModelVersionError(
            f"Model pack {manifest.id!r} ({folder}) was written by other library versions: {'; '.join(problems)}. "
            "A pack is only validated with the versions that wrote it: retrain it with "
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


def _check_layout(folder: Path, manifest: ModelManifest) -> None:
    """Every file is ``<part>.json`` or ``<part>.npz`` of a listed part, and every part's type is registered."""
    for filename in manifest.files:
        stem, dot, suffix = filename.partition(".")
        if "/" in filename or "\\" in filename or filename.startswith("."):
            raise ModelFormatError(f"{folder / MANIFEST_FILE} names an unsafe file {filename!r}.")
        if stem not in manifest.parts or f"{dot}{suffix}" not in (CONFIG_SUFFIX, ARRAYS_SUFFIX):
            raise ModelPartError(Errors.E106.format(model=manifest.id, filename=filename))
    for name, part_type in sorted(manifest.parts.items()):
        if part_class(part_type) is None:
            known = ", ".join(known_part_types()) or "none"
            raise ModelPartError(Errors.E101.format(model=manifest.id, part_type=part_type, part=name, known=known))
        if f"{name}{CONFIG_SUFFIX}" not in manifest.files:
            raise ModelPartError(
                Errors.E105.format(path=folder, part=name, model=manifest.id, reason="its config file is not listed")
            )


def _verified_bytes(folder: Path, manifest: ModelManifest, filename: str, expected: str) -> bytes:
    try:
        return read_verified(folder / filename, expected)
    except ArtifactFileError as error:
        if error.missing:
            raise ModelIntegrityError(f"{error.path} is missing from model pack {manifest.id!r}.") from None
        raise ModelIntegrityError(
            f"{error.path} does not match its sha256 in the manifest of model pack {manifest.id!r} "
            "(truncated or modified); it will not be loaded. Restore the pack or train a new one."
        ) from None


def _build_part(folder: Path, manifest: ModelManifest, name: str, files: Mapping[str, bytes]) -> Any:
    cls = part_class(manifest.parts[name])
    assert cls is not None  # checked by _check_layout
    path = folder / f"{name}{CONFIG_SUFFIX}"
    try:
        config = read_config(files[f"{name}{CONFIG_SUFFIX}"])
        arrays_data = files.get(f"{name}{ARRAYS_SUFFIX}")
        arrays = read_arrays(arrays_data) if arrays_data is not None else {}
        return cls.from_payload(config, arrays)
    except Exception as error:  # any malformed config or array: the pack is refused, naming the part
        reason = f"{type(error).__name__}: {error}"
        raise ModelPartError(Errors.E105.format(path=path, part=name, model=manifest.id, reason=reason)) from error
