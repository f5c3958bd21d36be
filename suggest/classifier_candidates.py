"""Candidates from the model pack's note classifier: its probability on every term candidate, plus the codes it
is confident about that term extraction missed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from spacy.tokens import Doc

from suggest.candidates import TERM_MATCH_FEATURES, candidate_features
from suggest.components.sections import NO_SECTION, section_at
from suggest.ranking import NoteClassifier
from suggest.types import Candidate, Evidence, Mention
from vocab.codeset import CodeSet

__all__ = ["section_lookup", "with_classifier"]


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


def section_lookup(doc: Doc) -> Callable[[int, int], str]:
    """``section_at`` for :func:`with_classifier`: the section of a character span of ``doc``."""

    def section_of_characters(start: int, end: int) -> str:
        span = doc.char_span(start, end, alignment_mode="expand")
        return section_at(doc, span.start) if span is not None and len(span) else NO_SECTION

    return section_of_characters
