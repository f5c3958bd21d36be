"""The spaCy components one by one: tokenizer, sentences, sections, serialisation."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st


def tokens(engine, text: str) -> list[str]:
    return [token.text for token in engine.nlp.make_doc(text)]


def test_tokenizer_keeps_clinical_shorthand_and_splits_lists(mini_engine) -> None:
    found = tokens(mini_engine, "s/p CABG, h/o MI, w/o fever. HTN/HLD. metformin 500mg, BP 120/80")
    assert {"s/p", "h/o", "w/o"} <= set(found)
    assert found[found.index("HTN") : found.index("HTN") + 3] == ["HTN", "/", "HLD"]
    assert "500" in found and "mg" in found
    assert "120/80" in found


_AFFIX_CHARACTERS = "?.,;:!()[]{}'\"s5mgkL%\u00b0Cc\u2026-+*/&$aA\u2019x\u2122\U0001f600_<>#"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_AFFIX_CHARACTERS, min_size=1, max_size=80))
def test_the_tail_suffix_search_finds_what_spacys_suffix_search_finds(span: str) -> None:
    from spacy.lang.en import English
    from spacy.util import compile_suffix_regex

    from suggest.components.tokenizer import _UNIT_AFTER_DIGITS, TailSuffixSearch

    rules = [*(English.Defaults.suffixes or ()), _UNIT_AFTER_DIGITS]
    expected = compile_suffix_regex(rules).search(span)
    found = TailSuffixSearch(rules)(span)
    assert (found and found.span()) == (expected and expected.span())


def test_ordinary_text_is_tokenized_exactly_as_spacys_rules_do(mini_engine) -> None:
    from spacy.lang.en import English
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    from suggest.components.tokenizer import _SLASH_BETWEEN_WORDS, _UNIT_AFTER_DIGITS, CLINICAL_SHORTHAND

    defaults = English.Defaults
    plain = Tokenizer(
        mini_engine.nlp.vocab,
        rules=dict(defaults.tokenizer_exceptions),
        prefix_search=compile_prefix_regex(defaults.prefixes or ()).search,
        suffix_search=compile_suffix_regex([*(defaults.suffixes or ()), _UNIT_AFTER_DIGITS]).search,
        infix_finditer=compile_infix_regex([*(defaults.infixes or ()), _SLASH_BETWEEN_WORDS]).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )
    for shorthand in CLINICAL_SHORTHAND:
        plain.add_special_case(shorthand, [{"ORTH": shorthand}])
    text = (
        'HPI: 67 y/o M s/p CABG (2019), h/o HTN/HLD; c/o "chest pain"... BP 150/90, HR 88bpm. Meds: '
        "metformin 500mg b.i.d., ASA 81 mg. Pt's wife's notes: see https://example.org/a?b=c. "
        "(prednisone+etoposide+dexamethasone+cyclophosphamide) -- 2x/day!! ??? ----- 5'10\" ~37.5\u00b0C"
    )
    assert [(t.text, t.idx, t.whitespace_) for t in mini_engine.nlp.make_doc(text)] == [
        (t.text, t.idx, t.whitespace_) for t in plain(text)
    ]


@pytest.mark.parametrize(
    "run",
    [
        "?" * 5_000,
        "(" * 2_000 + "hypertension" + ")" * 2_000,
        "'s" * 2_500,
        "\U0001f600" * 3_000,
        "a" * 5_000,
        "-" * 5_000,
        "http://example.org/" + "a/" * 2_000,
    ],
    ids=["question marks", "nested brackets", "possessives", "emoji", "letters", "dashes", "url"],
)
def test_a_long_span_is_tokenized_in_bounded_pieces_of_the_unchanged_text(mini_engine, run: str) -> None:
    from suggest.components.tokenizer import MAX_SPAN_CHARS

    text = f"Cough x2.\n{run} then fever."
    doc = mini_engine.nlp.make_doc(text)
    assert doc.text == text
    assert all(text[token.idx : token.idx + len(token)] == token.text for token in doc)
    assert [token.text for token in doc][:4] == ["Cough", "x2", ".", "\n"]
    assert [token.text for token in doc][-3:] == ["then", "fever", "."]
    long_tokens = [token.text for token in doc if len(token) > MAX_SPAN_CHARS]
    assert long_tokens == ([run] if run.isalnum() else [])  # only a run of letters or digits stays whole
    if "hypertension" in run:
        assert "hypertension" in [token.text for token in doc]


@pytest.mark.parametrize("text", ["Cough x2.\nHTN ", "Cough.\n" + "?" * 5_000 + " fever", "  \n"])
def test_note_text_is_the_text_the_tokenizer_read(mini_engine, text: str) -> None:
    from spacy.tokens import Doc

    from suggest.components.tokenizer import note_text

    doc = mini_engine.nlp.make_doc(text)
    assert note_text(doc) == doc.text == text
    assert text in doc.user_data.values(), "the tokenizer keeps the text it read: no join of the tokens"
    assert note_text(mini_engine.nlp(text)) == text, "the pipeline's components keep the tokenizer's text"
    words = [token.text for token in doc]
    other = Doc(mini_engine.nlp.vocab, words=words, spaces=[bool(token.whitespace_) for token in doc])
    other.user_data.update(mini_engine.nlp.make_doc("not this note").user_data)
    assert note_text(other) == other.text, "text kept for other tokens is not used"


def test_the_reloaded_pipeline_keeps_the_fast_suffix_search(mini_engine, tmp_path: Path) -> None:
    import suggest.pipeline  # noqa: F401 - registers the factories spacy.load needs
    from suggest.components.tokenizer import ClinicalTokenizer, TailSuffixSearch

    mini_engine.nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert isinstance(loaded.tokenizer, ClinicalTokenizer)
    assert isinstance(loaded.tokenizer.suffix_search, TailSuffixSearch)
    text = "Pain!!! " + "?" * 500
    assert [t.text for t in loaded.tokenizer(text)] == [t.text for t in mini_engine.nlp.make_doc(text)]


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
        # Section II: the principal diagnosis is where the note states it ("Principal Dx:", "Secondary Dx:")
        ("Principal Dx:", "diagnoses"),
        ("Secondary Dx:", "diagnoses"),
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


@pytest.mark.parametrize(
    "text",
    [
        "Intro line.\nHPI:\nCough.\nAssessment and plan:\n1. HTN\nP: 88\nMedications:\nnone",
        "no heading at all, only words",
        "Allergies: none\nAllergies: NKDA\nPlan",
    ],
)
def test_sections_are_medspacys_without_the_token_writes(mini_engine, text: str) -> None:
    from medspacy.section_detection import Sectionizer

    sectionizer = mini_engine.nlp.get_pipe("chartcoder_sections")._sectionizer

    def sections(call):  # type: ignore[no-untyped-def]
        doc = mini_engine.nlp.get_pipe("chartcoder_sentences")(mini_engine.nlp.make_doc(text))
        doc = call(doc)
        found = [(s.category, s.title_span, s.section_span, s.parent, s.rule) for s in doc._.sections]
        return found, [token._.section for token in doc]

    ours, our_tokens = sections(sectionizer)
    theirs, their_tokens = sections(lambda doc: Sectionizer.__call__(sectionizer, doc))
    assert ours == theirs
    assert set(our_tokens) == {None}, "no section is written on the tokens"
    if any(rule is not None for *_, rule in theirs):  # medspaCy writes the tokens once a heading is found
        assert None not in their_tokens


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


def test_a_sentence_with_no_boundary_is_cut_at_the_length_limit(mini_engine) -> None:
    from suggest.components.sentences import MAX_SENTENCE_TOKENS

    text = " ".join(["pain", "and", "fever", "with", "cough"] * 400)  # 2,000 tokens, no full stop or line break
    sentences = list(mini_engine.nlp(text).sents)
    assert len(sentences) == 8 and max(len(sentence) for sentence in sentences) == MAX_SENTENCE_TOKENS


def test_context_in_chunks_of_sentences_labels_as_over_the_whole_note(mini_engine, monkeypatch) -> None:
    import suggest.components.assertion as assertion

    visits = [
        f"Visit {day}: no pneumonia. Denies hypertension. Mother has diabetes. Possible atrial fibrillation. "
        f"History of heart failure. Essential hypertension, stage {day % 5} kidney disease."
        for day in range(200)
    ]
    text = "\n".join(visits)

    def labels() -> list[tuple[int, int, str]]:
        doc = mini_engine.nlp(text)
        return [(span.start, span.end, span._.chartcoder_assertion) for span in doc.spans["chartcoder_terms"]]

    assert len(mini_engine.nlp.make_doc(text)) > 2 * assertion.CONTEXT_CHUNK_TOKENS
    chunked = labels()
    monkeypatch.setattr(assertion, "CONTEXT_CHUNK_TOKENS", 10**9)
    assert chunked == labels()
    assert len({label for _, _, label in chunked}) >= 3, "cues of several kinds must be in the test"


# --- ConText without the inner terminators of a run (issue 19, point 1) ----------------------------------------
_CONTEXT_WORDS = (
    "no", "denies", "history of", "possible", "ruled out", "mother has", "negative", "but", "pneumonia",
    "hypertension", "diabetes", "fever", "cough", ";", ";", ";", "+", "+", ",", "-", ":", ".", "\n",
)  # fmt: skip


def _context(engine):  # type: ignore[no-untyped-def]
    from suggest.components.assertion import ClinicalAssertion

    [assertion] = [pipe for _, pipe in engine.nlp.pipeline if isinstance(pipe, ClinicalAssertion)]
    return assertion._context


def _context_outcome(engine, context_call, text: str):  # type: ignore[no-untyped-def]
    """Each mention's cues (span, category) and every non-terminator cue's scope after ConText runs on the note."""
    doc = engine.nlp(text)
    mentions = doc.spans["chartcoder_terms"]
    for span in mentions:
        span._.modifiers = ()
    context_call(doc)
    edges = sorted(
        (span.start, span.end, modifier.modifier_span, modifier.category)
        for span in mentions
        for modifier in span._.modifiers
    )
    scopes = sorted(
        (modifier.modifier_span, modifier.scope_span)
        for modifier in doc._.context_graph.modifiers
        if modifier.direction.upper() != "TERMINATE"
    )
    return edges, scopes


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_CONTEXT_WORDS), min_size=1, max_size=60))
def test_context_without_inner_terminators_gives_medspacys_edges_and_scopes(mini_engine, words: list[str]) -> None:
    from medspacy.context import ConText

    context = _context(mini_engine)
    text = " ".join(words)
    ours = _context_outcome(mini_engine, context, text)
    assert ours == _context_outcome(mini_engine, lambda doc: ConText.__call__(context, doc), text)


@pytest.mark.parametrize(
    "text",
    [
        "No cough ; ; ; ; essential hypertension ; + ; ruled out.",
        "cough ; ; + ; ; no essential hypertension ; ; ; possible cough ; ; ; ; negative",
        "Essential hypertension: negative ; ; ; ; cough ; ; ; ; ruled out ; ; ; ;",
        "history of cough ; , ; , ; , ; essential hypertension + + + + mother has cough ; ; ;",
        "possible ; ; ; ; cough ; - ; - ; - essential hypertension ; ; ; ; but cough ; ; ;",
        # a bidirectional cue's backward scope stops at a run's last terminator: the mentions inside the run
        "cough ; essential hypertension ; cough ; versus asthma",
        "essential hypertension + cough + essential hypertension + prophylaxis",
    ],
)
def test_context_without_inner_terminators_on_runs_gives_medspacys_edges_and_scopes(mini_engine, text: str) -> None:
    from medspacy.context import ConText

    context = _context(mini_engine)
    ours = _context_outcome(mini_engine, context, text)
    assert ours == _context_outcome(mini_engine, lambda doc: ConText.__call__(context, doc), text)
    assert ours[1], "the note must have cues other than terminators"


_CUE_WORDS = (
    "neg", "NEG", "Negative", "pos", "Positive", "denies", "Denied", "absent", "no", "fever", "(", ")", "-", "+",
    ":", ".", ",", ";", "\n",
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_CUE_WORDS), min_size=1, max_size=40), st.booleans())
def test_token_rule_cues_are_found_as_medspacys_matcher_finds_them(mini_engine, words: list[str], spaced) -> None:
    context = _context(mini_engine)
    assert context._token_cues is not None, "the packaged token rules are all fixed words: the PhraseMatcher runs"
    doc = mini_engine.nlp.make_doc((" " if spaced else "").join(words))
    assert context._cue_matches(doc) == context._ConText__matcher(doc)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_CUE_WORDS + _CONTEXT_WORDS), min_size=2, max_size=60), st.data())
def test_a_chunks_cues_are_those_a_doc_of_its_tokens_gives(mini_engine, words: list[str], data) -> None:
    """The chunk path finds cues on a Span of the note; a Doc of the chunk's own tokens must give the same."""
    from spacy.attrs import NORM, ORTH, SENT_START, SPACY

    from suggest.components.assertion import _chunk_doc

    context = _context(mini_engine)
    doc = mini_engine.nlp(" ".join(words))
    start = data.draw(st.integers(0, len(doc) - 1))
    end = data.draw(st.integers(start + 1, len(doc)))
    piece = _chunk_doc(doc, doc.to_array([ORTH, NORM, SPACY, SENT_START])[start:end])
    expected = [(key, first + start, last + start) for key, first, last in context._cue_matches(piece)]
    assert context.chunk_cue_matches(doc, start, end) == expected


