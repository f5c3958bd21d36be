"""The registry of model-pack parts: versioned names (``chartcoder.GradientRanker.v1``) -> inference classes.

A pack's manifest names each part by its registered name; loading looks the name up here (spaCy's registry
pattern, through ``catalogue``) and hands the class the part's JSON config and its arrays. Nothing in a pack is
code: the config is JSON and the arrays are a NumPy ``.npz`` read with ``allow_pickle=False``, so a pack can
describe a model but never run anything when loaded. A name that is not registered is refused (E101).

Inference classes register themselves where they live (``@register_part("chartcoder.X.v1")``); the engine
imports them before it loads a pack. A class changes its registered version when its payload changes meaning,
so an older reader refuses a newer pack instead of misreading it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, TypeVar, runtime_checkable

import catalogue
import numpy as np

__all__ = [
    "ARRAYS_SUFFIX",
    "CONFIG_SUFFIX",
    "PART_TYPE_PATTERN",
    "PackPart",
    "RegisteredPart",
    "known_part_types",
    "part_class",
    "read_arrays",
    "read_config",
    "register_part",
    "write_arrays",
    "write_config",
]

CONFIG_SUFFIX = ".json"
ARRAYS_SUFFIX = ".npz"
PART_TYPE_PATTERN = re.compile(r"^chartcoder\.[A-Za-z][A-Za-z0-9]*\.v[0-9]+$")

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_parts = catalogue.create("chartcoder", "model_parts", entry_points=False)
_Part = TypeVar("_Part", bound=type)


@runtime_checkable
class PackPart(Protocol):
    """What a pack part is: a registered name, and a payload of JSON config plus named arrays."""

    part_type: ClassVar[str]

    def to_payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-serialisable config, arrays of numbers, booleans or fixed-width strings: never objects)."""
        ...

    @classmethod
    def from_payload(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Self: ...


class RegisteredPart:
    """Base of the inference classes :func:`register_part` registers: their ``part_type`` is set by it, their
    ``name`` says what the part is in reports ("learned", "tfidf-logistic")."""

    part_type: ClassVar[str]  # set by register_part
    name: ClassVar[str]


def register_part(part_type: str) -> Callable[[_Part], _Part]:
    """Class decorator: register an inference class under ``part_type`` (``chartcoder.<Name>.v<N>``)."""
    if not PART_TYPE_PATTERN.match(part_type):
        raise ValueError(f"part types are named like 'chartcoder.Name.v1', not {part_type!r}")

    def register(cls: _Part) -> _Part:
        cls.part_type = part_type  # type: ignore[attr-defined]
        _parts.register(part_type, func=cls)
        return cls

    return register


def known_part_types() -> list[str]:
    return sorted(_parts.get_all())


def part_class(part_type: str) -> type[PackPart] | None:
    """The class registered under ``part_type``, or None (the caller refuses the pack with E101)."""
    if part_type not in _parts.get_all():
        return None
    return _parts.get(part_type)


# --- the two file formats of a part -----------------------------------------------------------------------
def write_config(path: Path, config: Mapping[str, Any]) -> None:
    # sort_keys and no NaN: the same model writes the same bytes, and every reader parses it
    path.write_text(json.dumps(config, sort_keys=True, allow_nan=False, separators=(",", ":")), encoding="utf-8")


def read_config(data: bytes) -> dict[str, Any]:
    config = json.loads(data.decode("utf-8"))
    if not isinstance(config, dict):
        raise ValueError("the part's config is not a JSON object")
    return config


def write_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """An ``.npz`` as ``np.savez_compressed`` writes it, but with fixed entry timestamps (numpy stamps the clock):
    the same arrays give the same bytes, so a pack's sha256 is the same run after run."""
    with path.open("wb") as handle, zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            values = np.asarray(array)
            if values.dtype.hasobject:
                raise TypeError(f"array {name!r} holds Python objects: a pack stores numbers and strings only")
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w", force_zip64=True) as stream:
                np.lib.format.write_array(stream, values, allow_pickle=False)


def read_arrays(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of a ``.npz``; ``allow_pickle=False``: an object array is refused, never unpickled."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}
