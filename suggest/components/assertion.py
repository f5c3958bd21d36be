"""Assertion: medspaCy's ConText over the matched terms, reduced to one label per mention.

Labels, strongest first: family, negated, hypothetical, possible, historical, present. The section can
decide too: a finding under Family history is about a relative even when no cue word says so.

ConText weighs every cue against every other cue and every mention of the Doc, a cost that grows with the
square of the note's length (a 64,000-character note: 1.2 s of 2.4). A cue's scope never leaves its sentence,
so a Doc longer than :data:`CONTEXT_CHUNK_TOKENS` is given to ConText in chunks of whole sentences of about
that length: the same labels, in time linear in the note's length. Small chunks, because within one the cost
grows with the square of its cues: 4,000 ";" (each a terminator cue) took 2.2 s in chunks of 2,048 tokens,
0.04 s in chunks of 256.

Within a chunk ConText still weighs every cue against every other, so a sentence dense with terminator cues
(every ";" and "+" is one) cost the square of their number. :class:`_LinearContext` first drops the terminators
that cannot change any scope (the inner ones of a run of interchangeable terminators, see
:func:`_without_inner_terminators`), so such a run costs two cues, whatever its length, and the labels are the
same.
"""

import bisect
import functools
import itertools
import json
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy
from medspacy.common.util import overlaps, prune_overlapping_matches
from medspacy.context import ConText, ConTextGraph, ConTextModifier, ConTextRule
from spacy.attrs import NORM, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from suggest.components.sections import section_at
from suggest.components.terms import SPAN_GROUP
from suggest.errors import Errors
from vocab.text import normalize_token, normalize_tokens

__all__ = ["CONTEXT_CHUNK_TOKENS", "ClinicalAssertion", "assertion_of"]

CONTEXT_CHUNK_TOKENS = 256

_RULES_FILE = "context_rules.json"
# a term span's matched token positions and those of its main term's words
_TermWords = tuple[frozenset[int], frozenset[int]]
_MAX_PHRASES_PER_RULE = 400
# ConText modifier categories, strongest first, and the label each gives.
_LABELS = (
    ("FAMILY", "family"),
    ("NEGATED_EXISTENCE", "negated"),
    ("HYPOTHETICAL", "hypothetical"),
    ("POSSIBLE_EXISTENCE", "possible"),
    ("HISTORICAL", "historical"),
)


def _packaged_rules(default_rules_path: str) -> list[ConTextRule]:
    """medspaCy's default rules, then chartcoder's additions, token patterns turned into phrases.

    ConText keys a cue by its literal and keeps the first rule of a literal, so a default phrase hid our rule of
    the same words (medspaCy's "ruled out" looks forward only; "SEPSIS RULED OUT" stayed affirmed): where
    ours and a default share a literal, ours is the one kept."""
    ours = json.loads(resources.files("suggest.data").joinpath(_RULES_FILE).read_text(encoding="utf-8"))
    added = [phrase for rule in ours["context_rules"] for phrase in _as_phrases(ConTextRule.from_dict(rule))]
    taken = {rule.literal.lower() for rule in added}
    defaults = [phrase for rule in ConTextRule.from_json(default_rules_path) for phrase in _as_phrases(rule)]
    return [rule for rule in defaults if rule.literal.lower() not in taken] + added


def _as_phrases(rule: ConTextRule) -> list[ConTextRule]:
    """A token pattern made only of lower-case words, word sets and optional tokens becomes the phrases it
    matches: spaCy's PhraseMatcher finds them in C, where the token Matcher's set predicates run in Python
    (85% of ConText's time on clinical notes, measured). Other patterns are kept as they are."""
    alternatives = _pattern_alternatives(rule.pattern) if isinstance(rule.pattern, list) else None
    if not alternatives or len(alternatives) > _MAX_PHRASES_PER_RULE:
        return [rule]
    return [
        ConTextRule(
            literal=" ".join(words),
            category=rule.category,
            direction=rule.direction,
            on_modifies=rule.on_modifies,
            allowed_types=rule.allowed_types,
            excluded_types=rule.excluded_types,
            max_scope=rule.max_scope,
            max_targets=rule.max_targets,
            terminated_by=rule.terminated_by,
            metadata=rule.metadata,
        )
        for words in alternatives
    ]


