"""The note classifier, alone and wired into the engine (classifier-only candidates with word evidence)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from suggest.pipeline import Engine
from suggest.ranking import HeuristicRanker, NoteClassifier
from training.classifier import PROBABILITY_FLOOR
from training.classifier import NoteClassifier as TfidfNoteClassifier
from training.data import TrainingDataError

# Words that predict each code; every note mixes one or two codes with shared filler.
_WORDS = {
    "I48.91": "palpitations irregular rhythm anticoagulation",
    "J18.9": "cough consolidation crackles infiltrate",
    "E11.9": "metformin glucose hba1c polyuria",
    "I10": "lisinopril elevated readings amlodipine",
}
_FILLER = "patient seen today follow up plan discussed with family"


def _corpus(repeat: int = 6) -> tuple[list[str], list[list[str]]]:
    codes = list(_WORDS)
    texts, labels = [], []
    for round_number in range(repeat):
        for index, code in enumerate(codes):
            other = codes[(index + round_number) % len(codes)]
            chosen = [code] if other == code else [code, other]
            texts.append(f"{_FILLER}. " + ". ".join(_WORDS[c] for c in chosen) + f". visit {round_number}.")
            labels.append(chosen)
    return texts, labels


@pytest.fixture(scope="module")
def mini_engine(mini_vocabulary):
    from suggest.pipeline import load_engine

    return load_engine(mini_vocabulary, model="zero-shot")


@pytest.fixture(scope="module")
def classifier() -> TfidfNoteClassifier:
    texts, labels = _corpus()
    return TfidfNoteClassifier(min_examples=2, add_threshold=0.3, max_added=3).fit(texts, labels)


def test_it_implements_the_engine_protocol(classifier: TfidfNoteClassifier) -> None:
    assert isinstance(classifier, NoteClassifier)


def test_probabilities_follow_the_words(classifier: TfidfNoteClassifier) -> None:
    probabilities = classifier.predict_proba("Seen today. New cough with crackles and an infiltrate on film.")
    assert max(probabilities, key=probabilities.get) == "J18.9"  # type: ignore[arg-type]
    assert all(PROBABILITY_FLOOR <= value <= 1.0 for value in probabilities.values())
    assert probabilities["J18.9"] > probabilities.get("E11.9", 0.0)


def test_evidence_words_point_at_the_note(classifier: TfidfNoteClassifier) -> None:
    text = "Follow up. Glucose high despite Metformin; polyuria."
    spans = classifier.evidence_words(text, "E11.9")
    assert spans and spans == sorted(spans)
    words = {text[start:end].lower() for start, end in spans}
    assert words <= {"glucose", "metformin", "polyuria"}
    assert classifier.evidence_words(text, "Z99.89") == []  # a code it does not know


def test_a_pickled_classifier_holds_no_note_text(classifier: TfidfNoteClassifier) -> None:
    import pickle

    text = "Unique-marker-words: cough and crackles."
    classifier.predict_proba(text)
    classifier.evidence_words(text, "J18.9")
    assert b"Unique-marker-words" not in pickle.dumps(classifier)


def test_codes_with_too_few_examples_are_left_out() -> None:
    texts, labels = _corpus()
    labels[0] = [*labels[0], "R52"]  # one example only
    fitted = TfidfNoteClassifier(min_examples=2).fit(texts, labels)
    assert "R52" not in fitted.codes_
    assert set(_WORDS) <= set(fitted.codes_)


def test_nothing_to_learn_is_a_clear_error() -> None:
    with pytest.raises(TrainingDataError, match="at least 3"):
        TfidfNoteClassifier(min_examples=3).fit(["a note about pain", "another note"], [["R52"], []])
    with pytest.raises(TrainingDataError, match="none were given"):
        TfidfNoteClassifier().fit([], [])


def test_unfitted_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        TfidfNoteClassifier().predict_proba("text")


def test_fitting_twice_in_parallel_gives_the_same_weights() -> None:
    texts, labels = _corpus()
    first = TfidfNoteClassifier(n_jobs=2).fit(texts, labels)
    second = TfidfNoteClassifier(n_jobs=2).fit(texts, labels)
    assert (first.coef_ != second.coef_).nnz == 0
    assert np.array_equal(first.intercept_, second.intercept_)


def test_sampled_negatives_keep_the_ranking_and_are_deterministic() -> None:
    texts, labels = _corpus(repeat=10)
    sampled = TfidfNoteClassifier(max_negatives=5).fit(texts, labels)
    assert (sampled.coef_ != TfidfNoteClassifier(max_negatives=5).fit(texts, labels).coef_).nnz == 0
    probabilities = sampled.predict_proba("New cough, crackles and an infiltrate.")
    assert max(probabilities, key=probabilities.get) == "J18.9"  # type: ignore[arg-type]


def test_the_engine_adds_classifier_only_candidates_with_word_evidence(mini_engine, classifier) -> None:
    engine = Engine(
        vocabulary=mini_engine.vocabulary,
        nlp=mini_engine.nlp,
        ranker=HeuristicRanker(),
        model_id="test-classifier",
        threshold=0.3,
        classifier=classifier,
    )
    text = "Assessment and plan: palpitations, irregular rhythm; started anticoagulation. Essential hypertension."
    candidates = engine.candidates(text)
    by_code = {candidate.code: candidate for candidate in candidates}
    added = by_code["I48.91"]
    assert added.features["classifier_only"] == 1.0
    assert added.features["classifier_probability"] >= classifier.add_threshold
    mention = added.mentions[0]
    assert (mention.term_source, mention.match_type) == ("classifier", "classifier")
    for piece in mention.evidence:
        assert text[piece.start : piece.end] == piece.text
        assert piece.text.lower() in _WORDS["I48.91"]
    assert mention.section == "assessment_and_plan"
    term_candidates = [candidate for candidate in candidates if candidate.features["classifier_only"] == 0.0]
    assert term_candidates and all("classifier_probability" in c.features for c in term_candidates)
    suggested = {suggestion.code for suggestion in engine.suggest(text).suggestions}
    assert "I48.91" in suggested
