"""The one assembler: a code set and a model pack in, an :class:`Engine` out.

``load_engine`` builds the spaCy pipeline (clinical tokenizer -> sentences -> sections -> abbreviation
senses -> terms -> assertion), loads the term table from its cache beside the code set (building it once when missing),
and pairs it with a ranker: the champion model pack's learned ranker (and note classifier) when the
registry has a champion, the zero-shot heuristic otherwise. Everything else in chartcoder receives an Engine.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from importlib import resources
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# Importing the component modules registers their factories with spaCy.
from suggest.candidates import TERM_MATCH_FEATURES, build_candidates, candidate_features, extract_mentions
from suggest.components import sentences as _sentences  # noqa: F401
from suggest.components import tokenizer as _tokenizer  # noqa: F401
from suggest.components.abbreviations import AbbreviationSenses
from suggest.components.assertion import ClinicalAssertion
from suggest.components.sections import NO_SECTION, ClinicalSections, section_at
from suggest.components.terms import TermMatcher
from suggest.errors import (
    BinaryNoteError,
    EmptyNoteError,
    EngineError,
    Errors,
    NoteError,
    NoteTooLargeError,
    SettingError,
)
from suggest.guidelines import GuidelineContext, apply_guidelines, prepare_guidelines
from suggest.guidelines.history_status import HistoryCodes, is_resolved, is_still_treated
from suggest.guidelines.note import NoteView
from suggest.ranking import HeuristicRanker, NoteClassifier, Ranker
from suggest.rules import RuleContext, rank_codes
from suggest.termtable import TABLE_FORMAT, TermTable, build_term_table
from suggest.types import CODE_SET_NAME, SETTINGS, Candidate, Evidence, Mention, NoteSuggestions, Setting
from vocab.codeset import CodeSet
from vocab.vocabulary import Vocabulary, load_vocabulary

__all__ = [
    "DEFAULT_MAX_NOTE_CHARS",
    "ZERO_SHOT_MODEL",
    "Engine",
    "build_nlp",
    "load_engine",
    "with_classifier",
    "with_model",
]

DEFAULT_MAX_NOTE_CHARS = 1_000_000
ZERO_SHOT_MODEL = "zero-shot"
# Chosen on CodiEsp train (never on dev) for the best micro F1 of the heuristic ranker (F1 0.395 there).
HEURISTIC_THRESHOLD = 0.35
_CONTROL_SHARE_LIMIT = 0.05


def build_nlp(table: TermTable) -> Language:
    """The spaCy pipeline with every component initialised; serialisable with ``nlp.to_disk``."""
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "chartcoder.ClinicalTokenizer.v1"}}})
    nlp.add_pipe("chartcoder_sentences")
    sections: ClinicalSections = nlp.add_pipe("chartcoder_sections")  # type: ignore[assignment]
    senses: AbbreviationSenses = nlp.add_pipe("chartcoder_abbreviations")  # type: ignore[assignment]
    terms: TermMatcher = nlp.add_pipe("chartcoder_terms")  # type: ignore[assignment]
    assertion: ClinicalAssertion = nlp.add_pipe("chartcoder_assertion")  # type: ignore[assignment]
    sections.initialize(nlp=nlp)
    senses.initialize(nlp=nlp)
    terms.initialize(nlp=nlp, table=table)
    assertion.initialize(nlp=nlp)
    return nlp


class Engine:
    """Chart note in, ranked ICD-10-CM suggestions with evidence, assertion and coding rules out."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        nlp: Language,
        ranker: Ranker,
        model_id: str,
        threshold: float,
        max_note_chars: int = DEFAULT_MAX_NOTE_CHARS,
        classifier: NoteClassifier | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.nlp = nlp
        self.ranker = ranker
        self.classifier = classifier
        self.model_id = model_id
        self.threshold = threshold
        self.max_note_chars = max_note_chars
        self._histories = HistoryCodes(vocabulary.index("index"), vocabulary.codeset)
        self._histories.warm()  # read the Tabular's "Conditions classifiable to" notes now, not on a note

    @property
    def code_set(self) -> str:
        return CODE_SET_NAME

    def suggest(
        self, text: str, setting: str = "outpatient", note_id: str | None = None, top: int | None = None
    ) -> NoteSuggestions:
        checked_setting = self._check(text, setting)
        return self._suggest_doc(self.nlp(text), text, checked_setting, note_id, top)

    def suggest_many(
        self, notes: Iterable[tuple[str | None, str, str]], batch_size: int = 32, top: int | None = None
    ) -> Iterator[NoteSuggestions | NoteError]:
        """``(note_id, text, setting)`` in, one result per note out, in order; a bad note yields its error."""
        checked: list[tuple[str | None, str, Setting | NoteError]] = []
        for note_id, text, setting in notes:
            try:
                checked.append((note_id, text, self._check(text, setting)))
            except NoteError as error:
                checked.append((note_id, text, error))
        valid = (text for _, text, outcome in checked if not isinstance(outcome, NoteError))
        docs = self.nlp.pipe(valid, batch_size=batch_size)
        for note_id, text, outcome in checked:
            if isinstance(outcome, NoteError):
                yield outcome
            else:
                yield self._suggest_doc(next(docs), text, outcome, note_id, top)

    def with_model(self, model: str | None = None, *, home: Path | None = None) -> Engine:
        """This engine's code set and spaCy pipeline with another model: :func:`with_model`."""
        return with_model(self, model, home=home)

    def candidates(self, text: str, setting: str = "outpatient") -> list[Candidate]:
        """Every candidate code of the note before coding rules and threshold (training, candidate recall)."""
        self._check(text, setting)
        return self._candidates(self.nlp(text), text)

    def _candidates(self, doc: Doc, text: str) -> list[Candidate]:
        codeset = self.vocabulary.codeset
        candidates = build_candidates(extract_mentions(doc, codeset), codeset, len(text))
        if self.classifier is None:
            return candidates
        return with_classifier(candidates, text, self.classifier, codeset, section_at=_section_lookup(doc))

    def _suggest_doc(
        self, doc: Doc, text: str, setting: Setting, note_id: str | None, top: int | None
    ) -> NoteSuggestions:
        codeset = self.vocabulary.codeset
        candidates = self._candidates(doc, text)
        scores = self.ranker.score(candidates)
        context = RuleContext(codeset=codeset, setting=setting, text=text, history_code=self._history_code)
        sections = NoteView.from_doc(doc).starts
        ranked, excluded = rank_codes(candidates, scores, context)
        guideline_context = GuidelineContext(
            codeset=codeset,
            setting=setting,
            text=text,
            candidates=candidates,
            scores=scores,
            threshold=self.threshold,
            index=self.vocabulary.index,
            history_code=self._history_code,
            sections=sections,
        )
        suggestions, excluded = apply_guidelines(ranked, excluded, guideline_context)
        if top is not None:
            suggestions = suggestions[:top]
        return NoteSuggestions(
            note_id=note_id,
            code_set=CODE_SET_NAME,
            model=self.model_id,
            setting=setting,
            suggestions=tuple(suggestions),
            excluded=tuple(excluded),
        )

    def _check(self, text: object, setting: str) -> Setting:
        if not isinstance(text, str):
            raise NoteError(Errors.E005.format(kind=type(text).__name__))
        if setting not in SETTINGS:
            raise SettingError(Errors.E004.format(setting=setting))
        if not text.strip():
            raise EmptyNoteError(Errors.E001)
        if len(text) > self.max_note_chars:
            raise NoteTooLargeError(Errors.E002.format(size=len(text), limit=self.max_note_chars))
        if _looks_binary(text):
            raise BinaryNoteError(Errors.E003)
        return setting

    def _history_code(self, kind: str, code: str, sentence: str = "") -> str | None:
        """The history code for a condition documented as past ("personal") or a relative's ("family"), or None
        where the condition stays coded as it is: still treated, or chronic and not said to be resolved
        (I.C.21.c.4; :class:`suggest.guidelines.history_status.HistoryCodes` walks the Index and Tabular)."""
        if kind == "personal" and is_still_treated(sentence):
            return None
        return self._histories.code_for(kind, code, resolved=kind == "personal" and is_resolved(sentence))