def _pattern_alternatives(pattern: list[dict[str, Any]]) -> list[tuple[str, ...]] | None:
    choices: list[list[str | None]] = []
    for token in pattern:
        if set(token) - {"LOWER", "OP"} or token.get("OP", "?") != "?":
            return None
        lower = token.get("LOWER")
        words = [lower] if isinstance(lower, str) else (lower or {}).get("IN") if isinstance(lower, dict) else None
        if not words or (isinstance(lower, dict) and set(lower) != {"IN"}):
            return None
        choices.append([*words, None] if "OP" in token else list(words))
    phrases = {tuple(word for word in combination if word) for combination in itertools.product(*choices)}
    return sorted(phrase for phrase in phrases if phrase)


class ClinicalAssertion:
    def __init__(self, nlp: Language, name: str, max_scope: int | None) -> None:
        self.name = name
        self._context = _LinearContext(
            nlp,
            name=f"{name}_context",
            rules=None,
            input_span_type="group",
            span_group_name=SPAN_GROUP,
            max_scope=max_scope,
        )
        self._ready = False

    def initialize(
        self, get_examples: Callable[[], Iterable[Any]] | None = None, *, nlp: Language | None = None
    ) -> None:
        self._context.add(_packaged_rules(self._context.DEFAULT_RULES_FILEPATH))
        self._context.compile_token_cues()
        self._ready = True

    def __call__(self, doc: Doc) -> Doc:
        if not self._ready:
            raise ValueError(Errors.E006.format(name=self.name))
        if not doc.spans.get(SPAN_GROUP):
            return doc
        if len(doc) > CONTEXT_CHUNK_TOKENS and self._label_by_chunks(doc, _Sentences(doc)):
            return doc
        doc = self._context(doc)
        words = _TermWordsOf(doc)
        for span in doc.spans[SPAN_GROUP]:
            categories = _categories(span, span._.modifiers, words)
            span._.chartcoder_assertion = _label(span, categories)
        return doc

    def _label_by_chunks(self, doc: Doc, sentences: "_Sentences") -> bool:
        """Label the mentions chunk by chunk; False (nothing labelled) if a mention crosses two chunks.

        Each chunk's cues are found in the chunk alone and weighed against its own mentions, all in the Doc's
        positions: a Doc of the chunk's tokens would have the same sentences (a chunk is whole sentences), so
        the same cues and scopes, and building one cost a fifth of this step (measured)."""
        spans = sorted(doc.spans[SPAN_GROUP], key=lambda span: span.start)
        grouped: list[tuple[int, int, list[Span]]] = []
        position = 0
        for start, end in _sentence_chunks(sentences, CONTEXT_CHUNK_TOKENS):
            inside = []
            while position < len(spans) and spans[position].start < end:
                if spans[position].end > end:
                    return False
                inside.append(spans[position])
                position += 1
            if inside:
                grouped.append((start, end, inside))
        words = _TermWordsOf(doc)
        for start, end, inside in grouped:
            matches = self._context.chunk_cue_matches(doc, start, end)
            cues = _chunk_cues(self._context.graph(doc, inside, matches, sentences)) if matches else {}
            for span in inside:
                modifiers = cues.get((span.start, span.end, span.label), ())
                categories = _categories(span, modifiers, words)
                span._.chartcoder_assertion = _label(span, categories)
        return True

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)  # rules ship with the package; nothing to write

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "ClinicalAssertion":
        self.initialize()
        return self


