"""Coding an encounter: each document with the engine, then one code set for the encounter.

A coder codes an encounter, not a note. :func:`code_encounter` codes every document of the chart
(:meth:`suggest.engine.Engine.code_document`) and :func:`merge_documents` makes the encounter's code set:

- **one code per condition across documents.** The same code from several documents is one entry carrying the
  evidence of each (document id + offsets into that document). A condition coded differently by two documents
  is the more authoritative document's code: the discharge summary's final diagnoses (the condition "established
  after study", Section II) stand for the H&P's and progress notes' working ones, the provider's note for the
  nurse's intake. Two codes name one condition when they share a category (outside the Z, injury and external
  cause chapters, where one category holds distinct conditions), or when they share a chapter and the words of
  the lesser document's mention are all among the words of the other's ("pneumonia" in the H&P, "pneumonia due
  to Streptococcus pneumoniae" in the discharge summary).
- **uncertain diagnoses** (Sections II.H, III.C, IV.H): a condition documented only as "possible" / "probable"
  that a later document rules out (negates) is removed; in an admission with a discharge summary, one documented
  only as uncertain and not at all in the discharge summary is removed (II.H codes the uncertain diagnosis
  "documented at the time of discharge").
- **clinicians other than the provider** (I.B.14): a nurse's intake adds codes only of the kinds I.B.14 lists
  (BMI, SDOH, coma and NIH stroke scales, ...: ``guidelines/data/other_clinicians.tsv``); its other findings
  are evidence of the codes the provider's documents give.
- **the guideline layer once more over the merged set**: one code per finding, integral symptoms across
  documents (a sore throat in the intake is integral to the provider's strep pharyngitis), sequencing (one
  principal / first-listed diagnosis: the first of the most authoritative document's diagnoses) and POA. For
  the steps the documents are read as one text, most authoritative first; every offset is mapped back to its
  document in the answer.
- **present on admission from the admission documents** (Appendix I): a condition the H&P or the emergency
  department documents is POA "Y"; the others keep what the POA step reads in their sentences ("developed on
  hospital day 3": N).

The encounter's ``service_date`` travels with the answer: it is the date that chooses the code-set release.
Never log note text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

from suggest.coded_document import CodedDocument
from suggest.encounter_types import (
    ADMISSION_DOCUMENTS,
    DOCUMENT_TYPES,
    DocumentEvidence,
    DocumentType,
    Encounter,
    EncounterDocument,
    EncounterExclusion,
    EncounterSuggestion,
    EncounterSuggestions,
)
from suggest.errors import EncounterError, EncounterTooLargeError, Errors, NoteError
from suggest.guidelines import GuidelineContext, suggestions_of
from suggest.guidelines.data import read_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.poa import is_poa_exempt
from suggest.guidelines.registry import run_steps
from suggest.risk_adjustment import hcc_for
from suggest.types import Candidate, Evidence, Exclusion, Mention, Setting
from vocab.codeset import CodeSet

__all__ = [
    "DEFAULT_MAX_DOCUMENTS",
    "DEFAULT_MAX_ENCOUNTER_CHARS",
    "ENCOUNTER_STEPS",
    "DocumentEngine",
    "check_encounter",
    "code_encounter",
    "merge_documents",
]

DEFAULT_MAX_DOCUMENTS = 50
DEFAULT_MAX_ENCOUNTER_CHARS = 2_000_000
# Whose word wins when two documents code one condition differently: lower wins (the final diagnoses after study
# over the working ones; the provider over other clinicians, I.B.14).
_AUTHORITY: dict[DocumentType, int] = {
    "discharge_summary": 0,
    "provider_note": 0,
    "operative_note": 1,
    "consult_note": 2,
    "progress_note": 3,
    "history_and_physical": 4,
    "emergency_department": 5,
    "nurse_intake": 6,
}
# The order documents of one day are written in.
_WRITTEN: dict[DocumentType, int] = {
    "emergency_department": 0,
    "nurse_intake": 0,
    "history_and_physical": 1,
    "provider_note": 1,
    "consult_note": 2,
    "operative_note": 2,
    "progress_note": 2,
    "discharge_summary": 3,
}
_OTHER_CLINICIANS: frozenset[DocumentType] = frozenset({"nurse_intake"})
# The guideline steps that read across documents, run once more over the merged code set.
ENCOUNTER_STEPS: tuple[str, ...] = (
    "chartcoder.guidelines.one_per_finding.v1",
    "chartcoder.guidelines.integral.v1",
    "chartcoder.guidelines.sequencing.v1",
    "chartcoder.guidelines.poa.v1",
)
# Classes where one category holds distinct conditions (statuses, injuries of several sites, external causes).
_CATEGORY_IS_NOT_CONDITION = ("Z", "S", "T", "V", "W", "X", "Y")
_UNCERTAIN = frozenset({"possible", "hypothetical"})
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset({"a", "an", "and", "of", "the", "to", "due", "with", "in", "on", "unspecified", "acute"})
_SEPARATOR = "\n\n"


class DocumentEngine(Protocol):
    """What coding an encounter asks of an engine (:class:`suggest.engine.Engine` is one; so is the service's
    pool of engine processes)."""

    model_id: str

    def code_document(self, text: str, setting: str = "outpatient", note_id: str | None = None) -> CodedDocument: ...


def check_encounter(
    encounter: Encounter,
    *,
    max_documents: int = DEFAULT_MAX_DOCUMENTS,
    max_chars: int = DEFAULT_MAX_ENCOUNTER_CHARS,
) -> None:
    """Raise :class:`EncounterError` naming the first thing wrong with the encounter as sent."""
    documents = encounter.documents
    if not documents:
        raise EncounterError(Errors.E030)
    if len(documents) > max_documents:
        raise EncounterTooLargeError(Errors.E033.format(count=len(documents), limit=max_documents))
    size = sum(len(document.text) if isinstance(document.text, str) else 0 for document in documents)
    if size > max_chars:
        raise EncounterTooLargeError(Errors.E034.format(size=size, limit=max_chars))
    admission, discharge = encounter.admission_date, encounter.discharge_date
    if admission is not None and discharge is not None and admission > discharge:
        raise EncounterError(Errors.E032.format(admission=admission.isoformat(), discharge=discharge.isoformat()))
    seen: set[str] = set()
    for document in documents:
        if document.type not in DOCUMENT_TYPES:
            raise EncounterError(
                Errors.E031.format(document=document.document_id, kind=document.type, kinds=", ".join(DOCUMENT_TYPES))
            )
        if document.document_id in seen:
            raise EncounterError(Errors.E035.format(document=document.document_id))
        seen.add(document.document_id)
        _check_within_stay(document, admission, discharge)


def _check_within_stay(document: EncounterDocument, admission: date | None, discharge: date | None) -> None:
    """A document dated outside the stay is a mistake in the dates (an emergency department note of the day
    before the admission order is within it)."""
    when = document.date
    if when is None:
        return
    early = admission is not None and when < admission - timedelta(days=1)
    late = discharge is not None and when > discharge
    if early or late:
        raise EncounterError(
            Errors.E037.format(
                document=document.document_id,
                when=when.isoformat(),
                admission=admission.isoformat() if admission else "?",
                discharge=discharge.isoformat() if discharge else "?",
            )
        )


def code_encounter(
    engine: DocumentEngine,
    encounter: Encounter,
    *,
    max_documents: int = DEFAULT_MAX_DOCUMENTS,
    max_chars: int = DEFAULT_MAX_ENCOUNTER_CHARS,
    vocabulary: Any = None,
) -> EncounterSuggestions:
    """Code each document of ``encounter`` with ``engine`` and merge them into the encounter's code set.

    The caller chooses ``engine``: the one for the code-set release in effect on ``encounter.service_date``.
    ``vocabulary`` (default: the engine's) gives the code set and Alphabetic Index the merge reads.
    Raises :class:`EncounterError` for an encounter that cannot be coded as sent (no documents, an unknown
    document type, inverted dates, too large, a document the engine refuses: empty, binary, ...).
    """
    check_encounter(encounter, max_documents=max_documents, max_chars=max_chars)
    setting = encounter.resolved_setting
    coded = []
    for document in encounter.documents:
        try:
            coded.append(engine.code_document(document.text, setting, note_id=document.document_id))
        except NoteError as error:
            raise EncounterError(Errors.E036.format(document=document.document_id, problem=error)) from None
    vocabulary = vocabulary if vocabulary is not None else engine.vocabulary  # type: ignore[attr-defined]
    return merge_documents(encounter, coded, vocabulary.codeset, engine.model_id, index=vocabulary.index)


@dataclass
class _Placed:
    """A coded document at its place in the encounter: ``offset`` into the combined text, ``chronology`` its
    place in time (0 first written), ``authority`` its weight (0 wins)."""

    document: EncounterDocument
    coded: CodedDocument
    offset: int
    chronology: int
    authority: int


def _code_set(coded: Sequence[CodedDocument], codeset: CodeSet) -> str:
    """The release that coded the documents (one engine codes them all), named as the engine names it."""
    if coded:
        return coded[0].suggestions.code_set
    return f"ICD-10-CM {codeset.release}"


def merge_documents(
    encounter: Encounter,
    coded: Sequence[CodedDocument],
    codeset: CodeSet,
    model_id: str,
    *,
    index: Callable[[str], Any] = lambda source: None,
) -> EncounterSuggestions:
    """The encounter's one code set from its coded documents (``coded[i]`` is ``encounter.documents[i]``'s)."""
    setting = encounter.resolved_setting
    placed, text = _place(encounter, coded)
    draft = CodeSetDraft(entries=[])
    origin: dict[int, _Placed] = {}
    for item in placed:  # most authoritative first: its codes stand for the condition
        for entry in item.coded.entries:
            _merge_entry(draft, origin, item, _shifted_entry(entry, item.offset), setting, codeset)
    _specific_over_unspecified(draft, codeset)
    document_at = _DocumentFinder(placed)
    _remove_ruled_out(draft, placed, document_at, setting)
    context = GuidelineContext(
        codeset=codeset,
        setting=setting,
        text=text,
        candidates=[
            _shifted_candidate(candidate, item.offset) for item in placed for candidate in item.coded.candidates
        ],
        scores=[score for item in placed for score in item.coded.scores],
        threshold=min(item.coded.threshold for item in placed),
        index=index,
        sections=tuple((start + item.offset, name) for item in placed for start, name in item.coded.sections),
    )
    run_steps(draft, context, ENCOUNTER_STEPS)
    if setting == "inpatient":
        _poa_from_admission(draft, document_at)
    suggestions, exclusions = suggestions_of(draft, context)
    chronological = sorted(placed, key=lambda item: item.chronology)
    excluded = _exclusions(
        [*exclusions, *(_shifted_exclusion(found, item.offset) for item in placed for found in item.coded.excluded)],
        {suggestion.code for suggestion in suggestions},
        document_at,
    )
    return EncounterSuggestions(
        encounter_id=encounter.encounter_id,
        code_set=_code_set(coded, codeset),
        model=model_id,
        setting=setting,
        service_date=encounter.service_date,
        documents=tuple((item.document.document_id, item.document.type, item.document.date) for item in chronological),
        suggestions=tuple(
            EncounterSuggestion(
                rank=suggestion.rank,
                code=suggestion.code,
                description=suggestion.description,
                score=suggestion.score,
                billable=suggestion.billable,
                evidence=document_at.evidence(suggestion.evidence),
                flags=suggestion.flags,
                rationale=suggestion.rationale,
                role=suggestion.role,
                poa=suggestion.poa,
                proposed=suggestion.proposed,
                replaces=suggestion.replaces,
                documents=_documents_of(document_at.evidence(suggestion.evidence), chronological),
                hcc=hcc_for(suggestion.code),
            )
            for suggestion in suggestions
        ),
        excluded=tuple(excluded),
    )


def _place(encounter: Encounter, coded: Sequence[CodedDocument]) -> tuple[list[_Placed], str]:
    """The documents in authority order (latest first within a kind) with their offsets in the combined text."""
    documents = list(zip(encounter.documents, coded, strict=True))
    by_time = sorted(range(len(documents)), key=lambda i: _time_key(encounter, documents[i][0], i))
    chronology = {i: place for place, i in enumerate(by_time)}
    order = sorted(range(len(documents)), key=lambda i: (_AUTHORITY[documents[i][0].type], -chronology[i]))
    placed, parts, offset = [], [], 0
    for i in order:
        document, result = documents[i]
        placed.append(_Placed(document, result, offset, chronology[i], _AUTHORITY[document.type]))
        parts.append(document.text)
        offset += len(document.text) + len(_SEPARATOR)
    return placed, _SEPARATOR.join(parts)


def _time_key(encounter: Encounter, document: EncounterDocument, position: int) -> tuple[date, int, int]:
    when = document.date
    if when is None:
        fallback = encounter.discharge_date if document.type == "discharge_summary" else encounter.admission_date
        when = fallback or (date.max if document.type == "discharge_summary" else date.min)
    return when, _WRITTEN[document.type], position


def _merge_entry(
    draft: CodeSetDraft,
    origin: dict[int, _Placed],
    item: _Placed,
    entry: DraftCode,
    setting: Setting,
    codeset: CodeSet,
) -> None:
    """Add one document's code to the encounter's: into the entry for its condition when there is one."""
    target = draft.get(entry.code) or next(
        (
            other
            for other in draft.entries
            if origin[id(other)].document is not item.document and _same_condition(other, entry)
        ),
        None,
    )
    if target is not None:
        if target.code != entry.code and _default_code(target.code, codeset) and not _default_code(entry.code, codeset):
            _take_specific_code(target, entry, item)
            return
        if target.code != entry.code:
            winner = origin[id(target)].document.type.replace("_", " ")
            section = (
                "I.B.14" if item.document.type in _OTHER_CLINICIANS else ("II" if setting == "inpatient" else "IV")
            )
            target.cite(section, f"the {winner}'s {target.code} stands for {entry.code} of one condition")
        target.absorb(entry)
        return
    if item.document.type in _OTHER_CLINICIANS and not entry.code.startswith(_other_clinician_prefixes()):
        draft.excluded.append(
            Exclusion(
                entry.code,
                "documented only by a clinician other than the patient's provider (I.B.14)",
                _evidence(entry.mentions),
            )
        )
        return
    draft.entries.append(entry)
    origin[id(entry)] = item


def _default_code(code: str, codeset: CodeSet) -> bool:
    """A code that says no more than the condition's name: "unspecified", or "without complications"."""
    record = codeset.codes.get(code)
    title = record.description.lower() if record is not None else ""
    return "unspecified" in title or "without complication" in title


