"""What the guideline rule modules read of a note: its text, its sections, and evidence made from offsets.

A :class:`NoteView` is plain data built once per note from the spaCy Doc (:meth:`NoteView.from_doc`), so the
rule modules stay pure functions of (note, vocabulary) that unit tests call directly.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from spacy.tokens import Doc

from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.types import Assertion, Evidence, Mention
from vocab.codeset import CodeSet

if TYPE_CHECKING:
    from suggest.guidelines.context import GuidelineContext

__all__ = [
    "RULE_SCORE",
    "AddedCode",
    "NoteLine",
    "NoteView",
    "add_codes",
    "calibrated_confidence",
    "folded_pattern",
    "guideline_mention",
    "note_of",
]

_LINE_RE = re.compile(r"[^\n]+")
# a sentence ends at ";", a line end, or a "." not inside a number or word ("32.5", "e.g")
_SENTENCE_RE = re.compile(r"(?:[^.;\n]+|\.(?=\w))+[.;]?")  # runs of plain characters at a time: the same pieces


@dataclass(frozen=True, slots=True)
class AddedCode:
    """A code a guideline rule adds, with the words that justify it and the guideline it applies.

    ``guideline`` is the ICD-10-CM Official Guidelines (FY2026) section, e.g. "I.C.21.c.4"; ``rationale``
    names it too. ``sequence``: "first" (must lead the claim), "secondary", or "after" (never first-listed,
    e.g. external causes); ``replaces`` lists active codes this one stands for (a history code for I63.9).
    """

    code: str
    evidence: tuple[Evidence, ...]
    rationale: str
    guideline: str
    sequence: str = "secondary"
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NoteLine:
    start: int
    end: int
    text: str
    section: str


@dataclass(frozen=True, slots=True)
class NoteView:
    """A note's text and its sections as character ranges (``starts``: sorted (offset, section name))."""

    text: str
    starts: tuple[tuple[int, str], ...] = ()

    @classmethod
    def from_doc(cls, doc: Doc) -> NoteView:
        return cls(doc.text, cls.section_starts(doc))

    @staticmethod
    def section_starts(doc: Doc) -> tuple[tuple[int, str], ...]:
        """``from_doc(doc).starts`` without the Doc's text, which spaCy joins from its tokens at each call."""
        end = doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0  # len(doc.text)
        starts = tuple(
            (doc[token].idx if token < len(doc) else end, name)
            for token, name in getattr(doc._, "chartcoder_section_starts", ()) or ()
        )
        return tuple(sorted(starts))

    def section_at(self, offset: int) -> str:
        found = bisect.bisect_right(self.starts, (offset, "\uffff")) - 1
        return self.starts[found][1] if found >= 0 else "none"

    def lines(self, *sections: str) -> Iterator[NoteLine]:
        """Each non-empty line (in the given sections only, when named)."""
        for line in _lines_of(self):
            if not sections or line.section in sections:
                yield line

    def split_lines(self) -> tuple[NoteLine, ...]:
        """Every non-empty line with its section."""
        return tuple(
            NoteLine(match.start(), match.end(), match.group(), self.section_at(match.start()))
            for match in _LINE_RE.finditer(self.text)
        )

    def sentences(self, *sections: str) -> Iterator[NoteLine]:
        """Sentence-like pieces (split at '.', ';' and line ends), in the given sections when named."""
        for line in _sentences_of(self):
            if not sections or line.section in sections:
                yield line

    def split_sentences(self) -> tuple[NoteLine, ...]:
        pieces = []
        for match in _SENTENCE_RE.finditer(self.text):
            piece = match.group()
            if not piece.strip():
                continue
            start = match.start() + (len(piece) - len(piece.lstrip()))
            pieces.append(NoteLine(start, match.end(), self.text[start : match.end()], self.section_at(start)))
        return tuple(pieces)

    def evidence(self, start: int, end: int, assertion: Assertion = "present") -> Evidence:
        return Evidence(start, end, self.text[start:end], self.section_at(start), assertion)


