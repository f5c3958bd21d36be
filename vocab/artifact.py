"""Hashed, atomically written, verified folders: the one way chartcoder stores what it built.

Three kinds of artifact use it: the code-set artifact (``<home>/codeset/``), model packs
(``<home>/models/<id>/``, see :mod:`models.pack`) and caches (the term table, ``<home>/cache/<key>/``,
:func:`write_cached` / :func:`read_cached`). Each is a
folder of part files and a JSON manifest naming each part's sha256:

- **Written atomically**: :func:`publish_folder` fills a hidden staging folder beside the target, flushes every
  file and the folder to disk, and renames it into place in one step (replacing an older folder, or refusing
  when one exists). A crash leaves the old folder or the new one, never a mix.
- **Verified before parsed**: :func:`read_verified` reads a part's bytes once, checks their sha256 and returns
  those same bytes, so what is parsed is what was checked.
- **Never code**: parts are JSON, msgpack (:func:`encode` / :func:`decode`: plain values and numeric or string
  arrays) or NumPy ``.npz`` read with ``allow_pickle=False``. Nothing here unpickles; a file that would need
  it does not parse.

Layout of a code-set artifact ``<home>/codeset/<effective date>/`` (one per release, see :mod:`vocab.releases`)::

    manifest.json          format version, release, hashes and counts; written last
    tabular.msgpack        the CodeSet
    index-<source>.msgpack each imported Alphabetic Index (records form), optional
    lexicon.msgpack        the search lexicon built from all of the above
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

from vocab.errors import CodeSetFormatError, CodeSetNotBuiltError

__all__ = [
    "FORMAT_VERSION",
    "PART_SUFFIX",
    "ArtifactFileError",
    "ArtifactManifest",
    "codeset_folder",
    "decode",
    "default_home",
    "encode",
    "publish_folder",
    "read_cached",
    "read_manifest",
    "read_part",
    "read_verified",
    "sha256_bytes",
    "sha256_file",
    "write_artifact",
    "write_cached",
    "write_file_atomically",
]

FORMAT_VERSION = 2  # 1: pickled parts (read only by `chartcoder models upgrade`)
MANIFEST = "manifest.json"
PART_SUFFIX = ".msgpack"


def default_home() -> Path:
    """Where chartcoder keeps its data: the settings' ``home`` (``$CHARTCODER_HOME`` or the platform's user data
    folder, see :mod:`vocab.settings`)."""
    from vocab.settings import get_settings  # pydantic-settings: only when no home was passed

    return get_settings().home.expanduser()


def codeset_folder(home: Path | None = None, effective: date | None = None) -> Path:
    """The artifact folder of the release effective on ``effective``, or of the one in force today
    (``<home>/codeset/<effective date>/``, see :mod:`vocab.releases`)."""
    from vocab.releases import current_folder  # the release layout lives there; it imports this module

    return current_folder(home or default_home(), effective)


# --- hashing, verified reading, atomic writing ------------------------------------------------------------
class ArtifactFileError(OSError):
    """A part file is missing (``missing``) or its bytes differ from the manifest's sha256."""

    def __init__(self, path: Path, *, missing: bool) -> None:
        super().__init__(f"{path} is {'missing' if missing else 'not what its manifest says (sha256 differs)'}")
        self.path = path
        self.missing = missing


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_verified(path: Path, expected_sha256: str) -> bytes:
    """The file's bytes, after checking them against ``expected_sha256`` (:class:`ArtifactFileError` if not)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArtifactFileError(path, missing=True) from None
    if sha256_bytes(data) != expected_sha256:
        raise ArtifactFileError(path, missing=False)
    return data


def _fsync_folder(folder: Path) -> None:
    """Flush every file and the folder entry, so a rename never publishes files still in the page cache."""
    for path in folder.iterdir():
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def publish_folder(target: Path, *, replace: bool) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; on success it becomes ``target`` in one rename.

    ``replace``: an existing ``target`` is swapped out (the code-set artifact, a cache). Otherwise the rename
    fails when ``target`` exists (immutable packs: a concurrent writer of the same id loses cleanly with
    :class:`FileExistsError`). On any error the staging folder is removed and ``target`` is untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        yield staging
        _fsync_folder(staging)
        if replace:
            _swap_in(staging, target)
        else:
            try:
                os.rename(staging, target)  # rename(2) onto a non-empty folder fails
            except OSError as error:
                raise FileExistsError(f"{target} already exists") from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, folder: Path) -> None:
    retired = folder.with_name(f".{folder.name}-retired")
    shutil.rmtree(retired, ignore_errors=True)
    if folder.exists():
        folder.rename(retired)
    staging.rename(folder)
    shutil.rmtree(retired, ignore_errors=True)


def write_file_atomically(path: Path, data: bytes) -> None:
    """One file replaced as a whole (temporary file, fsync, ``os.replace``): readers see old or new bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- the part encoding: msgpack of plain values and arrays -------------------------------------------------
_ARRAY_EXT = 1  # msgpack extension type of a NumPy array: [dtype.str, shape, raw bytes]


def _encode_extra(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError("an array of Python objects cannot be stored in an artifact")
        payload = msgpack.packb([value.dtype.str, list(value.shape), np.ascontiguousarray(value).tobytes()])
        return msgpack.ExtType(_ARRAY_EXT, payload)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, frozenset)):
        raise TypeError("a set has no stable order: store a sorted tuple")
    raise TypeError(f"{type(value).__name__} cannot be stored in an artifact")


