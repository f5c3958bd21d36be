"""A spaCy tokenizer tuned for clinical text, registered as ``chartcoder.ClinicalTokenizer.v1``.

spaCy's English rules plus what charts need: shorthand such as "s/p", "h/o", "w/o" kept whole; slashes
between words split ("HTN/HLD" -> HTN / HLD); vitals and doses split from their units ("120/80", "5mg");
a review-of-systems sign split from its finding ("-fever, +cough" -> - fever , + cough) so that ConText
reads the sign as a cue; a percentage split from the word after it ("95%RA" -> 95% RA).

Bounded work on any input. spaCy splits a whitespace-free span by peeling one prefix or suffix at a time, and
each peel re-reads the whole rest of the span (a suffix search over every position, slices, a hash), so a span
of n punctuation marks ("?" * n, "(" * n + "x" + ")" * n, "'s" * n, emoji) costs time quadratic in n: 4,000
marks took 2 to 5 s, and a 14 kB note stalled the engine for 45 s. Two changes make the cost linear in the
note's length while every token's offsets still index the original text:

- :class:`ClinicalTokenizer` cuts a span longer than :data:`MAX_SPAN_CHARS` into pieces of at most that many
  characters (never inside a run of letters and digits) and tokenizes the pieces one after another into one
  ``Doc`` of the unchanged text. Spans of ordinary notes are far shorter (the longest in CodiEsp and ACI-BENCH
  is 52 characters), so their tokens are exactly spaCy's.
- :class:`TailSuffixSearch` finds the same suffix as spaCy's ``suffix_search`` while looking only at the last
  few characters for the suffix rules of bounded width (the unbounded ones, such as "..", still read the whole
  span), instead of trying each of ~80 rules at every position of the span.

spaCy caches a span's tokens only until a note's first special case ("s/p", "e.g."), so nearly every note searches
the affixes of spans seen before: the prefix, suffix and infix searches remember their answers per span (bounded;
:class:`RememberedPrefixSearch`, :class:`RememberedInfixes`), which halves the tokenizer's time on CodiEsp.
"""

from __future__ import annotations

import functools
import re
import re._parser as regex_parser  # the sre parser: the widths of the suffix rules
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import pairwise

import numpy
import spacy
from spacy.attrs import NORM, ORTH, SPACY
from spacy.lang.en import English
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex

__all__ = [
    "CLINICAL_SHORTHAND",
    "MAX_SPAN_CHARS",
    "ClinicalTokenizer",
    "RememberedInfixes",
    "RememberedPrefixSearch",
    "TailSuffixSearch",
    "create_clinical_tokenizer",
    "note_text",
    "span_cuts",
]

# the note's text, kept on the Doc by the tokenizer: ``Doc.text`` joins every token's text on each call
_NOTE_TEXT = "chartcoder_note_text"

# Kept as one token so ConText and the term matcher see them as written.
CLINICAL_SHORTHAND = (
    "s/p",
    "S/P",
    "h/o",
    "H/O",
    "w/o",
    "W/O",
    "w/",
    "W/",
    "c/o",
    "C/O",
    "r/o",
    "R/O",
    "y/o",
    "Y/O",
    "f/u",
    "F/U",
    "n/v",
    "N/V",
    "b/l",
    "B/L",
    "a/w",
    "A/W",
    "d/c",
    "D/C",
    "s/s",
    "hx",
    "Hx",
    "fx",
    "Fx",
)

# How many spans' affix searches the tokenizer remembers, per kind (a few MB each): a note's words are mostly
# words seen before, and spaCy's own span cache skips every span after the first special case of a note ("s/p",
# "e.g."), so the same spans are searched again in nearly every note. The infix search costs most (3 to 8 µs).
_AFFIX_CACHE_SIZE = 65_536

# A whitespace-free span longer than this is tokenized in pieces of at most this many characters: long enough
# for any word, dose, URL or drug combination a note holds; short enough that peeling affixes off a piece costs
# little (the cost of a piece grows with the square of its length).
MAX_SPAN_CHARS = 64

_SLASH_BETWEEN_WORDS = r"(?<=[A-Za-z])/(?=[A-Za-z])"
_SIGN_BEFORE_WORD = r"[-+](?=[A-Za-z])"
_PERCENT_THEN_WORD = r"(?<=[0-9]%)(?=[A-Za-z])"
_DIGIT_THEN_UNIT = r"(?<=[0-9])(?=(?:mg|mcg|g|kg|ml|mL|L|mmHg|bpm|cm|mm|units?|IU|%)\b)"
_UNIT_AFTER_DIGITS = r"(?<=[0-9])(?:mg|mcg|kg|ml|mL|mmHg|bpm|cm|mm)"

