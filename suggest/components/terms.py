"""Term extraction: find the term table's phrases in each sentence, exactly, by abbreviation, or fuzzily.

Each sentence becomes a bag of normalised words with their token positions; reviewed abbreviations add
their expansion's words at the abbreviation's position (only the sense the context chose, where the
``chartcoder_abbreviations`` component decided one), and a misspelt word (not in the table) adds its
nearest table word (rapidfuzz, blocked by first letter and length, cached). A phrase matches when its
anchor word is in the bag and its other required words are too, close enough together. Matches become
:class:`TermMatch` records in ``doc._.chartcoder_matches`` and one span per distinct extent in
``doc.spans["chartcoder_terms"]`` (for ConText).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy
from rapidfuzz import fuzz, process
from spacy.attrs import ORTH, SENT_START
from spacy.language import Language
from spacy.lexeme import Lexeme
from spacy.tokens import Doc, Span

from suggest.errors import Errors
from suggest.termtable import TABLE_FORMAT, TermTable
from vocab.artifact import read_cached, write_cached
from vocab.text import normalize_token

__all__ = ["SPAN_GROUP", "TermMatch", "TermMatcher"]

SPAN_GROUP = "chartcoder_terms"
_TABLE_FILE = "term_table"
_QUALIFIERS = frozenset(
    "left right bilateral upper lower anterior posterior superior inferior medial lateral proximal distal".split()
)
# "without complications": the words a "without" governs are absent from the patient, so only a phrase that
# says "without" itself ("Migraine without aura") may use them.
_WITHOUT = "without"
_WITHOUT_REACH = 3
# Prefixes of opposite meaning one or two letters apart: a word the table lacks is no misspelling of its
# opposite ("hypocoagulation" with heparin is not "hypercoagulation", "macrocytic" not "microcytic").
_OPPOSITE_PREFIXES = (("hypo", "hyper"), ("micro", "macro"), ("pre", "post"), ("inter", "intra"))
# Words of their own, absent from the term table, one letter from a clinical word: never read as its misspelling
# ("In addition, ..." is no "addiction" F19.20; cell "mitosis" no "miosis"; the left "hemithorax" no
# "hemothorax"; "notalgia" no "nostalgia"; "by chance" no "chancre"; Lantus, a drug, no "latus"). Reviewed list.
_WORDS_NOT_MISSPELLINGS = frozenset(("addition", "mitosis", "hemithorax", "notalgia", "chance", "lantus"))
_MAX_READINGS = 500_000


@dataclass(frozen=True, slots=True)
class TermMatch:
    term_id: int
    term: str
    source: str
    codes: tuple[str, ...]
    positions: tuple[int, ...]  # token indices of the words that matched, sorted
    score: float  # 0..1
    match_type: str  # "exact" | "modifier" | "abbreviation" | "fuzzy"
    matched_weight: float
    sentence: int


@dataclass(frozen=True, slots=True)
class _Reading:
    """A token text's contribution to a bag of words: the same wherever the text occurs, so computed once."""

    words: tuple[tuple[str, str, float, frozenset[str]], ...]  # (table word, via, similarity, sense)
    says_without: bool
    ends_clause: bool  # punctuation, "but", "with": where the reach of a "without" stops


# One table word found in a sentence: (token position, via, similarity, sense). ``via`` is "word",
# "abbreviation" or "fuzzy"; ``sense``, for "abbreviation", is every word of the expansion. A plain tuple: a
# sentence makes one per word it holds, and a tuple costs a fraction of a dataclass instance to build.
_Occurrence = tuple[int, str, float, frozenset[str]]


@dataclass(frozen=True, slots=True)
class _Phrase:
    """What the matcher asks of a phrase on every check, derived once from the table's columns."""

    words: tuple[str, ...]
    word_set: frozenset[str]
    weights: tuple[float, ...]
    total: float
    needs_all: bool  # fewer than three words, or no partial match allowed: every word must be in the sentence
    missing_limit: float  # the most weight a partial match may lack
    says_without: bool
    has_number: bool  # a number must sit next to the word before it ("stage 3")
    has_qualifier: bool  # a side or position word must sit next to another word of the phrase