def _take_specific_code(target: DraftCode, entry: DraftCode, item: _Placed) -> None:
    """A less authoritative document's specific code of the condition (the H&P's diabetic CKD, E11.22) over the
    other's default code (the discharge summary's "type 2 diabetes", E11.9): that document does not contradict
    it, it only says less (I.B.18: the unspecified code when the record holds no more specific information)."""
    default = target.code
    target.absorb(entry)
    target.code = entry.code
    target.flags = list(entry.flags)
    target.replaces = [code for code in target.replaces if code != entry.code]
    if default not in target.replaces:
        target.replaces.append(default)
    kind = item.document.type.replace("_", " ")
    target.cite("I.B.18", f"the {kind} documents {entry.code}, more specific than {default}")


@lru_cache(maxsize=1)
def _other_clinician_prefixes() -> tuple[str, ...]:
    return tuple(row[0] for row in read_table("other_clinicians.tsv"))


def _same_condition(winner: DraftCode, other: DraftCode) -> bool:
    if other.code in winner.replaces:
        return True
    if winner.code.startswith(_CATEGORY_IS_NOT_CONDITION) or other.code.startswith(_CATEGORY_IS_NOT_CONDITION):
        return False
    if winner.code[:3] == other.code[:3]:
        return True
    return winner.code[0] == other.code[0] and _said_within(other, winner)