class _LinearContext(ConText):
    """medspaCy 1.3.1's ConText (its ``__call__``, step for step, for span groups) less the inner terminator cues
    of runs, which cannot change any scope (:func:`_without_inner_terminators`); ``tests/suggest/
    test_components.py`` checks the edges against medspaCy's own ``__call__``.

    The cue rules left as token patterns (a few words, punctuation among them: ``neg:``, ``: denies``) are
    found with a PhraseMatcher of the phrases they match (:meth:`compile_token_cues`), under the same rule ids
    and in the same place of the match list: spaCy's token Matcher evaluates their ``IN`` sets in Python for
    every token, a third of ConText's time on clinical notes (measured)."""

    _token_cues: PhraseMatcher | None = None

    def compile_token_cues(self) -> None:
        """Find the token-pattern rules with a PhraseMatcher when every one of them is a fixed sequence of
        exact words (:func:`_exact_alternatives`) and no two match the same words; otherwise keep medspaCy's
        Matcher."""
        token_rules = [rule for rule in self.rules if isinstance(rule.pattern, list)]
        alternatives = [_exact_alternatives(rule.pattern) for rule in token_rules]
        every = [words for rule_alternatives in alternatives for words in rule_alternatives or [()]]
        if not token_rules or not all(alternatives) or len(set(every)) != len(every):
            self._token_cues = None
            return
        cues = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for rule, rule_alternatives in zip(token_rules, alternatives, strict=True):
            cues.add(rule._rule_id, [Doc(self.nlp.vocab, words=list(words)) for words in rule_alternatives or ()])
        self._token_cues = cues

    def _cue_matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """medspaCy's ``MedspacyMatcher.__call__`` (1.3.1) with the token rules' matches from the PhraseMatcher."""
        matcher = self._ConText__matcher  # ConText keeps its matcher private (medspacy 1.3.1)
        if self._token_cues is None:
            return matcher(doc)
        matches = list(self._token_cues(doc))
        matches += matcher._MedspacyMatcher__phrase_matcher(doc)
        matches += matcher._MedspacyMatcher__regex_matcher(doc)
        return prune_overlapping_matches(matches) if matcher._prune else matches

    def chunk_cue_matches(self, doc: Doc, start: int, end: int) -> list[tuple[int, int, int]]:
        """The cue matches a Doc of ``doc[start:end]``'s tokens (ORTH, NORM, SPACY, SENT_START) would give, in
        ``doc``'s positions. spaCy's PhraseMatchers, given a Span, match inside it only; regex rules (none are
        packaged) and the token Matcher read a Doc of the chunk's own, as they always did."""
        matcher = self._ConText__matcher  # ConText keeps its matcher private (medspacy 1.3.1)
        regex_matcher = matcher._MedspacyMatcher__regex_matcher
        if self._token_cues is None or regex_matcher._patterns:
            piece = _chunk_doc(doc, doc.to_array([ORTH, NORM, SPACY, SENT_START])[start:end])
            return [(match_id, first + start, last + start) for match_id, first, last in self._cue_matches(piece)]
        chunk = doc[start:end]
        matches = list(self._token_cues(chunk))
        matches += matcher._MedspacyMatcher__phrase_matcher(chunk)
        return _pruned(matches) if matcher._prune else matches

    def graph(
        self,
        doc: Doc,
        targets: list[Span],
        matches: list[tuple[int, int, int]],
        sentences: "_Sentences | None" = None,
    ) -> ConTextGraph:
        """The ConTextGraph of ``targets`` and the cues of ``matches`` (positions in ``doc``), edges made;
        ``sentences``: ``doc``'s, when the caller has them already."""
        rule_map = self._ConText__matcher.rule_map  # ConText keeps its matcher private (medspacy 1.3.1)
        strings = self.nlp.vocab.strings
        graph = ConTextGraph(prune_on_modifier_overlap=self.prune_on_target_overlap)
        graph.targets = targets
        if self.max_scope:  # a window around each cue, not its sentence: medspaCy sets the scopes
            modifiers = [
                ConTextModifier(rule_map[strings[match_id]], start, end, doc, max_scope=self.max_scope)
                for match_id, start, end in matches
            ]
        else:
            sentences = sentences or _Sentences(doc)
            modifiers = []
            for match_id, start, end in matches:
                rule = rule_map[strings[match_id]]
                scope_start, scope_end = _sentence_scope(rule, start, end, sentences.around(start))
                modifiers.append(
                    ConTextModifier(
                        rule, start, end, doc, scope_start=scope_start, scope_end=scope_end, max_scope=self.max_scope
                    )
                )
        graph.modifiers = _without_inner_terminators(modifiers)
        _update_scopes(graph.modifiers)
        _apply_modifiers(graph)
        return graph

    def __call__(self, doc: Doc, targets: str | None = None) -> Doc:
        if targets is not None or self.input_span_type != "group":
            return super().__call__(doc, targets)
        graph = self.graph(doc, doc.spans[self.span_group_name], self._cue_matches(doc))
        for target, modifier in graph.edges:
            target._.modifiers += (modifier,)
        if self.context_attributes_mapping:
            self.set_context_attributes(graph.edges)
        doc._.context_graph = graph
        return doc


