"""The spaCy components one by one: tokenizer, sentences, sections, serialisation."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy


def tokens(engine, text: str) -> list[str]:
    return [token.text for token in engine.nlp.make_doc(text)]


def test_tokenizer_keeps_clinical_shorthand_and_splits_lists(mini_engine) -> None:
    found = tokens(mini_engine, "s/p CABG, h/o MI, w/o fever. HTN/HLD. metformin 500mg, BP 120/80")
    assert {"s/p", "h/o", "w/o"} <= set(found)
    assert found[found.index("HTN") : found.index("HTN") + 3] == ["HTN", "/", "HLD"]
    assert "500" in found and "mg" in found
    assert "120/80" in found


def test_sentences_break_at_lines_and_full_stops(mini_engine) -> None:
    doc = mini_engine.nlp("Assessment:\nHypertension. Dr. Smith saw her\nDiabetes type 2")
    sentences = [sentence.text.strip() for sentence in doc.sents]
    assert "Hypertension." in sentences
    assert "Dr. Smith saw her" in sentences
    assert sentences[-1] == "Diabetes type 2"


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("ASSESSMENT AND PLAN", "assessment_and_plan"),
        ("Past Medical History:", "past_medical_history"),
        ("FAMILY HISTORY", "family_history"),
        ("HPI:", "history_of_present_illness"),
        ("Review of systems:", "review_of_systems"),
        ("Discharge diagnoses:", "diagnoses"),
        ("Problem list", "problem_list"),
        ("Medications:", "medications"),
        ("Allergies:", "allergies"),
        ("Physical exam:", "physical_exam"),
        ("Labs:", "labs_and_studies"),
        ("Social history:", "social_history"),
    ],
)
def test_sections_are_named(mini_engine, heading: str, section: str) -> None:
    doc = mini_engine.nlp(f"Intro line.\n{heading}\nHypertension noted.\n")
    word = next(token for token in doc if token.text == "Hypertension")
    assert word._.chartcoder_section == section
    assert doc[0]._.chartcoder_section == "none"


def test_a_heading_word_inside_a_sentence_opens_no_section(mini_engine) -> None:
    doc = mini_engine.nlp("The plan is to recheck hypertension.")
    assert {token._.chartcoder_section for token in doc} == {"none"}


def test_pipeline_round_trips_through_to_disk(mini_engine, tmp_path: Path) -> None:
    import suggest.pipeline  # noqa: F401 - registers the factories spacy.load needs

    mini_engine.nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.pipe_names == mini_engine.nlp.pipe_names
    text = "Assessment: essential hypertension. Denies pneumonia."
    original = [(m.term, m.positions) for m in mini_engine.nlp(text)._.chartcoder_matches]
    again = [(m.term, m.positions) for m in loaded(text)._.chartcoder_matches]
    assert original and original == again


def test_components_declare_what_they_need_and_assign(mini_engine) -> None:
    analysis = mini_engine.nlp.analyze_pipes(pretty=False)
    assert not any(analysis["problems"].values())


def test_a_cue_word_inside_the_term_does_not_qualify_it(mini_engine) -> None:
    # medspaCy's overlap test misses a cue wholly inside a longer target: "without" negated the whole title
    doc = mini_engine.nlp("Assessment:\nType 2 diabetes mellitus without complications.")
    spans = {span.text: span._.chartcoder_assertion for span in doc.spans["chartcoder_terms"]}
    assert spans, "the diabetes phrase must be found"
    assert set(spans.values()) == {"present"}, spans


def test_words_governed_by_without_match_only_phrases_that_say_without(mini_engine) -> None:
    result = mini_engine.suggest("Assessment:\nType 2 diabetes mellitus without complications.")
    codes = [suggestion.code for suggestion in result.suggestions]
    assert codes[:1] == ["E11.9"], codes  # not E11.8 "with unspecified complications"
    assert "E11.8" not in codes and not result.excluded
    with_complications = mini_engine.suggest("Assessment:\nType 2 diabetes mellitus with complications.")
    assert "E11.8" in [suggestion.code for suggestion in with_complications.suggestions]


def test_term_match_features_are_candidate_features() -> None:
    from suggest.candidates import FEATURE_NAMES, TERM_MATCH_FEATURES

    assert set(TERM_MATCH_FEATURES) <= set(FEATURE_NAMES)