def _specific_over_unspecified(draft: CodeSetDraft, codeset: CodeSet) -> None:
    """An unspecified code beside a specific code of the same condition (one document says "pneumonia", another
    or the same "pneumonia due to Streptococcus pneumoniae") is that condition read with less detail: the
    specific code stands for it and takes its evidence (I.B.18: an unspecified code when the record holds no
    more specific information)."""
    for entry in list(draft.entries):
        if not _unspecified(entry.code, codeset) or entry.code.startswith(_CATEGORY_IS_NOT_CONDITION):
            continue
        specific = next(
            (
                other
                for other in draft.entries
                if other is not entry
                and other.code[0] == entry.code[0]
                and not _unspecified(other.code, codeset)
                and _said_within(entry, other)
            ),
            None,
        )
        if specific is not None:
            draft.entries.remove(entry)
            specific.absorb(entry)
            specific.cite("I.B.18", f"stands for {entry.code}, the same condition documented with less detail")


def _unspecified(code: str, codeset: CodeSet) -> bool:
    record = codeset.codes.get(code)
    return record is not None and "unspecified" in record.description.lower()


def _said_within(entry: DraftCode, other: DraftCode) -> bool:
    """Whether some mention of ``entry`` says nothing that a mention of ``other`` does not say too."""
    other_words = [_words(mention) for mention in other.mentions]
    return any(words and any(words <= candidate for candidate in other_words) for words in map(_words, entry.mentions))


