"""`chartcoder models upgrade`: convert a home written by the pickle-based release into the current formats.

The only place that still reads pickles, and only when the user asks for it: the code-set artifact in format 1
(``*.pkl`` parts) and model packs in format 1 (``*.joblib`` parts holding ``training`` estimators). Each file
is hash-checked against its manifest before it is unpickled, and the packs' library versions are checked
first, as the old loader did. Nothing else in chartcoder converts silently at load: an old artifact or pack is
refused with a message naming this command.

Steps, each idempotent:

1. the code-set artifact: format 1 -> format 2 (msgpack parts); the new manifest records the old parts' hashes
   (``converted_from``), because the packs trained over the old artifact name those;
2. each format-1 pack -> a format-2 pack under the same id (the estimator's inference part: the same numbers),
   its code-set reference mapped from the old artifact's hashes to the new ones;
3. every pack's manifest hash is pinned in the registry (packs the user vouches for by running this command).

:func:`write_format1_pack` and :func:`write_format1_artifact` are the old release's writers, kept here (and only
here) so tests build real old-format packs and artifacts.
"""

from __future__ import annotations

import json
import pickle
import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib

from models.errors import ModelFormatError, ModelVersionError
from models.manifest import MANIFEST_FILE, CodeSetRef, ModelManifest, code_set_ref, current_versions
from models.pack import read_manifest, write_pack
from models.registry import ModelRegistry
from vocab.artifact import (
    FORMAT_VERSION,
    ArtifactFileError,
    codeset_folder,
    publish_folder,
    read_verified,
    sha256_file,
    write_artifact,
)
from vocab.artifact import (
    read_manifest as read_codeset_manifest,
)
from vocab.codeset import CodeSet
from vocab.errors import CodeSetFormatError
from vocab.vocabulary import Vocabulary, load_vocabulary

__all__ = ["UpgradeReport", "upgrade_home", "write_format1_artifact", "write_format1_pack"]

_FORMAT1_SUFFIX = ".joblib"
_STAMP_KEY = "chartcoder_model_part"
_COMPRESS = ("zlib", 3)


@dataclass
class UpgradeReport:
    codeset_converted: bool = False
    packs_converted: list[str] = field(default_factory=list)
    packs_pinned: list[str] = field(default_factory=list)
    packs_refused: dict[str, str] = field(default_factory=dict)  # id -> why it was left as it is


def upgrade_home(home: Path | None, registry: ModelRegistry) -> UpgradeReport:
    report = UpgradeReport()
    report.codeset_converted = upgrade_codeset(codeset_folder(home))
    vocabulary = load_vocabulary(home)
    for model_id in registry.ids():
        folder = registry.folder / model_id
        try:
            manifest = read_manifest(folder, accept_old=True)
            if manifest.format_version == 1:
                upgrade_pack(folder, manifest, vocabulary)
                report.packs_converted.append(model_id)
            registry.pin_current(model_id)
            report.packs_pinned.append(model_id)
        except (ModelFormatError, ModelVersionError) as error:
            report.packs_refused[model_id] = str(error)
    return report


# --- the code-set artifact ----------------------------------------------------------------------------------
def upgrade_codeset(folder: Path) -> bool:
    """Convert a format-1 artifact in ``folder`` to the current format; False when it is current already."""
    manifest = read_codeset_manifest(folder, accept_formats=(1, FORMAT_VERSION))
    if manifest.format_version == FORMAT_VERSION:
        return False
    parts: dict[str, Any] = {}
    for filename, expected in sorted(manifest.files.items()):
        name = filename.removesuffix(".pkl")
        value = _unpickle_verified(folder / filename, expected)
        parts[name] = value.to_state() if name in ("tabular", "lexicon") else value  # indexes: records already
    CodeSet.from_state(parts["tabular"])  # the converted code set reads back before it replaces the old one
    converted_from = {"tabular_sha256": manifest.files["tabular.pkl"]}
    if "lexicon.pkl" in manifest.files:
        converted_from["lexicon_sha256"] = manifest.files["lexicon.pkl"]
    write_artifact(folder, parts, manifest.release, manifest.counts, manifest.sources, converted_from=converted_from)
    return True


def _unpickle_verified(path: Path, expected: str) -> Any:
    try:
        data = read_verified(path, expected)
    except ArtifactFileError as error:
        raise CodeSetFormatError(f"{error}; rebuild the code set with `chartcoder vocab build`.") from None
    return pickle.loads(data)  # noqa: S301 - the user's own format-1 artifact, hash-verified, on request only