_LONG_SPAN = re.compile(rf"\S{{{MAX_SPAN_CHARS + 1},}}")
# The atoms a long span is cut between: a run of letters and digits (never cut: that would split a word), or
# any one other character (punctuation, symbols, underscores: where spaCy itself splits).
_ATOM = re.compile(r"[^\W_]+|.", re.DOTALL)


class TailSuffixSearch:
    """``suffix_search`` for spaCy's tokenizer, equal to ``re.compile("|".join(rule + "$" ...)).search``.

    Python's regex search tries every rule at every position of the string, so one call costs ~2 µs per
    character and the tokenizer makes one call per peeled affix. A rule of bounded width ``w`` can only match
    the last ``w`` characters, so those rules are searched from ``len - widest`` on (their lookbehinds still
    see the characters before); the unbounded rules are searched over the whole string as before. The leftmost
    match of the two is the one the joint search returns (all rules end at the end of the string, so the
    leftmost start is the longest suffix, whichever rule matched it).

    The answer for a string is remembered (bounded): spaCy caches a span's tokens only until the note's first
    special case, so the same spans are searched again in nearly every note.
    """

    def __init__(self, rules: Sequence[str]) -> None:
        bounded: list[str] = []
        unbounded: list[str] = []
        widest = 0
        for rule in rules:
            _, width = regex_parser.parse(rule).getwidth()
            if width > MAX_SPAN_CHARS:
                unbounded.append(rule)
            else:
                bounded.append(rule)
                widest = max(widest, width)
        self._widest = widest
        self._bounded = _suffix_regex(bounded)
        self._unbounded = _suffix_regex(unbounded)
        self.rules = tuple(rules)
        # spaCy's serialisation stores ``suffix_search.__self__.pattern``: the plain joint pattern, equivalent.
        self.__self__ = _suffix_regex(rules)
        self._cached_search = functools.lru_cache(maxsize=_AFFIX_CACHE_SIZE)(self._search)

    def __call__(self, string: str) -> re.Match[str] | None:
        return self._cached_search(string)

    def __reduce__(self) -> tuple[type[TailSuffixSearch], tuple[tuple[str, ...]]]:
        return TailSuffixSearch, (self.rules,)  # pickled as its rules: the remembered searches are rebuilt

    def _search(self, string: str) -> re.Match[str] | None:
        found = self._bounded.search(string, max(0, len(string) - self._widest)) if self._bounded else None
        if self._unbounded is not None:
            long_match = self._unbounded.search(string)
            if long_match is not None and (found is None or long_match.start() < found.start()):
                return long_match
        return found


class RememberedPrefixSearch:
    """``prefix_search`` for spaCy's tokenizer: ``pattern.search``, its answer per span remembered (bounded)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.__self__ = pattern  # what spaCy serialises: ``prefix_search.__self__.pattern``
        self._cached_search = functools.lru_cache(maxsize=_AFFIX_CACHE_SIZE)(pattern.search)

    def __call__(self, string: str) -> re.Match[str] | None:
        return self._cached_search(string)

    def __reduce__(self) -> tuple[type[RememberedPrefixSearch], tuple[re.Pattern[str]]]:
        return RememberedPrefixSearch, (self.__self__,)


class RememberedInfixes:
    """``infix_finditer`` for spaCy's tokenizer: ``pattern.finditer``, its matches per span remembered (bounded)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.__self__ = pattern  # what spaCy serialises: ``infix_finditer.__self__.pattern``
        self._cached_matches = functools.lru_cache(maxsize=_AFFIX_CACHE_SIZE)(self._matches)

    def __call__(self, string: str) -> Iterator[re.Match[str]]:
        return iter(self._cached_matches(string))

    def _matches(self, string: str) -> tuple[re.Match[str], ...]:
        return tuple(self.__self__.finditer(string))

    def __reduce__(self) -> tuple[type[RememberedInfixes], tuple[re.Pattern[str]]]:
        return RememberedInfixes, (self.__self__,)


def _suffix_regex(rules: Iterable[str]) -> re.Pattern[str] | None:
    """As :func:`spacy.util.compile_suffix_regex` joins them (blank rules left out)."""
    rules = [rule for rule in rules if rule.strip()]
    return re.compile("|".join(f"{rule}$" for rule in rules)) if rules else None