def _words(mention: Mention) -> frozenset[str]:
    said = " ".join(piece.text for piece in mention.evidence).lower()
    return frozenset(word for word in _WORD.findall(said) if word not in _STOPWORDS)


def _remove_ruled_out(
    draft: CodeSetDraft, placed: list[_Placed], document_at: _DocumentFinder, setting: Setting
) -> None:
    """Uncertain diagnoses a later document rules out, or (in an admission) the discharge summary no longer
    documents, leave the code set (II.H, III.C, IV.H)."""
    section = "II.H" if setting == "inpatient" else "IV.H"
    has_summary = any(item.document.type == "discharge_summary" for item in placed)
    for entry in list(draft.entries):
        said = [(document_at.placed(mention.start), mention) for mention in entry.mentions]
        if not said or any(mention.assertion not in _UNCERTAIN for _item, mention in said):
            continue
        last_said = max(item.chronology for item, _mention in said)
        ruling = [
            item
            for item in placed
            if item.chronology > last_said and any(_negates(mention, entry) for mention in item.coded.mentions)
        ]
        if ruling:
            latest = max(ruling, key=lambda item: item.chronology).document
            draft.remove(
                entry.code,
                f"documented as uncertain, then ruled out in the {latest.type.replace('_', ' ')} "
                f"({latest.document_id}) ({section})",
            )
        elif (
            setting == "inpatient"
            and has_summary
            and not any(item.document.type == "discharge_summary" for item, _mention in said)
        ):
            draft.remove(
                entry.code,
                "uncertain working diagnosis not documented at the time of discharge (II.H)",
            )


