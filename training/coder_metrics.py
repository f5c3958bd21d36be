"""The engine's list judged as a certified coder judges it: principal first, core found, nothing wrong proposed.

A coder-coded note (see :class:`training.data.LabeledNote`) has a ``principal`` (or first-listed) diagnosis,
``core`` codes (what the coder reports), ``optional`` codes (acceptable by facility or payer policy) and
``must_not`` entries (codes, subcategories or categories that would be wrong). Against them a note's
*ranking* (every suggestion, best first) and its *proposed* codes (those the engine proposes, above its
threshold) give, per note:

* principal at rank 1: the ranking's first code is the principal diagnosis;
* core recall at 5 / 10 / among the proposed codes;
* precision of the proposed codes against core + optional;
* must-not codes among the proposed codes (and among the top 10): a code matches an entry when it equals it
  or starts with it (``E11.3`` matches ``E11.319``).

Over notes, the rates and recalls are means over notes and must-not counts are means per note; the
precision is pooled over every proposed code (a note that proposes nothing adds nothing to it). The same
figures are counted by ICD-10-CM chapter and by code family (:data:`CODE_FAMILIES`: Z79, Z88, history,
status, drugs T36-T50, external causes, pregnancy, ...), where a core code belongs to its own group and a
proposed code to its own, so a group's precision says how often the engine is right when it proposes a code
of that kind; :func:`reported_families` sums them into the families reported apart (Z79, Z88, Z80-Z87,
status, T36-T50, external causes, O, Z3A). Codes are compared after normalisation, as in :mod:`training.metrics`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from training.metrics import normalize_codes

__all__ = [
    "CODE_FAMILIES",
    "REPORTED_FAMILIES",
    "CoderGold",
    "CoderNoteScore",
    "CoderReport",
    "CoderScores",
    "GroupScores",
    "code_family",
    "coder_report",
    "group_scores",
    "matches_must_not",
    "reported_families",
    "score_coder_note",
    "summarize_coder_scores",
]

OTHER_FAMILY = "other"

# (family, title, its 3-character category ranges); the first family that holds a code wins: the kinds of
# code the Official Guidelines treat apart (status, history, long-term drugs, drugs and external causes,
# pregnancy, ...). Ranges compare 3-character categories as strings ("Z3A" lies outside "Z30".."Z39").
CODE_FAMILIES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("A40-A41,R65", "sepsis, SIRS and severe sepsis", (("A40", "A41"), ("R65", "R65"))),
    ("B95-B97", "bacterial and viral infectious agents", (("B95", "B97"),)),
    ("E08-E13", "diabetes mellitus", (("E08", "E13"),)),
    ("E66,Z68", "overweight and obesity, body mass index", (("E66", "E66"), ("Z68", "Z68"))),
    ("F10-F19", "substance use disorders", (("F10", "F19"),)),
    ("I10-I1A", "hypertensive diseases", (("I10", "I1A"),)),
    ("I50", "heart failure", (("I50", "I50"),)),
    ("N18", "chronic kidney disease", (("N18", "N18"),)),
    ("O", "pregnancy, childbirth and the puerperium", (("O00", "O9A"),)),
    ("R", "symptoms, signs and abnormal findings", (("R00", "R99"),)),
    ("S00-T34", "injuries, burns and frostbite", (("S00", "T34"),)),
    ("T36-T50", "drugs: poisoning, adverse effect, underdosing", (("T36", "T50"),)),
    ("V00-Y99", "external causes of morbidity", (("V00", "Y99"),)),
    ("Z00-Z13", "examination and screening encounters", (("Z00", "Z13"),)),
    ("Z3A", "weeks of gestation", (("Z3A", "Z3A"),)),
    ("Z79", "long-term (current) drug therapy", (("Z79", "Z79"),)),
    ("Z80-Z84", "family history", (("Z80", "Z84"),)),
    ("Z85-Z87", "personal history", (("Z85", "Z87"),)),
    ("Z88", "allergy status to drugs", (("Z88", "Z88"),)),
    ("Z89-Z99", "status codes (acquired absence, devices, dependence, risk factors)", (("Z89", "Z99"),)),
    ("Z other", "other factors influencing health status", (("Z00", "Z99"),)),
)
_FAMILY_TITLES = {family: title for family, title, _ in CODE_FAMILIES}
# The families the history / status / drugs / pregnancy work is judged by (issue 14), each one or more of
# CODE_FAMILIES: recall of the core codes of each, reported apart.
REPORTED_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Z79", ("Z79",)),
    ("Z88", ("Z88",)),
    ("Z80-Z87", ("Z80-Z84", "Z85-Z87")),
    ("status", ("Z89-Z99",)),
    ("T36-T50", ("T36-T50",)),
    ("external cause", ("V00-Y99",)),
    ("O", ("O",)),
    ("Z3A", ("Z3A",)),
)


def code_family(code: str) -> str:
    """The first :data:`CODE_FAMILIES` family whose ranges hold the code's category; ``"other"`` for none."""
    category = code[:3].upper()
    for family, _, ranges in CODE_FAMILIES:
        if any(first <= category <= last for first, last in ranges):
            return family
    return OTHER_FAMILY


