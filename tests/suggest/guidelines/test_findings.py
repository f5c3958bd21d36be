"""One code per finding (I.B.9, I.A.12.a) and integral signs and symptoms (I.B.5, IV.D)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from suggest.guidelines.data import read_table
from suggest.guidelines.integral import drop_integral_symptoms
from suggest.guidelines.one_per_finding import one_code_per_finding
from suggest.types import Evidence, Mention
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_i_b_9_two_siblings_for_one_finding_leave_one(codeset):
    text = "Assessment: diabetic nephropathy.\n"
    words = mention(text, "diabetic nephropathy", ("E11.21", "E11.29"))
    draft = draft_of(("E11.21", 0.8, [words]), ("E11.29", 0.6, [words]))
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["E11.21"]
    assert "I.B.9" in draft.excluded[0].reason


def test_i_a_9_a_an_other_code_yields_to_the_sibling_that_names_the_finding(codeset):
    """I.A.9.a / I.B.9: "Grade I internal hemorrhoids" read as "Other hemorrhoids" (K64.8, the Index's internal)
    and as "First degree hemorrhoids" (K64.0) is one finding; the code of its own stays, even scored lower."""
    text = "Post-procedure diagnosis:\n1. Grade I internal hemorrhoids\n"
    draft = draft_of(
        ("K64.8", 0.8, [mention(text, "internal hemorrhoids", ("K64.8",), section="diagnoses")]),
        ("K64.0", 0.5, [mention(text, "Grade I internal hemorrhoids", ("K64.0",), section="diagnoses")]),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["K64.0"]
    assert "I.A.9.a" in draft.excluded[0].reason


def test_i_a_9_a_an_other_code_stays_beside_an_unspecified_sibling(codeset):
    """I.A.9.a: "Other hemorrhoids" (internal, by the Index) is not given up for "Unspecified hemorrhoids"."""
    text = "Assessment: internal hemorrhoids.\n"
    words = mention(text, "internal hemorrhoids", ("K64.8", "K64.9"))
    draft = draft_of(("K64.8", 0.8, [words]), ("K64.9", 0.5, [words]))
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["K64.8"]


def test_i_b_9_an_element_the_combination_code_names_is_not_coded_again(codeset):
    """I.B.9 / I.A.15: "Parkinson disease with peak-dose dyskinesia" is G20.B2; "dyskinesias" in the history is
    that element, not G24.9 beside it; "MRSA" is the organism A41.02 names, not A49.02."""
    text = (
        "HPI: peak-dose dyskinesias of neck. Blood cultures: MRSA.\n"
        "A/P: 1. Parkinson disease w/ dyskinesia and fluctuations. 2. Sepsis due to MRSA.\n"
    )
    draft = draft_of(
        ("G20.B2", 0.8, [mention(text, "Parkinson disease w/ dyskinesia and fluctuations", ("G20.B2",))]),
        ("G24.9", 0.65, [mention(text, "dyskinesias", ("G24.9",), section="history_of_present_illness")]),
        ("A41.02", 0.9, [mention(text, "Sepsis due to MRSA", ("A41.02",))]),
        ("A49.02", 0.9, [mention(text, "MRSA", ("A49.02",), section="labs_and_studies")]),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["G20.B2", "A41.02"]
    assert "I.B.9" in draft.get("G20.B2").sections and "G24.9" in draft.get("G20.B2").replaces


def test_i_b_9_an_element_another_listed_code_asks_for_stays(codeset):
    """I.B.9: B96.20 for the pyelonephritis (N10 "use additional code (B95-B97)") stays beside A41.51, whose
    title names E. coli too."""
    text = "A/P: 1. Sepsis due to E. coli. 2. Acute pyelonephritis, urine cx E. coli.\n"
    draft = draft_of(
        ("A41.51", 0.9, [mention(text, "Sepsis due to E. coli", ("A41.51",))]),
        ("N10", 0.8, [mention(text, "Acute pyelonephritis", ("N10",))]),
        ("B96.20", 0.6, [mention(text, "E. coli", ("B96.20",), occurrence=1)]),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["A41.51", "N10", "B96.20"]


def test_i_b_9_a_code_the_combination_asks_for_stays(codeset):
    """I.B.9: I11.0 "use additional code to identify the type of heart failure" - I50.9 stays beside it."""
    text = "A/P: hypertensive heart disease with heart failure; heart failure compensated.\n"
    draft = draft_of(
        ("I11.0", 0.8, [mention(text, "hypertensive heart disease with heart failure", ("I11.0",))]),
        ("I50.9", 0.7, [mention(text, "heart failure", ("I50.9",), occurrence=1)]),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["I11.0", "I50.9"]


def test_i_b_2_an_unspecified_code_named_again_with_detail_leaves(codeset):
    """I.B.2 / I.A.9.b: "f/u acute DVT" (I82.409) and "Acute DVT, L common femoral vein" (I82.412): one DVT, coded
    with the detail the note gives; an unrelated unspecified code of another subcategory stays."""
    text = "Reason: f/u acute DVT.\nA/P: 1. Acute DVT, L common femoral vein - apixaban.\n"
    draft = draft_of(
        ("I82.409", 0.5, [mention(text, "DVT", ("I82.40",), section="none")]),
        ("I82.412", 0.8, [mention(text, "Acute DVT, L common femoral vein", ("I82.412",))]),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["I82.412"]
    assert "I.B.2" in draft.excluded[0].reason


def _words(text: str, code: str, *phrases: str) -> Mention:
    """A mention of ``code`` resting on the (possibly discontinuous) ``phrases`` of ``text``, as the matcher makes
    one of "Chronic hepatitis ... C"."""
    pieces, start = [], 0
    for phrase in phrases:
        start = text.index(phrase, start)
        pieces.append(Evidence(start, start + len(phrase), phrase, "assessment_and_plan", "present"))
        start += len(phrase)
    return Mention(
        tuple(pieces), " ".join(phrases), "index", (code,), "exact", 1.0, 0, "assessment_and_plan", "present"
    )


def test_i_b_9_hepatitis_b_and_c_in_one_phrase_are_two_findings(codeset):
    """I.B.9: "hepatitis B and C" names two diseases of different subcategories (B19.1-, B19.2-), each on words of
    its own ("B", "C"): both are coded; two readings of one otitis media (H66.0-, H66.4-) stay one finding."""
    text = "Assessment: viral hepatitis B and C co-infection. Acute suppurative otitis media, right ear.\n"
    draft = draft_of(
        ("B19.20", 0.8, [_words(text, "B19.20", "viral hepatitis", "C")]),
        ("B19.10", 0.8, [_words(text, "B19.10", "viral hepatitis B")]),
        ("H66.001", 0.8, [_words(text, "H66.001", "Acute suppurative otitis media")]),
        ("H66.41", 0.7, [_words(text, "H66.41", "suppurative otitis media", "right ear")]),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["B19.20", "B19.10", "H66.001"]
    assert "I.B.9" in draft.get("B19.10").sections


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


def test_i_b_6_symptom_only_of_the_same_body_system_in_narrative_stays(codeset):
    # hematuria is not routinely part of renal colic: a narrative sentence naming both is no provider's tie
    text = "The patient presented with gross hematuria and renal colic.\n"
    draft = draft_of(
        ("N23", 0.8, [mention(text, "renal colic", ("N23",), section="none")]),
        ("R31.9", 0.7, [mention(text, "hematuria", ("R31.9",), section="none")]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["N23", "R31.9"]


def test_i_b_6_symptom_in_another_part_of_a_narrative_note_stays(codeset):
    # fever is routinely part of pneumonia, but the note never ties this fever to it (I.B.6)
    text = "Fever after surgery, treated with paracetamol.\nMonths later, chest x-ray showed pneumonia.\n"
    draft = draft_of(
        ("J18.9", 0.8, [mention(text, "pneumonia", ("J18.9",), section="none")]),
        ("R50.9", 0.7, [mention(text, "Fever", ("R50.9",), section="none")]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["J18.9", "R50.9"]


def test_i_b_5_presenting_symptom_of_the_concluded_diagnosis_leaves(codeset):
    text = "HPI: 3 days of fever and productive cough.\nAssessment: community-acquired pneumonia.\n"
    draft = draft_of(
        ("J18.9", 0.8, [mention(text, "pneumonia", ("J18.9",))]),
        ("R50.9", 0.7, [mention(text, "fever", ("R50.9",), section="history_of_present_illness")]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["J18.9"]
    assert "I.B.5" in draft.excluded[0].reason


def test_iv_d_outpatient_uncertain_diagnosis_keeps_its_symptoms(codeset):
    text = "CC: fever.\nAssessment: probable pneumonia.\n"
    draft = draft_of(
        ("J18.9", 0.8, [mention(text, "pneumonia", ("J18.9",), assertion="possible")]),
        ("R50.9", 0.7, [mention(text, "fever", ("R50.9",), section="chief_complaint")]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft, setting="outpatient"))
    assert "R50.9" in draft.codes()


def test_i_b_5_joint_pain_is_integral_only_to_an_injury_of_that_site(codeset):
    # shoulder pain is not part of a lumbar fracture (I.B.6); knee pain is part of a knee injury (I.B.5)
    text = "HPI: fall with left shoulder pain and right knee pain.\nAssessment: lumbar fracture; knee sprain.\n"
    draft = draft_of(
        ("S32.009A", 0.8, [mention(text, "lumbar fracture", ("S32.009A",))]),
        ("S83.91XA", 0.8, [mention(text, "knee sprain", ("S83.91XA",))]),
        ("M25.512", 0.7, [mention(text, "left shoulder pain", ("M25.512",), section="history_of_present_illness")]),
        ("M25.561", 0.7, [mention(text, "right knee pain", ("M25.561",), section="history_of_present_illness")]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["S32.009A", "S83.91XA", "M25.512"]


def test_i_b_5_unknown_cause_of_mortality_is_no_symptom(codeset):
    text = "Assessment: aortic stenosis; the patient died, cause of death unknown.\n"
    draft = draft_of(
        ("I35.0", 0.8, [mention(text, "aortic stenosis", ("I35.0",))]),
        ("R99", 0.6, [mention(text, "cause of death unknown", ("R99",))]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["I35.0", "R99"]


def test_i_b_5_vesicles_are_the_lesions_of_the_concluded_contact_dermatitis(codeset):
    # the exam finding is neither presented nor in one sentence, but the reviewed table knows it is routine
    text = "Exam: vesicles on both forearms.\nAssessment: allergic contact dermatitis.\n"
    draft = draft_of(
        ("L23.9", 0.8, [mention(text, "allergic contact dermatitis", ("L23.9",))]),
        ("R23.8", 0.5, [mention(text, "vesicles", ("R23.8",), section="physical_exam")]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["L23.9"]


def test_i_b_5_a_diagnosis_treated_in_the_plan_is_concluded(codeset):
    text = "Exam: T 38.4, fever.\nPlan: acute diverticulitis - amoxicillin-clavulanate.\n"
    draft = draft_of(
        ("K57.92", 0.8, [mention(text, "acute diverticulitis", ("K57.92",), section="plan")]),
        ("R50.9", 0.5, [mention(text, "fever", ("R50.9",), section="physical_exam")]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["K57.92"]


def test_i_b_5_pain_managed_in_the_plan_is_part_of_the_injury(codeset):
    text = "Procedure: injury of sigmoid colon noted.\nPlan: acetaminophen for pain.\n"
    draft = draft_of(
        ("S36.503A", 0.8, [mention(text, "injury of sigmoid colon", ("S36.503A",), section="procedures")]),
        ("R52", 0.5, [mention(text, "pain", ("R52",), section="plan")]),
    )
    drop_integral_symptoms(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["S36.503A"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=20), st.integers(-1, 60), st.integers(0, 30))
def test_integral_tie_by_sorted_search_finds_what_every_start_finds(starts: list[int], begin: int, length: int) -> None:
    from suggest.guidelines.integral import _any_in

    span = range(begin, begin + length) if begin >= 0 else range(0)
    assert _any_in(sorted(starts), span) == any(start in span for start in starts)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["overdose", "took", "too", "many", "side effect", "of", "pills", " ", "."]), max_size=30),
    st.integers(0, 200),
    st.integers(0, 20),
)
def test_a_drug_cue_near_by_search_decides_as_every_match(words: list[str], at: int, length: int) -> None:
    from suggest.guidelines.cues import REACH as _REACH
    from suggest.guidelines.cues import cue_near as _near
    from suggest.guidelines.drugs import _ADVERSE_RE, _POISONING_RE

    text = " ".join(words)
    where = (at, at + length)
    for pattern in (_POISONING_RE, _ADVERSE_RE):
        every = any(m.start() - _REACH <= where[1] and where[0] <= m.end() + _REACH for m in pattern.finditer(text))
        assert _near(pattern, text, where) == every


def test_i_b_9_combinations_built_from_the_same_words_are_one_finding(codeset):
    """I.B.9: "dementia, moderate, with agitation" read as mild, moderate and severe dementia with agitation is one
    finding; the diabetes with kidney disease and with neuropathy each rest on words of their own and both stay."""
    text = "Dx: dementia, moderate, with agitation. DM2 w/ CKD 3a and polyneuropathy."
    dementia = mention(text, "dementia, moderate, with agitation", ("F03.B11",))
    dm2 = mention(text, "DM2", ("E11.9",))
    draft = draft_of(
        ("F03.B11", 0.80, [dementia]),
        ("F03.A11", 0.79, [dementia]),
        ("F03.C11", 0.79, [dementia]),
        ("E11.22", 0.80, [dm2, mention(text, "CKD 3a", ("N18.31",))]),
        ("E11.42", 0.78, [dm2, mention(text, "polyneuropathy", ("G62.9",))]),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["F03.B11", "E11.22", "E11.42"]


def test_i_b_9_a_refined_code_keeps_the_words_of_the_code_it_came_from(codeset):
    """I.B.9: two codes of one category the specificity step refined from the same "otitis media" H66.90
    (``refined_from``) rest on the same words: one finding, the better supported stays."""
    text = "A/P: acute otitis media, right ear."
    otitis = mention(text, "otitis media", ("H66.90",))
    draft = draft_of(
        ("H66.001", 0.8, [otitis, mention(text, "acute", ("H66.001",))]),
        ("H66.91", 0.7, [otitis, mention(text, "right ear", ("H66.91",))]),
    )
    for entry in draft.entries:
        entry.refined_from.append("H66.90")
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["H66.001"]


def test_i_c_4_a_two_with_complications_of_one_diabetes_are_two_findings(codeset):
    # E11.22 carries every diabetes mention the ranker found (the "HHS" one too); E11.00 rests on "HHS in DM2"
    # alone. Their complications differ and each has words of its own: both are coded (I.A.15, I.C.4.a)
    text = "Diagnoses:\n1. HHS in DM2\n2. DM2 w/ diabetic CKD\n"
    hhs = mention(text, "HHS in DM2", ("E11.65",))
    ckd = mention(text, "DM2 w/ diabetic CKD", ("E11.22",))
    draft = draft_of(("E11.22", 0.86, [hhs, ckd]), ("E11.00", 0.8, [hhs]))
    draft.get("E11.00").refined_from.append("E11.65")
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert sorted(draft.codes()) == ["E11.00", "E11.22"]


def test_i_b_9_one_complication_read_twice_is_still_one_finding(codeset):
    text = "Assessment: dementia, moderate, with agitation.\n"
    words = mention(text, "dementia, moderate, with agitation", ("F03.B11",))
    draft = draft_of(("F03.B11", 0.8, [words]), ("F03.A11", 0.6, [words]))
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["F03.B11"]


def test_i_b_9_two_kidney_complications_of_one_diabetes_are_one_finding(codeset):
    # E11.21 (nephropathy) and E11.22 (CKD) share their Tabular parent E11.2: one kidney disease read two ways,
    # one code (I.B.9), even though each also rests on words of its own
    text = "Assessment:\n1. DM2 w/ diabetic CKD - diabetic nephropathy\n2. CKD stage 3b\n"
    draft = draft_of(
        (
            "E11.22",
            0.8,
            [mention(text, "DM2 w/ diabetic CKD", ("E11.22",)), mention(text, "CKD stage 3b", ("E11.22",))],
        ),
        (
            "E11.21",
            0.6,
            [mention(text, "diabetic nephropathy", ("E11.21",)), mention(text, "DM2 w/ diabetic", ("E11.21",))],
        ),
    )
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["E11.22"]


def test_i_a_12_a_an_excludes1_pair_on_one_finding_keeps_the_specified_reading(codeset):
    """I.A.12.a with I.A.9.b: "right upper quadrant pain" read as R52 "pain, unspecified" (scored higher) and as
    R10.11 is one finding; R52's Excludes1 note sends localized pain to "pain by site", and an unspecified code is
    for a record that says no more, so R10.11 stays whatever the scores."""
    text = "Assessment: right upper quadrant pain.\n"
    words = mention(text, "right upper quadrant pain", ("R10.11", "R52"))
    draft = draft_of(("R52", 0.7, [words]), ("R10.11", 0.4, [words]))
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["R10.11"]
    assert "I.A.12.a" in draft.excluded[0].reason


def test_i_b_5_an_unspecified_diagnosis_is_not_given_up_for_a_specified_symptom(codeset):
    """I.B.4-I.B.5 with I.A.9.b: respiratory failure J96.90, "unspecified" only as to its type, is not traded for
    the symptom R06.89 read from the same words; the better-supported reading stays."""
    text = "Assessment: respiratory failure.\n"
    words = mention(text, "respiratory failure", ("J96.90", "R06.89"))
    draft = draft_of(("J96.90", 0.8, [words]), ("R06.89", 0.3, [words]))
    one_code_per_finding(draft, context_of(codeset, text, draft))
    assert "J96.90" in draft.codes()
