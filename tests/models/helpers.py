"""Small registered stand-ins for pack parts (registered on import, as the engine's part modules are)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.manifest import CodeSetRef, DataFingerprint, ModelManifest, current_versions, utc_timestamp
from models.parts import register_part


@register_part("chartcoder.TestFixedRanker.v1")
class FixedRanker:
    """A Ranker that gives every candidate the same score."""

    name = "fixed"

    def __init__(self, value: float = 0.42) -> None:
        self.value = value

    def score(self, candidates: Sequence[object]) -> list[float]:
        return [self.value] * len(candidates)

    def to_payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"value": self.value}, {}

    @classmethod
    def from_payload(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> FixedRanker:
        return cls(float(config["value"]))


@register_part("chartcoder.TestCodeList.v1")
class CodeList:
    """A part with arrays: a list of codes."""

    def __init__(self, codes: Sequence[str]) -> None:
        self.codes = list(codes)

    def to_payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"codes": np.asarray(self.codes, dtype=str)}

    @classmethod
    def from_payload(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> CodeList:
        return cls(arrays["codes"].tolist())


@register_part("chartcoder.TestBrokenPart.v1")
class Unpicklable:
    """Raises while being written: stands in for a crash in the middle of writing a pack."""

    def to_payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise RuntimeError("simulated crash while writing a part")

    @classmethod
    def from_payload(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Unpicklable:
        return cls()


class WritesFileOnUnpickle:
    """A pickle that runs code when loaded: it creates the file it names (the audit's malicious part)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (open, (self.path, "w"))


CODE_SET = CodeSetRef(release="FY2026 (test)", tabular_sha256="a" * 64, lexicon_sha256="b" * 64)


def manifest(model_id: str = "model-test-1", *, code_set: CodeSetRef = CODE_SET, **changes: object) -> ModelManifest:
    fields: dict[str, object] = {
        "id": model_id,
        "kind": "learned",
        "created": utc_timestamp(),
        "code_set": code_set,
        "versions": current_versions(),
        "training_data": DataFingerprint(notes=3, codes=5, sha256="c" * 64),
        "parameters": {"seed": 0},
        "metrics": {"map": 0.3},
        "threshold": 0.4,
    }
    fields.update(changes)
    return ModelManifest(**fields)  # type: ignore[arg-type]