def matches_must_not(code: str, must_not: Iterable[str]) -> bool:
    """Whether ``code`` is a must-not entry or lies under one (an entry may be a category or subcategory)."""
    return any(code.startswith(entry) for entry in must_not)


@dataclass(frozen=True, slots=True)
class CoderGold:
    """One note's coder judgement, codes normalised."""

    principal: str
    core: tuple[str, ...]
    optional: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, principal: str, core: Iterable[str], optional: Iterable[str] = (), must_not: Iterable[str] = ()
    ) -> CoderGold:
        return cls(
            principal=normalize_codes([principal])[0],
            core=tuple(normalize_codes(core)),
            optional=tuple(normalize_codes(optional)),
            must_not=tuple(normalize_codes(must_not)),
        )

    @property
    def acceptable(self) -> frozenset[str]:
        return frozenset(self.core) | frozenset(self.optional)


@dataclass(frozen=True, slots=True)
class CoderNoteScore:
    """What a coder would say of one note's list. ``principal_rank`` is None when the principal is not listed."""

    note_id: str
    setting: str
    principal: str
    principal_rank: int | None
    core: tuple[str, ...]
    core_at_5: tuple[str, ...]
    core_at_10: tuple[str, ...]
    core_proposed: tuple[str, ...]
    proposed: tuple[str, ...]
    proposed_wrong: tuple[str, ...]  # proposed, neither core nor optional
    must_not_proposed: tuple[str, ...]
    must_not_at_10: tuple[str, ...]

    @property
    def principal_first(self) -> bool:
        return self.principal_rank == 1

    def to_dict(self) -> dict[str, Any]:
        missed_at_10 = [code for code in self.core if code not in self.core_at_10]
        missed_proposed = [code for code in self.core if code not in self.core_proposed]
        return {
            "id": self.note_id,
            "setting": self.setting,
            "principal": self.principal,
            "principal_rank": self.principal_rank,
            "core_recall_at_10": len(self.core_at_10) / len(self.core),
            "core_missed_at_10": missed_at_10,
            "core_missed_proposed": missed_proposed,
            "proposed": list(self.proposed),
            "proposed_wrong": list(self.proposed_wrong),
            "must_not_proposed": list(self.must_not_proposed),
            "must_not_at_10": list(self.must_not_at_10),
        }


