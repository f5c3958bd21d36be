"""Code search: what a coder types -> ranked codes, in a few milliseconds.

Candidates are *blocked* through an inverted index from normalised words to lexicon terms (exact words,
completions of the last word for autocomplete, and rapidfuzz near-misses among words of the same first
letter for typos), so no query scans the whole lexicon. The best-covered few hundred terms are then scored:

* recall - how much of the query the term explains, each query word weighted by its IDF;
* precision - how much of the term the query explains. Words a coder may leave out do not count against a
  term: parenthesised words ("Essential (primary) hypertension"), the Index's non-essential modifiers, and
  a repeated form of an earlier word ("Hypertension, hypertensive"). Stop words count for little.

The score is an F-measure leaning on recall, blended with rapidfuzz's token-sort ratio; the best term of each
code stands for the code. Abbreviations are expanded into query variants (every sense is tried), and codes
or code prefixes ("E11.2", "e112") list their branch of the Tabular List instead.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from vocab.codes import looks_like_code, looks_like_code_prefix, normalize_code
from vocab.codeset import Code, CodeSet
from vocab.errors import CodeSetFormatError, QueryError, UnknownCodeError
from vocab.lexicon import SOURCES, Abbreviations, LexiconTerm
from vocab.text import STOPWORDS, normalize_text, normalize_tokens

__all__ = ["MAX_QUERY_LENGTH", "SEARCH_FORMAT", "CodeSearch", "SearchResult", "check_query"]

SEARCH_FORMAT = 4  # bump when the pickled layout of CodeSearch changes
MAX_QUERY_LENGTH = 256
_CANDIDATES = 400  # terms scored in full (rapidfuzz) per query
_PREFIX_EXPANSIONS = 60  # completions of the last word, commonest first
_PREFIX_HIT_BUDGET = 20_000  # ... and no more than this many term hits among them
_MIN_PREFIX = 2
_TYPO_CUTOFF = 80.0  # rapidfuzz ratio: one edit in a word of six letters or more
_TYPO_CHOICES = 3
_RECALL_WEIGHT = 2.0  # F-beta: explaining the whole query matters more than explaining the whole term
_OPTIONAL_CREDIT = 0.85  # a query word that a term has only as an optional word
_WORD_FORM_SIMILARITY = 0.95  # a query word that a term has in another form (diabetic / diabetes)
_STOPWORD_WEIGHT = 0.3
_FUZZ_BLEND = 0.15
_NOT_BILLABLE = 0.97  # between about equally good terms, the code a claim can carry comes first
_MAX_VARIANTS = 6
_SORT_LIMIT = 20_000  # below this many hits, candidates are found by sorting hits rather than a mask scan
_SENSES_PER_WORD = 3
_OPTIONAL_GROUP_RE = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
# Words that mark a default code ("Asthma NOS", "Migraine, unspecified"): a term may carry them for free.
_FREE_WORDS = frozenset({"nos", "nec", "unspecified"})
_STOPWORD_LIST = tuple(sorted(STOPWORDS))
_STOPWORD_BIT = {word: bit for bit, word in enumerate(_STOPWORD_LIST)}
assert len(_STOPWORD_LIST) < 63, "stop words are kept as bits of one int64 per term"


@dataclass(frozen=True, slots=True)
class SearchResult:
    code: str
    description: str
    score: float
    billable: bool
    matched_term: str
    source: str

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "description": self.description,
            "score": self.score,
            "billable": self.billable,
            "matched_term": self.matched_term,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class _WordMatches:
    """How one query word is read: the lexicon words it matches, with a similarity each, and its weight."""

    weight: float  # the word's share of the query: the IDF of its likeliest reading
    token_ids: tuple[int, ...]
    similarities: tuple[float, ...]


class CodeSearch:
    """An inverted index over lexicon terms. Build with :meth:`build`; pickles as part of the artifact."""

    def __init__(
        self,
        term_texts: list[str],
        term_norms: list[str],
        term_codes: np.ndarray,
        term_sources: np.ndarray,
        codes: list[str],
        token_ids: dict[str, int],
        postings: list[np.ndarray],
        optional_postings: list[np.ndarray],
        idf: np.ndarray,
        term_weights: np.ndarray,
        term_stopwords: np.ndarray,
        stopword_weights: np.ndarray,
        abbreviations: Abbreviations,
        plain_words: frozenset[str],
        word_forms: dict[str, tuple[str, ...]],
    ) -> None:
        self.term_texts = term_texts
        self.term_norms = term_norms
        self.term_codes = term_codes
        self.term_sources = term_sources
        self.codes = codes
        self.token_ids = token_ids
        self.postings = postings
        self.optional_postings = optional_postings
        self.idf = idf
        self.term_weights = term_weights
        self.term_stopwords = term_stopwords
        self.stopword_weights = stopword_weights
        self.abbreviations = abbreviations
        self.plain_words = plain_words
        self.word_forms = word_forms
        self._derive()

    def _derive(self) -> None:
        """Lookup tables that are cheap to rebuild, so they stay out of the pickle."""
        self._sorted_tokens = sorted(self.token_ids)
        self._sorted_token_ids = np.array([self.token_ids[token] for token in self._sorted_tokens], dtype=np.int32)
        self._tokens_by_letter = _group_by_first_letter(self.token_ids)
        self._code_ids = {code: position for position, code in enumerate(self.codes)}
        self._document_frequency = np.array(
            [
                len(essential) + len(optional)
                for essential, optional in zip(self.postings, self.optional_postings, strict=True)
            ],
            dtype=np.int32,
        )
        self._unknown_word_weight = float(self.idf.max()) if self.idf.size else 1.0
        self._prefix_masks: dict[tuple[str, ...], np.ndarray] = {}

    def __getstate__(self) -> dict[str, object]:
        state = {name: value for name, value in self.__dict__.items() if not name.startswith("_")}
        # One flat array per posting kind: decoding 40,000 small arrays costs seconds, two big ones nothing.
        for name in ("postings", "optional_postings"):
            state[name] = _pack(state[name])
        # A set pickles in hash order, which changes with every process's string hash seed; sorted, the same
        # code set gives the same bytes, so packs (which pin the lexicon's sha256) survive a rebuild.
        state["plain_words"] = tuple(sorted(self.plain_words))
        state["format"] = (SEARCH_FORMAT, _STOPWORD_LIST)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        # The arrays are only meaningful to the code that wrote them (stop-word bits, postings layout).
        if state.pop("format", None) != (SEARCH_FORMAT, _STOPWORD_LIST):
            raise CodeSetFormatError(
                "The search lexicon was written by another version of chartcoder; rebuild the code set with "
                "`chartcoder vocab build` (imported indexes are kept)."
            )
        for name in ("postings", "optional_postings"):
            state[name] = _unpack(*state[name])  # type: ignore[misc]
        state["plain_words"] = frozenset(state["plain_words"])  # type: ignore[call-overload]
        self.__dict__.update(state)
        self._derive()

    def to_state(self) -> dict[str, object]:
        """Plain values and arrays for the artifact (msgpack): :meth:`__getstate__` with the abbreviations as
        their senses and reviewed words."""
        state = self.__getstate__()
        abbreviations = self.abbreviations
        state["abbreviations"] = (abbreviations.senses, tuple(sorted(abbreviations.reviewed)))
        return state

    @classmethod
    def from_state(cls, state: Any) -> CodeSearch:
        state = dict(state)
        senses, reviewed = state["abbreviations"]
        state["abbreviations"] = Abbreviations(dict(senses), frozenset(reviewed))
        for name in ("term_texts", "term_norms", "codes"):
            state[name] = list(state[name])
        state["token_ids"] = dict(state["token_ids"])
        state["word_forms"] = dict(state["word_forms"])
        search = cls.__new__(cls)
        search.__setstate__(state)
        return search

    @property
    def term_count(self) -> int:
        return len(self.term_texts)

    # --- building -----------------------------------------------------------------------------------
    @classmethod
    def build(cls, terms: Sequence[LexiconTerm], abbreviations: Abbreviations) -> CodeSearch:
        codes = sorted({term.code for term in terms})
        code_index = {code: position for position, code in enumerate(codes)}
        token_ids: dict[str, int] = {}
        essential_lists: list[list[int]] = []
        optional_lists: list[list[int]] = []
        term_tokens: list[list[int]] = []
        term_stopwords = np.zeros(len(terms), dtype=np.int64)
        stopword_counts = np.zeros(len(_STOPWORD_LIST), dtype=np.float64)
        plain_words: set[str] = set()
        norms = []

        def token_id(token: str) -> int:
            if token not in token_ids:
                token_ids[token] = len(token_ids)
                essential_lists.append([])
                optional_lists.append([])
            return token_ids[token]

        word_forms: dict[str, set[str]] = {}
        for term_id, term in enumerate(terms):
            essential, optional, forms = _read_term(term)
            for form, base in forms:  # "Diabetes, diabetic": either word finds terms written with the other
                word_forms.setdefault(form, set()).add(base)
                word_forms.setdefault(base, set()).add(form)
            norms.append(" ".join(token for token in essential if token not in _FREE_WORDS))
            if term.source != "abbreviation":
                plain_words.update(essential)
            ids = []
            for token in essential:
                if token in _STOPWORD_BIT:
                    term_stopwords[term_id] |= 1 << _STOPWORD_BIT[token]
                    stopword_counts[_STOPWORD_BIT[token]] += 1
                    continue
                ids.append(token_id(token))
                essential_lists[ids[-1]].append(term_id)
            for token in optional:
                if token not in _STOPWORD_BIT:
                    optional_lists[token_id(token)].append(term_id)
            term_tokens.append(ids)

        total = len(terms) + 1
        document_frequency = np.array(
            [
                len(essential) + len(optional)
                for essential, optional in zip(essential_lists, optional_lists, strict=True)
            ],
            dtype=np.float64,
        )
        idf = np.log(total / (document_frequency + 0.5)).astype(np.float32)
        stopword_weights = (_STOPWORD_WEIGHT * np.log(total / (stopword_counts + 0.5))).astype(np.float32)
        required_stopword_weights = np.array(
            [
                0.0 if word in _FREE_WORDS else weight
                for word, weight in zip(_STOPWORD_LIST, stopword_weights, strict=True)
            ],
            dtype=np.float32,
        )
        term_weights = np.array([float(idf[ids].sum()) for ids in term_tokens], dtype=np.float32)
        for bit, weight in enumerate(required_stopword_weights.tolist()):
            term_weights += ((term_stopwords >> bit) & 1).astype(np.float32) * weight
        return cls(
            term_texts=[term.text for term in terms],
            term_norms=norms,
            term_codes=np.array([code_index[term.code] for term in terms], dtype=np.int32),
            term_sources=np.array([SOURCES.index(term.source) for term in terms], dtype=np.int8),
            codes=codes,
            token_ids=token_ids,
            postings=[np.array(posting, dtype=np.int32) for posting in essential_lists],
            optional_postings=[np.array(posting, dtype=np.int32) for posting in optional_lists],
            idf=idf,
            term_weights=np.maximum(term_weights, 1e-3),
            term_stopwords=term_stopwords,
            stopword_weights=stopword_weights,
            abbreviations=abbreviations,
            plain_words=frozenset(plain_words),
            word_forms={word: tuple(sorted(forms)) for word, forms in word_forms.items()},
        )

    # --- queries ------------------------------------------------------------------------------------
    def search(
        self,
        codeset: CodeSet,
        query: str,
        limit: int = 10,
        billable_only: bool = False,
        within: tuple[str, ...] | None = None,
    ) -> list[SearchResult]:
        """Ranked codes for ``query``; raises :class:`QueryError` for an unusable query and
        :class:`UnknownCodeError` for a code (shaped like one) that matches nothing.

        ``within``: only codes starting with one of these prefixes are scored (the same scores as a search
        of everything, at a fraction of the cost when the prefixes hold few terms).
        """
        text = check_query(query)
        if limit < 1:
            raise QueryError("The result limit must be at least 1.")
        branch = self._code_branch(codeset, text, limit, billable_only, within)
        if branch is not None:
            return branch
        best = self._score_variants(self._variants(text), None if within is None else self._terms_within(within))
        results = self._results(codeset, best, limit, billable_only)
        if not results and looks_like_code(text):
            raise UnknownCodeError(
                f"{normalize_code(text)} is not a code in ICD-10-CM {codeset.release}, and no code starts with it."
            )
        return results

    def _code_branch(
        self, codeset: CodeSet, text: str, limit: int, billable_only: bool, within: tuple[str, ...] | None = None
    ) -> list[SearchResult] | None:
        """The codes under a code prefix, in code order, or None when ``text`` is no (billable) code's prefix;
        ``within`` keeps the scores of the whole branch, and may leave none of it."""
        if " " in text or not looks_like_code_prefix(text):
            return None
        branch = codeset.with_prefix(text, limit=None if billable_only or within is not None else limit)
        if billable_only:
            branch = [code for code in branch if code.billable]
        if not branch:
            return None
        ranked = [(rank, code) for rank, code in enumerate(branch) if within is None or code.code.startswith(within)]
        return [
            SearchResult(
                code=code.code,
                description=code.description,
                score=round(max(0.5, 1.0 - 0.001 * rank), 4),
                billable=code.billable,
                matched_term=code.code,
                source="code",
            )
            for rank, code in ranked[:limit]
        ]

    def _variants(self, text: str) -> list[list[str]]:
        """The query's words as typed, then with abbreviations spelled out: first every abbreviation in its
        first sense, then one abbreviation at a time in each of its other senses."""
        words = text.split()
        senses = [self._senses(word) for word in words]
        variants = [normalize_tokens(text)]
        if not any(senses):
            return variants
        primary = [options[0] if options else word for word, options in zip(words, senses, strict=True)]
        variants.append(normalize_tokens(" ".join(primary)))
        for position, options in enumerate(senses):
            for sense in options[1:_SENSES_PER_WORD]:
                swapped = [*primary[:position], sense, *primary[position + 1 :]]
                variants.append(normalize_tokens(" ".join(swapped)))
        unique = list(dict.fromkeys(tuple(variant) for variant in variants if variant))
        return [list(variant) for variant in unique[:_MAX_VARIANTS]]

    def _senses(self, word: str) -> tuple[str, ...]:
        """Expand a word only where it reads as an abbreviation: typed in capitals, on the reviewed list, or
        not a word of any term ("arm" stays arm; "ARM" and "abd" are expanded)."""
        bare = word.strip(".,;:()[]")
        senses = self.abbreviations.expand(bare)
        if not senses or bare.lower() in STOPWORDS:
            return ()
        if bare.isupper() or self.abbreviations.is_reviewed(bare):
            return senses
        plain = normalize_tokens(bare)
        return () if plain and all(token in self.plain_words for token in plain) else senses

    def _word_matches(self, token: str, is_last: bool) -> _WordMatches:
        matches = self._token_matches(token, is_last)
        if not matches:
            return _WordMatches(self._unknown_word_weight, (), ())
        # the query word weighs what its likeliest reading weighs: the exact word, else the closest match
        best_id = max(matches, key=lambda item: (item[1], self._document_frequency[item[0]]))[0]
        token_ids, similarities = zip(*matches, strict=True)
        return _WordMatches(float(self.idf[best_id]), token_ids, similarities)

    def _token_matches(self, token: str, is_last: bool) -> list[tuple[int, float]]:
        """(token id, similarity) for the word itself, completions of a last word, and near-miss spellings."""
        matches: dict[int, float] = {}
        exact = self.token_ids.get(token)
        if exact is not None:
            matches[exact] = 1.0
        for form in self.word_forms.get(token, ()):  # "diabetic" also finds "Type 2 diabetes ..."
            if form in self.token_ids:
                matches.setdefault(self.token_ids[form], _WORD_FORM_SIMILARITY)
        if is_last and len(token) >= _MIN_PREFIX:
            completions = self._prefixed(token)
            most_common = max((int(self._document_frequency[c]) for c in completions), default=1) or 1
            for completion in completions:
                # common completions first: "pneumo" means pneumonia more often than pneumophagia
                popularity = math.log1p(self._document_frequency[completion]) / math.log1p(most_common)
                matches.setdefault(completion, 0.8 + 0.15 * popularity)
        if exact is None and len(token) >= 4 and not token.isdigit():
            for spelling, score, _ in process.extract(
                token,
                self._tokens_by_letter.get(token[0], ()),
                scorer=fuzz.ratio,
                limit=_TYPO_CHOICES,
                score_cutoff=_TYPO_CUTOFF,
            ):
                matches.setdefault(self.token_ids[spelling], 0.9 * score / 100.0)
        return list(matches.items())

    def _prefixed(self, prefix: str) -> list[int]:
        start = bisect.bisect_left(self._sorted_tokens, prefix)
        end = bisect.bisect_left(self._sorted_tokens, prefix + "{", lo=start)  # "{" sorts after every a-z0-9
        found = self._sorted_token_ids[start:end]
        found = found[found != self.token_ids.get(prefix, -1)]
        if found.size <= 1:
            return found.tolist()
        # A short prefix has many completions: keep the commonest, within a budget of term hits, so one
        # keystroke never costs more than a few milliseconds.
        frequency = self._document_frequency[found]
        order = np.argsort(-frequency, kind="stable")[:_PREFIX_EXPANSIONS]
        within_budget = np.cumsum(frequency[order]) <= _PREFIX_HIT_BUDGET
        within_budget[0] = True
        return found[order[within_budget]].tolist()

    def _terms_within(self, prefixes: tuple[str, ...]) -> np.ndarray:
        """A mask over the terms: True for the terms of codes starting with one of ``prefixes`` (cached)."""
        mask = self._prefix_masks.get(prefixes)
        if mask is None:
            code_ids = [position for position, code in enumerate(self.codes) if code.startswith(prefixes)]
            mask = np.isin(self.term_codes, np.array(code_ids, dtype=np.int32))
            self._prefix_masks[prefixes] = mask
        return mask

    def _score_variants(
        self, variants: list[list[str]], term_mask: np.ndarray | None = None
    ) -> list[tuple[int, float, int]]:
        """(code id, score, term id) of every code reached, best first, in one pass over the terms.

        Every distinct word is looked up once; the candidates are the terms that any variant's words reach
        (never a scan of the lexicon), less those outside ``term_mask``; each variant is scored on them, and a
        term keeps its best variant.
        """
        variants = [list(dict.fromkeys(variant)) for variant in variants]
        keys = [
            [(token, token == variant[-1]) for token in variant if token not in _STOPWORD_BIT] for variant in variants
        ]
        words = {key: self._word_matches(*key) for key in dict.fromkeys(key for row in keys for key in row)}
        candidates = self._reached_terms(words.values())
        if term_mask is not None:
            candidates = candidates[term_mask[candidates]]
        if candidates.size == 0:
            return []
        # term id -> position among the candidates; terms masked out land in one spare position past the end
        slot = np.empty(self.term_count, dtype=np.int32) if term_mask is None else np.full_like(self.term_codes, -1)
        slot[candidates] = np.arange(candidates.size, dtype=np.int32)
        gathered = {key: self._word_hits(matches, slot, candidates.size) for key, matches in words.items()}
        stopwords, weights = self.term_stopwords[candidates], self.term_weights[candidates]
        f_scores = np.stack(
            [
                self._variant_f_score(variant, row, words, gathered, stopwords, weights)
                for variant, row in zip(variants, keys, strict=True)
            ]
        )
        if candidates.size > _CANDIDATES:
            top = np.argpartition(f_scores.max(axis=0), -_CANDIDATES)[-_CANDIDATES:]
            candidates, f_scores = candidates[top], f_scores[:, top]
        similarity = process.cdist(
            [" ".join(variant) for variant in variants],
            [self.term_norms[term_id] for term_id in candidates.tolist()],
            scorer=fuzz.token_sort_ratio,
            dtype=np.float32,
        )
        scores = ((1.0 - _FUZZ_BLEND) * f_scores + _FUZZ_BLEND / 100.0 * similarity).max(axis=0)
        # the best term of each code stands for it: sort by score, keep each code's first appearance
        order = np.argsort(-scores, kind="stable")
        code_ids = self.term_codes[candidates[order]]
        _, first = np.unique(code_ids, return_index=True)
        first.sort()
        return list(
            zip(code_ids[first].tolist(), scores[order][first].tolist(), candidates[order][first].tolist(), strict=True)
        )

    def _reached_terms(self, words: Iterable[_WordMatches]) -> np.ndarray:
        """Sorted ids of the terms holding any matched word, essential or optional."""
        postings = [
            posting
            for matches in words
            for token_id in matches.token_ids
            for posting in (self.postings[token_id], self.optional_postings[token_id])
            if posting.size
        ]
        if not postings:
            return np.empty(0, dtype=np.int32)
        total = sum(posting.size for posting in postings)
        if total < _SORT_LIMIT:  # few hits: sorting them beats scanning a mask over every term
            return np.unique(np.concatenate(postings))
        reached = np.zeros(self.term_count, dtype=bool)
        for posting in postings:
            reached[posting] = True
        return np.flatnonzero(reached).astype(np.int32)

    def _word_hits(self, matches: _WordMatches, slot: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Per candidate: how well it has the word (0..1, for recall) and the IDF mass it explains (precision).

        Terms outside the candidates (``slot`` -1) write to a spare last position, dropped on return.
        """
        recall, precision = self._word_hits_with_spare(matches, slot, size)
        return recall[:size], precision[:size]

    def _word_hits_with_spare(
        self, matches: _WordMatches, slot: np.ndarray, size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        recall = np.zeros(size + 1, dtype=np.float32)
        precision = np.zeros(size + 1, dtype=np.float32)
        if not matches.token_ids:  # a word no term has: it only lowers every term's recall
            return recall, precision
        if len(matches.token_ids) == 1:  # the common case: one exact word, no term reached twice
            token_id, similarity = matches.token_ids[0], matches.similarities[0]
            recall[slot[self.postings[token_id]]] = similarity
            precision[slot[self.postings[token_id]]] = similarity * float(self.idf[token_id])
            recall[slot[self.optional_postings[token_id]]] = similarity * _OPTIONAL_CREDIT
            return recall, precision
        # several readings (completions, spellings): a term keeps the best one it has
        essential = [self.postings[token_id] for token_id in matches.token_ids]
        optional = [self.optional_postings[token_id] for token_id in matches.token_ids]
        similarities = np.array(matches.similarities, dtype=np.float32)
        essential_sizes = [posting.size for posting in essential]
        positions = slot[np.concatenate(essential)]
        np.maximum.at(recall, positions, np.repeat(similarities, essential_sizes))
        explained = similarities * self.idf[np.array(matches.token_ids)]
        np.maximum.at(precision, positions, np.repeat(explained, essential_sizes))
        optional_positions = slot[np.concatenate(optional)]
        if optional_positions.size:
            optional_credit = np.repeat(similarities * _OPTIONAL_CREDIT, [posting.size for posting in optional])
            np.maximum.at(recall, optional_positions, optional_credit)
        return recall, precision

    def _variant_f_score(
        self,
        variant: list[str],
        keys: list[tuple[str, bool]],
        words: dict[tuple[str, bool], _WordMatches],
        gathered: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]],
        stopwords: np.ndarray,
        weights: np.ndarray,
    ) -> np.ndarray:
        """F-measure of each candidate term for one variant; ``stopwords`` and ``weights`` are the candidates'."""
        size = stopwords.size
        recall = np.zeros(size, dtype=np.float32)
        precision = np.zeros(size, dtype=np.float32)
        query_weight = 0.0
        for key in keys:
            weight = words[key].weight
            query_weight += weight
            term_recall, term_precision = gathered[key]
            recall += weight * term_recall
            precision += term_precision
        if not keys:  # only stop words: nothing to go on
            return np.zeros(size, dtype=np.float32)
        for token in variant:
            bit = _STOPWORD_BIT.get(token)
            if bit is not None:
                weight = float(self.stopword_weights[bit])
                present = ((stopwords >> bit) & 1).astype(np.float32) * weight
                query_weight += weight
                recall += present
                precision += present
        return _f_beta(np.minimum(1.0, precision / weights), np.minimum(1.0, recall / query_weight))

    def _results(
        self, codeset: CodeSet, best: list[tuple[int, float, int]], limit: int, billable_only: bool
    ) -> list[SearchResult]:
        """The top ``limit`` codes of ``best`` (best first), with their final score and tie order."""
        ranked: list[tuple[float, int, str, float, int, Code]] = []
        kth_score = 0.0
        for code_id, score, term_id in best:
            if len(ranked) >= limit and score < kth_score:
                break  # a code's final score never exceeds its raw score, so nothing further can enter
            code = codeset.codes.get(self.codes[code_id])
            if code is None or (billable_only and not code.billable):
                continue
            final = min(1.0, score) * (1.0 if code.billable else _NOT_BILLABLE)
            # Ties go to the shorter (more general) code, then code order.
            ranked.append((-round(final, 4), len(code.code), code.code, final, term_id, code))
            if len(ranked) >= limit:
                ranked.sort(key=lambda item: item[:3])
                del ranked[limit:]
                kth_score = -ranked[-1][0]
        ranked.sort(key=lambda item: item[:3])
        return [
            SearchResult(
                code=code.code,
                description=code.description,
                score=round(final, 4),
                billable=code.billable,
                matched_term=self.term_texts[term_id],
                source=SOURCES[int(self.term_sources[term_id])],
            )
            for *_, final, term_id, code in ranked[:limit]
        ]

    # --- introspection ------------------------------------------------------------------------------
    def terms_for(self, code: str) -> list[tuple[str, str]]:
        """(term, source) pairs the lexicon holds for one code."""
        code_id = self._code_ids.get(code)
        if code_id is None:
            return []
        return [
            (self.term_texts[term_id], SOURCES[int(self.term_sources[term_id])])
            for term_id in np.flatnonzero(self.term_codes == code_id).tolist()
        ]

    def source_counts(self) -> dict[str, int]:
        counts = Counter(SOURCES[int(source)] for source in self.term_sources.tolist())
        return dict(sorted(counts.items()))