# --- the note classifier ------------------------------------------------------------------------------------


def with_classifier(
    candidates: list[Candidate],
    text: str,
    classifier: NoteClassifier,
    codeset: CodeSet,
    section_at: Callable[[int, int], str] | None = None,
) -> list[Candidate]:
    """The term candidates with their ``classifier_probability``, then the codes the classifier is confident
    about (``add_threshold``, at most ``max_added``) that term extraction missed, evidenced by the note's most
    predictive words (``term_source`` and ``match_type`` "classifier"; a code with no such word is not added).
    """
    probabilities = classifier.predict_proba(text)
    known = {candidate.code for candidate in candidates}
    scored = [
        replace(
            candidate,
            features={
                **candidate.features,
                "classifier_probability": probabilities.get(candidate.code, 0.0),
                "classifier_only": 0.0,
            },
        )
        for candidate in candidates
    ]
    confident = sorted(
        (item for item in probabilities.items() if item[1] >= classifier.add_threshold),
        key=lambda item: (-item[1], item[0]),
    )
    for code, probability in confident:
        if len(scored) - len(candidates) >= classifier.max_added:
            break
        if code in known or code not in codeset.codes:
            continue
        spans = classifier.evidence_words(text, code)
        if not spans:
            continue
        mention = _classifier_mention(code, probability, spans, text, section_at)
        features = candidate_features(code, [mention], codeset, len(text))
        features.update(dict.fromkeys(TERM_MATCH_FEATURES, 0.0))  # no phrase matched: only the classifier speaks
        features.update(classifier_probability=probability, classifier_only=1.0)
        scored.append(Candidate(code=code, mentions=(mention,), features=features))
    return scored