def score_coder_note(
    note_id: str, setting: str, gold: CoderGold, ranked: Sequence[str], proposed: Iterable[str]
) -> CoderNoteScore:
    """Score one note: ``ranked`` is its whole list, best first; ``proposed`` the codes the engine proposes."""
    ranking = normalize_codes(ranked)
    chosen = normalize_codes(proposed)
    top_5, top_10 = set(ranking[:5]), ranking[:10]
    rank = ranking.index(gold.principal) + 1 if gold.principal in ranking else None
    acceptable = gold.acceptable
    return CoderNoteScore(
        note_id=note_id,
        setting=setting,
        principal=gold.principal,
        principal_rank=rank,
        core=gold.core,
        core_at_5=tuple(code for code in gold.core if code in top_5),
        core_at_10=tuple(code for code in gold.core if code in top_10),
        core_proposed=tuple(code for code in gold.core if code in chosen),
        proposed=tuple(chosen),
        proposed_wrong=tuple(code for code in chosen if code not in acceptable),
        must_not_proposed=tuple(code for code in chosen if matches_must_not(code, gold.must_not)),
        must_not_at_10=tuple(code for code in top_10 if matches_must_not(code, gold.must_not)),
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True, slots=True)
class CoderScores:
    """The coder figures over a set of notes (see the module docstring for each definition)."""

    notes: int
    principal_at_1: float
    core_recall_at_5: float
    core_recall_at_10: float
    core_recall_proposed: float
    proposed_per_note: float
    proposed_precision: float
    proposed: int
    proposed_correct: int
    must_not_per_note: float
    must_not_at_10_per_note: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "notes": self.notes,
            "principal_at_1": self.principal_at_1,
            "core_recall_at_5": self.core_recall_at_5,
            "core_recall_at_10": self.core_recall_at_10,
            "core_recall_proposed": self.core_recall_proposed,
            "proposed_per_note": self.proposed_per_note,
            "proposed_precision": self.proposed_precision,
            "proposed": self.proposed,
            "proposed_correct": self.proposed_correct,
            "must_not_per_note": self.must_not_per_note,
            "must_not_at_10_per_note": self.must_not_at_10_per_note,
        }


def summarize_coder_scores(scores: Sequence[CoderNoteScore]) -> CoderScores:
    """Means over notes, the precision pooled over proposed codes; all zero for no notes."""
    proposed = sum(len(score.proposed) for score in scores)
    correct = proposed - sum(len(score.proposed_wrong) for score in scores)
    return CoderScores(
        notes=len(scores),
        principal_at_1=_mean([float(score.principal_first) for score in scores]),
        core_recall_at_5=_mean([len(score.core_at_5) / len(score.core) for score in scores]),
        core_recall_at_10=_mean([len(score.core_at_10) / len(score.core) for score in scores]),
        core_recall_proposed=_mean([len(score.core_proposed) / len(score.core) for score in scores]),
        proposed_per_note=_mean([len(score.proposed) for score in scores]),
        proposed_precision=correct / proposed if proposed else 0.0,
        proposed=proposed,
        proposed_correct=correct,
        must_not_per_note=_mean([len(score.must_not_proposed) for score in scores]),
        must_not_at_10_per_note=_mean([len(score.must_not_at_10) for score in scores]),
    )


@dataclass(frozen=True, slots=True)
class GroupScores:
    """One chapter's or family's counts, pooled over notes: core codes of the group and how many were found;
    proposed codes of the group, how many were acceptable (core or optional) and how many were must-not."""

    group: str
    title: str
    core: int = 0
    core_at_10: int = 0
    core_proposed: int = 0
    proposed: int = 0
    proposed_correct: int = 0
    must_not_proposed: int = 0

    @property
    def recall_at_10(self) -> float:
        return self.core_at_10 / self.core if self.core else 0.0

    @property
    def recall_proposed(self) -> float:
        return self.core_proposed / self.core if self.core else 0.0

    @property
    def precision(self) -> float:
        return self.proposed_correct / self.proposed if self.proposed else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "core": self.core,
            "core_at_10": self.core_at_10,
            "core_proposed": self.core_proposed,
            "recall_at_10": self.recall_at_10,
            "recall_proposed": self.recall_proposed,
            "proposed": self.proposed,
            "proposed_correct": self.proposed_correct,
            "precision": self.precision,
            "must_not_proposed": self.must_not_proposed,
        }


