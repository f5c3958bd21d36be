"""One code per finding (I.B.9, I.A.12.a) and integral signs and symptoms (I.B.5, IV.D)."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from suggest.guidelines.data import read_table
from suggest.guidelines.integral import drop_integral_symptoms
from suggest.guidelines.one_per_finding import one_code_per_finding
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_i_b_9_two_siblings_for_one_finding_leave_one(codeset):
    text = "Assessment: diabetic nephropathy.\n"
    words = mention(text, "diabetic nephropathy", ("E11.21", "E11.29"))
    draft = draft_of(("E11.21", 0.8, [words]), ("E11.29", 0.6, [words]))
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["E11.21"]
    assert "I.B.9" in draft.excluded[0].reason


def test_i_a_12_a_excludes1_pair_resolved_when_the_note_supports_one_side(codeset):
    # E11 Excludes1 "type 1 diabetes mellitus (E10.-)"; both readings rest on the same words, type 2 is better
    text = "Assessment: type 2 diabetes. Diabetes education.\n"
    draft = draft_of(
        ("E11.9", 0.8, [mention(text, "type 2 diabetes", ("E11.9",))]),
        ("E10.9", 0.3, [mention(text, "diabetes", ("E10.9",))]),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["E11.9"]
    assert "I.A.12.a" in draft.excluded[0].reason


def test_i_b_5_integral_symptom_leaves_and_unrelated_one_stays(codeset):
    text = "Assessment: acute cystitis with dysuria. Also headache.\n"
    draft = draft_of(
        ("N30.00", 0.8, [mention(text, "acute cystitis", ("N30.00",))]),
        ("R30.0", 0.7, [mention(text, "dysuria", ("R30.0",))]),
        ("R51.9", 0.6, [mention(text, "headache", ("R51.9",))]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["N30.00", "R51.9"]
    assert draft.excluded[0].reason.startswith("integral to N30.00")


def test_i_b_5_knee_pain_is_integral_to_knee_osteoarthritis(codeset):
    text = "Assessment: right knee pain from primary osteoarthritis, right knee.\n"
    draft = draft_of(
        ("M25.561", 0.9, [mention(text, "right knee pain", ("M25.561",))]),
        ("M17.11", 0.7, [mention(text, "primary osteoarthritis, right knee", ("M17.11",))]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["M17.11"]


def test_integral_table_codes_are_in_the_code_set(codeset):
    for symptom, diagnoses, _why in read_table("integral_symptoms.tsv"):
        assert codeset.with_prefix(symptom, limit=1), symptom
        for prefix in diagnoses.split(","):
            assert prefix == "*" or codeset.with_prefix(prefix, limit=1), prefix


def test_i_c_19_b_injury_of_unspecified_region_leaves_beside_the_sited_injury(codeset):
    text = "ED: dog bite wound, right lower leg. Injury cleaned.\n"
    draft = draft_of(
        ("S81.851A", 0.8, [mention(text, "dog bite wound, right lower leg", ("S81.851A",))]),
        ("T14.8XXA", 0.7, [mention(text, "Injury", ("T14.8XXA",))]),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["S81.851A"]
    assert "I.C.19.b" in draft.excluded[0].reason


def _linked_pairwise(symptom, diagnosis, context) -> bool:  # type: ignore[no-untyped-def]
    """``_linked`` as it was written first: every symptom mention against every diagnosis mention."""
    from suggest.guidelines.integral import _CONCLUDING_SECTIONS, _PRESENTING_SECTIONS, _span_of

    for found in symptom.mentions:
        sentence = context.sentence_around(found.start, found.end)
        if any(
            abs(other.start - found.start) < len(sentence) and other.start in _span_of(sentence, found.start, context)
            for other in diagnosis.mentions
        ):
            return True
    presented = any(found.section in _PRESENTING_SECTIONS for found in symptom.mentions)
    concluded = any(found.section in _CONCLUDING_SECTIONS for found in diagnosis.mentions)
    return presented and concluded


_NOTE_WORDS = ["chest pain", "asthma", "cough", "and", ".", ";", "\n", "Assessment:", "- "]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["chest pain", "asthma", "cough", "and", ".", ";", "\n", "Assessment:", "- "]), max_size=40
    ),
    st.sampled_from(["history_of_present_illness", "assessment_and_plan"]),
)
def test_integral_link_by_sorted_search_decides_as_every_pair_of_mentions(words: list[str], section: str) -> None:
    from suggest.guidelines.integral import _linked

    assume("chest pain" in words and "asthma" in words)
    text = " ".join(words)
    symptoms = [mention(text, "chest pain", ("R07.9",), section, occurrence=i) for i in range(text.count("chest pain"))]
    diagnoses = [mention(text, "asthma", ("J45.909",), occurrence=i) for i in range(text.count("asthma"))]
    draft = draft_of(("J45.909", 0.8, diagnoses), ("R07.9", 0.7, symptoms))
    context = context_of(None, text, draft)
    diagnosis, symptom = draft.entries
    assert _linked(symptom, diagnosis, context) == _linked_pairwise(symptom, diagnosis, context)


def test_integral_link_needs_the_diagnosis_in_the_symptoms_sentence_not_just_near_it() -> None:
    from suggest.guidelines.integral import _linked

    text = "cough asthma . chest pain and cough and cough"  # asthma 9 characters before, in the sentence before
    draft = draft_of(
        ("J45.909", 0.8, [mention(text, "asthma", ("J45.909",))]),
        ("R07.9", 0.7, [mention(text, "chest pain", ("R07.9",))]),
    )
    diagnosis, symptom = draft.entries
    assert not _linked(symptom, diagnosis, context_of(None, text, draft))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["overdose", "took", "too", "many", "side effect", "of", "pills", " ", "."]), max_size=30),
    st.integers(0, 200),
    st.integers(0, 20),
)
def test_a_drug_cue_near_by_search_decides_as_every_match(words: list[str], at: int, length: int) -> None:
    from suggest.guidelines.drugs import _ADVERSE_RE, _POISONING_RE, _REACH, _near

    text = " ".join(words)
    where = (at, at + length)
    for pattern in (_POISONING_RE, _ADVERSE_RE):
        every = any(m.start() - _REACH <= where[1] and where[0] <= m.end() + _REACH for m in pattern.finditer(text))
        assert _near(pattern, text, where) == every