def term_tokens_of(term: LexiconTerm) -> tuple[list[str], list[str]]:
    """(essential, optional) normalised words of a term.

    Optional: words in parentheses or brackets, the term's non-essential modifiers, and a later form of an
    earlier word ("Diabetes, diabetic" -> diabetic). A coder may leave them out without penalty.
    """
    essential, optional, _ = _read_term(term)
    return essential, optional


def _read_term(term: LexiconTerm) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """:func:`term_tokens_of` plus the word forms it found, as (form, earlier word) pairs."""
    essential: list[str] = []
    optional: list[str] = []
    if "(" in term.text or "[" in term.text:
        for position, segment in enumerate(_OPTIONAL_GROUP_RE.split(term.text)):
            (optional if position % 2 else essential).extend(normalize_tokens(segment))
    else:
        essential = normalize_tokens(term.text)
    for modifier in term.modifiers:
        optional.extend(normalize_tokens(modifier))
    kept: list[str] = []
    forms: list[tuple[str, str]] = []
    kept_by_stem: dict[str, list[str]] = {}  # word forms share their first four letters
    for token in dict.fromkeys(essential):
        base = None
        for earlier in kept_by_stem.get(token[:4], ()):
            if _is_word_form(token, earlier):
                base = earlier
                break
        if base is None:
            kept.append(token)
            kept_by_stem.setdefault(token[:4], []).append(token)
        else:
            optional.append(token)
            forms.append((token, base))
    if not kept:  # a term made only of optional words needs them all
        return list(dict.fromkeys(optional)), [], forms
    return kept, [token for token in dict.fromkeys(optional) if token not in kept], forms


