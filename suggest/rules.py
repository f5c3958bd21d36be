"""ICD-10-CM Official Guidelines applied to ranked candidates: what becomes a suggestion, and why not.

In order: assertion (negated, hypothetical -> excluded; family -> Z80-Z84; history -> Z85-Z87 where the
Index names one; uncertain -> by setting), specificity (a non-billable code becomes the billable child the
note supports, or its default child flagged "needs specificity"; a missing 7th character is added and
flagged), redundancy (an ancestor or an "unspecified" sibling of a more specific suggestion goes), then
flags (Excludes1 pairs, code first, use additional, unspecified).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from suggest.types import Candidate, Evidence, Exclusion, Flag, Mention, Setting, Suggestion
from vocab.codeset import Code, CodeSet, parse_code_references
from vocab.errors import VocabError
from vocab.text import normalize_tokens

__all__ = [
    "Ranked",
    "RuleContext",
    "apply_rules",
    "billable_code",
    "code_flags",
    "evidence_of",
    "excludes1_flags",
    "rank_codes",
    "rationale_of",
    "unique_flags",
]

_NOTE_FLAG_FIELDS = (
    ("code_first", "code first"),
    ("use_additional", "use additional code"),
    ("code_also", "code also"),
)
_MAX_CHILDREN_LISTED = 15
_HISTORY_SCORE = 0.4  # above the zero-shot threshold (0.35): a stated history is proposed, after diagnoses
_EXACT_ENOUGH = 0.9
_DEFAULT_CHILD_WORDS = ("unspecified", "without complication", "not elsewhere classified")
_OPEN_WORDS = frozenset({"unspecified", "nos"})
_VAGUE_TITLE_WORDS = ("unspecified", "without complication")
# Distinct code titles whose words are remembered: a release has ~75,000 codes, a note compares a few dozen.
_TITLE_CACHE_SIZE = 16_384


@dataclass
class Ranked:
    """A code on its way to becoming a suggestion: its evidence, score and accumulated flags."""

    code: str
    score: float
    mentions: list[Mention]
    flags: list[Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # rationale fragments


@dataclass(frozen=True)
class RuleContext:
    codeset: CodeSet
    setting: Setting
    text: str
    # (kind, code, sentence) -> a history code for it, or None (it stays active); kind "personal" or "family";
    # the sentence says whether the condition is resolved or still treated (I.C.21.c.4)
    history_code: Callable[..., str | None]


def apply_rules(
    candidates: Sequence[Candidate], scores: Sequence[float], context: RuleContext
) -> tuple[list[Suggestion], list[Exclusion]]:
    """Assertion, specificity and redundancy rules, then flags: suggestions ordered by score."""
    final, excluded = rank_codes(candidates, scores, context)
    suggestions = _flagged(final, context.codeset)
    suggested_codes = {suggestion.code for suggestion in suggestions}
    return suggestions, [exclusion for exclusion in excluded if exclusion.code not in suggested_codes]


def rank_codes(
    candidates: Sequence[Candidate], scores: Sequence[float], context: RuleContext
) -> tuple[list[Ranked], list[Exclusion]]:
    """The codes that survive the assertion, specificity and redundancy rules (by score), and the excluded
    findings; flags that depend on the final code set (Excludes1, notes) are left to :func:`code_flags`."""
    kept: dict[str, Ranked] = {}
    excluded: list[Exclusion] = []
    for candidate, score in zip(candidates, scores, strict=True):
        for code, ranked, exclusion in _by_assertion(candidate, score, context):
            if exclusion is not None:
                excluded.append(exclusion)
            if ranked is not None:
                _merge(kept, code, ranked)
    specific = _resolve_specificity(kept, context)
    final = _drop_redundant(specific, context.codeset)
    return final, _unique_exclusions(excluded)


def code_flags(code: str, codeset: CodeSet) -> list[Flag]:
    """The flags a code carries from the Tabular List alone: code first / use additional / code also notes and
    "unspecified" (Excludes1 flags depend on the other codes: :func:`excludes1_flags`)."""
    return [*_note_flags(code, codeset), *_unspecified_flag(code, codeset)]


def excludes1_flags(codes: Sequence[str], codeset: CodeSet) -> dict[int, list[Flag]]:
    """Index in ``codes`` -> the Excludes1 flags of that code against the others."""
    flags: dict[int, list[Flag]] = {}
    for i, j, note in codeset.excludes1_conflicts(list(codes)):
        message = f"Excludes1 conflict between {codes[i]} and {codes[j]}: {note}"
        flags.setdefault(i, []).append(Flag("excludes1", message, (codes[j],)))
        flags.setdefault(j, []).append(Flag("excludes1", message, (codes[i],)))
    return flags


# --- assertion --------------------------------------------------------------------------------------
def _by_assertion(
    candidate: Candidate, score: float, context: RuleContext
) -> Iterable[tuple[str, Ranked | None, Exclusion | None]]:
    groups: dict[str, list[Mention]] = {}
    for mention in candidate.mentions:
        groups.setdefault(mention.assertion, []).append(mention)
    if _stated_as_history(groups):
        groups["historical"] = groups.pop("present") + groups["historical"]
    # a relative's condition is coded as family history whatever the patient's own status
    yield from _family(candidate, score, groups.get("family", []), context)
    # Section II.H codes an inpatient "possible" diagnosis as established only while it is still to be ruled
    # out: "r/o ACS" in the course and "ACS ruled out" at discharge is a diagnosis the work-up excluded
    uncertain_counts = context.setting == "inpatient" and "negated" not in groups
    codable = groups.get("present", []) + (groups.get("possible", []) if uncertain_counts else [])
    if codable:
        ranked = Ranked(candidate.code, score, codable)
        if "possible" in groups and uncertain_counts:
            ranked.flags.append(
                Flag("uncertain_inpatient", "Documented as uncertain; coded as established (inpatient).")
            )
        historical = groups.get("historical", [])
        ranked.mentions.extend(historical)
        yield candidate.code, ranked, None
        return
    yield from _historical(candidate, score, groups.get("historical", []), context)
    for assertion, reason in (
        ("negated", "negated in the note"),
        ("hypothetical", "hypothetical or future (not a current condition)"),
        ("possible", "uncertain diagnosis in an outpatient encounter: code the documented signs and symptoms"),
    ):
        if assertion in groups and (assertion != "possible" or context.setting == "outpatient"):
            yield candidate.code, None, Exclusion(candidate.code, reason, _evidence(groups[assertion]))


# Where the provider states the encounter's diagnoses (Section III): the statement there classifies a condition.
_STATEMENT_SECTIONS = frozenset({"diagnoses", "assessment_and_plan", "problem_list"})


def _stated_as_history(groups: dict[str, list[Mention]]) -> bool:
    """I.C.21.c.4 with Section III: the diagnostic statement says the condition is history ("Hx DVT (11/2025) - no
    residual thrombus") and affirms no current one there; the narrative's mention of it ("w/ DVT dx 11/2025") does
    not make it current."""
    historical, present = groups.get("historical", []), groups.get("present", [])
    return (
        bool(present)
        and any(mention.section in _STATEMENT_SECTIONS for mention in historical)
        and not any(mention.section in _STATEMENT_SECTIONS for mention in present)
    )


def _historical(
    candidate: Candidate, score: float, mentions: list[Mention], context: RuleContext
) -> Iterable[tuple[str, Ranked | None, Exclusion | None]]:
    if not mentions:
        return
    history = context.history_code("personal", candidate.code, _sentences_of(mentions, context.text))
    if history is None and candidate.code.startswith("R"):
        # a past sign or symptom ("s/p pacemaker for symptomatic bradycardia") is no current finding, and
        # ICD-10-CM has no history code for it (I.C.21.c.4, I.B.4): listed for the coder at a fraction of its
        # score, below any proposal threshold the ranker's calibration gives a documented finding
        ranked = Ranked(candidate.code, score * _PAST_SYMPTOM_WEIGHT, list(mentions))
        ranked.notes.append("sign or symptom documented only as past: not a current finding (I.C.21.c.4)")
        yield candidate.code, ranked, None
        return
    if history is None:
        # still treated, or a chronic condition not said to be resolved: the condition itself, weighed lower
        ranked = Ranked(candidate.code, score, list(mentions))
        ranked.notes.append("documented as history but current or still treated: coded as active (I.C.21.c.4)")
        yield candidate.code, ranked, None
        return
    reason = f"personal history (condition no longer present): coded as {history} (I.C.21.c.4)"
    yield candidate.code, None, Exclusion(candidate.code, reason, _evidence(mentions))
    ranked = Ranked(history, _history_score(score, mentions), list(mentions))
    ranked.notes.append(f"personal history of {candidate.code} (I.C.21.c.4)")
    yield history, ranked, None


# How much of its score a sign or symptom documented only as past keeps (I.C.21.c.4): listed, not proposed.
_PAST_SYMPTOM_WEIGHT = 0.25


def _history_score(score: float, mentions: list[Mention]) -> float:
    """A history code stated in so many words ("h/o CVA", "mother: breast cancer") is reportable (I.C.21.c.4)
    however low the ranker scores a past finding; a loose (fuzzy) match keeps its own score."""
    exact = any(mention.match_type != "fuzzy" and mention.match_score >= _EXACT_ENOUGH for mention in mentions)
    return max(score, _HISTORY_SCORE) if exact else score


def _sentences_of(mentions: list[Mention], text: str) -> str:
    """The sentences holding the mentions (from the previous '.', ';' or line end to the next)."""
    pieces = []
    for mention in mentions:
        start = max(text.rfind(mark, 0, mention.start) for mark in (".", ";", "\n")) + 1
        ends = [found for mark in (".", ";", "\n") if (found := text.find(mark, mention.end)) >= 0]
        pieces.append(text[start : min(ends, default=len(text))])
    return " ".join(dict.fromkeys(pieces))


def _family(
    candidate: Candidate, score: float, mentions: list[Mention], context: RuleContext
) -> Iterable[tuple[str, Ranked | None, Exclusion | None]]:
    if not mentions:
        return
    family = context.history_code("family", candidate.code)
    reason = f"family member's condition: coded as {family} (I.C.21.c.4)" if family else "family member's condition"
    yield candidate.code, None, Exclusion(candidate.code, reason, _evidence(mentions))
    if family is not None:
        ranked = Ranked(family, _history_score(score, mentions), list(mentions))
        ranked.notes.append(f"family history of {candidate.code} (I.C.21.c.4)")
        yield family, ranked, None


def _merge(kept: dict[str, Ranked], code: str, ranked: Ranked) -> None:
    if code not in kept:
        kept[code] = ranked
        return
    existing = kept[code]
    existing.score = max(existing.score, ranked.score)
    existing.mentions.extend(mention for mention in ranked.mentions if mention not in existing.mentions)
    existing.flags.extend(ranked.flags)
    existing.notes.extend(ranked.notes)


# --- specificity -------------------------------------------------------------------------------------
def _resolve_specificity(kept: dict[str, Ranked], context: RuleContext) -> dict[str, Ranked]:
    codeset = context.codeset
    resolved: dict[str, Ranked] = {}
    for code, ranked in sorted(kept.items(), key=lambda item: -item[1].score):
        record = codeset.codes[code]
        if record.billable:
            _merge(resolved, code, ranked)
            continue
        if any(_is_descendant(other, code) and codeset.codes[other].billable for other in kept):
            continue  # a more specific code the note supports is already suggested
        child, flag = _billable_choice(record, ranked, context)
        ranked.flags.append(flag)
        if child != code:
            ranked.notes.append(f"{code} is not billable")
        ranked.code = child
        _merge(resolved, child, ranked)
    return resolved


def _billable_choice(record: Code, ranked: Ranked, context: RuleContext) -> tuple[str, Flag]:
    codeset = context.codeset
    words = _words_near(ranked.mentions, context.text)
    if codeset.needs_seventh_character(record.code):
        return _with_seventh_character(_supported_descendant(record, words, codeset, seventh=True), context)
    children = codeset.billable_descendants(record.code)
    listed = tuple(child.code for child in children[:_MAX_CHILDREN_LISTED])
    choice = _supported_descendant(record, words, codeset, seventh=False)
    message = f"{record.code} is a category: choose the specific code the documentation supports"
    if choice.code == record.code:
        return record.code, Flag("needs_specificity", message + ".", listed)
    return choice.code, Flag("needs_specificity", f"{message}; {choice.code} assumed.", listed)


def _supported_descendant(record: Code, words: set[str], codeset: CodeSet, seventh: bool) -> Code:
    """The descendant whose title the words around the evidence support best ("right" -> the right-side
    code), the default ("unspecified") one on a tie. With ``seventh``, stop above the 7th character."""
    if seventh:
        options = [
            code for code in [record, *codeset.descendants(record.code)] if _takes_seventh_directly(code, codeset)
        ]
        if record in options:
            return record
    else:
        options = codeset.billable_descendants(record.code)
    if not options:
        return record

    parent_words = _title_words(record.description.lower())

    def support(code: Code) -> tuple[int, int, int, int]:
        title = code.description.lower()
        extra = _title_words(title) - parent_words
        told = len(extra & words)
        default = 1 if any(word in title for word in _DEFAULT_CHILD_WORDS) else 0
        # a default child asserts nothing the note does not say (I.A.9.b): "unspecified site of unspecified
        # female breast" (C50.919), not "inflammatory neoplasm of unspecified breast" (C50.A0)
        asserted = len(extra - words - _left_open(title))
        return (told, default, -asserted, -len(code.code))

    best = max(options, key=support)
    return best if support(best)[:2] != (0, 0) else record


@lru_cache(maxsize=_TITLE_CACHE_SIZE)  # the same children's titles are weighed note after note
def _title_words(title: str) -> frozenset[str]:
    """A lower-case code title's normalised words."""
    return frozenset(normalize_tokens(title))


@lru_cache(maxsize=_TITLE_CACHE_SIZE)
def _left_open(title: str) -> frozenset[str]:
    """The words a title leaves open: "unspecified" (or "NOS") and the word it qualifies ("unspecified site")."""
    tokens = normalize_tokens(title)
    return frozenset(
        word
        for index, word in enumerate(tokens)
        if word in _OPEN_WORDS or (index > 0 and tokens[index - 1] in _OPEN_WORDS)
    )


def _takes_seventh_directly(code: Code, codeset: CodeSet) -> bool:
    """S52.521 (its children are S52.521A, ...) but not S52.52 (its children are 6-character codes)."""
    return code.level < 7 and bool(code.children) and codeset.codes[code.children[0]].level == 7


def _words_near(mentions: list[Mention], text: str, window: int = 60) -> set[str]:
    words: set[str] = set()
    for mention in mentions:
        start, end = max(0, mention.start - window), min(len(text), mention.end + window)
        words.update(normalize_tokens(text[start:end]))
    return words


def _with_seventh_character(record: Code, context: RuleContext) -> tuple[str, Flag]:
    codeset = context.codeset
    characters = codeset.seventh_characters(record.code)
    lowered = context.text.lower()
    seventh = "A"
    if "sequela" in lowered and "S" in characters:
        seventh = "S"
    elif "subsequent" in lowered and "D" in characters:
        seventh = "D"
    choices = tuple(f"{char}: {meaning}" for char, meaning in characters.items())
    try:
        built = codeset.build_seventh(record.code, seventh).code
    except VocabError:  # the code needs a more specific 6th character before the 7th
        return record.code, Flag("seventh_character", f"{record.code} needs a 7th character.", choices)
    message = f"7th character {seventh} ({characters.get(seventh, '')}) assumed: confirm the encounter"
    return built, Flag("seventh_character", message, choices)


def _is_descendant(code: str, ancestor: str) -> bool:
    return code != ancestor and code.replace(".", "").startswith(ancestor.replace(".", ""))


# --- redundancy ----------------------------------------------------------------------------------------
def _drop_redundant(kept: dict[str, Ranked], codeset: CodeSet) -> list[Ranked]:
    """An ancestor, or an "unspecified" code of the same category as a specific one, gives way to it."""
    codes = list(kept)
    # every pair of codes is compared: read each code's digits, parent and title once
    digits = {code: code.replace(".", "") for code in codes}
    parents = {code: codeset.codes[code].parent for code in codes}
    vague = {code: _says_vague(codeset.codes[code].description) for code in codes}
    dropped: set[str] = set()
    for code in codes:
        parent = parents[code]
        for other in codes:
            if other == code or other in dropped:
                continue
            # other is a descendant of code, or code is its vaguer sibling: E11.9 (without complications) beside
            # E11.22; N18.9 (unspecified) beside N18.30 - not N18.30 beside N18.2, another stage rather than a more
            # specific one
            if digits[other].startswith(digits[code]) or (
                vague[code] and parent is not None and other.startswith(parent) and other != parent and not vague[other]
            ):
                dropped.add(code)
                kept[other].mentions.extend(m for m in kept[code].mentions if m not in kept[other].mentions)
                kept[other].notes.append(f"preferred to {code}")
                break
    return sorted((ranked for code, ranked in kept.items() if code not in dropped), key=lambda r: -r.score)


def _says_vague(description: str) -> bool:
    """An "unspecified" or "without complication(s)" title: the vaguer one of two siblings."""
    title = description.lower()
    return any(word in title for word in _VAGUE_TITLE_WORDS)


# --- flags -------------------------------------------------------------------------------------------
def _flagged(final: list[Ranked], codeset: CodeSet) -> list[Suggestion]:
    for ranked in final:
        ranked.flags.extend(_note_flags(ranked.code, codeset))
        ranked.flags.extend(_unspecified_flag(ranked.code, codeset))
    for i, j, note in codeset.excludes1_conflicts([ranked.code for ranked in final]):
        first, second = final[i], final[j]
        message = f"Excludes1 conflict between {first.code} and {second.code}: {note}"
        first.flags.append(Flag("excludes1", message, (second.code,)))
        second.flags.append(Flag("excludes1", message, (first.code,)))
    return [_suggestion(rank, ranked, codeset) for rank, ranked in enumerate(final, start=1)]


def _note_flags(code: str, codeset: CodeSet) -> list[Flag]:
    """One flag per instruction kind (code first, use additional, code also), its notes joined."""
    flags = []
    for note_field, label in _NOTE_FLAG_FIELDS:
        notes = [
            (where, note)
            for where, note in codeset.inherited_notes(code, note_field)
            if not where.startswith("chapter")  # chapter-wide notes apply to thousands of codes: too broad
        ]
        if not notes:
            continue
        references = tuple(
            dict.fromkeys(reference.text for _, note in notes for reference in parse_code_references(note))
        )
        message = f"{label}: " + "; ".join(f"{note} [{where}]" for where, note in notes)
        flags.append(Flag(note_field, message, references))
    return flags


def _unspecified_flag(code: str, codeset: CodeSet) -> list[Flag]:
    record = codeset.codes[code]
    if "unspecified" not in record.description.lower() or record.parent is None:
        return []
    siblings = [
        sibling
        for sibling in codeset.billable_descendants(record.parent)
        if sibling.code != code and "unspecified" not in sibling.description.lower()
    ]
    if not siblings:
        return []
    listed = tuple(sibling.code for sibling in siblings[:_MAX_CHILDREN_LISTED])
    return [Flag("unspecified", f"{code} is unspecified: a more specific code may apply if documented.", listed)]


def _suggestion(rank: int, ranked: Ranked, codeset: CodeSet) -> Suggestion:
    record = codeset.codes[ranked.code]
    return Suggestion(
        rank=rank,
        code=ranked.code,
        description=record.description,
        score=round(min(1.0, ranked.score), 4),
        billable=record.billable,
        evidence=_evidence(ranked.mentions),
        flags=tuple(_unique_flags(ranked.flags)),
        rationale=_rationale(ranked),
    )


def rationale_of(ranked: Ranked) -> str:
    """The mentions behind a code and the rule notes it gathered, in one line."""
    return _rationale(ranked)


def evidence_of(mentions: Iterable[Mention]) -> tuple[Evidence, ...]:
    """The mentions' evidence pieces, one per span, in text order."""
    return _evidence(mentions)


def unique_flags(flags: Iterable[Flag]) -> list[Flag]:
    return _unique_flags(flags)


def _rationale(ranked: Ranked) -> str:
    mentions = ranked.mentions
    best = max(mentions, key=lambda mention: mention.match_score)
    sections = sorted({mention.section.replace("_", " ") for mention in mentions})
    parts = [
        f"{len(mentions)} mention{'s' if len(mentions) != 1 else ''} in {', '.join(sections)}",
        f"best: {best.match_type} match of {best.term_source} term '{best.term}'",
        *ranked.notes,
    ]
    return "; ".join(parts)


def _evidence(mentions: Iterable[Mention]) -> tuple[Evidence, ...]:
    seen: dict[tuple[int, int], Evidence] = {}
    for mention in mentions:
        for piece in mention.evidence:
            seen.setdefault((piece.start, piece.end), piece)
    return tuple(sorted(seen.values(), key=lambda piece: piece.start))


def _unique_flags(flags: Iterable[Flag]) -> list[Flag]:
    seen: dict[tuple[str, str], Flag] = {}
    for flag in flags:
        seen.setdefault((flag.kind, flag.message), flag)
    return list(seen.values())


def _unique_exclusions(exclusions: Iterable[Exclusion]) -> list[Exclusion]:
    """One exclusion per reason and evidence: the most specific code stands for its ancestors."""
    merged: dict[tuple[str, str], Exclusion] = {}
    for exclusion in exclusions:
        key = (exclusion.code, exclusion.reason)
        if key in merged:
            pieces = _evidence_union(merged[key].evidence, exclusion.evidence)
            merged[key] = replace(merged[key], evidence=pieces)
        else:
            merged[key] = exclusion
    kept = list(merged.values())
    return [
        exclusion
        for exclusion in kept
        if not any(
            other.reason == exclusion.reason
            and other.evidence == exclusion.evidence
            and _is_descendant(other.code, exclusion.code)
            for other in kept
        )
    ]


def _evidence_union(first: tuple[Evidence, ...], second: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    seen = {(piece.start, piece.end): piece for piece in (*first, *second)}
    return tuple(sorted(seen.values(), key=lambda piece: piece.start))


def billable_code(code: str, mentions: list[Mention], context: RuleContext) -> tuple[str, Flag | None]:
    """``code`` if billable, else the billable descendant the words around ``mentions`` support (the default
    child, flagged, when they say nothing): the specificity rule above, for codes the guideline layer builds."""
    record = context.codeset.codes[code]
    if record.billable:
        return code, None
    return _billable_choice(record, Ranked(code, 0.0, list(mentions)), context)
