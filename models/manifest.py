"""The manifest of a model pack: what it is, what it was trained on, and what it needs to load.

A pack is only as good as the candidates it was trained on: the engine generates them from the code-set
artifact's term table, so the manifest names that artifact by the sha256 of its tabular and lexicon parts,
and a pack is refused over any other artifact. A pack is validated with the library versions that trained it,
so the manifest records them and loading refuses any other.
"""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vocab.artifact import PART_SUFFIX
from vocab.vocabulary import Vocabulary

__all__ = [
    "MANIFEST_FILE",
    "PACK_FORMAT",
    "CodeSetRef",
    "DataFingerprint",
    "ModelKind",
    "ModelManifest",
    "Versions",
    "code_set_ref",
    "current_versions",
    "utc_timestamp",
]

PACK_FORMAT = 2  # 1: joblib pickles (read only by `chartcoder models upgrade`); 2: JSON + npz parts
MANIFEST_FILE = "manifest.json"
ModelKind = Literal["bootstrap", "learned"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CodeSetRef(_Record):
    """The code-set artifact a pack was trained against (``<home>/codeset/manifest.json``)."""

    release: str
    tabular_sha256: str
    lexicon_sha256: str | None = None  # None: the artifact had no lexicon part

    def differences(self, other: CodeSetRef) -> list[str]:
        """Human-readable fields in which ``other`` differs from this reference."""
        return [
            f"{name} {getattr(self, name)!r} (pack) != {getattr(other, name)!r} (loaded)"
            for name in ("release", "tabular_sha256", "lexicon_sha256")
            if getattr(self, name) != getattr(other, name)
        ]


class Versions(_Record):
    """The library versions that wrote the pack."""

    chartcoder: str
    spacy: str
    scikit_learn: str
    numpy: str
    python: str

    def incompatibilities(self, other: Versions) -> list[str]:
        """Versions that must match for the parts to mean the same thing (Python's minor changes are fine).

        The parts hold no pickles, but a part's arrays are read by this chartcoder's inference code and the
        classifier's vectorizer is scikit-learn's: a pack is validated with the versions that wrote it."""
        return [
            f"{name} {getattr(self, name)} (pack) != {getattr(other, name)} (installed)"
            for name in ("chartcoder", "spacy", "scikit_learn")
            if getattr(self, name) != getattr(other, name)
        ]


class DataFingerprint(_Record):
    """Which labeled data trained the pack: counts and an order-independent sha256 of ids, texts and codes."""

    notes: int
    codes: int
    sha256: str
    sources: tuple[str, ...] = ()


class ModelManifest(_Record):
    format_version: int = PACK_FORMAT
    id: str
    kind: ModelKind
    created: str
    parent: str | None = None
    description: str = ""
    code_set: CodeSetRef
    versions: Versions
    files: dict[str, str] = Field(default_factory=dict)  # file name -> sha256
    parts: dict[str, str] = Field(default_factory=dict)  # part name -> registered type (chartcoder.X.v1)
    training_data: DataFingerprint
    parameters: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)  # on the held-out validation split
    validation: str = ""  # what the metrics were measured on
    threshold: float = Field(ge=0.0, le=1.0)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def _installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def current_versions() -> Versions:
    return Versions(
        chartcoder=_installed("chartcoder"),
        spacy=_installed("spacy"),
        scikit_learn=_installed("scikit-learn"),
        numpy=_installed("numpy"),
        python=platform.python_version(),
    )


def code_set_ref(vocabulary: Vocabulary) -> CodeSetRef:
    files = vocabulary.manifest.files
    return CodeSetRef(
        release=vocabulary.release,
        tabular_sha256=files[f"tabular{PART_SUFFIX}"],
        lexicon_sha256=files.get(f"lexicon{PART_SUFFIX}"),
    )


def utc_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
