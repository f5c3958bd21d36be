"""The engine's domain records: what a note yields, from a matched phrase to a ranked suggestion.

Frozen dataclasses, plain data: the service turns them into its own response schemas, the CLI prints them,
the trainer reads their features. ``NoteSuggestions.to_dict`` is the documented JSON of the product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the Finding record imports Evidence from here
    from suggest.documentation.finding import Finding

__all__ = [
    "ASSERTIONS",
    "POA_INDICATORS",
    "ROLES",
    "SETTINGS",
    "ZERO_SHOT_MODEL",
    "Assertion",
    "Candidate",
    "Evidence",
    "Exclusion",
    "Flag",
    "HccCategory",
    "Mention",
    "NoteSuggestions",
    "PoaIndicator",
    "Role",
    "Setting",
    "Suggestion",
]

Assertion = Literal["present", "negated", "possible", "hypothetical", "historical", "family"]
Setting = Literal["outpatient", "inpatient"]
ASSERTIONS: tuple[Assertion, ...] = ("present", "negated", "possible", "hypothetical", "historical", "family")
SETTINGS: tuple[Setting, ...] = ("outpatient", "inpatient")
# principal: the inpatient principal diagnosis (Official Guidelines Section II); first_listed: the outpatient
# first-listed diagnosis (Section IV); secondary: every other reported code.
Role = Literal["principal", "first_listed", "secondary"]
ROLES: tuple[Role, ...] = ("principal", "first_listed", "secondary")
# Present on admission (Appendix I): Y yes, N no, U documentation insufficient, W clinically undetermined,
# "1" exempt from POA reporting. None for outpatient notes, where POA is not reported.
PoaIndicator = Literal["Y", "N", "U", "W", "1"]
POA_INDICATORS: tuple[PoaIndicator, ...] = ("Y", "N", "U", "W", "1")
# The model name of the heuristic ranker, which needs no model pack (ids: "zero-shot-<release>").
ZERO_SHOT_MODEL = "zero-shot"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Words in the note, by character offsets into the text exactly as received."""

    start: int
    end: int
    text: str
    section: str
    assertion: Assertion

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "section": self.section,
            "assertion": self.assertion,
        }


@dataclass(frozen=True, slots=True)
class Mention:
    """A lexicon term found in the note, with the codes it names and how well it matched."""

    evidence: tuple[Evidence, ...]
    term: str
    term_source: str
    codes: tuple[str, ...]
    match_type: str  # "exact" | "normalized" | "fuzzy" | "abbreviation" | "modifier"
    match_score: float  # 0..1: share of the term's weight found in the note
    sentence: int
    section: str
    assertion: Assertion
    matched_weight: float = 0.0  # IDF weight of the words found: longer, rarer phrases weigh more
    words: int = 1  # distinct note tokens the phrase matched

    @property
    def start(self) -> int:
        return min(piece.start for piece in self.evidence)

    @property
    def end(self) -> int:
        return max(piece.end for piece in self.evidence)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One code proposed for a note, with the mentions behind it and the features a ranker reads."""

    code: str
    mentions: tuple[Mention, ...]
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Flag:
    """A coding rule that applies to a suggestion (needs specificity, Excludes1, code first, ...)."""

    kind: str
    message: str
    codes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "codes": list(self.codes)}


@dataclass(frozen=True, slots=True)
class HccCategory:
    """A CMS-HCC payment category a code maps to ("37"), with CMS's label (:mod:`suggest.risk_adjustment`)."""

    hcc: str
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"hcc": self.hcc, "label": self.label}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One code in reporting order.

    ``rank`` is the position in the list: the proposed codes (``proposed``: score at or above the model's
    threshold) come first in reporting order (rank 1 is the principal or first-listed diagnosis), the listed
    ones follow by score. ``score`` stays the calibrated confidence. ``replaces``: the component codes a
    combination code stands for (they are not reported beside it). ``poa``: present-on-admission indicator,
    inpatient notes only. ``hcc``: the CMS-HCC V28 categories the code maps to for the default payment year
    (empty for most codes).
    """

    rank: int
    code: str
    description: str
    score: float
    billable: bool
    evidence: tuple[Evidence, ...]
    flags: tuple[Flag, ...]
    rationale: str
    role: Role = "secondary"
    poa: PoaIndicator | None = None
    proposed: bool = False
    replaces: tuple[str, ...] = ()
    hcc: tuple[HccCategory, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "code": self.code,
            "description": self.description,
            "score": self.score,
            "billable": self.billable,
            "evidence": [piece.to_dict() for piece in self.evidence],
            "flags": [flag.to_dict() for flag in self.flags],
            "rationale": self.rationale,
            "role": self.role,
            "poa": self.poa,
            "proposed": self.proposed,
            "replaces": list(self.replaces),
            "hcc": [category.to_dict() for category in self.hcc],
        }


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A finding left out on purpose (negated, family, hypothetical, uncertain outpatient) and why."""

    code: str
    reason: str
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "reason": self.reason, "evidence": [piece.to_dict() for piece in self.evidence]}


@dataclass(frozen=True, slots=True)
class NoteSuggestions:
    note_id: str | None
    code_set: str
    model: str
    setting: Setting
    suggestions: tuple[Suggestion, ...]
    excluded: tuple[Exclusion, ...]
    # documentation findings (incomplete or inconsistent chart), beside the codes: suggest.documentation
    documentation: tuple[Finding, ...] = ()
    # The note's date of service came before every loaded release: the oldest coded it (its codes may not be
    # those in force then).
    release_before_date: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "note_id": self.note_id,
            "code_set": self.code_set,
            "model": self.model,
            "setting": self.setting,
            "suggestions": [suggestion.to_dict() for suggestion in self.suggestions],
            "excluded": [exclusion.to_dict() for exclusion in self.excluded],
            "documentation": [finding.to_dict() for finding in self.documentation],
            "release_before_date": self.release_before_date,
        }