def _negates(mention: Mention, entry: DraftCode) -> bool:
    if mention.assertion != "negated":
        return False
    codes = {entry.code, *entry.replaces}
    return bool(codes & set(mention.codes)) or any(mention.term == other.term for other in entry.mentions)


def _poa_from_admission(draft: CodeSetDraft, document_at: _DocumentFinder) -> None:
    """A condition the admission documents (H&P, emergency department) document is present on admission:
    Appendix I, "Y" for conditions present at the time of the order for inpatient admission."""
    for entry in draft.entries:
        if is_poa_exempt(entry.code):
            continue
        admitted_with = [
            mention
            for mention in entry.mentions
            if document_at.placed(mention.start).document.type in ADMISSION_DOCUMENTS
            and mention.assertion in ("present", "possible")
        ]
        if admitted_with and entry.poa != "Y":
            entry.poa = "Y"
        if admitted_with:
            kind = document_at.placed(admitted_with[0].start).document.type.replace("_", " ")
            entry.cite("Appendix I", f"POA Y: documented in the {kind} at admission")


class _DocumentFinder:
    """Which document an offset of the combined text falls in, and evidence mapped back to that document."""

    def __init__(self, placed: list[_Placed]) -> None:
        ordered = sorted(placed, key=lambda item: item.offset)
        self._starts = [item.offset for item in ordered]
        self._placed = ordered

    def placed(self, offset: int) -> _Placed:
        return self._placed[bisect.bisect_right(self._starts, offset) - 1]

    def evidence(self, pieces: Sequence[Evidence]) -> tuple[DocumentEvidence, ...]:
        out = []
        for piece in pieces:
            item = self.placed(piece.start)
            local = replace(piece, start=piece.start - item.offset, end=piece.end - item.offset)
            out.append(DocumentEvidence(item.document.document_id, local))
        return tuple(out)