class _Sentences:
    """Each token's sentence as ``Token.sent`` finds it (from the last sentence start at or before the token to
    the next one), for the many look-ups of one Doc: ``Token.sent`` walks the tokens and makes two Spans, half
    of the cost of a ConTextModifier (measured)."""

    def __init__(self, doc: Doc) -> None:
        # the positions where Doc.sents starts a sentence (and 0, where it always does)
        self.starts: list[int] = numpy.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
        self.length = len(doc)

    def around(self, position: int) -> tuple[int, int]:
        after = bisect.bisect_right(self.starts, position)
        start = self.starts[after - 1] if after else 0
        return start, self.starts[after] if after < len(self.starts) else self.length


def _sentence_scope(rule: ConTextRule, start: int, end: int, sentence: tuple[int, int]) -> tuple[int, int]:
    """The scope medspaCy 1.3.1 gives a cue at ``start:end`` (``ConTextModifier.__set_scope`` without a window):
    its sentence after a forward cue, before a backward one, both sides for any other, each side cut to the
    rule's ``max_scope`` tokens when longer."""
    sentence_start, sentence_end = sentence
    limit = rule.max_scope
    scope_start = sentence_start if limit is None or start - sentence_start <= limit else start - limit
    scope_end = sentence_end if limit is None or sentence_end - end <= limit else end + limit
    direction = rule.direction.lower()
    if direction == "forward":
        return end, scope_end
    if direction == "backward":
        return scope_start, start
    return scope_start, scope_end