class _Readings(dict[int, _Reading]):
    """Token text (orth) -> its reading, computed on first sight: ``map(readings.__getitem__, orths)`` stays in C
    for the words seen before, which are nearly all of a note's."""

    def __init__(self, read: Callable[[int], _Reading]) -> None:
        super().__init__()
        self._read = read

    def __missing__(self, orth: int) -> _Reading:
        if len(self) >= _MAX_READINGS:
            self.clear()  # a long-running server meets unbounded distinct words
        reading = self[orth] = self._read(orth)
        return reading


class TermMatcher:
    def __init__(
        self,
        nlp: Language,
        name: str,
        fuzzy_cutoff: float,
        fuzzy_min_length: int,
        partial_allowance: float,
        spread_per_word: int,
    ) -> None:
        self.name = name
        self.fuzzy_cutoff = fuzzy_cutoff
        self.fuzzy_min_length = fuzzy_min_length
        self.partial_allowance = partial_allowance
        self.spread_per_word = spread_per_word
        self.table: TermTable | None = None
        self._words: frozenset[str] = frozenset()
        self._buckets: dict[tuple[str, int], list[str]] = {}
        self._by_anchor_pair: dict[str, dict[str, list[int]]] = {}
        self._phrases: list[_Phrase | None] = []
        self._lexeme = nlp.vocab.__getitem__
        self._span_label = nlp.vocab.strings.add("TERM")  # a Span given the text looks it up again every time
        self._readings = _Readings(self._read_orth)

    # --- data ---------------------------------------------------------------------------------------
    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        table: TermTable | None = None,
    ) -> None:
        if table is None:
            raise ValueError(Errors.E006.format(name=self.name))
        self._use(table)

    def _use(self, table: TermTable) -> None:
        self.table = table
        self._words = frozenset(table.words)
        # a note checks a few thousand of the table's phrases: each is prepared on its first check
        self._phrases = [None] * len(table)
        self._by_anchor_pair = table.anchor_pairs  # built with the table and cached with it: 1.5 s a load
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        # sorted: extractOne keeps the first of equally near words, and a set's order changes with the
        # process's string-hash seed, so two processes (batch workers, Spark workers) could disagree
        for word in sorted(self._words):
            if word.isalpha() and len(word) >= self.fuzzy_min_length - 1:
                buckets[(word[0], len(word))].append(word)
        self._buckets = dict(buckets)
        self._nearest_word = lru_cache(maxsize=200_000)(self._nearest_word_uncached)
        self._readings = _Readings(self._read_orth)

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        write_cached(path / _TABLE_FILE, self.table.to_state())  # msgpack in a hashed folder, never a pickle

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "TermMatcher":
        table = TermTable.from_state(read_cached(Path(path) / _TABLE_FILE))
        if table is None:
            raise ValueError(f"{path / _TABLE_FILE} is not a term table of format {TABLE_FORMAT}.")
        self._use(table)
        return self

    # --- matching -----------------------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        if self.table is None:
            raise ValueError(Errors.E006.format(name=self.name))
        readings = list(map(self._readings.__getitem__, doc.to_array(ORTH).tolist()))
        headings = doc._.chartcoder_headings
        senses = doc._.chartcoder_abbreviation_senses or {}
        matches = []
        for sentence_number, (start, end) in enumerate(_sentence_bounds(doc)):
            matches.extend(self._match_sentence(readings, start, end, sentence_number, headings, senses))
        doc._.chartcoder_matches = matches
        # one span per distinct extent: spaCy keys span attributes by extent, and ConText labels extents
        extents = sorted({(match.positions[0], match.positions[-1] + 1) for match in matches})
        doc.spans[SPAN_GROUP] = [Span(doc, start, end, label=self._span_label) for start, end in extents]
        return doc

    def _match_sentence(
        self,
        readings: list[_Reading],
        start: int,
        end: int,
        sentence_number: int,
        headings: frozenset[int],
        senses: dict[int, frozenset[frozenset[str]]],
    ) -> list[TermMatch]:
        """The phrases found in tokens ``start:end``; tokens at ``headings`` (a section's title) are not read."""
        bag, without_bag = self._bags_of_words(readings, start, end, headings, senses)
        if not without_bag:
            return []
        # words a "without" governs are in without_bag only: a phrase that does not say "without" reads bag
        some_governed = bag is not without_bag
        matches = []
        for word in without_bag:
            groups = self._by_anchor_pair.get(word)
            if not groups:
                continue
            # a phrase is checked only when its two rarest words are both in the sentence
            seconds = (
                groups.keys() & without_bag.keys()
                if len(groups) > len(without_bag)
                else [s for s in groups if s in without_bag]
            )
            for second in (*seconds, ""):
                for term_id in groups.get(second, ()):
                    phrase = self._phrase(term_id)
                    phrase_bag = without_bag if phrase.says_without else bag
                    if some_governed and word not in phrase_bag:
                        continue
                    # most checked phrases lack a word and need them all: one subset test in C rules them out
                    if phrase.needs_all and not phrase_bag.keys() >= phrase.word_set:
                        continue
                    match = self._match_term(term_id, phrase, word, phrase_bag, sentence_number)
                    if match is not None:
                        matches.append(match)
        return matches

    def _phrase(self, term_id: int) -> _Phrase:
        phrase = self._phrases[term_id]
        if phrase is None:
            assert self.table is not None
            words, weights = self.table.required[term_id], self.table.weights[term_id]
            total = sum(weights)
            phrase = self._phrases[term_id] = _Phrase(
                words=words,
                word_set=frozenset(words),
                weights=weights,
                total=total,
                needs_all=len(words) < 3 or not self.table.partial_ok[term_id],
                missing_limit=self.partial_allowance * total,
                says_without=_WITHOUT in words,
                has_number=any(word.isdigit() for word in words),
                has_qualifier=not _QUALIFIERS.isdisjoint(words),
            )
        return phrase

    def _bags_of_words(
        self,
        readings: list[_Reading],
        start: int,
        end: int,
        headings: frozenset[int],
        senses: dict[int, frozenset[frozenset[str]]],
    ) -> tuple[dict[str, list[_Occurrence]], dict[str, list[_Occurrence]]]:
        """(the words outside "without" clauses, every word): the same dict when the sentence has no "without".

        ``senses``: for an abbreviation whose sense the context decided, the word sets of the chosen senses.
        """
        bag: dict[str, list[_Occurrence]] = defaultdict(list)
        without_at: list[int] = []
        for position in range(start, end):
            reading = readings[position]
            if reading.says_without:
                without_at.append(position)
            if not reading.words or position in headings:
                continue
            chosen = senses.get(position) if senses else None
            if chosen is None:
                for word, via, similarity, sense in reading.words:
                    bag[word].append((position, via, similarity, sense))
                continue
            for word, via, similarity, sense in reading.words:
                if via == "abbreviation" and sense not in chosen:
                    continue  # a sense the context ruled out ("RA" on room air is no arthritis)
                bag[word].append((position, via, similarity, sense))
        if not without_at:
            return bag, bag
        governed = set()
        for position in without_at:
            for following in range(position + 1, min(position + 1 + _WITHOUT_REACH, end)):
                if readings[following].ends_clause:
                    break
                governed.add(following)
        outside: dict[str, list[_Occurrence]] = {}
        for word, occurrences in bag.items():
            kept = [occurrence for occurrence in occurrences if occurrence[0] not in governed]
            if kept:
                outside[word] = kept
        return outside, bag

    def _read_orth(self, orth: int) -> _Reading:
        return self._read(self._lexeme(orth))

    def _read(self, lexeme: Lexeme) -> "_Reading":
        """What a token with this text adds to its sentence's bag of words, wherever it stands."""
        text, lower = lexeme.orth_, lexeme.lower_
        says_without = lower in (_WITHOUT, "w/o")
        ends_clause = lexeme.is_punct or lower in ("but", "with")
        if lexeme.is_space or lexeme.is_punct:
            return _Reading((), says_without, ends_clause)
        words: list[tuple[str, str, float, frozenset[str]]] = []
        senses = self._abbreviation_senses(text)
        for sense in senses:
            sense_words = frozenset(sense)
            words.extend((word, "abbreviation", 1.0, sense_words) for word in sense)
        word = normalize_token(lower)
        if word in self._words:
            words.append((word, "word", 1.0, frozenset()))
        elif (
            not senses and len(word) >= self.fuzzy_min_length and word.isalpha() and word not in _WORDS_NOT_MISSPELLINGS
        ):
            nearest = self._nearest_word(word)
            if nearest is not None:
                words.append((nearest[0], "fuzzy", nearest[1], frozenset()))
        return _Reading(tuple(words), says_without, ends_clause)

    def _abbreviation_senses(self, text: str) -> tuple[tuple[str, ...], ...]:
        assert self.table is not None
        senses = self.table.abbreviations.get(text.upper())  # most words are none: one look-up decides
        if not senses or len(text) < 2 or not any(char.isalpha() for char in text):
            return ()
        # "HTN", "AFib", "DM2" as written; lower case only for longer forms ("copd"), never "ms" or "pe"
        if text.islower() and len(text) < 4:
            return ()
        if not text.islower() and not any(char.isupper() for char in text[1:]) and not text.isupper():
            return ()
        return senses

    def _nearest_word_uncached(self, word: str) -> tuple[str, float] | None:
        candidates: list[str] = []
        for length in (len(word) - 1, len(word), len(word) + 1):
            candidates.extend(self._buckets.get((word[0], length), ()))
        candidates = [candidate for candidate in candidates if not _opposite_prefixes(word, candidate)]
        if not candidates:
            return None
        found = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff)
        return (found[0], found[1] / 100.0) if found else None

    def _match_term(
        self, term_id: int, phrase: _Phrase, anchor: str, bag: dict[str, list[_Occurrence]], sentence_number: int
    ) -> TermMatch | None:
        missing = 0.0
        if not phrase.needs_all:
            absent = False
            for word, weight in zip(phrase.words, phrase.weights, strict=True):
                if word not in bag:
                    missing += weight
                    absent = True
            if absent and missing > phrase.missing_limit:
                return None
        best_spread = -1
        best: list[_Occurrence] = []
        for anchor_occurrence in bag[anchor]:
            chosen = _nearest_occurrences(phrase, bag, anchor_occurrence[0])
            if chosen is None:
                continue
            positions = [occurrence[0] for occurrence in chosen]
            spread = max(positions) - min(positions)
            if not best or spread < best_spread:
                best_spread, best = spread, chosen
        if not best:
            return None
        word_set = phrase.word_set
        for _, _, _, sense in best:
            if sense and not sense <= word_set:
                return None  # "COPD" means the whole disease: its word "pulmonary" alone is not in the note
        if best_spread > self.spread_per_word * len(best) + 4:
            return None
        total = phrase.total
        return self._scored(term_id, best, best_spread, (total - missing) / total, total - missing, sentence_number)

    def _scored(
        self, term_id: int, chosen: list[_Occurrence], spread: int, coverage: float, weight: float, sentence: int
    ) -> TermMatch:
        assert self.table is not None
        similarity = 1.0
        vias = set()
        for _, via, occurrence_similarity, _ in chosen:
            similarity *= occurrence_similarity
            vias.add(via)
        positions = sorted({occurrence[0] for occurrence in chosen})
        distinct_positions = len(positions)
        compact = spread <= distinct_positions + 1
        if "fuzzy" in vias:
            match_type = "fuzzy"
        elif "abbreviation" in vias:
            match_type = "abbreviation"
        else:
            match_type = "exact" if compact else "modifier"
        proximity = 1.0 if compact else max(0.75, 1.0 - 0.02 * (spread - distinct_positions))
        score = coverage * similarity * proximity * (0.85 if match_type == "fuzzy" else 1.0)
        return TermMatch(
            term_id=term_id,
            term=self.table.texts[term_id],
            source=self.table.sources[term_id],
            codes=self.table.codes[term_id],
            positions=tuple(positions),
            score=round(score, 4),
            match_type=match_type,
            matched_weight=weight,
            sentence=sentence,
        )


