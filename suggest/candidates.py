"""From a processed Doc to mentions, and from mentions to candidate codes with ranking features.

Within a sentence the heaviest match wins: a phrase whose words all lie inside a longer match is dropped
("pneumonia" inside "aspiration pneumonia"), so a combination code beats its parts, unless the longer
match's code asks for it ("use additional code to identify stage of chronic kidney disease (N18.1-N18.6)").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from spacy.tokens import Doc

from suggest.components.sections import section_in
from suggest.components.terms import SPAN_GROUP, TermMatch
from suggest.components.tokenizer import note_text
from suggest.types import Assertion, Candidate, Evidence, Mention
from vocab.codeset import CodeSet, parse_code_references

__all__ = [
    "CLASSIFIER_FEATURE_NAMES",
    "FEATURE_NAMES",
    "SECTION_WEIGHTS",
    "TERM_MATCH_FEATURES",
    "build_candidates",
    "extract_mentions",
]

# How much a section says "this is a diagnosis of this encounter". The diagnosis statements (assessment,
# discharge / principal / post-operative diagnoses, SOAP "A:", "Dx:") weigh most; the pre-operative diagnosis
# less, as the post-operative one replaces it (Guidelines IV.M); a plan lists tests, drugs and follow-up.
SECTION_WEIGHTS = {
    "assessment_and_plan": 1.0,
    "diagnoses": 1.0,
    "preoperative_diagnosis": 0.85,
    "plan": 0.8,
    "problem_list": 0.95,
    "chief_complaint": 0.9,
    "history_of_present_illness": 0.85,
    "hospital_course": 0.9,
    "none": 0.85,
    "procedures": 0.75,
    "past_medical_history": 0.7,
    "past_surgical_history": 0.6,
    "imaging": 0.65,
    "labs_and_studies": 0.6,
    "physical_exam": 0.6,
    "vitals": 0.4,
    "review_of_systems": 0.5,
    "social_history": 0.5,
    "family_history": 0.5,
    "medications": 0.35,
    "allergies": 0.3,
    "instructions": 0.4,
}
_SOURCE_WEIGHTS = {"index": 1.0, "neoplasm": 0.95, "title": 0.95, "inclusion": 0.9}
_MATCH_TYPE_WEIGHTS = {"exact": 1.0, "abbreviation": 0.95, "modifier": 0.85, "fuzzy": 0.8}

# Shares of a code's mentions by how the phrase matched and where the phrase came from.
_MATCH_SHARES = ("exact", "modifier", "abbreviation", "fuzzy", "from_index", "from_title", "from_inclusion")
# Fractions of a code's mentions that have a property (see _share_features_of).
_SHARE_FEATURES = ("in_assessment", "in_history_section", *_MATCH_SHARES, "present", "historical", "possible")
FEATURE_NAMES = (
    "best_match",
    "mean_match",
    "mentions",
    "sentences",
    "section_weight",
    *_SHARE_FEATURES,
    "first_position",
    "specificity",
    "billable",
    "words",
    "matched_weight",
    "single_word",
    "derived",
)
# The FEATURE_NAMES that describe a phrase match: zero for a code only the note classifier proposed.
TERM_MATCH_FEATURES = (
    "best_match",
    "mean_match",
    "mentions",
    "sentences",
    *_MATCH_SHARES,
    "matched_weight",
    "single_word",
)
# Added by the engine when a model pack brings a note classifier (suggest.pipeline.with_classifier).
CLASSIFIER_FEATURE_NAMES = ("classifier_probability", "classifier_only")


def extract_mentions(doc: Doc, codeset: CodeSet) -> list[Mention]:
    """Every surviving term match in the Doc as a :class:`Mention` (subsumed matches removed)."""
    assertions = {(span.start, span.end): span._.chartcoder_assertion for span in doc.spans.get(SPAN_GROUP, ())}
    by_sentence: dict[int, list[TermMatch]] = defaultdict(list)
    for match in doc._.chartcoder_matches or ():
        by_sentence[match.sentence].append(match)
    mentions = []
    text = note_text(doc)  # spaCy joins every token's text on each call: once per note, not once per mention
    section_starts = doc._.chartcoder_section_starts  # a Doc extension costs a look-up object per read
    for matches in by_sentence.values():
        for match in _heaviest_first(matches, codeset):
            assertion = assertions.get((match.positions[0], match.positions[-1] + 1), "present")
            section = section_in(section_starts, match.positions[0])
            mentions.append(_mention(doc, text, match, assertion, section))
    return mentions


def _heaviest_first(matches: list[TermMatch], codeset: CodeSet) -> list[TermMatch]:
    ordered = sorted(matches, key=lambda match: (-match.matched_weight, -match.score))
    # each match is compared with every kept one: its positions as a set once
    kept: list[tuple[TermMatch, frozenset[int]]] = []
    for match in ordered:
        positions = frozenset(match.positions)
        covering = [(other, other_positions) for other, other_positions in kept if positions <= other_positions]
        if (
            not covering
            or any(_asked_for(codeset, other, match) for other, _ in covering)
            or _alternative_reading(match, positions, covering)
        ):
            kept.append((match, positions))
    return [match for match, _ in kept]


def _alternative_reading(
    match: TermMatch, positions: frozenset[int], covering: list[tuple[TermMatch, frozenset[int]]]
) -> bool:
    """Same words as a kept match, as complete, naming other codes: the ranker weighs both readings."""
    same_words = any(other_positions == positions and match.score >= other.score for other, other_positions in covering)
    return same_words and all(set(match.codes) != set(other.codes) for other, _ in covering)


def _asked_for(codeset: CodeSet, longer: TermMatch, shorter: TermMatch) -> bool:
    """Whether a "use additional code" note of the longer match's code names the shorter match's code."""
    for code in longer.codes:
        for _, note in codeset.inherited_notes(code, "use_additional"):
            for reference in parse_code_references(note):
                if any(reference.covers(candidate) for candidate in shorter.codes):
                    return True
    return False


def _mention(doc: Doc, text: str, match: TermMatch, assertion: Assertion, section: str) -> Mention:
    evidence = tuple(
        Evidence(start=start, end=end, text=text[start:end], section=section, assertion=assertion)
        for start, end in _runs(doc, match.positions)
    )
    return Mention(
        evidence=evidence,
        term=match.term,
        term_source=match.source,
        codes=match.codes,
        match_type=match.match_type,
        match_score=match.score,
        sentence=match.sentence,
        section=section,
        assertion=assertion,
        matched_weight=match.matched_weight,
        words=len(match.positions),
    )


def _runs(doc: Doc, positions: Iterable[int]) -> list[tuple[int, int]]:
    """Character spans of runs of matched tokens; a gap of one unmatched word still joins a run."""
    runs: list[list[int]] = []
    for position in sorted(positions):
        if runs and position - runs[-1][-1] <= 2:
            runs[-1].append(position)
        else:
            runs.append([position])
    spans = []
    for run in runs:
        first, last = doc[run[0]], doc[run[-1]]
        spans.append((first.idx, last.idx + len(last.text)))
    return spans


def build_candidates(mentions: list[Mention], codeset: CodeSet, note_length: int) -> list[Candidate]:
    """One candidate per code named by any mention, with the features the rankers read."""
    by_code: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        for code in mention.codes:
            by_code[code].append(mention)
    return [
        Candidate(code=code, mentions=tuple(found), features=candidate_features(code, found, codeset, note_length))
        for code, found in by_code.items()
    ]


_ASSESSMENT_SECTIONS = frozenset({"assessment_and_plan", "diagnoses", "problem_list"})
_HISTORY_SECTIONS = frozenset({"past_medical_history", "past_surgical_history"})
_MATCH_TYPE_SHARES = frozenset({"exact", "modifier", "abbreviation", "fuzzy"})
_SOURCE_SHARES = {"index": "from_index", "neoplasm": "from_index", "title": "from_title", "inclusion": "from_inclusion"}
_ASSERTION_SHARES = frozenset({"present", "historical", "possible"})


def candidate_features(code: str, mentions: list[Mention], codeset: CodeSet, note_length: int) -> dict[str, float]:
    record = codeset.codes[code]
    # one pass counting what each share feature asks of a mention (a pass per feature cost 5% of a note)
    counts = dict.fromkeys(_SHARE_FEATURES, 0)
    scores, sections, words, weights, starts, sentence_ids = [], [], [], [], [], set()
    for mention in mentions:
        scores.append(mention.match_score)
        sections.append(SECTION_WEIGHTS.get(mention.section, 0.7))
        words.append(mention.words)
        weights.append(mention.matched_weight)
        starts.append(mention.start)
        sentence_ids.add(mention.sentence)
        _count_share_features(counts, mention)
    total = len(mentions)
    most_words = max(words)
    return {
        "best_match": max(scores),
        "mean_match": sum(scores) / total,
        "mentions": float(total),
        "sentences": float(len(sentence_ids)),
        "section_weight": max(sections),
        **{name: count / total for name, count in counts.items()},
        "first_position": min(starts) / max(note_length, 1),
        "specificity": float(record.level),
        "billable": 1.0 if record.billable else 0.0,
        "words": float(most_words),
        "matched_weight": max(weights),
        "single_word": 1.0 if most_words == 1 else 0.0,
        "derived": 0.0,
    }


def _count_share_features(counts: dict[str, int], mention: Mention) -> None:
    """Counts the mention towards each share feature (a fraction of a code's mentions) it has."""
    if mention.section in _ASSESSMENT_SECTIONS:
        counts["in_assessment"] += 1
    elif mention.section in _HISTORY_SECTIONS:
        counts["in_history_section"] += 1
    if mention.match_type in _MATCH_TYPE_SHARES:
        counts[mention.match_type] += 1
    source_share = _SOURCE_SHARES.get(mention.term_source)
    if source_share is not None:
        counts[source_share] += 1
    if mention.assertion in _ASSERTION_SHARES:
        counts[mention.assertion] += 1


def mention_strength(mention: Mention) -> float:
    """How strongly one mention alone supports its codes (0..1), before assertion rules."""
    return (
        mention.match_score
        * _SOURCE_WEIGHTS.get(mention.term_source, 0.9)
        * _MATCH_TYPE_WEIGHTS.get(mention.match_type, 0.85)
        * SECTION_WEIGHTS.get(mention.section, 0.7)
        * (0.85 if mention.words == 1 else 1.0)
    )