# Where a code a guideline rule derives from explicit documentation (a poisoning, a pregnancy code) goes in
# reporting order: above any model threshold, so it is proposed; how sure the engine is of it, on the ranker's
# scale, is its :func:`calibrated_confidence`. Supplementary codes (status, history, long-term drugs, BMI,
# external causes: Z and V-Y) score lower (still proposed), so they mostly follow the stated diagnoses in
# reporting order as a coder lists them; a "first" code (chemotherapy encounter, I.C.2.e.2) leads.
RULE_SCORE = 0.8
FIRST_SCORE = 0.9
SUPPLEMENTARY_MARGIN = 0.02
SUPPLEMENTARY_SCORE = 0.6


def note_of(context: GuidelineContext) -> NoteView:
    return NoteView(context.text, tuple(context.sections))


def add_codes(
    draft: CodeSetDraft,
    added: list[AddedCode],
    codeset: CodeSet,
    score: float | None = None,
    threshold: float = 0.35,
) -> list[DraftCode]:
    """Put each rule's code in the draft (merged with the same code already there), its evidence as a mention
    and its rationale cited with the guideline section.

    Without a ``score`` (one on the ranker's scale), the code gets a rule score that places it in reporting order
    (:data:`RULE_SCORE` ...) and a confidence on the ranker's scale (:func:`calibrated_confidence`)."""
    entries = []
    for item in added:
        if item.code not in codeset.codes or not item.evidence:
            continue
        mention = guideline_mention(item.evidence, item.code)
        existing = draft.get(item.code)
        model_score = existing.calibrated_score if existing is not None else None  # before the rule raises it
        value = score if score is not None else _rule_score(item, threshold)
        entry = draft.add(DraftCode(code=item.code, score=value, mentions=[mention], replaces=list(item.replaces)))
        if score is None:
            entry.confidence = calibrated_confidence(model_score, threshold)
        entry.score = max(entry.score, value)
        entry.cite(item.guideline, item.rationale)
        entries.append(entry)
    return entries


def calibrated_confidence(model_score: float | None, threshold: float) -> float:
    """The confidence of a code a guideline rule proposes, on the ranker's scale: the ranker's own score of the
    code when it scored it at or above its threshold, else the threshold itself (proposed, but no more confident
    than the ranker's least confident proposal: the ranker never vouched for it). The rule scores above place a
    code in reporting order and sit over a learned ranker's scale (its threshold can be 0.05): where the engine
    asks which code the note documents most strongly (the first-listed diagnosis of a note without headings),
    it compares this, not them."""
    return threshold if model_score is None else max(model_score, threshold)


def guideline_mention(evidence: tuple[Evidence, ...], code: str) -> Mention:
    """The mention a guideline rule makes of the note's words ``evidence`` (present, named by ``code``)."""
    first = evidence[0]
    return Mention(
        evidence=evidence,
        term=first.text,
        term_source="guideline",
        codes=(code,),
        match_type="guideline",
        match_score=1.0,
        sentence=-1,
        section=first.section,
        assertion="present",
        words=len(evidence),
    )


def folded_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A case-insensitive ``pattern`` written in lower case, compiled to search a note's folded text
    (:func:`suggest.guidelines.folding.folded_note`): the same matches at the same offsets (folding agrees with
    ``re.IGNORECASE`` one character for one), at a third of ``re.IGNORECASE``'s cost per character."""
    if not pattern.flags & re.IGNORECASE or pattern.pattern != pattern.pattern.lower():
        raise ValueError(f"not a case-insensitive pattern written in lower case: {pattern.pattern!r}")
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


def _rule_score(item: AddedCode, threshold: float) -> float:
    if item.sequence == "first":
        return FIRST_SCORE
    if item.code.startswith(("Z", "V", "W", "X", "Y")):
        return max(threshold + SUPPLEMENTARY_MARGIN, SUPPLEMENTARY_SCORE)
    return RULE_SCORE


@lru_cache(maxsize=16)  # several guideline steps read the same note's lines: split it once per note
def _lines_of(note: NoteView) -> tuple[NoteLine, ...]:
    return note.split_lines()


@lru_cache(maxsize=16)  # every guideline step reads the same note's sentences: split it once per note
def _sentences_of(note: NoteView) -> tuple[NoteLine, ...]:
    return note.split_sentences()