def _decode_extra(code: int, payload: bytes) -> Any:
    if code != _ARRAY_EXT:
        raise ValueError(f"unknown msgpack extension type {code}")
    descr, shape, raw = msgpack.unpackb(payload, use_list=False)
    dtype = np.dtype(descr)
    if dtype.hasobject:  # np.frombuffer refuses these too: an artifact holds numbers and strings only
        raise ValueError("an artifact array of Python objects")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def encode(value: Any) -> bytes:
    """msgpack bytes of dicts, lists, tuples, str, numbers, bytes, None and NumPy arrays of numbers or strings."""
    return msgpack.packb(value, default=_encode_extra, use_bin_type=True, strict_types=False)


def decode(data: bytes) -> Any:
    """The value :func:`encode` wrote; arrays come back read-only, lists as tuples. Never runs code: no hook
    but the array extension is given (plain ``msgpack``, not srsly's, whose installed decoders run too)."""
    # The collector off while decoding: it would walk the hundreds of thousands of tuples being built, again and
    # again, for no garbage (msgpack's documentation advises the same for large messages).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return msgpack.unpackb(data, ext_hook=_decode_extra, use_list=False, raw=False, strict_map_key=False)
    finally:
        if collecting:
            gc.enable()


# --- caches: one encoded value in a hashed folder -------------------------------------------------------------
_CACHE_PART = f"value{PART_SUFFIX}"


def write_cached(folder: Path, value: Any) -> None:
    """Store ``value`` (see :func:`encode`) as a cache folder: the part and a manifest naming its sha256."""
    data = encode(value)
    with publish_folder(folder, replace=True) as staging:
        (staging / _CACHE_PART).write_bytes(data)
        manifest = {"kind": "cache", "files": {_CACHE_PART: sha256_bytes(data)}}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def read_cached(folder: Path) -> Any | None:
    """The value :func:`write_cached` stored, or None when the cache is missing, damaged or unreadable."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return decode(read_verified(folder / _CACHE_PART, manifest["files"][_CACHE_PART]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --- the code-set artifact ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArtifactManifest:
    format_version: int
    release: str
    created: str
    files: dict[str, str]
    counts: dict[str, int]
    sources: dict[str, str]
    # The part hashes of the format-1 (pickled) artifact this one was converted from by `models upgrade`:
    # packs trained over that artifact name those hashes, and the upgrade maps them to these parts.
    converted_from: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)


def write_artifact(
    folder: Path,
    parts: Mapping[str, Any],
    release: str,
    counts: dict[str, int],
    sources: dict[str, str],
    *,
    encoder: Callable[[Any], bytes] = encode,
    converted_from: Mapping[str, str] | None = None,
) -> ArtifactManifest:
    """Encode each part to ``<name>.msgpack``, hash it, and swap the whole folder in atomically."""
    with publish_folder(folder, replace=True) as staging:
        files = {}
        for name, value in parts.items():
            data = encoder(value)
            (staging / f"{name}{PART_SUFFIX}").write_bytes(data)
            files[f"{name}{PART_SUFFIX}"] = sha256_bytes(data)
        manifest = ArtifactManifest(
            format_version=FORMAT_VERSION,
            release=release,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            files=files,
            counts=counts,
            sources=sources,
            converted_from=dict(converted_from or {}),
        )
        (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def read_manifest(folder: Path, *, accept_formats: tuple[int, ...] = (FORMAT_VERSION,)) -> ArtifactManifest:
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
    if manifest.format_version not in accept_formats:
        hint = (
            "Convert it (and the model packs trained over it) with `chartcoder models upgrade`, or rebuild it "
            "with `chartcoder vocab build`."
            if manifest.format_version < FORMAT_VERSION
            else "Rebuild it with `chartcoder vocab build`."
        )
        raise CodeSetFormatError(
            f"{folder} holds a code set in format {manifest.format_version}; this chartcoder reads format "
            f"{FORMAT_VERSION}. {hint}"
        )
    return manifest


def part_bytes(folder: Path, manifest: ArtifactManifest, filename: str) -> bytes:
    """A part's bytes, hash-verified against the manifest (:class:`CodeSetFormatError` naming the file)."""
    expected = manifest.files.get(filename)
    if expected is None:
        raise CodeSetFormatError(f"The code set at {folder} has no part {filename!r}.")
    try:
        return read_verified(folder / filename, expected)
    except ArtifactFileError as error:
        problem = "is missing" if error.missing else "does not match its sha256 in the manifest (truncated or modified)"
        advice = "rebuild the code set with `chartcoder vocab build`"
        raise CodeSetFormatError(f"{error.path} {problem}; {advice}.") from None


def read_part(folder: Path, manifest: ArtifactManifest, name: str) -> Any:
    """Decode one part (``<name>.msgpack``) after checking its hash against the manifest."""
    data = part_bytes(folder, manifest, f"{name}{PART_SUFFIX}")
    try:
        return decode(data)
    except Exception as error:  # a hash-verified file that does not decode: written by another format
        raise CodeSetFormatError(f"{folder / (name + PART_SUFFIX)} does not decode: {error}") from error
