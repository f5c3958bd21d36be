"""A condition the note says is due to a cause its code's Excludes1 note classifies elsewhere (I.A.12.a).

An Excludes1 note of the form "<condition> due to <cause> (code)" says where the classification puts the
condition when that cause is documented: N31 (neuromuscular dysfunction of bladder) "Excludes1 neuromuscular
dysfunction due to spinal cord lesion (G95.89)", so "neurogenic bladder d/t SCI" is G95.89, not N31.9; "the code
excluded should never be used at the same time as the code above the Excludes1 note" (I.A.12.a), and the
condition is coded where the note sends it. The step reads the notes from the Tabular List (nothing is
hand-written): a code whose affirmed mention's sentence says a causal link ("due to", "d/t", "secondary to",
"2/2", "caused by") followed by every word of the note's cause (an abbreviation read in any of its senses;
"lesion", "disease" and the like are no words of their own) becomes the code the note names. The note's condition
may name a different condition than the code's own: J13 (pneumonia due to Streptococcus pneumoniae) "Excludes1
congenital pneumonia due to S. pneumoniae (P23.6)" is about a congenital pneumonia, so the words the note's
condition adds to the code's title ("congenital") must be said in the sentence too; an excluded condition the
note does not document is not coded (I.A.12.a excludes codes, it does not create conditions).
"""

from __future__ import annotations

import re
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.index_walk import billable_choice, content_words
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet, parse_code_references
from vocab.lexicon import Abbreviations, load_abbreviations

__all__ = ["GUIDELINE", "code_where_the_cause_sends"]

GUIDELINE = "I.A.12.a"
_DUE_TO_NOTE_RE = re.compile(r"\bdue to\b(?P<cause>[^()]+)\(")
_CAUSAL_RE = re.compile(r"\b(?:due to|d/t|secondary to|2/2|caused by|because of)\s", re.IGNORECASE)
# Words a note's cause shares with any condition ("spinal cord lesion": the lesion is the spinal cord's).
_GENERIC = frozenset({"lesion", "disease", "disorder", "condition", "syndrome", "unspecified", "nos"})
_TOKEN_RE = re.compile(r"[a-z][a-z0-9/]+")
# An Excludes1 "due to" note: the cause's words, the words its condition adds to the code's titles, the code it
# names, the cause.
_DueToNote = tuple[frozenset[str], frozenset[str], str, str]


@guideline_steps.register("chartcoder.guidelines.excluded_cause.v1")
def code_where_the_cause_sends(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Code a condition documented as due to a cause where its code's Excludes1 "due to" note sends it
    (I.A.12.a)."""
    for entry in list(draft.entries):
        notes = _due_to_notes(context.codeset, entry.code)
        if not notes or entry not in draft.entries:
            continue
        found = _documented_cause(entry, context, notes)
        if found is None:
            continue
        target, cause = found
        old = entry.code
        why = f"documented as due to {cause}: the Excludes1 note at {old} classifies it to {target}"
        if target in draft:
            kept = draft.replace(
                [old], DraftCode(code=target, score=entry.score, mentions=list(entry.mentions)), GUIDELINE, why
            )
            kept.refined_from.append(old)
            continue
        entry.code = target
        entry.refined_from.append(old)
        entry.cite(GUIDELINE, why)


def _documented_cause(
    entry: DraftCode, context: GuidelineContext, notes: tuple[_DueToNote, ...]
) -> tuple[str, str] | None:
    """(the code the note sends the condition to, the cause) when a sentence of the entry's affirmed mentions
    says a causal link followed by the words of a "due to" note's cause."""
    for mention in entry.mentions:
        if mention.assertion in ("negated", "family", "hypothetical", "historical"):
            continue
        for piece in mention.evidence:
            sentence = context.sentence_around(piece.start, piece.end)
            link = _CAUSAL_RE.search(sentence)
            if link is None:
                continue
            said = _said_words(sentence[link.end() :])
            condition_said = _said_words(sentence)
            for cause_words, qualifier_words, printed, cause in notes:
                if cause_words <= said and qualifier_words <= condition_said:
                    target = billable_choice(context.codeset, printed, said)
                    if target is not None and target != entry.code:
                        return target, cause
    return None


def _said_words(text: str) -> set[str]:
    """The content words of ``text`` and of every sense of each abbreviation in it ("SCI": spinal cord injury)."""
    words = set(content_words(text))
    abbreviations = _abbreviations()
    for token in _TOKEN_RE.findall(text.lower()):
        for sense in abbreviations.expand(token):
            words |= content_words(sense)
    return words


def _due_to_notes(codeset: CodeSet, code: str) -> tuple[_DueToNote, ...]:
    """(the cause's words, the words the note's condition adds to the code's titles, the code named, the cause) of
    each Excludes1 note at ``code`` or above that reads "<condition> due to <cause> (<one code>)": read once per
    code and code set."""
    table = derived_table("excluded_cause.notes", codeset)
    found = table.get(code)
    if found is None:
        rows = []
        titles = {code, *(ancestor.code for ancestor in codeset.ancestors(code))}
        title_words = {word for title in titles for word in content_words(codeset.codes[title].description)}
        for _, note in codeset.inherited_notes(code, "excludes1"):
            match = _DUE_TO_NOTE_RE.search(note)
            references = parse_code_references(note)
            if match is None or len(references) != 1 or references[0].first != references[0].last:
                continue
            cause = match.group("cause").strip()
            words = frozenset(content_words(cause) - _GENERIC)
            qualifiers = frozenset(content_words(note[: match.start()]) - title_words - _GENERIC)
            if words:
                rows.append((words, qualifiers, references[0].first, cause))
        found = table[code] = tuple(rows)
    return found


@lru_cache(maxsize=1)
def _abbreviations() -> Abbreviations:
    return load_abbreviations()