def _classifier_mention(
    code: str,
    probability: float,
    spans: list[tuple[int, int]],
    text: str,
    section_at: Callable[[int, int], str] | None,
) -> Mention:
    section = section_at(*spans[0]) if section_at is not None else "none"
    evidence = tuple(
        Evidence(start=start, end=end, text=text[start:end], section=section, assertion="present")
        for start, end in spans
    )
    return Mention(
        evidence=evidence,
        term=", ".join(piece.text for piece in evidence),
        term_source="classifier",
        codes=(code,),
        match_type="classifier",
        match_score=probability,
        sentence=-1,  # the classifier reads the whole note, not a sentence
        section=section,
        assertion="present",
        words=len(evidence),
    )


def _section_lookup(doc: Doc) -> Callable[[int, int], str]:
    def section_of_characters(start: int, end: int) -> str:
        span = doc.char_span(start, end, alignment_mode="expand")
        return section_at(doc, span.start) if span is not None and len(span) else NO_SECTION

    return section_of_characters


# C0 and C1 control characters (Unicode category Cc) but the whitespace ones a text file may hold.
_CONTROL_CHARACTERS = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:10_000]
    controls = len(_CONTROL_CHARACTERS.findall(sample))
    return controls > _CONTROL_SHARE_LIMIT * len(sample)


# --- loading ------------------------------------------------------------------------------------------
def load_engine(
    vocabulary: Vocabulary | None = None,
    *,
    home: Path | None = None,
    model: str | None = None,
    max_note_chars: int = DEFAULT_MAX_NOTE_CHARS,
) -> Engine:
    """The engine over the code set in ``home`` (or the given vocabulary).

    ``model`` None: the registry's champion (``<home>/models``, see :mod:`models.registry`), or the zero-shot
    heuristic when there is none; ``"zero-shot"`` (or ``"zero-shot-<release>"``): the heuristic ranker, which
    needs no training data; any other value: that model pack. A pack is verified (hashes, library versions,
    code set) before it is unpickled and refused with a named :class:`models.errors.ModelError` otherwise.
    """
    if vocabulary is None:
        vocabulary = load_vocabulary(home)
    vocabulary.code_search  # noqa: B018 - load the search lexicon now (abbreviations, search), not on a note
    for source in vocabulary.index_sources():  # and the Index and tables the guideline steps walk
        vocabulary.index(source)
    prepare_guidelines(vocabulary)  # the Alphabetic Index's "with" links, read by the combination step
    ranker, classifier, model_id, threshold = _resolve_model(vocabulary, model, home)
    table = load_term_table(vocabulary)
    nlp = build_nlp(table)
    engine = Engine(
        vocabulary=vocabulary,
        nlp=nlp,
        ranker=ranker,
        model_id=model_id,
        threshold=threshold,
        max_note_chars=max_note_chars,
        classifier=classifier,
    )
    _exempt_from_collection()
    return engine


