"""Small picklable stand-ins for pack parts (unpickling needs them importable: they live in a module)."""

from __future__ import annotations

from collections.abc import Sequence

from models.manifest import CodeSetRef, DataFingerprint, ModelManifest, current_versions, utc_timestamp


class FixedRanker:
    """A Ranker that gives every candidate the same score."""

    name = "fixed"

    def __init__(self, value: float = 0.42) -> None:
        self.value = value

    def score(self, candidates: Sequence[object]) -> list[float]:
        return [self.value] * len(candidates)


class Unpicklable:
    """Raises while being written: stands in for a crash in the middle of writing a pack."""

    def __reduce__(self):
        raise RuntimeError("simulated crash while writing a part")


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