def test_token_rule_cues_include_the_punctuation_rules(mini_engine) -> None:
    context = _context(mini_engine)
    doc = mini_engine.nlp.make_doc("Chest pain: denies. Troponin: negative. Strep (-) flu +")
    found = context._cue_matches(doc)
    assert found == context._ConText__matcher(doc)
    literals = {context._ConText__matcher.rule_map[mini_engine.nlp.vocab[key].text].literal for key, _, _ in found}
    assert {": denies", ": negative.", "(-)"} <= literals


def test_context_keeps_the_first_and_last_terminator_of_a_run_only(mini_engine) -> None:
    context = _context(mini_engine)
    doc = mini_engine.nlp("No fever " + "; " * 200 + "+ ; + cough")
    doc.spans["chartcoder_terms"] = []
    context(doc)
    terminators = [m for m in doc._.context_graph.modifiers if m.direction.upper() == "TERMINATE"]
    assert len(terminators) == 2, "203 ';' and '+' in one sentence: only the run's first and last are weighed"


@pytest.mark.parametrize(
    "template",
    [
        "No cough {run} essential hypertension.",
        "Denies essential hypertension {run} cough noted.",
        "Cough {run} ruled out.",
        "Possible cough {run} essential hypertension.",
        "ROS: - cough {run} + essential hypertension, - chills.",
        "Mother has essential hypertension {run} cough.",
        "History of cough {run} no essential hypertension.",
    ],
)
@pytest.mark.parametrize("run", [";" * 400, "; " * 300, "+ ; " * 100, "; , " * 120])
def test_a_dense_run_of_terminators_labels_as_one_semicolon(mini_engine, template: str, run: str) -> None:
    def labels(text: str) -> list[tuple[str, str]]:
        doc = mini_engine.nlp(text)
        return sorted((span.text.lower(), span._.chartcoder_assertion) for span in doc.spans["chartcoder_terms"])

    found = labels(template.format(run=run))
    assert found == labels(template.format(run=";")) and found, template


def test_a_semicolon_ends_a_negation_in_the_dense_run_test(mini_engine) -> None:
    """The test above would pass with no ';' cue at all; here the ';' run must be what ends 'No's scope."""
    for run in (";", ";" * 400):
        doc = mini_engine.nlp(f"No cough {run} essential hypertension.")
        found = {span.text.lower(): span._.chartcoder_assertion for span in doc.spans["chartcoder_terms"]}
        assert found == {"cough": "negated", "essential hypertension": "present"}, (len(run), found)
    doc = mini_engine.nlp("No cough and essential hypertension.")
    assert {span._.chartcoder_assertion for span in doc.spans["chartcoder_terms"]} == {"negated"}