def _nearest_occurrences(phrase: _Phrase, bag: dict[str, list[_Occurrence]], around: int) -> list[_Occurrence] | None:
    """For each present word, its occurrence nearest ``around``; a number must sit next to the word
    before it in the phrase ("stage 3", "type 2"), or the phrase is not there."""
    chosen: list[_Occurrence] = []
    if not phrase.has_number and not phrase.has_qualifier:
        # nearly every phrase, and nearly every word found once in its sentence: no distances to compare
        for word in phrase.words:
            found = bag.get(word)
            if found is not None:
                chosen.append(found[0] if len(found) == 1 else min(found, key=lambda o: abs(o[0] - around)))
        return chosen
    present: list[str] = []
    previous_position = -1
    for word in phrase.words:
        found = bag.get(word)
        if found is None:
            continue
        if previous_position >= 0 and word.isdigit():
            occurrence = min(found, key=lambda o: abs(o[0] - previous_position))
            if abs(occurrence[0] - previous_position) > 2:
                return None
        else:
            occurrence = min(found, key=lambda o: abs(o[0] - around))
        chosen.append(occurrence)
        present.append(word)
        previous_position = occurrence[0]
    if phrase.has_qualifier and not _qualifiers_attached(present, chosen):
        return None
    return chosen


def _sentence_bounds(doc: Doc) -> list[tuple[int, int]]:
    """``(start, end)`` token bounds of each sentence, read from the SENT_START array (no Span objects)."""
    if not len(doc):
        return []
    starts = numpy.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return list(zip(starts, [*starts[1:], len(doc)], strict=True))