def span_cuts(text: str) -> Iterator[int]:
    """The offsets where ``text`` is cut before tokenizing: inside each whitespace-free span longer than
    :data:`MAX_SPAN_CHARS`, between atoms, so that every piece is at most that long unless one run of letters
    and digits is longer by itself (such a run is one token and costs linear time)."""
    for span in _LONG_SPAN.finditer(text):
        piece_start = span.start()
        for atom in _ATOM.finditer(text, span.start(), span.end()):
            if atom.end() - piece_start > MAX_SPAN_CHARS and atom.start() > piece_start:
                yield atom.start()
                piece_start = atom.start()


class ClinicalTokenizer(Tokenizer):
    """spaCy's tokenizer, with long whitespace-free spans tokenized in bounded pieces (see the module doc).

    A text without such a span is tokenized by spaCy in one call, exactly as before.
    """

    def __call__(self, string: str) -> Doc:
        cuts = list(span_cuts(string))
        if not cuts:
            doc = Tokenizer.__call__(self, string)
        else:
            pieces = [string[start:end] for start, end in pairwise([0, *cuts, len(string)])]
            doc = self._joined([Tokenizer.__call__(self, piece) for piece in pieces], string)
        doc.user_data[_NOTE_TEXT] = string  # a tokenizer's tokens spell the text exactly
        return doc

    def _joined(self, docs: list[Doc], string: str) -> Doc:
        """One Doc of the pieces' tokens (``Doc.from_docs`` does the same at ten times the cost). A tokenizer sets
        only a token's text, its trailing space and its norm (spaCy's exceptions may set ORTH and NORM)."""
        columns = numpy.concatenate([piece.to_array([ORTH, NORM, SPACY]) for piece in docs])
        strings = self.vocab.strings
        words = [strings[orth] for orth in columns[:, 0].tolist()]
        doc = Doc(self.vocab, words=words, spaces=columns[:, 2].astype(bool).tolist())
        doc.from_array([NORM], columns[:, 1:2])
        if doc.text != string:  # cannot happen: the pieces are consecutive slices of the text
            raise AssertionError("the tokens of the pieces do not spell the note")
        return doc

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()) -> ClinicalTokenizer:
        """spaCy restores a plain ``prefix_search``, ``suffix_search`` and ``infix_finditer`` from the stored
        patterns: where one is the pattern of the search this tokenizer was made with (the tail search, a
        remembered one), put that search back (the plain one is equal, only slower)."""
        made_with = {name: getattr(self, name) for name in _AFFIX_SEARCHES}
        Tokenizer.from_bytes(self, bytes_data, exclude=exclude)
        for name, search in made_with.items():
            restored = getattr(self, name)
            if (
                isinstance(search, (TailSuffixSearch, RememberedPrefixSearch, RememberedInfixes))
                and restored is not None
                and getattr(restored, "__self__", None) is not None
                and restored.__self__.pattern == search.__self__.pattern
            ):
                setattr(self, name, search)
        return self


_AFFIX_SEARCHES = ("prefix_search", "suffix_search", "infix_finditer")


def note_text(doc: Doc) -> str:
    """``doc.text`` without joining the tokens again: the text the tokenizer read, where it kept it and the
    tokens still end where it ends."""
    text = doc.user_data.get(_NOTE_TEXT)
    if isinstance(text, str) and len(doc) and doc[-1].idx + len(doc[-1].text_with_ws) == len(text):
        return text
    return doc.text


@spacy.registry.tokenizers("chartcoder.ClinicalTokenizer.v1")
def create_clinical_tokenizer() -> Callable[[Language], Tokenizer]:
    def make_tokenizer(nlp: Language) -> Tokenizer:
        defaults = English.Defaults
        infixes = [*(defaults.infixes or ()), _SLASH_BETWEEN_WORDS, _PERCENT_THEN_WORD]
        prefixes = [*(defaults.prefixes or ()), _SIGN_BEFORE_WORD]
        suffixes = [*(defaults.suffixes or ()), _UNIT_AFTER_DIGITS]
        tokenizer = ClinicalTokenizer(
            nlp.vocab,
            rules=dict(defaults.tokenizer_exceptions),
            prefix_search=RememberedPrefixSearch(spacy.util.compile_prefix_regex(prefixes)),
            suffix_search=TailSuffixSearch(suffixes),
            infix_finditer=RememberedInfixes(compile_infix_regex(infixes)),
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )
        for shorthand in CLINICAL_SHORTHAND:
            tokenizer.add_special_case(shorthand, [{"ORTH": shorthand}])
        return tokenizer

    return make_tokenizer
