"""Assertion: medspaCy's ConText over the matched terms, reduced to one label per mention.

Labels, strongest first: family, negated, hypothetical, possible, historical, present. The section can
decide too: a finding under Family history is about a relative even when no cue word says so.

ConText weighs every cue against every other cue and every mention of the Doc, a cost that grows with the
square of the note's length (a 64,000-character note: 1.2 s of 2.4). A cue's scope never leaves its sentence,
so a Doc longer than :data:`CONTEXT_CHUNK_TOKENS` is given to ConText in chunks of whole sentences of about
that length: the same labels, in time linear in the note's length. Small chunks, because within one the cost
grows with the square of its cues: 4,000 ";" (each a terminator cue) took 2.2 s in chunks of 2,048 tokens,
0.04 s in chunks of 256.
"""

import itertools
import json
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy
from medspacy.context import ConText, ConTextRule
from spacy.attrs import NORM, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc, Span

from suggest.components.sections import section_at
from suggest.components.terms import SPAN_GROUP
from suggest.errors import Errors

__all__ = ["CONTEXT_CHUNK_TOKENS", "ClinicalAssertion", "assertion_of"]

CONTEXT_CHUNK_TOKENS = 256

_RULES_FILE = "context_rules.json"
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
    """medspaCy's default rules, then chartcoder's additions, token patterns turned into phrases."""
    rules = ConTextRule.from_json(default_rules_path)
    ours = json.loads(resources.files("suggest.data").joinpath(_RULES_FILE).read_text(encoding="utf-8"))
    rules += [ConTextRule.from_dict(rule) for rule in ours["context_rules"]]
    return [phrase for rule in rules for phrase in _as_phrases(rule)]


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
        self._context = ConText(
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
        self._ready = True

    def __call__(self, doc: Doc) -> Doc:
        if not self._ready:
            raise ValueError(Errors.E006.format(name=self.name))
        if not doc.spans.get(SPAN_GROUP):
            return doc
        if len(doc) > CONTEXT_CHUNK_TOKENS and self._label_by_chunks(doc, _sentence_chunks(doc, CONTEXT_CHUNK_TOKENS)):
            return doc
        doc = self._context(doc)
        for span in doc.spans[SPAN_GROUP]:
            span._.chartcoder_assertion = _label(span, _cue_categories(span))
        return doc

    def _label_by_chunks(self, doc: Doc, chunks: list[tuple[int, int]]) -> bool:
        """Label the mentions chunk by chunk; False (nothing labelled) if a mention crosses two chunks."""
        spans = sorted(doc.spans[SPAN_GROUP], key=lambda span: span.start)
        grouped: list[tuple[int, int, list[Span]]] = []
        position = 0
        for start, end in chunks:
            inside = []
            while position < len(spans) and spans[position].start < end:
                if spans[position].end > end:
                    return False
                inside.append(spans[position])
                position += 1
            if inside:
                grouped.append((start, end, inside))
        columns = doc.to_array([ORTH, NORM, SPACY, SENT_START])
        for start, end, inside in grouped:
            piece = _chunk_doc(doc, columns[start:end])
            piece.spans[SPAN_GROUP] = [Span(piece, span.start - start, span.end - start, span.label) for span in inside]
            self._context(piece)
            for span, local in zip(inside, piece.spans[SPAN_GROUP], strict=True):
                span._.chartcoder_assertion = _label(span, _cue_categories(local))
        return True

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)  # rules ship with the package; nothing to write

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "ClinicalAssertion":
        self.initialize()
        return self


def _chunk_doc(doc: Doc, columns: numpy.ndarray) -> Doc:
    """A Doc of some of ``doc``'s tokens (``columns``: their ORTH, NORM, SPACY and SENT_START), all ConText
    reads. ``Span.as_doc`` costs ten times more: it copies vectors and walks every span group of the Doc."""
    strings = doc.vocab.strings
    words = [strings[orth] for orth in columns[:, 0].tolist()]
    piece = Doc(doc.vocab, words=words, spaces=columns[:, 2].astype(bool).tolist())
    sentence_starts = columns[:, 3].copy()
    sentence_starts[0] = 1
    piece.from_array([NORM, SENT_START], numpy.column_stack([columns[:, 1], sentence_starts]))
    return piece


def _sentence_chunks(doc: Doc, size: int) -> list[tuple[int, int]]:
    """Token bounds of consecutive runs of whole sentences, each about ``size`` tokens (longer only when one
    sentence is)."""
    chunks = []
    start = 0
    for sentence in doc.sents:
        if sentence.start - start >= size:
            chunks.append((start, sentence.start))
            start = sentence.start
    chunks.append((start, len(doc)))
    return chunks


def _label(span: Span, categories: set[str]) -> str:
    section = section_at(span.doc, span.start)
    if section == "family_history" and "NEGATED_EXISTENCE" not in categories:
        return "family"
    for category, label in _LABELS:
        if category in categories:
            return label
    return "present"


def _cue_categories(span: Span) -> set[str]:
    """The categories of the cues that modify the mention, less cue words inside the mention itself.

    medspaCy's overlap test (``util.tuple_overlaps``) misses a cue lying wholly inside a longer target, so
    "without" negated "Type 2 diabetes mellitus without complications"; a term's own words never qualify it.
    """
    return {
        modifier.category.upper()
        for modifier in span._.modifiers
        if not (span.start <= modifier.modifier_span[0] and modifier.modifier_span[1] <= span.end)
    }


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