def _qualifiers_attached(words: list[str], chosen: list[_Occurrence]) -> bool:
    """A side or position word ("left", "upper", "distal") describes the word next to it; found far from
    every other word of the phrase, it describes something else in the sentence. ``words[i]`` was found
    at ``chosen[i]``."""
    for word, occurrence in zip(words, chosen, strict=True):
        if word not in _QUALIFIERS:
            continue
        others = [other[0] for other in chosen if other is not occurrence]
        if others and min(abs(occurrence[0] - position) for position in others) > 3:
            return False
    return True


@Language.factory(
    "chartcoder_terms",
    requires=["token.is_sent_start", "doc._.chartcoder_headings"],
    assigns=["doc.spans", "doc._.chartcoder_matches"],
    default_config={"fuzzy_cutoff": 88.0, "fuzzy_min_length": 6, "partial_allowance": 0.2, "spread_per_word": 4},
)
def make_term_matcher(
    nlp: Language, name: str, fuzzy_cutoff: float, fuzzy_min_length: int, partial_allowance: float, spread_per_word: int
) -> "TermMatcher":
    if not Doc.has_extension("chartcoder_matches"):
        Doc.set_extension("chartcoder_matches", default=None)
    if not Doc.has_extension("chartcoder_abbreviation_senses"):
        Doc.set_extension("chartcoder_abbreviation_senses", default=None)  # without the senses component
    return TermMatcher(nlp, name, fuzzy_cutoff, fuzzy_min_length, partial_allowance, spread_per_word)


def _opposite_prefixes(word: str, candidate: str) -> bool:
    return any(
        (word.startswith(first) and candidate.startswith(second))
        or (word.startswith(second) and candidate.startswith(first))
        for first, second in _OPPOSITE_PREFIXES
    )