def _is_word_form(word: str, earlier: str) -> bool:
    """True for another form of the same word: hypertensive/hypertension, diabetic/diabete, failed/failure."""
    shorter, longer = sorted((len(word), len(earlier)))
    if word.isdigit() or earlier.isdigit() or shorter < 4:
        return False
    shared = next((i for i, (a, b) in enumerate(zip(word, earlier, strict=False)) if a != b), shorter)
    # pneumonia/pneumococcal share "pneumo" but are different words; the stem must cover most of both
    return shared >= max(4, shorter - 2) and 2 * shared >= longer


def _pack(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Many int32 arrays as (concatenation, offsets)."""
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([array.size for array in arrays], out=offsets[1:])
    flat = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int32)
    return flat.astype(np.int32, copy=False), offsets


def _unpack(flat: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """The arrays back, as views into the concatenation."""
    bounds = offsets.tolist()
    return [flat[start:end] for start, end in itertools.pairwise(bounds)]


def _f_beta(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    beta2 = _RECALL_WEIGHT**2
    return (1 + beta2) * precision * recall / np.maximum(beta2 * precision + recall, 1e-9)


def check_query(query: str) -> str:
    """The query with its white space collapsed; :class:`QueryError` when it is empty, too long or has
    nothing to search for (callers may check before loading anything)."""
    if not isinstance(query, str):
        raise QueryError("A query must be text.")
    text = " ".join(query.split())
    if not text:
        raise QueryError("The query is empty: type a code (E11.9), a code prefix (e11) or words (type 2 diabetes).")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"The query is {len(text)} characters long; the limit is {MAX_QUERY_LENGTH}.")
    if not normalize_text(text) and not looks_like_code_prefix(text):
        raise QueryError("The query has no letters or digits to search for.")
    return text


def _group_by_first_letter(token_ids: Iterable[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for token in token_ids:
        groups.setdefault(token[0], []).append(token)
    return groups