def _pruned(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """``prune_overlapping_matches(matches)``: the matches in order of place, the longer kept of two overlapping.
    When no two neighbours overlap that is the sorted list itself; medspaCy's function gets there popping the
    list's head match by match."""
    ordered = sorted(matches, key=lambda match: (match[1], match[2]))
    if any(overlaps(before, after) for before, after in itertools.pairwise(ordered)):
        return prune_overlapping_matches(matches)
    return ordered


def _update_scopes(modifiers: list[ConTextModifier]) -> None:
    """``ConTextGraph.update_scopes`` (medspaCy 1.3.1) less the pairs where neither modifier can limit the other.

    ``limit_scope(a, b)`` only ever shrinks a's scope, and only when b may end a (b terminates, or is of a's
    category or one a is ``terminated_by``) and b starts inside a's forward scope or ends inside its backward one.
    Scopes only shrink, so a pair that fails this on the scopes before any limiting fails it at its turn too:
    skipping it changes nothing, and the other pairs are weighed in the same order. In a chunk most pairs are
    cues of different sentences or kinds, and terminators, never limited, need not be weighed against each other.
    """
    reach = [_limit_reach(modifier) for modifier in modifiers]
    pairs = set()
    for i, limited in enumerate(reach):
        if limited.ended_by is None or (limited.forward is None and limited.backward is None):
            continue
        for j, other in enumerate(reach):
            if j != i and _may_limit(limited, other):
                pairs.add((i, j) if i < j else (j, i))
    for i, j in sorted(pairs):
        modifiers[i].limit_scope(modifiers[j])
        modifiers[j].limit_scope(modifiers[i])


class _Reach(NamedTuple):
    """A modifier as :func:`_may_limit` reads it, from its scope before any limiting."""

    start: int
    end: int
    forward: tuple[int, int] | None  # a later cue starting strictly inside this limits its forward scope
    backward: tuple[int, int] | None  # an earlier cue ending strictly inside this limits its backward scope
    terminates: bool
    category: str
    ended_by: frozenset[str] | None  # the categories that may limit it; None: a terminator, never limited


def _limit_reach(modifier: ConTextModifier) -> _Reach:
    start, end = modifier.modifier_span
    scope_start, scope_end = modifier.scope_span
    direction = modifier.direction.lower()
    terminates = direction == "terminate"
    return _Reach(
        start,
        end,
        forward=(start, scope_end) if direction in ("forward", "bidirectional") else None,
        backward=(scope_start, end) if direction in ("backward", "bidirectional") else None,
        terminates=terminates,
        category=modifier.category.upper(),
        ended_by=None if terminates else frozenset(modifier.rule.terminated_by) | {modifier.category.upper()},
    )


def _may_limit(modifier: _Reach, other: _Reach) -> bool:
    """Whether ``modifier.limit_scope(other)`` can change ``modifier``'s scope (see :func:`_update_scopes`)."""
    if modifier.ended_by is None or not (other.terminates or other.category in modifier.ended_by):
        return False
    forward, backward = modifier.forward, modifier.backward
    return (forward is not None and forward[0] < other.start < forward[1]) or (
        backward is not None and backward[0] < other.end < backward[1]
    )


def _apply_modifiers(graph: ConTextGraph) -> None:
    """``ConTextGraph.apply_modifiers`` (medspaCy 1.3.1) asking ``modifies`` only of the modifiers whose scope
    reaches the target: for the others its ``tuple_overlaps`` test of scope and target fails (it needs the target
    to start at most at the scope's end and end at least at its start), and terminators modify nothing."""
    if graph.prune_on_modifier_overlap:
        graph.apply_modifiers()
        return
    reaching = [
        (modifier, *modifier.scope_span)
        for modifier in graph.modifiers
        if modifier.direction not in ("TERMINATE", "PSEUDO")
    ]
    for target in graph.targets:
        start, end = target.start, target.end
        for modifier, scope_start, scope_end in reaching:
            if start <= scope_end and end >= scope_start and modifier.modifies(target):
                modifier.modify(target)
    edges = []
    for modifier in graph.modifiers:
        modifier.reduce_targets()
        edges += [(target, modifier) for target in modifier._targets]
    graph.edges = edges


def _exact_alternatives(pattern: list[dict[str, Any]]) -> list[tuple[str, ...]] | None:
    """The lower-case word sequences a token pattern of fixed length matches, each token one ``LOWER`` or
    ``ORTH`` word or ``IN`` set of them; None for any other pattern. An ``ORTH`` word qualifies only without
    cased letters (punctuation), where a token's ``ORTH`` equals it exactly when its ``LOWER`` does; a ``LOWER``
    word only in lower case, as the Matcher compares it."""
    if not pattern:
        return None
    choices: list[list[str]] = []
    for token in pattern:
        if len(token) != 1:
            return None
        ((attribute, value),) = token.items()
        words = [value] if isinstance(value, str) else value.get("IN") if isinstance(value, dict) else None
        if attribute not in ("LOWER", "ORTH") or not words or (isinstance(value, dict) and set(value) != {"IN"}):
            return None
        if not all(isinstance(word, str) and word and word == word.lower() for word in words):
            return None
        if attribute == "ORTH" and any(word != word.upper() for word in words):
            return None
        choices.append(list(dict.fromkeys(words)))
    return list(itertools.product(*choices)) or None


def _without_inner_terminators(modifiers: list[ConTextModifier]) -> list[ConTextModifier]:
    """The modifiers less all but the first and last of each run of interchangeable terminators.

    A run: terminators next to each other in the list, in order and not overlapping, each inside its scope, with
    the same category, allowed and excluded types and scope (one sentence), and no other modifier overlapping
    the tokens from the run's first to its last. Why dropping an inner one (T, between A before and B after)
    changes no scope: ``ConTextGraph.update_scopes`` limits a modifier M by A, T and B one right after the other
    (they are neighbours in the list), each time only if M's scope still reaches a sentence bound of theirs
    (``tuple_overlaps``). M lies wholly before A or wholly after B. Before: only its forward end moves, to
    A's start at the latest, and neither T nor B can then move it. After: only its backward start moves, to
    A's end, T's end, B's end in turn; once at A's end (past the sentence start) it still reaches a bound only if
    its scope runs to the sentence end, and then it goes on to B's end either way. Terminators' own scopes never
    change, and they modify no target. So a run of n terminators costs ConText two cues, not n.
    """
    count = len(modifiers)
    if sum(modifier.direction.upper() == "TERMINATE" for modifier in modifiers) < 3:
        return modifiers  # no run (most chunks)
    ends_before = list(itertools.accumulate((m.modifier_span[1] for m in modifiers), max, initial=-1))
    starts_after = list(itertools.accumulate((m.modifier_span[0] for m in reversed(modifiers)), min, initial=1 << 62))
    starts_after.reverse()  # starts_after[i]: the least start of modifiers[i:]
    kept: list[ConTextModifier] = []
    first = 0
    while first < count:
        last = first
        while (
            _terminator(modifiers[first]) and last + 1 < count and _continues_run(modifiers[last], modifiers[last + 1])
        ):
            last += 1
        run_start, run_end = modifiers[first].modifier_span[0], modifiers[last].modifier_span[1]
        alone = ends_before[first] <= run_start and starts_after[last + 1] >= run_end
        if last - first >= 2 and alone:
            kept += (modifiers[first], modifiers[last])
        else:
            kept += modifiers[first : last + 1]
        first = last + 1
    return kept


def _terminator(modifier: ConTextModifier) -> bool:
    scope_start, scope_end = modifier.scope_span
    start, end = modifier.modifier_span
    return modifier.direction.upper() == "TERMINATE" and scope_start <= start and end <= scope_end


def _continues_run(before: ConTextModifier, after: ConTextModifier) -> bool:
    return (
        _terminator(after)
        and before.modifier_span[1] <= after.modifier_span[0]
        and before.scope_span == after.scope_span
        and before.category == after.category
        and before.allowed_types == after.allowed_types
        and before.excluded_types == after.excluded_types
    )


def _chunk_doc(doc: Doc, columns: numpy.ndarray) -> Doc:
    """A Doc of some of ``doc``'s tokens (``columns``: their ORTH, NORM, SPACY and SENT_START), all ConText
    reads (its cue matchers, when a rule needs more than spaCy's PhraseMatchers). ``Span.as_doc`` costs ten
    times more: it copies vectors and walks every span group of the Doc."""
    strings = doc.vocab.strings
    words = [strings[orth] for orth in columns[:, 0].tolist()]
    piece = Doc(doc.vocab, words=words, spaces=columns[:, 2].astype(bool).tolist())
    sentence_starts = columns[:, 3].copy()
    sentence_starts[0] = 1
    piece.from_array([NORM, SENT_START], numpy.column_stack([columns[:, 1], sentence_starts]))
    return piece


def _sentence_chunks(sentences: "_Sentences", size: int) -> list[tuple[int, int]]:
    """Token bounds of consecutive runs of whole sentences, each about ``size`` tokens (longer only when one
    sentence is)."""
    chunks = []
    start = 0
    for sentence_start in sentences.starts:
        if sentence_start - start >= size:
            chunks.append((start, sentence_start))
            start = sentence_start
    chunks.append((start, sentences.length))
    return chunks


def _label(span: Span, categories: set[str]) -> str:
    section = section_at(span.doc, span.start)
    if section == "family_history" and "NEGATED_EXISTENCE" not in categories:
        return "family"
    for category, label in _LABELS:
        if category in categories:
            return label
    return "present"


def _chunk_cues(graph: ConTextGraph) -> dict[tuple[int, int, int], list[ConTextModifier]]:
    """The modifiers of each mention of a chunk's graph, by extent and label: the mentions of one extent and
    label share them, as they shared ``Span._.modifiers`` in a Doc of the chunk."""
    cues: dict[tuple[int, int, int], list[ConTextModifier]] = {}
    for target, modifier in graph.edges:
        cues.setdefault((target.start, target.end, target.label), []).append(modifier)
    return cues


def _categories(span: Span, modifiers: Iterable[ConTextModifier], words: "_TermWordsOf") -> set[str]:
    """The categories of the cues (``modifiers``) that modify the mention, less cue words inside the mention.

    medspaCy's overlap test (``util.tuple_overlaps``) misses a cue lying wholly inside a longer target, so
    "without" negated "Type 2 diabetes mellitus without complications"; a term's own words never qualify it.
    A forward cue in a gap between the words its matches found (``words``) is not the term's: it
    qualifies the words after it ("postmenopausal woman - r/o osteoporosis" is uncertain osteoporosis,
    "hyperglycemia - no h/o DM" no diabetes), so it counts (III.C, IV.H: a ruled-out or uncertain diagnosis).
    """
    return {
        modifier.category.upper()
        for modifier in modifiers
        if not (span.start <= modifier.modifier_span[0] and modifier.modifier_span[1] <= span.end)
        or _in_gap(modifier, span, words.of(span))
    }


def _in_gap(modifier: ConTextModifier, span: Span, words: _TermWords | None) -> bool:
    """Whether a forward cue inside ``span`` lies between the term's own words (none of its tokens one of them)
    and the term's main word (the Index main term) comes after it: "syncope - likely vasovagal" stays syncope,
    "likely" only qualifies the modifier."""
    if not words or modifier.direction.upper() not in ("FORWARD", "BIDIRECTIONAL"):
        return False
    positions, main = words
    start, end = modifier.modifier_span
    return (
        min(positions) < start
        and max(positions) >= end
        and not any(position in positions for position in range(start, end))
        and not any(position < start for position in main)
        and span.start <= start
    )


class _TermWordsOf:
    """:func:`_term_words` of a Doc, found at the first look-up: only a cue inside a mention reads them, and most
    notes have none."""

    def __init__(self, doc: Doc) -> None:
        self._doc = doc
        self._words: dict[tuple[int, int], _TermWords] | None = None

    def of(self, span: Span) -> _TermWords | None:
        if self._words is None:
            self._words = _term_words(self._doc)
        return self._words.get((span.start, span.end))


def _term_words(doc: Doc) -> dict[tuple[int, int], _TermWords]:
    """Each term span's extent -> the token positions its matches found words at, and those that are a word of
    the matched term's main term (its first comma part: "Osteoporosis" of "Osteoporosis, postmenopausal")."""
    found: dict[tuple[int, int], tuple[set[int], set[int]]] = {}
    for match in getattr(doc._, "chartcoder_matches", None) or ():
        positions, main = found.setdefault((match.positions[0], match.positions[-1] + 1), (set(), set()))
        positions.update(match.positions)
        main_words = _main_term_words(match.term)
        main.update(position for position in match.positions if normalize_token(doc[position].lower_) in main_words)
    return {extent: (frozenset(positions), frozenset(main)) for extent, (positions, main) in found.items()}


@functools.lru_cache(maxsize=16384)
def _main_term_words(term: str) -> frozenset[str]:
    """The normalized words of a term's first comma part; a pure function of an Index term, read for every
    match of it in every note."""
    return frozenset(normalize_tokens(term.split(",")[0]))


def assertion_of(span: Span) -> str:
    return str(span._.chartcoder_assertion)


@Language.factory(
    "chartcoder_assertion",
    requires=["doc.spans", "doc._.chartcoder_section_starts"],
    assigns=["span._.chartcoder_assertion"],
    # None: a cue's scope is its sentence (ConText's own terminators shorten it), never the next line
    default_config={"max_scope": None},
)
def make_clinical_assertion(nlp: Language, name: str, max_scope: int | None) -> "ClinicalAssertion":
    if not Span.has_extension("chartcoder_assertion"):
        Span.set_extension("chartcoder_assertion", default="present")
    return ClinicalAssertion(nlp, name, max_scope)