# --- model packs ----------------------------------------------------------------------------------------------
def upgrade_pack(folder: Path, manifest: ModelManifest, vocabulary: Vocabulary) -> ModelManifest:
    """Replace the format-1 pack in ``folder`` with a format-2 pack under the same id."""
    installed = current_versions()
    problems = manifest.versions.incompatibilities(installed)
    if problems:
        raise ModelVersionError(
            f"Model pack {manifest.id!r} was written by other library versions ({'; '.join(problems)}): its "
            "pickles cannot be converted safely here. Retrain it with `chartcoder train`."
        )
    parts = {
        filename.removesuffix(_FORMAT1_SUFFIX): _inference_part(_load_format1_part(folder, manifest, filename))
        for filename in sorted(manifest.files)
    }
    converted = manifest.model_copy(update={"code_set": _mapped_code_set(manifest.code_set, vocabulary)})
    staging_parent = folder.parent / f".upgrade-{manifest.id}"
    shutil.rmtree(staging_parent, ignore_errors=True)
    try:
        written = write_pack(staging_parent, converted, parts)
        with publish_folder(folder, replace=True) as staging:
            for path in (staging_parent / manifest.id).iterdir():
                shutil.copy2(path, staging / path.name)
    finally:
        shutil.rmtree(staging_parent, ignore_errors=True)
    return written


def _load_format1_part(folder: Path, manifest: ModelManifest, filename: str) -> Any:
    if "/" in filename or filename.startswith(".") or not filename.endswith(_FORMAT1_SUFFIX):
        raise ModelFormatError(f"{folder / MANIFEST_FILE} names an unexpected file {filename!r}.")
    try:
        data = read_verified(folder / filename, manifest.files[filename])
    except ArtifactFileError as error:
        raise ModelFormatError(f"{error}: model pack {manifest.id!r} is damaged; it was not converted.") from None
    from io import BytesIO

    from sklearn.exceptions import InconsistentVersionWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        stamped = joblib.load(BytesIO(data))
    if not isinstance(stamped, dict) or stamped.get(_STAMP_KEY) != filename.removesuffix(_FORMAT1_SUFFIX):
        raise ModelFormatError(f"{folder / filename} is not a chartcoder model part (no version stamp naming it).")
    return stamped["object"]


def _inference_part(estimator: Any) -> Any:
    to_part = getattr(estimator, "to_part", None)
    if to_part is None:
        raise ModelFormatError(f"a {type(estimator).__name__} part has no inference form this chartcoder reads")
    return to_part()


def _mapped_code_set(reference: CodeSetRef, vocabulary: Vocabulary) -> CodeSetRef:
    """The pack's code-set reference moved to the converted artifact when it named the artifact's old parts."""
    old = vocabulary.manifest.converted_from
    if old.get("tabular_sha256") == reference.tabular_sha256 and old.get("lexicon_sha256") == reference.lexicon_sha256:
        return code_set_ref(vocabulary)
    return reference  # trained over another artifact: it stays refused, as before the upgrade


# --- the old release's writer (tests build real format-1 packs with it) ---------------------------------------
def write_format1_pack(parent: Path, manifest: ModelManifest, parts: Mapping[str, Any]) -> ModelManifest:
    """Write a pack exactly as chartcoder did before format 2: stamped joblib pickles and their sha256."""
    target = parent / manifest.id
    with publish_folder(target, replace=False) as staging:
        files = {}
        for name, value in parts.items():
            path = staging / f"{name}{_FORMAT1_SUFFIX}"
            stamped = {_STAMP_KEY: name, "versions": manifest.versions.model_dump(), "object": value}
            joblib.dump(stamped, path, compress=_COMPRESS)
            files[path.name] = sha256_file(path)
        data = json.loads(manifest.to_json())
        data.update(format_version=1, files=files)
        data.pop("parts", None)
        (staging / MANIFEST_FILE).write_text(json.dumps(data, indent=2), encoding="utf-8")
    return ModelManifest.model_validate(data)


def write_format1_artifact(folder: Path, parts: Mapping[str, Any], release: str) -> None:
    """Write a code-set artifact exactly as chartcoder did before format 2: one pickle per part
    (``tabular``: the CodeSet, ``lexicon``: the CodeSearch, ``index-<source>``: records)."""
    with publish_folder(folder, replace=True) as staging:
        files = {}
        for name, value in parts.items():
            path = staging / f"{name}.pkl"
            path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            files[path.name] = sha256_file(path)
        manifest = {
            "format_version": 1,
            "release": release,
            "created": "2026-01-01T00:00:00+00:00",
            "files": files,
            "counts": {},
            "sources": {},
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