def group_scores(
    scores: Sequence[CoderNoteScore], group_of: Callable[[str], tuple[str, str]]
) -> dict[str, GroupScores]:
    """Counts per group (``group_of(code) -> (group id, title)``), in the order groups are first met."""
    counts: dict[str, dict[str, int]] = {}
    titles: dict[str, str] = {}

    def add(code: str, field_name: str) -> None:
        group, title = group_of(code)
        titles.setdefault(group, title)
        counts.setdefault(group, {})
        counts[group][field_name] = counts[group].get(field_name, 0) + 1

    for score in scores:
        for code in score.core:
            add(code, "core")
        for found, field_name in ((score.core_at_10, "core_at_10"), (score.core_proposed, "core_proposed")):
            for code in found:
                add(code, field_name)
        wrong = set(score.proposed_wrong)
        for code in score.proposed:
            add(code, "proposed")
            if code not in wrong:
                add(code, "proposed_correct")
        for code in score.must_not_proposed:
            add(code, "must_not_proposed")
    return {group: GroupScores(group, titles[group], **counts[group]) for group in counts}


_COUNTS = ("core", "core_at_10", "core_proposed", "proposed", "proposed_correct", "must_not_proposed")


def reported_families(by_family: dict[str, GroupScores]) -> dict[str, GroupScores]:
    """The :data:`REPORTED_FAMILIES`, each the sum of its member families' counts (all zero where none occurs)."""
    summed = {}
    for name, members in REPORTED_FAMILIES:
        groups = [by_family[member] for member in members if member in by_family]
        counts = {field_name: sum(getattr(group, field_name) for group in groups) for field_name in _COUNTS}
        title = "; ".join(_FAMILY_TITLES[member] for member in members)
        summed[name] = GroupScores(name, title, **counts)
    return summed


@dataclass(frozen=True, slots=True)
class CoderReport:
    """The coder figures of an evaluation: over all coder-coded notes, per setting, chapter and family, and
    per note (codes only, never text)."""

    overall: CoderScores
    by_setting: dict[str, CoderScores]
    by_chapter: dict[str, GroupScores]
    by_family: dict[str, GroupScores]
    notes: tuple[CoderNoteScore, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.overall.to_dict(),
            "by_setting": {setting: scores.to_dict() for setting, scores in self.by_setting.items()},
            "by_chapter": {group: scores.to_dict() for group, scores in self.by_chapter.items()},
            "by_family": {group: scores.to_dict() for group, scores in self.by_family.items()},
            "reported_families": {
                group: scores.to_dict() for group, scores in reported_families(self.by_family).items()
            },
            "per_note": [score.to_dict() for score in self.notes],
        }


def _family_of(code: str) -> tuple[str, str]:
    family = code_family(code)
    return family, _FAMILY_TITLES.get(family, "codes of no family above")


def _chapter_order(chapter: str) -> tuple[int, str]:
    return (int(chapter), "") if chapter.isdigit() else (10_000, chapter)


def _family_order(family: str) -> int:
    names = [name for name, _, _ in CODE_FAMILIES]
    return names.index(family) if family in names else len(names)


def coder_report(scores: Sequence[CoderNoteScore], chapter_of: Callable[[str], tuple[str, str]]) -> CoderReport:
    """Every coder figure of ``scores``: settings in their usual order, chapters by number, families as listed."""
    settings = sorted({score.setting for score in scores}, key=lambda setting: (setting != "inpatient", setting))
    chapters = group_scores(scores, chapter_of)
    families = group_scores(scores, _family_of)
    return CoderReport(
        overall=summarize_coder_scores(scores),
        by_setting={
            setting: summarize_coder_scores([score for score in scores if score.setting == setting])
            for setting in settings
        },
        by_chapter={chapter: chapters[chapter] for chapter in sorted(chapters, key=_chapter_order)},
        by_family={family: families[family] for family in sorted(families, key=_family_order)},
        notes=tuple(scores),
    )
