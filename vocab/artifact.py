"""The on-disk code-set artifact: a folder of pickles with a manifest of sha256 hashes.

Layout of ``<home>/codeset/``::

    manifest.json        format version, release, hashes and counts; written last
    tabular.pkl          the CodeSet
    index-<source>.pkl   each imported Alphabetic Index (records form), optional
    lexicon.pkl          the search lexicon built from all of the above

Every file is hashed in the manifest and verified before it is unpickled, so a truncated or tampered file
is refused with a message naming it instead of being half-read. Writes go to a temporary sibling folder
that replaces the old one in one rename.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vocab.errors import CodeSetFormatError, CodeSetNotBuiltError

__all__ = [
    "FORMAT_VERSION",
    "ArtifactManifest",
    "codeset_folder",
    "default_home",
    "read_manifest",
    "read_part",
    "sha256_file",
    "write_artifact",
]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def default_home() -> Path:
    """Where chartcoder keeps its data: the settings' ``home`` (``$CHARTCODER_HOME`` or the platform's user data
    folder, see :mod:`vocab.settings`)."""
    from vocab.settings import get_settings  # pydantic-settings: only when no home was passed

    return get_settings().home.expanduser()


def codeset_folder(home: Path | None = None) -> Path:
    return (home or default_home()) / "codeset"


@dataclass(frozen=True)
class ArtifactManifest:
    format_version: int
    release: str
    created: str
    files: dict[str, str]
    counts: dict[str, int]
    sources: dict[str, str]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_artifact(
    folder: Path, parts: Mapping[str, Any], release: str, counts: dict[str, int], sources: dict[str, str]
) -> ArtifactManifest:
    """Pickle each part to ``<name>.pkl``, hash it, and swap the whole folder in atomically."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        files = {}
        for name, value in parts.items():
            path = staging / f"{name}.pkl"
            with path.open("wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            files[path.name] = sha256_file(path)
        manifest = ArtifactManifest(
            format_version=FORMAT_VERSION,
            release=release,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            files=files,
            counts=counts,
            sources=sources,
        )
        (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        _swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _swap_in(staging: Path, folder: Path) -> None:
    retired = folder.with_name(f".{folder.name}-retired")
    shutil.rmtree(retired, ignore_errors=True)
    if folder.exists():
        folder.rename(retired)
    staging.rename(folder)
    shutil.rmtree(retired, ignore_errors=True)


def read_manifest(folder: Path) -> ArtifactManifest:
    path = folder / MANIFEST
    if not path.exists():
        raise CodeSetNotBuiltError(
            f"No code set at {folder}. Build it with `chartcoder vocab build` (it needs no network)."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = ArtifactManifest(**data)
    except (ValueError, TypeError) as error:
        raise CodeSetFormatError(f"{path} is not a chartcoder code-set manifest: {error}") from error
    if manifest.format_version != FORMAT_VERSION:
        raise CodeSetFormatError(
            f"{folder} holds a code set in format {manifest.format_version}; this chartcoder reads format "
            f"{FORMAT_VERSION}. Rebuild it with `chartcoder vocab build`."
        )
    return manifest


def read_part(folder: Path, manifest: ArtifactManifest, name: str) -> Any:
    """Unpickle one part after checking its hash against the manifest."""
    filename = f"{name}.pkl"
    expected = manifest.files.get(filename)
    path = folder / filename
    if expected is None:
        raise CodeSetFormatError(f"The code set at {folder} has no part {filename!r}.")
    if not path.exists():
        raise CodeSetFormatError(f"{path} is missing; rebuild the code set with `chartcoder vocab build`.")
    if sha256_file(path) != expected:
        raise CodeSetFormatError(
            f"{path} does not match its sha256 in the manifest (truncated or modified); "
            "rebuild the code set with `chartcoder vocab build`."
        )
    with path.open("rb") as handle:
        return pickle.load(handle)  # noqa: S301 - our own file, hash-verified just above