def with_model(engine: Engine, model: str | None = None, *, home: Path | None = None) -> Engine:
    """``engine``'s code set and spaCy pipeline with another model (same meaning of ``model`` as in
    :func:`load_engine`); only the pack is read, so switching models costs milliseconds, not a pipeline build.

    The service swaps its engine this way when the registry's champion changes.
    """
    ranker, classifier, model_id, threshold = _resolve_model(engine.vocabulary, model, home)
    swapped = Engine(
        vocabulary=engine.vocabulary,
        nlp=engine.nlp,
        ranker=ranker,
        model_id=model_id,
        threshold=threshold,
        max_note_chars=engine.max_note_chars,
        classifier=classifier,
    )
    _exempt_from_collection()
    return swapped


def _exempt_from_collection() -> None:
    """Move the objects alive now (code set, term table, pipeline, model) out of the cyclic garbage collector's
    sight. They live as long as the process, yet every full collection walked all of them: 5% of the time and
    the slowest notes' latency. Reference counting still frees whatever is dropped later (an old model)."""
    gc.freeze()  # no collection first: it cost half a second a load, for garbage that is kilobytes


def _resolve_model(
    vocabulary: Vocabulary, model: str | None, home: Path | None = None
) -> tuple[Ranker, NoteClassifier | None, str, float]:
    """(ranker, classifier, model id, threshold) for the named model, the champion, or the heuristic.

    The registry is ``home``'s when given, else the one beside the code set.
    """
    zero_shot_id = f"{ZERO_SHOT_MODEL}-{vocabulary.release.split(' ')[0].lower()}"
    if model is not None and model.startswith(ZERO_SHOT_MODEL):
        return HeuristicRanker(), None, zero_shot_id, HEURISTIC_THRESHOLD
    # Imported here: the registry pulls in joblib and scikit-learn, which a zero-shot engine never needs.
    from models.manifest import code_set_ref
    from models.registry import ModelRegistry

    registry = ModelRegistry.for_home(home or vocabulary.folder.parent)
    model_id = model or registry.champion()
    if model_id is None:
        return HeuristicRanker(), None, zero_shot_id, HEURISTIC_THRESHOLD
    # Unpickling needs `training` importable (the pack's classes live there): fine in an engine process; the
    # service does this once, in its lifespan, and its request path never imports `training`.
    pack = registry.load(model_id, code_set=code_set_ref(vocabulary))
    ranker, classifier = pack.parts.get("ranker"), pack.parts.get("classifier")
    if not isinstance(ranker, Ranker):
        raise EngineError(f"Model pack {model_id!r} has no ranker part that implements the Ranker protocol.")
    if classifier is not None and not isinstance(classifier, NoteClassifier):
        raise EngineError(f"Model pack {model_id!r}: its classifier does not implement the NoteClassifier protocol.")
    return ranker, classifier, pack.manifest.id, pack.manifest.threshold


def _table_key(vocabulary: Vocabulary) -> str:
    digest = hashlib.sha256(f"term-table-{TABLE_FORMAT}".encode())
    for name, sha in sorted(vocabulary.manifest.files.items()):
        digest.update(f"{name}={sha};".encode())
    # The table carries the reviewed abbreviations: an edited list must not be read from a stale cache.
    digest.update(resources.files("vocab.data").joinpath("abbreviations.tsv").read_bytes())
    return digest.hexdigest()[:20]


def load_term_table(vocabulary: Vocabulary) -> TermTable:
    """The term table for this vocabulary, from its cache file (keyed by the artifact's hashes)."""
    cache = vocabulary.folder.parent / "cache" / f"term-table-{_table_key(vocabulary)}.pkl"
    if cache.exists():
        try:
            with cache.open("rb") as handle:
                table = pickle.load(handle)  # noqa: S301 - written by us, keyed by the artifact's sha256
            if isinstance(table, TermTable) and table.format_version == TABLE_FORMAT:
                return table
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a damaged cache is rebuilt below
    table = build_term_table(vocabulary)
    _write_atomically(cache, table)
    return table


def _write_atomically(path: Path, value: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".term-table-")
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only home still works; the table is rebuilt at each start