def _documents_of(evidence: Sequence[DocumentEvidence], chronological: list[_Placed]) -> tuple[str, ...]:
    ids = {piece.document_id for piece in evidence}
    return tuple(item.document.document_id for item in chronological if item.document.document_id in ids)


def _exclusions(
    exclusions: Sequence[Exclusion], suggested: set[str], document_at: _DocumentFinder
) -> list[EncounterExclusion]:
    """Codes left out, once per code and reason (their evidence joined), never a code the encounter reports."""
    joined: dict[tuple[str, str], list[Evidence]] = {}
    for exclusion in exclusions:
        if exclusion.code in suggested:
            continue
        pieces = joined.setdefault((exclusion.code, exclusion.reason), [])
        pieces.extend(piece for piece in exclusion.evidence if piece not in pieces)
    return [
        EncounterExclusion(code, reason, document_at.evidence(sorted(pieces, key=lambda piece: piece.start)))
        for (code, reason), pieces in joined.items()
    ]


def _shift_evidence(pieces: Sequence[Evidence], by: int) -> tuple[Evidence, ...]:
    return tuple(replace(piece, start=piece.start + by, end=piece.end + by) for piece in pieces)


def _shifted_mention(mention: Mention, by: int) -> Mention:
    return replace(mention, evidence=_shift_evidence(mention.evidence, by))


def _shifted_entry(entry: DraftCode, by: int) -> DraftCode:
    return DraftCode(
        code=entry.code,
        score=entry.score,
        mentions=[_shifted_mention(mention, by) for mention in entry.mentions],
        flags=list(entry.flags),
        notes=list(entry.notes),
        sections=list(entry.sections),
        replaces=list(entry.replaces),
        confidence=entry.confidence,
    )


def _shifted_candidate(candidate: Candidate, by: int) -> Candidate:
    return replace(candidate, mentions=tuple(_shifted_mention(mention, by) for mention in candidate.mentions))


def _shifted_exclusion(exclusion: Exclusion, by: int) -> Exclusion:
    return replace(exclusion, evidence=_shift_evidence(exclusion.evidence, by))


def _evidence(mentions: Sequence[Mention]) -> tuple[Evidence, ...]:
    seen: dict[tuple[int, int], Evidence] = {}
    for mention in mentions:
        for piece in mention.evidence:
            seen.setdefault((piece.start, piece.end), piece)
    return tuple(sorted(seen.values(), key=lambda piece: piece.start))
